"""Answer quality: the project's own evaluation set, and public FAQ-retrieval sets against plain rapidfuzz.

    .venv/bin/python benchmarks/eval_quality.py [--split SET[,SET…]] [--kb DIR] [--public DIR] [--misses]
                                                [--held-out] [--no-public]

1. ``benchmarks/eval/<split>.yaml`` (one set, or several counted together) on the sample knowledge base, through
   ``Matcher.match`` exactly as the bot decides: in-scope answered right / answered wrong / right within what the
   resident is shown (the answer or one
   of the "did you mean" suggestions); out-of-scope answered, separately for in-domain-not-covered and off-topic;
   a breakdown per kind. Tune on spent sets; report a blind set once (benchmarks/eval/README.md).
2. Public sets (read at run time from ``--public``, default ``../shared/benchmarks``; never copied into this
   repository): E.SUN FAQ (Traditional), BQ test (Simplified) and BQ test with queries converted to Traditional
   (OpenCC s2twp). Top-1 and MRR of our ranking vs plain ``rapidfuzz.process`` with ``fuzz.WRatio`` over the same
   phrasings (best phrasing per FAQ), and how often our decision answers out-of-scope queries.

Deterministic; prints Markdown tables.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.knowledge.model import Category, Entry, KnowledgeBase, Text  # noqa: E402
from bot.core.matching.matcher import Matcher  # noqa: E402

#: The section comment that starts the off-topic half of the out-of-scope questions (benchmarks/eval/README.md),
#: in either script (the Simplified districts' writers wrote it in Simplified).
OFF_TOPIC_MARKERS = ("與社區服務無關", "与社区服务无关")
EVAL_DIR = ROOT / "benchmarks" / "eval"
RANK_DEPTH = 50  # MRR counts a gold entry ranked deeper than this as 0
SEMANTIC = None  # --semantic: the meaning-level model (bot.core.matching.embedding.Semantic) for every matcher here


@dataclass(frozen=True)
class EvalQuestion:
    text: str
    expect: str | None
    kind: str  # for out-of-scope: "oos-uncovered" or "oos-off-topic"


def eval_split(value: str) -> str:
    """``--split``: names of evaluation files in benchmarks/eval (not off_topic.yaml), joined by commas."""
    known = sorted(p.stem for p in EVAL_DIR.glob("*.yaml") if p.stem != "off_topic")
    unknown = [name for name in value.split(",") if name not in known]
    if unknown:
        raise argparse.ArgumentTypeError(f"no evaluation set {', '.join(unknown)} (there are: {', '.join(known)})")
    return value


def read_eval_set(path: Path) -> list[EvalQuestion]:
    """The questions of one eval file, out-of-scope ones split by the section comment they sit under."""
    source = path.read_text(encoding="utf-8")
    marker_line = next((n for n, line in enumerate(source.splitlines())
                        if any(marker in line for marker in OFF_TOPIC_MARKERS)), None)
    root = yaml.compose(source)
    items = next(value for key, value in root.value if key.value == "questions")
    out = []
    for node in items.value:
        data = yaml.safe_load(yaml.serialize(node))
        kind = data["kind"]
        if data["expect"] is None:
            off_topic = marker_line is not None and node.start_mark.line > marker_line
            kind = "oos-off-topic" if off_topic else "oos-uncovered"
        out.append(EvalQuestion(str(data["q"]), data["expect"], kind))
    return out


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def project_eval(kb_dir: Path, split: str, show_misses: bool) -> None:
    """Section 1: the project's evaluation set on the sample knowledge base."""
    kb = load_knowledge(kb_dir)
    matcher = Matcher(kb, semantic=SEMANTIC)
    names = split.split(",")
    questions = [q for name in names for q in read_eval_set(EVAL_DIR / f"{name}.yaml")]
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # n, right, wrong, within
    misses = []
    for q in questions:
        result = matcher.match(q.text)
        row = by_kind[q.kind]
        row[0] += 1
        if q.expect is None:
            row[2] += result.answer_id is not None
            if result.answer_id is not None:
                misses.append((q, result))
            continue
        right = result.answer_id == q.expect
        row[1] += right
        row[2] += result.answer_id is not None and not right
        row[3] += right or q.expect in result.suggestions
        if not right:
            misses.append((q, result))
    in_scope = [k for k in by_kind if not k.startswith("oos")]
    total = [sum(by_kind[k][i] for k in in_scope) for i in range(4)]
    uncovered, off_topic = by_kind.get("oos-uncovered", [0] * 4), by_kind.get("oos-off-topic", [0] * 4)
    files = " + ".join(f"`{name}.yaml`" for name in names)
    print(f"### Project evaluation set {files} ({len(kb.entries)} entries, {matcher.phrasing_count} phrasings)\n")
    print("| measure | value |\n|---|---:|")
    print(f"| in scope: answered right | {pct(total[1], total[0])} ({total[1]}/{total[0]}) |")
    print(f"| in scope: answered wrong | {pct(total[2], total[0])} ({total[2]}/{total[0]}) |")
    print(f"| in scope: right answer or among suggestions | {pct(total[3], total[0])} ({total[3]}/{total[0]}) |")
    oos_n, oos_a = uncovered[0] + off_topic[0], uncovered[2] + off_topic[2]
    print(f"| out of scope: answered | {pct(oos_a, oos_n)} ({oos_a}/{oos_n}) |")
    print(f"| … in-domain, not covered: answered | {pct(uncovered[2], uncovered[0])} ({uncovered[2]}/{uncovered[0]}) |")
    print(f"| … off-topic: answered | {pct(off_topic[2], off_topic[0])} ({off_topic[2]}/{off_topic[0]}) |")
    print("\n| kind | n | answered right | answered wrong | right or suggested |\n|---|---:|---:|---:|---:|")
    for kind in sorted(in_scope):
        n, right, wrong, within = by_kind[kind]
        print(f"| {kind} | {n} | {pct(right, n)} | {pct(wrong, n)} | {pct(within, n)} |")
    for kind in ("oos-uncovered", "oos-off-topic"):
        if kind in by_kind:
            n, _, answered, _ = by_kind[kind]
            print(f"| {kind} | {n} | - | {pct(answered, n)} answered | - |")
    if show_misses:
        print("\nMisses (expected → outcome answer/suggestions, score):")
        for q, r in misses:
            print(f"- [{q.kind}] {q.text} → expected {q.expect}; got {r.outcome} {r.answer_id or list(r.suggestions)} "
                  f"{r.score:.1f}")
    print()


def held_out_eval(kb_dir: Path) -> None:
    """Each entry question asked with that question removed from the knowledge base: ~400 more in-scope
    paraphrases written by the knowledge base's authors (slower: one index build per question)."""
    import dataclasses  # noqa: PLC0415

    kb = load_knowledge(kb_dir)
    n = right = wrong = within = 0
    for i, entry in enumerate(kb.entries):
        for j, question in enumerate(entry.questions):
            fewer = dataclasses.replace(entry, questions=entry.questions[:j] + entry.questions[j + 1:])
            result = Matcher(dataclasses.replace(kb, entries=kb.entries[:i] + (fewer,) + kb.entries[i + 1:])
                             ).match(question)
            n += 1
            right += result.answer_id == entry.id
            wrong += result.answer_id is not None and result.answer_id != entry.id
            within += result.answer_id == entry.id or entry.id in result.suggestions
    print("### Held-out phrasings (each entry question asked with itself removed)\n")
    print("| questions | answered right | answered wrong | right or suggested |\n|---:|---:|---:|---:|")
    print(f"| {n} | {pct(right, n)} | {pct(wrong, n)} | {pct(within, n)} |\n")


@dataclass(frozen=True)
class PublicSet:
    name: str
    faqs: list[tuple[str, list[str]]]  # (id, questions)
    queries: list[tuple[str, str]]     # (text, gold id)
    oos: dict[str, list[str]]          # group name → texts
    answers: dict[str, str]            # id → the FAQ's answer, where the set has one (E.SUN does, BQ not)


def load_public(root: Path) -> list[PublicSet]:
    """E.SUN, BQ test and BQ test in Traditional, from the shared benchmark directory."""
    import opencc  # noqa: PLC0415

    sets = []
    esun = json.loads((root / "esun_faq_zh_tw" / "esun_faq.json").read_text(encoding="utf-8"))
    sets.append(PublicSet(
        "E.SUN FAQ (Traditional)",
        [(str(f["id"]), f["questions"]) for f in esun["faqs"]],
        [(q["text"], str(q["gold"])) for q in esun["queries"]],
        {"near-domain": [q["text"] for q in esun["oos_near"]]},
        {str(f["id"]): f["answers"][0] for f in esun["faqs"] if f.get("answers")},
    ))
    bq = json.loads((root / "bq_faq_zh_cn" / "bq_faq_test.json").read_text(encoding="utf-8"))
    faqs = [(str(f["id"]), f["questions"]) for f in bq["faqs"]]
    queries = [(q["text"], str(q["gold"])) for q in bq["queries"]]
    oos = {"held-out intents": [q["text"] for q in bq["oos_heldout"]], "off-topic": [q["text"] for q in bq["oos_far"]]}
    sets.append(PublicSet("BQ test (Simplified)", faqs, queries, oos, {}))
    s2twp = opencc.OpenCC("s2twp")
    sets.append(PublicSet(
        "BQ test, queries in Traditional (s2twp)", faqs, [(s2twp.convert(t), g) for t, g in queries],
        {k: [s2twp.convert(t) for t in v] for k, v in oos.items()}, {},
    ))
    return sets


def public_eval(public_set: PublicSet) -> tuple[str, ...]:
    """One table row: our top-1/MRR, WRatio's top-1/MRR, our answered-right/wrong and out-of-scope answered."""
    # Each FAQ becomes an entry as a district would write it: its questions, and its answer where the set has one
    # (a knowledge base without answer text would starve the answer view; until 2026-12-06 every answer was "-").
    entries = tuple(Entry(id=f"faq-{fid}", category="services", title=Text.of(questions[0]),
                          questions=tuple(questions), answer=Text.of(public_set.answers.get(fid, "-")))
                    for fid, questions in public_set.faqs)
    matcher = Matcher(KnowledgeBase(entries=entries, categories=(Category("services", Text.of("-")),)),
                      semantic=SEMANTIC)
    vectors = (dict(zip((t for t, _ in public_set.queries),
                        SEMANTIC.cached([t[:400] for t, _ in public_set.queries], query=True), strict=True))
               if SEMANTIC is not None else {})
    strings = [q for _, questions in public_set.faqs for q in questions]
    owners = [fid for fid, questions in public_set.faqs for _ in questions]
    ours = [0.0, 0.0]
    base = [0.0, 0.0]
    answered_right = answered_wrong = 0
    for text, gold in public_set.queries:
        ranked = [c.entry_id.removeprefix("faq-") for c in matcher.rank(text, RANK_DEPTH, vectors.get(text))]
        _add_rank(ours, ranked, gold)
        best: dict[str, float] = {}
        for _, score, i in process.extract(text, strings, scorer=fuzz.WRatio, limit=None):
            best[owners[i]] = max(best.get(owners[i], 0.0), score)
        # ties are broken by FAQ order (stable sort), deterministic
        order = sorted(best, key=lambda fid: -best[fid])[:RANK_DEPTH]
        _add_rank(base, order, gold)
        answer = matcher.match(text, vectors.get(text)).answer_id
        answered_right += answer == f"faq-{gold}"
        answered_wrong += answer is not None and answer != f"faq-{gold}"
    n = len(public_set.queries)
    oos_cells = []
    for group, texts in public_set.oos.items():
        answered = sum(matcher.match(t).answer_id is not None for t in texts)
        oos_cells.append(f"{group}: {pct(answered, len(texts))}")
    return (public_set.name, f"{len(entries)} / {n}", f"{ours[0] / n:.3f}", f"{ours[1] / n:.3f}",
            f"{base[0] / n:.3f}", f"{base[1] / n:.3f}", f"{pct(answered_right, n)} / {pct(answered_wrong, n)}",
            "; ".join(oos_cells))


def _add_rank(acc: list[float], ranked: list[str], gold: str) -> None:
    """Add top-1 and reciprocal rank of ``gold`` in ``ranked`` to ``acc``."""
    if gold in ranked:
        position = ranked.index(gold)
        acc[0] += position == 0
        acc[1] += 1.0 / (position + 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", type=eval_split, default="holdout4,holdout5",
                        help="one evaluation file of benchmarks/eval, or several joined by commas (counted together)")
    parser.add_argument("--kb", default=str(ROOT / "knowledge"))
    parser.add_argument("--public", default=str(ROOT.parent / "shared" / "benchmarks"))
    parser.add_argument("--no-public", action="store_true", help="only the project's evaluation set")
    parser.add_argument("--misses", action="store_true", help="list every question the bot got wrong")
    parser.add_argument("--semantic", metavar="CACHE", help="with the meaning-level model, its vectors cached in CACHE")
    parser.add_argument("--held-out", action="store_true",
                        help="also ask every entry question with itself removed from the base (~1 min)")
    args = parser.parse_args()
    if args.semantic:
        global SEMANTIC
        from bot.core.matching.embedding import Semantic, load_embedder  # noqa: PLC0415
        from bot.storage.vector_cache import SqliteVectorCache  # noqa: PLC0415

        SEMANTIC = Semantic(load_embedder(2).embedder, SqliteVectorCache(args.semantic))
    project_eval(Path(args.kb), args.split, args.misses)
    if args.held_out:
        held_out_eval(Path(args.kb))
    if args.no_public:
        return 0
    public = Path(args.public)
    if not public.is_dir():
        print(f"(public sets not found in {public}; skipped)")
        return 0
    print("### Public FAQ-retrieval sets (ranking over all FAQs; decision rule as tuned on the project's dev set)\n")
    print("| set | FAQs / queries | ours top-1 | ours MRR | WRatio top-1 | WRatio MRR "
          "| ours answered right / wrong | out-of-scope answered |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for public_set in load_public(public):
        print("| " + " | ".join(public_eval(public_set)) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
