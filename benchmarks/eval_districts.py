"""Answer quality on knowledge bases the matcher was not tuned on: other districts' bases and the thin sample.

    .venv/bin/python benchmarks/eval_districts.py                         # the dev districts and the thin sample
    .venv/bin/python benchmarks/eval_districts.py --sets district_e,district_f,thin:holdout6   # a blind run: ONCE
    .venv/bin/python benchmarks/eval_districts.py --lexical               # the same without the model
    .venv/bin/python benchmarks/eval_districts.py --misses                # print what went wrong, question by question

A set is ``district_x`` (``benchmarks/districts/district_x``: its base and its ``questions.yaml``), ``thin:SPLIT``
(the sample base with only each entry's first 3 phrasings and no keywords, asked ``benchmarks/eval/SPLIT.yaml``) or
``sample:SPLIT`` (the full sample). Every question goes through ``Matcher.match`` exactly as the bot decides. For each
set: in scope answered right / answered wrong / right answer or among the "did you mean" buttons; out of scope
answered (in-domain-not-covered and off-topic); and the same by kind of question. Prints Markdown tables.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_quality import read_eval_set  # noqa: E402
from fit_hybrid import thin  # noqa: E402

from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.matching.embedding import Semantic, load_embedder  # noqa: E402
from bot.core.matching.matcher import MAX_RAW_CHARS, Matcher, MatchSettings  # noqa: E402
from bot.storage.vector_cache import SqliteVectorCache  # noqa: E402

DEV_SETS = ("district_c,district_d,thin:dev,thin:test,"
            "thin:holdout,thin:holdout2,thin:holdout3,thin:holdout4,thin:holdout5")
KIND_ORDER = ("paraphrase", "situational", "script", "simplified", "traditional", "typo", "keywords", "colloquial",
              "english")


def load_set(name: str):
    if ":" in name:
        base, split = name.split(":", 1)
        kb = load_knowledge(ROOT / "knowledge")
        return (thin(kb) if base == "thin" else kb), read_eval_set(ROOT / "benchmarks" / "eval" / f"{split}.yaml")
    folder = ROOT / "benchmarks" / "districts" / name
    return load_knowledge(folder / "knowledge"), read_eval_set(folder / "questions.yaml")


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} % ({part}/{whole})" if whole else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=DEV_SETS)
    parser.add_argument("--lexical", action="store_true", help="without the meaning-level model")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--cache", default=str(ROOT / "data" / "embeddings.sqlite3"))
    parser.add_argument("--settings", default="{}", help="MatchSettings overrides as JSON (ablations)")
    args = parser.parse_args()
    settings = MatchSettings(**json.loads(args.settings))
    semantic = None
    if not args.lexical:
        status = load_embedder(threads=2)
        if status.embedder is None:
            print(status.problem)
            return 1
        semantic = Semantic(status.embedder, SqliteVectorCache(args.cache))
    print(f"matcher: {'lexical only' if semantic is None else 'hybrid (lexical + multilingual-e5-small)'}\n")
    print("| set | in scope | answered right | answered wrong | right or suggested | out of scope answered "
          "(in-domain / off-topic) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    totals: dict[str, int] = defaultdict(int)
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses: list[str] = []
    for name in args.sets.split(","):
        kb, questions = load_set(name)
        matcher = Matcher(kb, settings, semantic)
        vectors = (semantic.cached([q.text[:MAX_RAW_CHARS] for q in questions], query=True)
                   if semantic is not None else [None] * len(questions))
        count: dict[str, int] = defaultdict(int)
        for q, vector in zip(questions, vectors, strict=True):
            result = matcher.match(q.text, vector)
            if q.expect:
                right = result.answer_id == q.expect
                wrong = result.answer_id is not None and not right
                shown = right or q.expect in result.suggestions
                for key, value in (("in", 1), ("right", right), ("wrong", wrong), ("shown", shown)):
                    count[key] += value
                    kinds[q.kind][key] += value
                if not right:
                    misses.append(f"{name} {q.kind}: {q.text} → {result.outcome} {result.answer_id or ''} "
                                  f"{list(result.suggestions)} (expected {q.expect})")
            else:
                answered = result.answer_id is not None
                half = "off" if q.kind == "oos-off-topic" else "dom"
                count["out"] += 1
                count[f"out_{half}"] += 1
                count["answered"] += answered
                count[f"answered_{half}"] += answered
                if answered:
                    misses.append(f"{name} out of scope: {q.text} → {result.answer_id}")
        for key, value in count.items():
            totals[key] += value
        print(f"| {name} | {count['in']} | {pct(count['right'], count['in'])} | {pct(count['wrong'], count['in'])} | "
              f"{pct(count['shown'], count['in'])} | {pct(count['answered'], count['out'])} "
              f"({count['answered_dom']}/{count['out_dom']} / {count['answered_off']}/{count['out_off']}) |")
    print(f"| **all** | {totals['in']} | {pct(totals['right'], totals['in'])} | {pct(totals['wrong'], totals['in'])} | "
          f"{pct(totals['shown'], totals['in'])} | {pct(totals['answered'], totals['out'])} "
          f"({totals['answered_dom']}/{totals['out_dom']} / {totals['answered_off']}/{totals['out_off']}) |")
    print("\n| kind | questions | answered right | answered wrong | right or suggested |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind in sorted(kinds, key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else 99):
        c = kinds[kind]
        print(f"| {kind} | {c['in']} | {pct(c['right'], c['in'])} | {pct(c['wrong'], c['in'])} | "
              f"{pct(c['shown'], c['in'])} |")
    if args.misses:
        print()
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
