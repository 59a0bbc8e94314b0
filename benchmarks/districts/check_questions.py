"""Check a district's blind question file against the rules in benchmarks/districts/README.md.

    .venv/bin/python benchmarks/districts/check_questions.py benchmarks/districts/district_c

Reports, for that file only: an ``expect`` that names no entry, a ``kind`` that is not documented or disagrees with
``expect`` (``out-of-scope`` ⇔ null), a question repeated within the file, and a question that repeats one of the
entries' own phrasings (questions, titles, keywords) after folding scripts, width, case, punctuation and spaces —
without printing the phrasing it repeats. Exits 1 when something is wrong, 0 with the counts per kind otherwise.
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.matching.normalize import Normalizer  # noqa: E402

KINDS = ("paraphrase", "situational", "script", "typo", "keywords", "english", "out-of-scope")


def fold(text: str) -> str:
    return Normalizer.base(text).replace(" ", "")


def main() -> int:
    district = Path(sys.argv[1])
    kb = load_knowledge(district / "knowledge")
    ids = {entry.id for entry in kb.entries}
    phrasings = {fold(t) for e in kb.entries for t in (*e.questions, *e.keywords, *e.title.variants())}
    data = yaml.safe_load((district / "questions.yaml").read_text(encoding="utf-8")) or {}
    problems: list[str] = []
    seen: set[str] = set()
    kinds: Counter[str] = Counter()
    for item in data.get("questions") or []:
        q, expect, kind = str(item.get("q", "")), item.get("expect"), item.get("kind")
        kinds[kind] += 1
        if kind not in KINDS:
            problems.append(f"{q!r}: kind {kind!r} is not one of {', '.join(KINDS)}")
        if (kind == "out-of-scope") != (expect is None):
            problems.append(f"{q!r}: kind {kind!r} and expect {expect!r} disagree")
        if expect is not None and expect not in ids:
            problems.append(f"{q!r}: expect {expect!r} is not an entry id")
        key = fold(q)
        if key in seen:
            problems.append(f"{q!r}: repeated in this file")
        if key in phrasings:
            problems.append(f"{q!r}: repeats one of the entries' own phrasings; reword it")
        seen.add(key)
    for line in problems:
        print(line)
    print(", ".join(f"{kind} {kinds[kind]}" for kind in (*KINDS, *sorted(set(kinds) - set(KINDS), key=str))))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
