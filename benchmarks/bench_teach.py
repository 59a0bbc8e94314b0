"""What teaching buys: answered-right on a spent evaluation set before and after staff teach its unanswered
questions, and the time from the tap to the new answer being live.

On a temporary copy of ``knowledge/``, wording only (SEMANTIC_MATCHING=off, set here): every question of the set
is asked; each one the bot does not answer (``outcome != answer``) whose expected entry exists is attached to that
entry through the teaching library (``Teacher.attach``: round-trip write, validation, the regression questions,
the collision check, swap), as staff would from ``/teach``; refusals are counted with their reason. Then every
question is asked again on the final base. The set was asked once before teaching, so "after" is what the loop
buys a district for questions residents ask again, not a blind score.

    .venv/bin/python benchmarks/bench_teach.py [--set benchmarks/eval/holdout5.yaml]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

os.environ["SEMANTIC_MATCHING"] = "off"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.core.errors import TeachRefused  # noqa: E402
from bot.core.knowledge.service import KnowledgeService  # noqa: E402
from bot.core.memory_store import MemoryResidentStore  # noqa: E402
from bot.core.staff.memory import MemoryAuditStore, MemoryTaughtStore  # noqa: E402
from bot.core.staff.reload import KnowledgeReloader  # noqa: E402
from bot.core.staff.teach import Teacher  # noqa: E402
from bot.core.staff.tools import utc_now  # noqa: E402


def right(result, expect) -> bool:
    return result.answer_id == expect if expect else result.outcome != "answer"


async def main(set_path: Path) -> None:
    cases = yaml.safe_load(set_path.read_text(encoding="utf-8"))["questions"]
    with tempfile.TemporaryDirectory() as tmp:
        kb = Path(tmp) / "kb"
        shutil.copytree(ROOT / "knowledge", kb)
        knowledge = KnowledgeService(kb)
        audit = MemoryAuditStore()
        teacher = Teacher(knowledge, KnowledgeReloader(knowledge, audit, utc_now), MemoryResidentStore(), audit,
                          MemoryTaughtStore(), utc_now)
        before = [knowledge.current.matcher.match(c["q"]) for c in cases]
        in_scope = [c for c in cases if c.get("expect")]
        to_teach = [c for c, r in zip(cases, before, strict=True) if c.get("expect") and r.outcome != "answer"
                    and knowledge.current.kb.get(c["expect"])]
        seconds, refused, answered_now = [], Counter(), 0
        for case in to_teach:
            try:
                taught = await teacher.attach("bench", case["expect"], [case["q"]])
            except TeachRefused as why:
                refused[why.text_key] += 1
                continue
            seconds.append(taught.seconds)
            answered_now += taught.verdict is not None and taught.verdict.answer_id == case["expect"]
        after = [knowledge.current.matcher.match(c["q"]) for c in cases]
        n, n_in = len(cases), len(in_scope)
        right_before = sum(right(r, c.get("expect")) for c, r in zip(cases, before, strict=True))
        right_after = sum(right(r, c.get("expect")) for c, r in zip(cases, after, strict=True))
        in_before = sum(right(r, c["expect"]) for c, r in zip(cases, before, strict=True) if c.get("expect"))
        in_after = sum(right(r, c["expect"]) for c, r in zip(cases, after, strict=True) if c.get("expect"))
        wrong_after = sum(1 for c, r in zip(cases, after, strict=True) if c.get("expect") and r.outcome == "answer"
                          and r.answer_id != c["expect"])
        print(f"set {set_path.name}: {n} questions ({n_in} with an expected entry), "
              "wording only (SEMANTIC_MATCHING=off)")
        print(f"answered right, all questions:   {right_before}/{n} ({right_before / n:.1%}) -> "
              f"{right_after}/{n} ({right_after / n:.1%})")
        print(f"answered right, in scope:        {in_before}/{n_in} ({in_before / n_in:.1%}) -> "
              f"{in_after}/{n_in} ({in_after / n_in:.1%}); answered wrong after: {wrong_after}")
        print(f"taught {len(seconds)} of {len(to_teach)} not answered; the taught question answered right at once: "
              f"{answered_now}; refused: {dict(refused) or 'none'}")
        if seconds:
            print(f"tap -> live (attach, gate, write, swap, ask): median {statistics.median(seconds):.2f} s, "
                  f"max {max(seconds):.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=ROOT / "benchmarks/eval/holdout5.yaml")
    asyncio.run(main(parser.parse_args().set))
