#!/usr/bin/env python3
"""Run every benchmark one after another and print their tables (``make bench``).

Each benchmark is its own script with its own options (see benchmarks/README.md); this runner uses each one's
defaults, except the announcement run, which by default measures 1,000 subscribers under Telegram's 30 msg/s limit
(10,000 take ~6 minutes: pass ``--full``). Run it on a quiet machine: the figures are wall-clock times.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def plan(full: bool) -> list[list[str]]:
    announce = ["bench_announce.py"] + ([] if full else ["--limited-subscribers", "1000"])
    return [
        ["eval_quality.py"],
        ["bench_matching.py"],
        ["bench_telegram.py"],
        ["bench_feedback.py"],
        ["bench_export.py"],
        ["bench_booking.py"],
        announce,
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="announcement to 10,000 subscribers at 30 msg/s")
    parser.add_argument("--only", help="run only benchmarks whose script name contains this")
    args = parser.parse_args()
    failed = []
    for script, *options in plan(args.full):
        if args.only and args.only not in script:
            continue
        print(f"\n## {script} {' '.join(options)}\n", flush=True)
        started = time.monotonic()
        done = subprocess.run([sys.executable, str(HERE / script), *options])
        print(f"\n({script}: {time.monotonic() - started:.0f} s, exit {done.returncode})", flush=True)
        if done.returncode:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
