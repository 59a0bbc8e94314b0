"""``bot.runtime.settle``: start-up's objects frozen out of collections, a larger young generation, a shorter GIL
switch interval. Checked in a fresh interpreter (the settings are process-wide); what they buy is measured in
benchmarks/bench_feedback.py."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_settle_freezes_what_start_up_built_widens_the_young_generation_and_shortens_the_switch_interval():
    code = ("import gc, sys; from bot import runtime; before = gc.get_threshold(); runtime.settle(); "
            "print(gc.get_freeze_count() > 0, gc.get_threshold()[0] == runtime.YOUNG, "
            "gc.get_threshold()[1:] == before[1:], sys.getswitchinterval() == runtime.SWITCH_INTERVAL)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True"] * 4
