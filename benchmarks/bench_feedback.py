"""Policy-feedback throughput: simulated residents completing consultations concurrently through the core
(``Assistant.handle``, pressing the buttons each reply offers) and the SQLite store (WAL, ``synchronous=FULL``).

    .venv/bin/python benchmarks/bench_feedback.py [--residents 1000] [--rate 500] [--kb DIR]

Every resident opens /feedback, picks one of the bundled consultations, answers every question it is asked (a
random choice, ticks, a scale value or typed text), submits and declines contact (anonymous consultations submit
straight from the summary). "Time to acknowledgement" is the duration of the ``handle`` call that returns the
reference number; the submission and the resident's state are committed before that call returns.

Three runs, each on a fresh database file:

1. *whole consultations at once*: all residents start together and go through every step without pausing;
   submissions/s is residents divided by the time until the last acknowledgement (about nine messages each);
2. *submit burst*: all residents answer first, then all press the final button at the same moment;
   submissions/s is residents divided by the time the burst takes — the write path's capacity;
3. *paced submits*: all residents answer first, then the final presses arrive as a Poisson stream at ``--rate``
   per second — the time to acknowledgement a resident sees at that load.

The targets (≥ 500 submissions/s, p99 ≤ 50 ms) are checked against runs 2 and 3. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.dialog.assistant import Assistant  # noqa: E402
from bot.core.feedback.buttons import EXTRA  # noqa: E402
from bot.core.feedback.service import FeedbackService  # noqa: E402
from bot.core.knowledge.service import KnowledgeService  # noqa: E402
from bot.core.messages import Incoming, Reply  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.feedback import SqliteFeedbackStore  # noqa: E402
from bot.storage.residents import SqliteResidentStore  # noqa: E402

SEED = 2026
TARGET_RATE = 500.0  # submissions per second
TARGET_P99_MS = 50.0
REFERENCE = re.compile(r"FB-\d{14}")
TEXTS = ["希望晚上也開放", "多辦招聘會", "申請手續可以再簡化一些", "More evening opening hours please", "謝謝"]


def actions(replies: list[Reply]) -> list[str]:
    return [b.action for r in replies for row in r.buttons for b in row]


@dataclass
class Resident:
    user: str
    consultation: str
    anonymous: bool
    rng: random.Random
    messages: int = 0
    latency: float = 0.0
    acked_at: float = 0.0

    async def send(self, assistant: Assistant, **kw) -> list[Reply]:
        self.messages += 1
        return await assistant.handle(Incoming(user=self.user, **kw))

    async def answer(self, assistant: Assistant) -> str:
        """Every step up to the last one; returns the action that submits."""
        await self.send(assistant, text="/feedback")
        replies = await self.send(assistant, action=f"fc:{self.consultation}")
        for _ in range(30):
            offered = actions(replies)
            if "fok" in offered:
                break
            toggles = [a for a in offered if a.startswith("ft:")]
            answers = [a for a in offered if a.startswith("fa:")]
            skip = next((a for a in offered if a.startswith("fs:")), None)
            if toggles:
                for action in self.rng.sample(toggles, self.rng.randint(1, min(3, len(toggles)))):
                    replies = await self.send(assistant, action=action)
                replies = await self.send(assistant, action=next(a for a in actions(replies) if a.startswith("fd:")))
            elif answers:
                replies = await self.send(assistant, action=self.rng.choice(answers))
            elif skip and self.rng.random() < 0.3:
                replies = await self.send(assistant, action=skip)
            else:
                replies = await self.send(assistant, text=self.rng.choice(TEXTS))
        else:
            raise RuntimeError(f"{self.user} never reached the summary")
        if self.anonymous:
            return "fok"  # anonymous consultations are submitted from the summary
        await self.send(assistant, action="fok")
        return "fct:n"  # the others ask for contact consent first; the resident declines

    async def submit(self, assistant: Assistant, final: str) -> None:
        start = time.perf_counter()
        replies = await self.send(assistant, action=final)
        self.acked_at = time.perf_counter()
        self.latency = self.acked_at - start
        if not REFERENCE.search(replies[0].html):
            raise RuntimeError(f"{self.user} got no reference number: {replies[0].html!r}")


class Bench:
    def __init__(self, knowledge: KnowledgeService, directory: Path, residents: int, seed: int):
        self.knowledge, self.directory, self.count = knowledge, directory, residents
        rng = random.Random(seed)
        consultations = [c for c in knowledge.current.kb.consultations if c.open]
        self.residents = []
        for i in range(residents):
            chosen = rng.choice(consultations)
            self.residents.append(Resident(f"bench:{seed}:{i}", chosen.id, chosen.anonymous,
                                           random.Random(rng.random())))

    async def __aenter__(self) -> "Bench":
        self.db = Database(self.directory / f"bench-{id(self)}.sqlite3")
        await self.db.open()
        store = SqliteResidentStore(self.db)
        self.assistant = Assistant(self.knowledge, store,
                                   extras={EXTRA: FeedbackService(SqliteFeedbackStore(self.db), store)})
        return self

    async def __aexit__(self, *exc) -> None:
        self.stored = (await self.db.fetchone("SELECT COUNT(*) FROM feedback_submission"))[0]
        self.integrity = await self.db.integrity_check()
        self.synchronous = (await self.db.fetchone("PRAGMA synchronous"))[0]
        await self.db.close()

    async def whole(self) -> float:
        async def one(r: Resident) -> None:
            await r.submit(self.assistant, await r.answer(self.assistant))
        start = time.perf_counter()
        await asyncio.gather(*(one(r) for r in self.residents))
        return start

    async def answer_all(self) -> list[str]:
        return list(await asyncio.gather(*(r.answer(self.assistant) for r in self.residents)))

    async def burst(self) -> float:
        finals = await self.answer_all()
        start = time.perf_counter()
        await asyncio.gather(*(r.submit(self.assistant, f) for r, f in zip(self.residents, finals)))
        return start

    async def paced(self, rate: float) -> float:
        finals = await self.answer_all()
        arrivals = random.Random(SEED)
        start = time.perf_counter()
        tasks, due = [], start
        for r, final in zip(self.residents, finals):
            due += arrivals.expovariate(rate)
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(r.submit(self.assistant, final)))
        await asyncio.gather(*tasks)
        return start


def summary(name: str, bench: Bench, start: float, messages: int | None = None) -> dict:
    latencies = sorted(r.latency for r in bench.residents)
    wall = max(r.acked_at for r in bench.residents) - start
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {"name": name, "residents": bench.count, "stored": bench.stored, "wall": wall,
            "rate": bench.count / wall, "messages": messages, "p50": pick(0.50), "p99": pick(0.99),
            "max": latencies[-1] * 1000, "integrity": bench.integrity, "synchronous": bench.synchronous}


async def run(residents: int, rate: float, kb: Path, directory: Path) -> list[dict]:
    knowledge = KnowledgeService(kb)
    rows = []
    async with Bench(knowledge, directory, residents, SEED) as bench:
        start = await bench.whole()
    rows.append(summary("whole consultations at once", bench, start,
                        sum(r.messages for r in bench.residents)))
    async with Bench(knowledge, directory, residents, SEED + 1) as bench:
        start = await bench.burst()
    rows.append(summary("submit burst (answers first)", bench, start))
    async with Bench(knowledge, directory, residents, SEED + 2) as bench:
        start = await bench.paced(rate)
    rows.append(summary(f"paced submits, {rate:.0f}/s offered", bench, start))
    return rows


def table(rows: list[dict], rate: float) -> str:
    ok = lambda good: "✅" if good else "❌"  # noqa: E731
    sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(rows[0]["synchronous"], "?")
    lines = [f"Policy feedback through Assistant.handle + SQLite (WAL, synchronous={sync}); "
             f"integrity {', '.join(sorted({r['integrity'] for r in rows}))}", "",
             "| run | residents | stored | wall | submissions/s | messages/s | ack p50 | ack p99 | ack max |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        messages = f"{r['messages'] / r['wall']:.0f}" if r["messages"] else "–"
        lines.append(f"| {r['name']} | {r['residents']} | {r['stored']} | {r['wall']:.2f} s | {r['rate']:.0f} | "
                     f"{messages} | {r['p50']:.1f} ms | {r['p99']:.1f} ms | {r['max']:.1f} ms |")
    burst, paced = rows[1], rows[2]
    lines += ["", f"Targets: submit burst ≥ {TARGET_RATE:.0f} submissions/s: {burst['rate']:.0f} "
                  f"{ok(burst['rate'] >= TARGET_RATE)}; p99 time to acknowledgement ≤ {TARGET_P99_MS:.0f} ms at "
                  f"{rate:.0f} submissions/s: {paced['p99']:.1f} ms {ok(paced['p99'] <= TARGET_P99_MS)}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="offered submissions/s in the paced run")
    parser.add_argument("--kb", default=str(ROOT / "knowledge"), help="knowledge directory with consultations")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(run(args.residents, args.rate, Path(args.kb), Path(tmp)))
    print(table(rows, args.rate))
    return 0 if all(r["stored"] == r["residents"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
