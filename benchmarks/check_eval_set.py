"""Check one evaluation file against the rules in ``benchmarks/eval/README.md``, without showing the other sets.

    .venv/bin/python benchmarks/check_eval_set.py benchmarks/eval/holdout4.yaml

A blind set must be written without seeing the other sets, yet share no question with them or with the entries'
own phrasings. This script reports, for the file given, only *its own* questions that break a rule:

- ``expect`` names an entry that does not exist, or ``kind`` and ``expect`` disagree (``out-of-scope`` ⇔ null);
- ``kind`` is not one of the documented kinds;
- the question repeats another question of the same file, of another eval file, or a phrasing (question, title,
  keyword) of an entry, after folding scripts, full-width characters, case, punctuation and spaces.

It never prints the text of another file. Exits 1 when something is wrong, 0 with the counts per kind otherwise.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.matching.normalize import Normalizer  # noqa: E402

EVAL_DIR = ROOT / "benchmarks" / "eval"
KINDS = {"simplified", "paraphrase", "typo", "colloquial", "english", "traditional", "out-of-scope"}


def fold(text: str) -> str:
    """The comparison form: the matcher's own script/width/case/punctuation fold, spaces out too."""
    return Normalizer.base(text).replace(" ", "")


def read_questions(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(data.get("questions") or [])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--kb", type=Path, default=ROOT / "knowledge")
    args = parser.parse_args()

    kb = load_knowledge(args.kb)
    elsewhere: set[str] = set()
    for entry in kb.entries:
        elsewhere.update(fold(text) for text in (*entry.questions, *entry.keywords, *entry.title.variants()))
    target = args.file.resolve()
    for other in sorted(EVAL_DIR.glob("*.yaml")):
        if other.resolve() != target:
            elsewhere.update(fold(str(item.get("q", ""))) for item in read_questions(other))

    problems: list[str] = []
    seen: dict[str, int] = {}
    kinds: Counter[str] = Counter()
    for number, item in enumerate(read_questions(args.file), start=1):
        question, expect, kind = str(item.get("q", "")), item.get("expect"), item.get("kind")
        where = f"question {number} ({question!r})"
        kinds[kind] += 1
        if kind not in KINDS:
            problems.append(f"{where}: kind {kind!r} is not one of {sorted(KINDS)}")
        if (expect is None) != (kind == "out-of-scope"):
            problems.append(f"{where}: kind out-of-scope goes with expect: null, and only with it")
        if expect is not None and expect not in kb:
            problems.append(f"{where}: no entry has the id {expect!r}")
        folded = fold(question)
        if not folded:
            problems.append(f"{where}: empty once folded")
        elif folded in seen:
            problems.append(f"{where}: repeats question {seen[folded]} of this file")
        elif folded in elsewhere:
            problems.append(f"{where}: repeats a question of another eval file or an entry's phrasing")
        seen.setdefault(folded, number)

    for problem in problems:
        print(problem)
    print(", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items(), key=lambda kv: str(kv[0]))),
          f"— {sum(kinds.values())} questions, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
