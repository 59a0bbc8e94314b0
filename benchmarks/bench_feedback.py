"""Policy-feedback throughput: simulated residents completing consultations concurrently through the core
(``Assistant.handle``, pressing the buttons each reply offers) and the SQLite store (WAL, ``synchronous=FULL``).

    .venv/bin/python benchmarks/bench_feedback.py [--residents 1000] [--rates 250,500] [--runs once,paced,burst]
                                                  [--measure SECONDS] [--kb DIR]

Every resident opens /feedback, picks one of the bundled consultations, answers every question it is asked (a
random choice, ticks, a scale value or typed text), submits and declines contact (anonymous consultations submit
straight from the summary): about nine messages each. Every message is timed from the moment the resident sends
it until ``handle`` returns the replies, and grouped by step. **Time to acknowledgement** (ack) is that time for
the final press — Submit on an anonymous consultation's summary, "No, thanks" to contact on the others — whose
reply carries the reference number; the submission and the resident's state are committed before ``handle``
returns.

Three runs, each on a fresh database file:

1. *full flow, all at once* (the throughput target): ``--residents`` residents start together and go through
   every step without pausing, each sending its next message as soon as it has the reply to the last.
   Submissions/s is residents divided by the time until the last acknowledgement. Latency here is queueing, not
   work: with N residents always waiting for a reply and X messages handled per second, a message waits about
   N / X seconds on average (Little's law), whatever the code does.
2. *full flow, paced* (the latency target), once per rate in ``--rates``: residents arrive as a Poisson stream
   and pause before every step (exponential; the mean is chosen so that a consultation takes D = ``--residents``
   / rate seconds, using run 1's messages per consultation), so about ``--residents`` residents are in the middle
   of a consultation at any time (Little's law) and submissions arrive at the rate, with everyone's other
   messages around them. Residents arrive for 3·D seconds (3 × ``--residents`` of them); what is measured is the
   last D seconds of arrivals, once the stream has been full for longer than nearly every consultation lasts.
   ``--measure SECONDS`` measures longer (arrivals then last 2·D + SECONDS): a p99 over D = 2 s at 500/s rests on
   ~1,000 acknowledgements, so one stall of the machine decides it; a longer window shows the sustained figure.
3. *submit burst*: ``--residents`` residents answer first, then all press the final button at the same moment;
   submissions/s is residents divided by the time the burst takes — the write path's capacity.

``--runs`` picks some of them (``once``, ``paced``, ``burst``; default all three). Without run 1, the paced runs
take its messages per consultation from the same residents walked through in-memory stores first (their answers
come from seeded generators, so the count is the same, untimed).

The process gets the bot's interpreter settings (``bot.runtime.settle``: the collector, the GIL switch interval) once
the knowledge base is loaded, as the bot's start-up does.

"In flight" is the mean number of residents between arriving and their acknowledgement over the measured time.
CPU is this process's CPU time (the residents and the bot run in it) per message of the whole run; "loop CPU" is
the event-loop thread's share of it (``time.thread_time``: the core, asyncio and the residents, without the database
thread), the one thread every message waits for. Prints Markdown
tables: one row per run, then p50/p99 latency per step.
"""
from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import os
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import runtime  # noqa: E402
from bot.app import build_services  # noqa: E402
from bot.core.dialog.assistant import Assistant  # noqa: E402
from bot.core.knowledge.service import KnowledgeService  # noqa: E402
from bot.core.messages import Incoming, Reply  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage.database import Database  # noqa: E402

SEED = 2026
TARGET_RATE = 500.0  # submissions per second
TARGET_P99_MS = 50.0
CLOCK_RESOLUTION = time.get_clock_info("monotonic").resolution
REFERENCE = re.compile(r"FB-[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}")
TEXTS = ["希望晚上也開放", "多辦招聘會", "申請手續可以再簡化一些", "More evening opening hours please", "謝謝"]

# Steps, in the order a resident meets them (the per-step table follows it).
OPEN, CHOOSE, ANSWER, TICK, DONE, SKIP, TYPED, CONFIRM, ACK = (
    "/feedback: the list", "choose a consultation: intro + first question", "answer button → next question",
    "tick an option (message edited)", "Done (multiple choice) → next question", "Skip → next question",
    "typed answer → next question", "Submit on the summary → contact question", "**submit → reference number**")
STEPS = (OPEN, CHOOSE, ANSWER, TICK, DONE, SKIP, TYPED, CONFIRM, ACK)


def actions(replies: list[Reply]) -> list[str]:
    return [b.action for r in replies for row in r.buttons for b in row]


class Pauses:
    """The residents' pauses, all on one timer of the event loop.

    ``asyncio.sleep`` per pause would put a ``TimerHandle`` in the loop's heap for each of the ~1,000 residents
    pausing at any time, and that heap orders them with a Python method (``TimerHandle.__lt__``, ~20 calls a pause):
    the benchmark's own bookkeeping, which should weigh as little as it can on the loop it shares with the core.
    Here the pauses wait in a heap of tuples (compared in C) and one loop timer wakes the earliest: 9.0-9.5 µs of
    the loop a pause against 11.9-14.3 with ``asyncio.sleep`` (1,000 residents pausing, the resumption
    included).

    Why the residents share the core's process at all: tried in a process of their own (the core and the store in
    a child process fed over a pipe, as ``bench_telegram.py`` runs the bot), the core's loop thread saved only
    10-25 µs a message (the residents' work out, the pipe's pickling and writes in) and, with two processes
    busy on this 2-core machine, ack p99 got worse in three of three alternated pairs (19-62 against 18-21 ms)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, asyncio.Future]] = []
        self._numbers = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    def pause(self, seconds: float) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        due = loop.time() + seconds
        heapq.heappush(self._heap, (due, next(self._numbers), future))
        if self._timer is None or due < self._timer.when():
            if self._timer is not None:
                self._timer.cancel()
            self._timer = loop.call_at(due, self._wake)
        return future

    def _wake(self) -> None:
        loop = asyncio.get_running_loop()
        # The loop runs a timer up to its clock's resolution early; what is due by then is due now.
        now, heap = loop.time() + CLOCK_RESOLUTION, self._heap
        while heap and heap[0][0] <= now:
            future = heapq.heappop(heap)[2]
            if not future.done():
                future.set_result(None)
        self._timer = loop.call_at(heap[0][0], self._wake) if heap else None


@dataclass
class Resident:
    user: str
    consultation: str
    anonymous: bool
    rng: random.Random
    think: float = 0.0  # mean pause before each step, seconds (0: none)
    pauses: Pauses | None = None  # where the pauses are timed (set with ``think``)
    timings: list[tuple[str, float, float]] = field(default_factory=list)  # (step, sent at, seconds) per message
    arrived_at: float = 0.0
    acked_at: float = 0.0

    async def send(self, assistant: Assistant, step: str, **kw) -> list[Reply]:
        if self.think:
            await self.pauses.pause(self.rng.expovariate(1 / self.think))
        start = time.perf_counter()
        replies = await assistant.handle(Incoming(user=self.user, **kw))
        end = time.perf_counter()
        self.timings.append((step, start, end - start))
        if step == ACK:
            self.acked_at = end
        return replies

    async def answer(self, assistant: Assistant) -> str:
        """Every step up to the last one; returns the action that submits."""
        await self.send(assistant, OPEN, text="/feedback")
        replies = await self.send(assistant, CHOOSE, action=f"fc:{self.consultation}")
        for _ in range(30):
            offered = actions(replies)
            if "fok" in offered:
                break
            toggles = [a for a in offered if a.startswith("ft:")]
            answers = [a for a in offered if a.startswith("fa:")]
            skip = next((a for a in offered if a.startswith("fs:")), None)
            if toggles:
                for action in self.rng.sample(toggles, self.rng.randint(1, min(3, len(toggles)))):
                    replies = await self.send(assistant, TICK, action=action)
                replies = await self.send(assistant, DONE,
                                          action=next(a for a in actions(replies) if a.startswith("fd:")))
            elif answers:
                replies = await self.send(assistant, ANSWER, action=self.rng.choice(answers))
            elif skip and self.rng.random() < 0.3:
                replies = await self.send(assistant, SKIP, action=skip)
            else:
                replies = await self.send(assistant, TYPED, text=self.rng.choice(TEXTS))
        else:
            raise RuntimeError(f"{self.user} never reached the summary")
        if self.anonymous:
            return "fok"  # anonymous consultations are submitted from the summary
        await self.send(assistant, CONFIRM, action="fok")
        return "fct:n"  # the others ask for contact consent first; the resident declines

    async def submit(self, assistant: Assistant, final: str) -> None:
        replies = await self.send(assistant, ACK, action=final)
        if not REFERENCE.search(replies[0].html):
            raise RuntimeError(f"{self.user} got no reference number: {replies[0].html!r}")

    async def whole(self, assistant: Assistant) -> None:
        self.arrived_at = time.perf_counter()
        await self.submit(assistant, await self.answer(assistant))


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

    async def __aenter__(self) -> Bench:
        services = build_services(Settings(db_path=self.directory / f"bench-{id(self)}.sqlite3"),
                                  knowledge=self.knowledge)
        await services.open()
        self.db: Database = services.database  # type: ignore[assignment]
        self.assistant = services.assistant
        self.cpu, self.loop_cpu = time.process_time(), time.thread_time()
        return self

    async def __aexit__(self, *exc) -> None:
        self.cpu, self.loop_cpu = time.process_time() - self.cpu, time.thread_time() - self.loop_cpu
        self.stored = (await self.db.fetchone("SELECT COUNT(*) FROM feedback_submission"))[0]
        self.integrity = await self.db.integrity_check()
        self.synchronous = (await self.db.fetchone("PRAGMA synchronous"))[0]
        await self.db.close()

    async def all_at_once(self) -> tuple[float, float]:
        """The measured window: from the start to the last acknowledgement."""
        start = time.perf_counter()
        await asyncio.gather(*(r.whole(self.assistant) for r in self.residents))
        return start, max(r.acked_at for r in self.residents)

    async def paced(self, rate: float, think: float, fill: float) -> tuple[float, float]:
        """The measured window: from ``fill`` seconds after the first arrival (the stream has filled up) until
        the last arrival (then it drains)."""
        arrivals = random.Random(SEED)
        tasks, due = [], time.perf_counter()
        first = due
        pauses = Pauses()
        for r in self.residents:
            r.think, r.pauses = think, pauses
            due += arrivals.expovariate(rate)
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(r.whole(self.assistant)))
        last = time.perf_counter()
        await asyncio.gather(*tasks)
        return first + fill, last

    async def burst(self) -> tuple[float, float]:
        """The measured window: from the moment everyone presses the final button to the last acknowledgement."""
        finals = await asyncio.gather(*(r.answer(self.assistant) for r in self.residents))
        start = time.perf_counter()
        for r in self.residents:
            r.arrived_at = start
        await asyncio.gather(*(r.submit(self.assistant, f) for r, f in zip(self.residents, finals, strict=True)))
        return start, max(r.acked_at for r in self.residents)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def summary(run: str, name: str, bench: Bench, start: float, end: float, offered: float = 0.0) -> dict:
    """Figures over the window [start, end]: acknowledgements and messages sent in it, residents in flight."""
    wall = end - start
    by_step: dict[str, list[float]] = defaultdict(list)
    for r in bench.residents:
        for step, sent, seconds in r.timings:
            if start <= sent <= end:
                by_step[step].append(seconds)
    acks = by_step[ACK]
    every = [s for values in by_step.values() for s in values]
    in_flight = sum(max(0.0, min(r.acked_at, end) - max(r.arrived_at, start)) for r in bench.residents) / wall
    all_messages = sum(len(r.timings) for r in bench.residents)
    return {"run": run, "name": name, "offered": offered, "residents": bench.count, "stored": bench.stored,
            "wall": wall, "rate": len(acks) / wall, "message_rate": len(every) / wall, "in_flight": in_flight,
            "per_consultation": all_messages / bench.count,
            "p50": percentile(acks, 0.50), "p99": percentile(acks, 0.99), "max": max(acks) * 1000,
            "any_p99": percentile(every, 0.99), "cpu_us": bench.cpu / all_messages * 1e6,
            "loop_us": bench.loop_cpu / all_messages * 1e6,
            "steps": {step: (len(v), percentile(v, 0.50), percentile(v, 0.99)) for step, v in by_step.items()},
            "integrity": bench.integrity, "synchronous": bench.synchronous}


async def messages_per_consultation(knowledge: KnowledgeService, residents: int) -> float:
    """Run 1's messages per consultation without timing it: its residents walked through in-memory stores."""
    bench = Bench(knowledge, Path(), residents, SEED)
    bench.assistant = build_services(Settings(), knowledge=knowledge, in_memory=True).assistant
    await asyncio.gather(*(r.whole(bench.assistant) for r in bench.residents))
    return sum(len(r.timings) for r in bench.residents) / residents


RUNS = ("once", "paced", "burst")


async def run(residents: int, rates: list[float], kb: Path, directory: Path,
              runs: tuple[str, ...] = RUNS, measure: float | None = None) -> list[dict]:
    knowledge = KnowledgeService(kb)
    runtime.settle()  # as the bot's start-up does (``bot.runner``), once the knowledge base is loaded
    rows = []
    if "once" in runs:
        async with Bench(knowledge, directory, residents, SEED) as bench:
            window = await bench.all_at_once()
        rows.append(summary("once", "full flow, all at once", bench, *window))
    if "paced" in runs:
        per_consultation = (rows[0]["per_consultation"] if rows
                            else await messages_per_consultation(knowledge, residents))
        for n, rate in enumerate(rates):
            duration = residents / rate  # of a consultation, so that about ``residents`` are in flight
            think = duration / per_consultation
            arriving = round(rate * (2 * duration + (measure or duration)))  # fill for 2·D, then measure
            async with Bench(knowledge, directory, arriving, SEED + 10 + n) as bench:
                window = await bench.paced(rate, think, 2 * duration)
            rows.append(summary("paced", f"full flow, paced: {rate:.0f} arriving/s, pauses {think:.2f} s", bench,
                                *window, offered=rate))
    if "burst" in runs:
        async with Bench(knowledge, directory, residents, SEED + 2) as bench:
            window = await bench.burst()
        rows.append(summary("burst", "submit burst (answers first)", bench, *window))
    return rows


def table(rows: list[dict]) -> str:
    ok = lambda good: "✅" if good else "❌"  # noqa: E731
    sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(rows[0]["synchronous"], "?")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [f"Policy feedback through Assistant.handle + SQLite (WAL, synchronous={sync}); integrity "
             f"{', '.join(sorted({r['integrity'] for r in rows}))}; {os.cpu_count()} CPUs, load average {load}",
             "",
             "Time to acknowledgement (ack) = from the resident pressing the final button (Submit, or \"No, thanks\" "
             "to contact) until the reply with the reference number, the submission committed.", "",
             "| run | residents | stored | in flight | measured | submissions/s | messages/s | ack p50 | ack p99 "
             "| ack max | p99 of all messages | CPU/message | loop CPU/message |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['residents']} | {r['stored']} | {r['in_flight']:.0f} | {r['wall']:.2f} s | "
                     f"{r['rate']:.0f} | {r['message_rate']:.0f} | {r['p50']:.1f} ms | {r['p99']:.1f} ms | "
                     f"{r['max']:.1f} ms | {r['any_p99']:.1f} ms | {r['cpu_us']:.0f} µs | {r['loop_us']:.0f} µs |")
    flows = [r for r in rows if r["run"] != "burst"]
    if flows:
        lines += ["", "Latency per step, p50 / p99 (messages):", "",
                  "| step | " + " | ".join(r["name"] for r in flows) + " |",
                  "| --- |" + " ---: |" * len(flows)]
        for step in STEPS:
            cells = []
            for r in flows:
                n, p50, p99 = r["steps"].get(step, (0, float("nan"), float("nan")))
                cells.append(f"{p50:.1f} / {p99:.1f} ms ({n})" if n else "–")
            lines.append(f"| {step} | " + " | ".join(cells) + " |")
    at_once = next((r for r in rows if r["run"] == "once"), None)
    # The latency target is judged on the paced run nearest the target rate.
    paced = min((r for r in rows if r["run"] == "paced"), key=lambda r: abs(r["offered"] - TARGET_RATE),
                default=at_once)
    targets = []
    if at_once is not None:
        targets.append(f"full flow, all at once ≥ {TARGET_RATE:.0f} submissions/s: {at_once['rate']:.0f} "
                       f"{ok(at_once['rate'] >= TARGET_RATE)}")
    if paced is not None:
        targets.append(f"ack p99 ≤ {TARGET_P99_MS:.0f} ms with {paced['in_flight']:.0f} residents in flight "
                       f"submitting {paced['rate']:.0f}/s: {paced['p99']:.1f} ms {ok(paced['p99'] <= TARGET_P99_MS)}")
    if at_once is not None:
        targets.append(f"(all at once: {at_once['p99']:.0f} ms — {at_once['residents']} residents always waiting on "
                       f"{at_once['message_rate']:.0f} messages/s queue about "
                       f"{at_once['residents'] / at_once['message_rate'] * 1000:.0f} ms per message, Little's law)")
    if targets:
        lines += ["", "Targets: " + "; ".join(targets[:2]) + (" " + targets[2] if len(targets) > 2 else "")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--rates", default=f"{TARGET_RATE / 2:.0f},{TARGET_RATE:.0f}",
                        help="residents (so submissions) arriving per second in the paced runs, comma-separated")
    parser.add_argument("--runs", default=",".join(RUNS),
                        help=f"which runs, comma-separated: {', '.join(RUNS)} (default: all)")
    parser.add_argument("--kb", default=str(ROOT / "knowledge"), help="knowledge directory with consultations")
    parser.add_argument("--measure", type=float, default=None, metavar="SECONDS",
                        help="length of the paced runs' measured window (default: one consultation, "
                             "residents / rate seconds)")
    args = parser.parse_args(argv)
    runs = tuple(name.strip() for name in args.runs.split(",") if name.strip())
    if not runs or any(name not in RUNS for name in runs):
        parser.error(f"--runs takes some of: {', '.join(RUNS)}")
    with tempfile.TemporaryDirectory() as tmp:
        rates = [float(rate) for rate in args.rates.split(",")]
        rows = asyncio.run(run(args.residents, rates, Path(args.kb), Path(tmp), runs, args.measure))
    print(table(rows))
    return 0 if all(r["stored"] == r["residents"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
