"""Feedback export speed: ``python -m bot feedback export`` on 100,000 submissions, as CSV, XLSX and JSON.

    .venv/bin/python benchmarks/bench_export.py [--submissions 100000] [--kb DIR]

The submissions are generated into a temporary SQLite file *through the store* (``SqliteFeedbackStore.add``, the
same transaction a resident's submission gets): random answers to every question of the bundled consultations,
each of 20,000 residents answering each consultation once (a tenth of the rows are cases instead), a third with a
staff reply and half of those rated.
Generation is the documented bulk path: many ``add`` calls in flight at once, which the database's group commit
folds into one COMMIT per 64 submissions, with ``synchronous=OFF`` for this throw-away file only (production
keeps ``FULL``). Its time is reported but is not part of the export figures.

Each export runs ``bot.reports.export.export_feedback`` — read every submission with its answers and replies,
build the table, hash residents, write the file (plus the codebook) — on the same file, in a process of its own, and
is timed end to end; its peak memory is that process's maximum resident set (interpreter and imports included:
about 60 MB before the first row). Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.feedback.model import Answer, NewSubmission  # noqa: E402
from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.reports.export import export_feedback  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.feedback import SqliteFeedbackStore  # noqa: E402

SEED = 2026
IN_FLIGHT = 512
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
TEXTS = ["希望晚上也開放", "多辦招聘會", "申請手續可以再簡化一些", "More evening opening hours please",
         "社區路燈壞了很久，請盡快修理。", "=SUM(A1:A3)", "謝謝"]


def make_submission(i: int, consultations, rng: random.Random) -> NewSubmission:
    at = START + timedelta(seconds=i * 150)
    # One linked submission per resident and consultation (the store enforces it): resident i // n answers
    # consultation i % n, so 100,000 submissions come from 20,000 residents of five consultations.
    user = f"tg:{100_000 + i // len(consultations)}"
    if i % 10 == 9:
        return NewSubmission(reference=f"FB-{at:%Y%m%d}{i:06d}", kind="case", language="zh-Hant", created_at=at,
                             text=rng.choice(TEXTS), user=user)
    consultation = consultations[i % len(consultations)]
    answers = []
    for position, q in enumerate(consultation.questions):
        if q.type == "scale":
            value = rng.randint(1, 5)
        elif q.type == "single":
            value = rng.choice(q.options).id
        elif q.type == "multiple":
            value = tuple(o.id for o in q.options if rng.random() < 0.4)
        else:
            value = rng.choice(TEXTS)
        answers.append(Answer(q.id, value, position))
    # Anonymous consultations store neither the resident nor the time of day, as the service does.
    anonymous = consultation.anonymous
    return NewSubmission(reference=f"FB-{at:%Y%m%d}{i:06d}", kind="survey", language="zh-Hant",
                         created_at=at.replace(hour=0, minute=0, second=0) if anonymous else at,
                         consultation_id=consultation.id, answers=tuple(answers),
                         user=None if anonymous else user, participation=f"token-{i}" if anonymous else None,
                         contact="電話 138-0000-0000" if i % 17 == 0 and not anonymous else None)


async def generate(path: Path, count: int, kb) -> tuple[float, int]:
    rng = random.Random(SEED)
    database = Database(path)
    await database.open()
    await database.conn.execute("PRAGMA synchronous=OFF")  # this throw-away file only; see the module docstring
    try:
        return await _fill(SqliteFeedbackStore(database), count, kb, rng)
    finally:
        await database.close()


async def _fill(store: SqliteFeedbackStore, count: int, kb, rng: random.Random) -> tuple[float, int]:
    started = time.perf_counter()
    pending: list = []
    for i in range(count):
        pending.append(store.add(make_submission(i, kb.consultations, rng)))
        if len(pending) >= IN_FLIGHT:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)
    replies = []
    for i in range(0, count, 3):
        at = START + timedelta(seconds=i * 150, hours=rng.randint(1, 120))
        replies.append(store.add_reply(f"FB-{START + timedelta(seconds=i * 150):%Y%m%d}{i:06d}", "已收到，謝謝。", at))
    deliveries = []
    for start in range(0, len(replies), IN_FLIGHT):
        deliveries += await asyncio.gather(*replies[start:start + IN_FLIGHT])
    ratings = [store.rate(d.user, d.reply.id, rng.randint(1, 5), START) for d in deliveries[::2] if d and d.user]
    for start in range(0, len(ratings), IN_FLIGHT):
        await asyncio.gather(*ratings[start:start + IN_FLIGHT])
    return time.perf_counter() - started, len(deliveries)


async def export_once(path: Path, kb, out: Path, fmt: str) -> tuple[float, int]:
    database = Database(path)
    await database.open()
    try:
        started = time.perf_counter()
        result = await export_feedback(SqliteFeedbackStore(database), kb, out, fmt, salt="benchmark-salt",
                                       now=datetime.now(UTC))
        return time.perf_counter() - started, result.rows
    finally:
        await database.close()


def export_in_child(db: Path, kb_dir: Path, out: Path, fmt: str) -> tuple[float, int, float]:
    """One export in a fresh process: (seconds, rows, peak resident memory in MB)."""
    child = subprocess.Popen([sys.executable, __file__, "--kb", str(kb_dir), "--export-child", fmt, str(db),
                              str(out)], stdout=subprocess.PIPE, text=True)
    printed = child.stdout.read()  # a few bytes: read before waiting, as the pipe would otherwise fill first
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"export to {fmt} failed ({child.returncode})")
    seconds, rows = printed.split()
    return float(seconds), int(rows), usage.ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--kb", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--formats", default="csv,xlsx,json", help="comma-separated (default csv,xlsx,json)")
    parser.add_argument("--export-child", nargs=3, metavar=("FORMAT", "DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    kb = load_knowledge(args.kb)
    if args.export_child:
        fmt, db, out = args.export_child
        seconds, rows = asyncio.run(export_once(Path(db), kb, Path(out), fmt))
        print(f"{seconds} {rows}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        generated, replies = asyncio.run(generate(db, args.submissions, kb))
        results = []
        for fmt in args.formats.split(","):
            out = Path(tmp) / f"export.{fmt}"
            seconds, rows, peak = export_in_child(db, args.kb, out, fmt)
            results.append((fmt, rows, seconds, out.stat().st_size, peak))
        db_size = db.stat().st_size
    print(f"Feedback export — {args.submissions:,} submissions ({replies:,} with a staff reply), "
          f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs\n")
    print(f"Generated through SqliteFeedbackStore.add in {generated:.1f} s "
          f"({args.submissions / generated:,.0f} submissions/s); database {db_size / 1e6:.0f} MB.\n")
    print("| format | rows | time (s) | rows/s | file (MB) | export process peak memory (MB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for fmt, rows, seconds, size, peak in results:
        print(f"| {fmt} | {rows:,} | {seconds:.1f} | {rows / seconds:,.0f} | {size / 1e6:.1f} | {peak:,.0f} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"\nPeak memory of the generating process: {peak:,.0f} MB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
