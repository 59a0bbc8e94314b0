"""Print what a blind question writer may see of a district's knowledge base: ids, titles, answers, communities.

    .venv/bin/python benchmarks/districts/show_entries.py benchmarks/districts/district_c

The entries' own phrasings (``questions``, ``keywords``) are left out on purpose: questions written from them would
measure how well a matcher finds a phrasing it was given, not how residents ask.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.core.knowledge.loader import load_knowledge  # noqa: E402


def main() -> int:
    district = Path(sys.argv[1])
    kb = load_knowledge(district / "knowledge")
    for entry in kb.entries:
        print(f"## {entry.id}  [{entry.category}]")
        print("title:", " / ".join(entry.title.variants()))
        if entry.community is not None:
            print("community:", " / ".join(entry.community.variants()))
        for text in entry.answer.variants():
            print("answer:\n  " + text.strip().replace("\n", "\n  "))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
