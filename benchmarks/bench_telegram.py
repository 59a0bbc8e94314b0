"""Telegram front end throughput: updates per second handled end to end, with p50/p99 reply latency.

    .venv/bin/python benchmarks/bench_telegram.py [--residents 100] [--updates 2000] [--flood-limit]
                                                  [--transport aiohttp|httpx]

The bot runs as its own process through the production entry point (``bot.adapters.telegram.run``: the real
Application on the real services — bundled knowledge base, matcher, SQLite state in a temporary file) and polls the
fake Bot API server (``tests/fakes/bot_api.py``) on 127.0.0.1, which runs in this process together with the
simulated residents — as in production, where Telegram is another machine. ``--residents`` residents ask questions
concurrently, each one at a time like a person does: send a question, wait for the whole reply, ask the next.
Questions are the knowledge base's own phrasings (Traditional Chinese, converted to Simplified for every third
resident), English titles, a miss and commands.

Latency runs from the moment an update is queued at the fake server until the bot's first message for it reaches
the server, so it includes the long-polling pick-up. Throughput is updates answered per second of wall time; the
bot's CPU time per update is measured from its process's resource usage. The bot talks HTTP through its aiohttp
transport (``bot/adapters/telegram/transport.py``); ``--transport httpx`` measures PTB's default client instead
(about 7.7 ms of CPU per update instead of 3.0 on the development machine, about 130 updates/s).

Telegram caps a bot at about 30 messages per second; the bot's ``AIORateLimiter`` enforces that in production.
The benchmark lifts that cap to measure the bot's own capacity; ``--flood-limit`` keeps it, to show the cap.
Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import random
import resource
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import telegram  # noqa: E402
from fakes.bot_api import FakeBotApi  # noqa: E402

from bot.adapters.telegram import Tuning, run  # noqa: E402
from bot.adapters.telegram.html_split import split_html  # noqa: E402
from bot.app import build_services  # noqa: E402
from bot.core.language import to_simplified  # noqa: E402
from bot.core.messages import Incoming, Reply  # noqa: E402
from bot.settings import Settings  # noqa: E402

SEED = 2026
FIRST_USER_ID = 500_000


def never_seen_pool() -> list[tuple[str, str]]:
    """Residents' questions from the evaluation sets, each asked once: every one needs the model."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from eval_quality import read_eval_set  # noqa: PLC0415

    texts = dict.fromkeys(q.text for path in sorted((ROOT / "benchmarks" / "eval").glob("*.yaml"))
                          if path.stem != "off_topic" for q in read_eval_set(path))
    return [(text, "en" if text.isascii() else "zh-hant") for text in texts]


def question_pool(services) -> list[tuple[str, str]]:
    """(text, Telegram language_code) pairs: phrasings, English titles, misses and commands."""
    pool: list[tuple[str, str]] = []
    for entry in services.knowledge.current.kb.entries:
        pool.extend((q, "zh-hant") for q in entry.questions)
        english = entry.title.by_lang.get("en")
        if english:
            pool.append((f"{english}?", "en"))
    pool += [("社區有沒有賣飛機票", "zh-hant"), ("/help", "zh-hant"), ("/menu", "zh-hant")]
    return pool


def messages_for(replies: list[Reply]) -> int:
    """How many Bot API deliveries the adapter makes for these replies in the sender's chat."""
    count = 0
    for reply in replies:
        if reply.to is None:
            count += len(split_html(reply.html)) + bool(reply.venue) + bool(reply.image) + bool(reply.document)
    return count


async def plan(settings: Settings, residents: int, per_resident: int, never_seen: bool = False
               ) -> list[list[tuple[str, str, int]]]:
    """Each resident's questions with the number of messages each is answered with, found by playing the same
    conversations through an in-memory copy of the core (deterministic), so a resident knows when a reply is
    complete before asking the next question."""
    rng = random.Random(SEED)
    probe = build_services(settings, in_memory=True)
    await probe.open()
    pool = never_seen_pool() if never_seen else question_pool(probe)
    fresh = iter(rng.sample(pool, len(pool)))
    scripts = []
    for r in range(residents):
        user_id = FIRST_USER_ID + r
        script = []
        for _ in range(per_resident):
            text, code = next(fresh) if never_seen else rng.choice(pool)
            if r % 3 == 1 and code == "zh-hant":
                text, code = to_simplified(text), "zh-hans"
            replies = await probe.assistant.handle(Incoming(user=f"tg:{user_id}", text=text, language_code=code))
            script.append((text, code, messages_for(replies)))
        scripts.append(script)
    await probe.close()
    return scripts


async def resident(api: FakeBotApi, user_id: int, script: list[tuple[str, str, int]],
                   latencies: list[float]) -> None:
    """One resident: ask, time the first message of the answer, wait for the whole answer, ask the next."""
    person = api.resident(user_id, language_code=script[0][1])
    for text, code, messages in script:
        person.user["language_code"] = code
        before = len(person.deliveries)
        update_id = await person.say(text)
        if messages == 0:  # nothing to wait for (the core answered in another chat); rare
            continue
        await api.wait_for_deliveries(user_id, before + 1, timeout=60)
        latencies.append(person.deliveries[before].at - api.injected_at[update_id])
        await api.wait_for_deliveries(user_id, before + messages, timeout=60)


def bench_settings(**kw) -> Settings:
    """The bot's settings here: the meaning-level model on unless --lexical (BENCH_SEMANTIC), its cache in data/."""
    return Settings(knowledge_dir=ROOT / "knowledge", semantic_matching=os.environ.get("BENCH_SEMANTIC") == "on",
                    embedding_cache=ROOT / "data" / "embeddings.sqlite3",
                    embedding_threads=int(os.environ.get("EMBEDDING_THREADS", "1")), **kw)


def serve_bot(api_url: str, token: str, db: str, flood_limit: bool, transport: str) -> int:
    """The bot process: the production entry point with the flood limiter lifted (unless ``flood_limit``)."""
    logging.basicConfig(level=logging.WARNING)
    settings = bench_settings(telegram_token=token, telegram_api_url=api_url, db_path=Path(db))
    run(build_services(settings), Tuning(max_messages_per_second=30 if flood_limit else 0, poll_timeout=10,
                                         transport=transport))
    return 0


async def run_once(residents: int, updates: int, flood_limit: bool, transport: str, never_seen: bool = False
                   ) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeBotApi() as api:
            settings = bench_settings(telegram_token=api.token, telegram_api_url=api.api_url,
                                      db_path=Path(tmp) / "bench.sqlite3")
            per_resident = max(1, updates // residents)
            scripts = await plan(settings, residents, per_resident, never_seen)
            command = [sys.executable, __file__, "--serve-bot", api.api_url, api.token, str(settings.db_path),
                       transport]
            bot = await asyncio.create_subprocess_exec(*command + (["--flood-limit"] if flood_limit else []))
            try:
                warm = api.resident(FIRST_USER_ID - 1)
                await warm.exchange(warm.command("help"), timeout=30)
                cpu_before = _children_cpu()
                latencies: list[float] = []
                started = time.perf_counter()
                await asyncio.gather(*(resident(api, FIRST_USER_ID + r, scripts[r], latencies)
                                       for r in range(residents)))
                elapsed = time.perf_counter() - started
            finally:
                bot.send_signal(signal.SIGTERM)
                await bot.wait()
            bot_cpu = _children_cpu() - cpu_before  # includes the warm-up's few milliseconds
            bad = len(api.bad_requests)
    latencies.sort()
    total = residents * per_resident
    return {"residents": residents, "updates": total, "seconds": elapsed, "rate": total / elapsed,
            "p50": statistics.median(latencies) * 1000,
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
            "max": latencies[-1] * 1000, "bad": bad, "cpu_ms": bot_cpu / total * 1000,
            "messages": sum(m for s in scripts for *_, m in s), "exit": bot.returncode}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve-bot"]:
        return serve_bot(*argv[1:4], flood_limit="--flood-limit" in argv, transport=argv[4])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=100)
    parser.add_argument("--updates", type=int, help="default 2,000 (the mix), 1,000 (--never-seen)")
    parser.add_argument("--flood-limit", action="store_true",
                        help="keep the production limit of 30 messages/s (shows Telegram's cap, not the bot's)")
    parser.add_argument("--transport", choices=("aiohttp", "httpx"), default="aiohttp",
                        help="the bot's HTTP client for the Bot API")
    parser.add_argument("--lexical", action="store_true", help="without the meaning-level model")
    parser.add_argument("--never-seen", action="store_true",
                        help="residents' questions from the evaluation sets, each asked once (every one needs the "
                             "model) instead of the mix of popular phrasings, English titles and commands")
    args = parser.parse_args(argv)
    if args.updates is None:
        args.updates = 1000 if args.never_seen else 2000
    # Each never-seen question is asked once, so there can be no more updates than questions in the eval sets.
    if args.never_seen and args.updates > (available := len(never_seen_pool())):
        parser.error(f"--never-seen has {available} questions to ask once each: --updates {available} at most")
    os.environ["BENCH_SEMANTIC"] = "off" if args.lexical else "on"  # read by the bot process too
    logging.disable(logging.WARNING)
    r = asyncio.run(run_once(args.residents, args.updates, args.flood_limit, args.transport, args.never_seen))
    limiter = "30 msg/s (production)" if args.flood_limit else "off (the bot's own capacity)"
    print(f"Telegram front end end to end: the bot process polling the fake Bot API on 127.0.0.1 "
          f"({os.cpu_count()} CPUs, Python {platform.python_version()}, python-telegram-bot {telegram.__version__}; "
          f"{args.transport} transport; flood limiter {limiter}; updates concurrent across residents, in order per "
          f"resident; matching {'lexical only' if args.lexical else 'with the model'}; "
          f"{'never-seen questions' if args.never_seen else 'popular-question mix'})\n")
    print("| residents | updates | bot messages | wall s | updates/s | p50 latency ms | p99 latency ms "
          "| max ms | bot CPU ms/update | 400s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {r['residents']} | {r['updates']} | {r['messages']} | {r['seconds']:.2f} | {r['rate']:.0f} "
          f"| {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | {r['cpu_ms']:.2f} | {r['bad']} |")
    if r["exit"] != 0:
        print(f"\nThe bot process exited with {r['exit']} after SIGTERM.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
