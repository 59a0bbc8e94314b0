"""Fit the hybrid answer decision (bot/core/matching/decision.py) on several knowledge bases, and measure it on each
knowledge base left out in turn.

    .venv/bin/python benchmarks/fit_hybrid.py            # prints the cross-validated tables and the constants block
    .venv/bin/python benchmarks/fit_hybrid.py --quiet    # the constants block only

Tuning data only — never a blind set before its one run (benchmarks/districts/README.md, benchmarks/eval/README.md):

* ``DEV_DISTRICTS``: twelve other districts' small bases (2-4 phrasings an entry; C and D written for tuning, E-N
  each spent by its one blind run) with their residents' questions; and the same bases with a fifth of their
  entries removed, whose questions then have no answer ("the base does not cover it": the hard out-of-scope
  case, a sibling entry usually remains);
* ``thin``: the sample base with only its first 3 phrasings an entry, asked the sample's spent evaluation sets,
  the off-topic messages, and every later phrasing of each entry (written by staff as residents ask; the thin
  base never saw them);
* ``sample``: the full sample base with its spent sets and the off-topic messages.

Each group weighs the same in the fit, whatever its size, so the sample's 1,996 phrasings do not outvote a district
of 40 entries. Logistic regression (Newton's method, small L2 penalty, numpy). The figures printed are
leave-one-knowledge-base-out: a base's rows are predicted by a model fitted on the others only (``sample`` and
``thin`` count as one base). The answer threshold is the lowest P (0.30-0.95) at which, over those predictions,
in-scope questions answered wrong stay ≤ 2 % and out-of-scope questions answered ≤ 4 % on every base; the suggest
threshold the highest at which the right entry is answered or offered for ≥ 97 % of in-scope questions overall.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from eval_quality import read_eval_set  # noqa: E402

from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.knowledge.model import KnowledgeBase  # noqa: E402
from bot.core.matching.decision import HYBRID_FEATURES, fingerprint  # noqa: E402
from bot.core.matching.embedding import Semantic, load_embedder  # noqa: E402
from bot.core.matching.matcher import MAX_RAW_CHARS, Matcher, MatchSettings  # noqa: E402
from bot.storage.vector_cache import SqliteVectorCache  # noqa: E402

EVAL_DIR = ROOT / "benchmarks" / "eval"
DISTRICTS = ROOT / "benchmarks" / "districts"
DEV_DISTRICTS = tuple(f"district_{letter}" for letter in "cdefghijklmn")
SPENT_SETS = ("dev", "test", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6")
THIN_PHRASINGS = 3
REMOVED_EVERY = 5  # every fifth entry is removed once (five bases per district)
L2 = 1e-2
MAX_WRONG = 0.02
MAX_OOS = 0.05
MIN_RIGHT_OR_OFFERED = 0.97


@dataclasses.dataclass
class Row:
    base: str            # the knowledge base family (cross-validation unit)
    group: str           # its part: questions, removed, phrasings, off-topic
    kind: str
    features: tuple[float, ...]
    label: int           # 1: in scope and the best entry is the right one
    in_scope: bool
    answerable: bool     # the place rules allow answering
    offered: bool        # the right entry is among the first max_suggestions (or answered)
    raw: object = None   # the evidence itself, for exploring other features (--dump)


def thin(kb: KnowledgeBase, keep: int = THIN_PHRASINGS) -> KnowledgeBase:
    """The base as a new district would write it: each entry's first ``keep`` phrasings, no keywords."""
    return dataclasses.replace(kb, entries=tuple(
        dataclasses.replace(e, questions=e.questions[:keep], keywords=()) for e in kb.entries))


def without(kb: KnowledgeBase, step: int) -> KnowledgeBase:
    return dataclasses.replace(kb, entries=tuple(e for n, e in enumerate(kb.entries) if n % REMOVED_EVERY != step))


def off_topic() -> list[str]:
    return [str(m) for m in yaml.safe_load((EVAL_DIR / "off_topic.yaml").read_text(encoding="utf-8"))["messages"]]


def observe(matcher: Matcher, semantic: Semantic, questions: list[tuple[str, str | None, str]], base: str,
            group: str) -> list[Row]:
    vectors = semantic.cached([q[:MAX_RAW_CHARS] for q, _, _ in questions], query=True)
    rows = []
    limit = matcher.settings.max_suggestions
    for (text, expect, kind), vector in zip(questions, vectors, strict=True):
        evidence = matcher._evidence(text, vector)
        if not evidence.ranked:
            continue
        ids = [matcher._entry_ids[r.entry] for r in evidence.ranked[:limit]]
        rows.append(Row(base, group, kind, matcher._hybrid_features(evidence),
                        int(expect is not None and ids[0] == expect), expect is not None, matcher._answerable(evidence),
                        expect in ids, (evidence, [matcher._entry_ids[r.entry] for r in evidence.ranked], expect)))
    return rows


def collect(semantic: Semantic, settings: MatchSettings) -> list[Row]:
    rows: list[Row] = []
    for name in DEV_DISTRICTS:
        kb = load_knowledge(DISTRICTS / name / "knowledge")
        questions = [(q.text, q.expect, q.kind) for q in read_eval_set(DISTRICTS / name / "questions.yaml")]
        rows += observe(Matcher(kb, settings, semantic), semantic, questions, name, "questions")
        for step in range(REMOVED_EVERY):
            gone = {e.id for n, e in enumerate(kb.entries) if n % REMOVED_EVERY == step}
            asked = [(q, None, "removed") for q, expect, _ in questions if expect in gone]
            rows += observe(Matcher(without(kb, step), settings, semantic), semantic, asked, name, "removed")
    sample = load_knowledge(ROOT / "knowledge")
    spent = [(q.text, q.expect, q.kind) for name in SPENT_SETS for q in read_eval_set(EVAL_DIR / f"{name}.yaml")]
    noise = [(m, None, "off-topic") for m in off_topic()]
    thin_kb = thin(sample)
    thin_matcher = Matcher(thin_kb, settings, semantic)
    later = [(q, e.id, "phrasing") for e in sample.entries for q in e.questions[THIN_PHRASINGS:]]
    rows += observe(thin_matcher, semantic, spent, "sample", "thin-questions")
    rows += observe(thin_matcher, semantic, noise, "sample", "off-topic")
    rows += observe(thin_matcher, semantic, later, "sample", "thin-phrasings")
    rows += observe(Matcher(sample, settings, semantic), semantic, spent, "sample", "questions")
    return rows


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted logistic regression by Newton's method; returns the weights, then the intercept."""
    design = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(design.shape[1])
    penalty = L2 * np.eye(design.shape[1])
    penalty[-1, -1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(design @ w)))
        gradient = design.T @ (weight * (p - y)) + penalty @ w
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w


def weights_of(rows: list[Row]) -> np.ndarray:
    """Each (base, group) weighs the same in total."""
    sizes: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        sizes[r.base, r.group] += 1
    return np.array([1000.0 / sizes[r.base, r.group] for r in rows])


def predict(w: np.ndarray, rows: list[Row]) -> np.ndarray:
    x = np.array([r.features for r in rows])
    return 1.0 / (1.0 + np.exp(-(x @ w[:-1] + w[-1])))


def cross_validated(rows: list[Row]) -> np.ndarray:
    """Each base's rows predicted by a model fitted on the other bases only."""
    probs = np.zeros(len(rows))
    for base in sorted({r.base for r in rows}):
        train = [r for r in rows if r.base != base]
        w = fit(np.array([r.features for r in train]), np.array([r.label for r in train]), weights_of(train))
        index = [n for n, r in enumerate(rows) if r.base == base]
        probs[index] = predict(w, [rows[n] for n in index])
    return probs


def outcome(rows: list[Row], probs: np.ndarray, answer: float, suggest: float) -> dict[str, float]:
    answered = np.array([p >= answer and r.answerable for r, p in zip(rows, probs, strict=True)])
    ins = np.array([r.in_scope for r in rows])
    right = np.array([r.label == 1 for r in rows])
    offered = np.array([r.offered for r in rows]) & (probs >= suggest)
    n_in, n_out = max(ins.sum(), 1), max((~ins).sum(), 1)
    return {"right": (answered & right).sum() / n_in, "wrong": (answered & ins & ~right).sum() / n_in,
            "right_or_offered": ((answered & right) | (ins & offered)).sum() / n_in,
            "oos": (answered & ~ins).sum() / n_out, "n_in": int(ins.sum()), "n_out": int((~ins).sum())}


QUESTION_GROUPS = ("questions", "thin-questions")


def choose(rows: list[Row], probs: np.ndarray) -> tuple[float, float]:
    """The answer threshold: the lowest P at which, over the cross-validated predictions for residents' questions
    (each dev district's and the thin sample's), out-of-scope questions are answered ≤ 5 % on average and in-scope
    ones answered wrong ≤ 2 % on each. The suggest threshold: the highest P at which the right entry is answered or
    offered for ≥ 97 % of those in-scope questions."""
    parts = sorted({(r.base, r.group) for r in rows if r.group in QUESTION_GROUPS and r.base != "sample"}
                   | {("sample", "thin-questions")})
    index = {part: [n for n, r in enumerate(rows) if (r.base, r.group) == part] for part in parts}
    answer = 0.95
    for t in np.arange(0.30, 0.951, 0.01):
        outcomes = [outcome([rows[n] for n in index[p]], probs[index[p]], t, 0.0) for p in parts]
        if np.mean([o["oos"] for o in outcomes]) <= MAX_OOS and max(o["wrong"] for o in outcomes) <= MAX_WRONG:
            answer = float(round(t, 2))
            break
    asked = [n for p in parts for n in index[p]]
    suggest = 0.0
    for t in np.arange(0.0, answer, 0.01):
        if outcome([rows[n] for n in asked], probs[asked], answer, t)["right_or_offered"] >= MIN_RIGHT_OR_OFFERED:
            suggest = float(round(t, 2))
    return answer, suggest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--dump", help="write the rows and cross-validated probabilities (pickle) here")
    parser.add_argument("--cache", default=str(ROOT / "data" / "embeddings.sqlite3"))
    parser.add_argument("--settings", default="{}", help="MatchSettings overrides as JSON (ablations)")
    args = parser.parse_args()
    status = load_embedder(threads=2)
    if status.embedder is None:
        print(status.problem)
        return 1
    semantic = Semantic(status.embedder, SqliteVectorCache(args.cache))
    settings = MatchSettings(**json.loads(args.settings))
    rows = collect(semantic, settings)
    probs = cross_validated(rows)
    if args.dump:
        import pickle  # noqa: PLC0415

        Path(args.dump).write_bytes(pickle.dumps((rows, probs)))
    answer, suggest = choose(rows, probs)
    if not args.quiet:
        print("| base | part | in scope | right | wrong | right or offered | out of scope | answered |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for part in sorted({(r.base, r.group) for r in rows}):
            index = [n for n, r in enumerate(rows) if (r.base, r.group) == part]
            o = outcome([rows[n] for n in index], probs[index], answer, suggest)
            print(f"| {part[0]} | {part[1]} | {o['n_in']} | {100 * o['right']:.1f} % | {100 * o['wrong']:.1f} % | "
                  f"{100 * o['right_or_offered']:.1f} % | {o['n_out']} | {100 * o['oos']:.1f} % |")
        print()
    w = fit(np.array([r.features for r in rows]), np.array([r.label for r in rows]), weights_of(rows))
    print("HYBRID_WEIGHTS: tuple[float, ...] = (")
    for name, value in zip(HYBRID_FEATURES, w[:-1], strict=True):
        print(f"    {value:.3f},  # {name}")
    print(")")
    print(f"HYBRID_INTERCEPT: float = {w[-1]:.3f}")
    print(f'FINGERPRINT = "{fingerprint(settings)}"')
    print(f"# MatchSettings: hybrid_answer = {answer}, hybrid_suggest = {suggest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
