"""Fit the matcher's answer decision: a logistic regression over the evidence views, and its threshold.

    .venv/bin/python benchmarks/fit_decision.py [--kb DIR]                    # ~6 min; prints the constants
    .venv/bin/python benchmarks/fit_decision.py --settings '{"repair_homophones": false}'   # an ablation
    .venv/bin/python benchmarks/fit_decision.py --without covered,clear      # features left out (an ablation)

Re-derives ``WEIGHTS``, ``INTERCEPT`` (bot/core/matching/decision.py) and ``MatchSettings.answer_probability``
from tuning data only — never from a blind evaluation set that has not been run yet:

* **resident questions** (groups ``eval`` / ``eval-oos``): the *spent* evaluation sets (:data:`SPENT_SETS`, each
  already run for a reported figure and tuning material since; benchmarks/eval/README.md). They are what residents
  type — long situational sentences, chatter, typos — and the held-out phrasings below are not: a decision fitted
  on phrasings alone answered too few long questions (82.7 % of blind in-scope questions, all others offered as
  choices). Weighted :data:`EVAL_WEIGHT` × so that they count about as much as the synthetic rows together;
* **in scope** (label 1 when the best entry is the right one): every entry question of the knowledge base asked
  with itself removed from the base ("held-out phrasings"), plus four perturbed copies of each — a character
  dropped, a character doubled, chatter around it (``CHATTER_BEFORE``/``CHATTER_AFTER``, words the normaliser does
  not strip) and one character replaced by a same-sounding common one (level 1 of GB2312, the 3,755 characters an
  input method offers first);
* **out of scope** (label 0): the same questions and perturbations with their *whole entry* removed from the base —
  "the base does not cover it", the hard case, since a sibling entry (the other library, 公租房 for 廉租房) is
  still there — and the project's own 400 off-topic messages (``benchmarks/eval/off_topic.yaml``, written for
  this purpose). No third-party data is fitted on: the public sets' licences allow evaluation only, and these
  constants ship with the bot.

The fit is plain Newton-Raphson with a small L2 penalty, in pure Python (no numpy needed). Every figure printed is
cross-validated: resident questions leave one evaluation *set* out (scored by a model that saw none of that set —
the closest thing to a new blind set), synthetic rows five folds grouped by entry.

The threshold is the lowest probability (0.30-0.90, step 0.01) at which, on the cross-validated predictions, the
resident out-of-scope questions are answered ≤ 4 % (the target is 5 %), resident in-scope questions answered
wrong ≤ 1 %, off-topic messages ≤ 1.5 % (6 of 400) and held-out phrasings answered wrong ≤ 2.5 %. Questions of a
removed entry are reported, not constrained: phrased like the base's own questions, with a sibling entry left, they
are harder than what residents ask (12.5 % answered at the chosen threshold, against 3.7 % of the resident
out-of-scope questions). Deterministic (fixed seed, sorted iteration).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import yaml  # noqa: E402
from eval_quality import read_eval_set  # noqa: E402

from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.knowledge.model import KnowledgeBase  # noqa: E402
from bot.core.language import to_simplified  # noqa: E402
from bot.core.matching.decision import FEATURES  # noqa: E402
from bot.core.matching.matcher import Matcher, MatchSettings  # noqa: E402
from bot.core.matching.pinyin import homophones  # noqa: E402

EVAL_DIR = ROOT / "benchmarks" / "eval"
OFF_TOPIC = EVAL_DIR / "off_topic.yaml"
#: Evaluation sets that have been run and are tuning material (benchmarks/eval/README.md). A new blind set joins
#: this list only after its one run has been reported.
SPENT_SETS = ("dev", "test", "holdout", "holdout2", "holdout3")
#: Weight of one resident question against one synthetic row (~850 questions vs ~14,500 rows).
EVAL_WEIGHT = 12.0
SEED = 7
FOLDS = 5
L2 = 1e-3
#: Constraints on the cross-validated predictions (see the module docstring).
MAX_EVAL_OOS_ANSWERED = 0.04
MAX_EVAL_WRONG = 0.01
MAX_OFF_TOPIC_ANSWERED = 0.015
MAX_HELD_WRONG = 0.025
#: Chatter the normaliser does not strip, to make perturbed copies that still mean the same.
CHATTER_BEFORE = ("我想问问", "大家好，", "有人知道", "求助：", "想咨询下", "急！", "老师好，")
CHATTER_AFTER = ("？？", "，急", "，多谢", "啊？", "来着", "谢谢啦", "，感恩")


@dataclasses.dataclass
class Row:
    group: str        # eval, eval-oos, held, held-p, removed, removed-p, off-topic
    entry: int        # the entry a held-out/removed question belongs to (CV folds); -1 otherwise
    label: int        # 1 when the question is in scope and the best entry is its gold entry
    answerable: bool  # False when a place rule forbids answering whatever the model says
    wrong_if_answered: bool
    features: tuple[float, ...] | None
    fold: int = -1      # cross-validation fold: the evaluation set's index, or entry (or row number) mod FOLDS
    weight: float = 1.0


def observe(matcher: Matcher, question: str, gold: str | None, group: str, entry: int = -1) -> Row:
    evidence = matcher._evidence(question)  # noqa: SLF001 - the fitting script reads the matcher's evidence
    if not evidence.ranked:
        return Row(group, entry, 0, False, False, None)
    top = matcher._entry_ids[evidence.ranked[0].entry]  # noqa: SLF001
    blocked = not matcher._answerable(evidence)  # noqa: SLF001 - hard rules: lead, places
    right = gold is not None and top == gold
    return Row(group, entry, int(right), not blocked, not right, matcher._features(evidence))  # noqa: SLF001


def common(char: str) -> bool:
    """Whether ``char`` is in level 1 of GB2312 (the 3,755 common characters a pinyin input method offers first)."""
    try:
        return 0xB0 <= char.encode("gb2312")[0] <= 0xD7
    except UnicodeEncodeError:
        return False


def perturbed(question: str, rng: random.Random) -> list[str]:
    out = []
    if len(question) > 4:
        p = rng.randrange(len(question))
        out.append(question[:p] + question[p + 1:])
    p = rng.randrange(len(question))
    out.append(question[:p + 1] + question[p:])
    out.append(rng.choice(CHATTER_BEFORE) + question + rng.choice(CHATTER_AFTER))
    simplified = to_simplified(question)
    typeable = [i for i, c in enumerate(simplified) if any(common(h) for h in homophones(c))]
    if typeable:
        i = rng.choice(typeable)
        typo = rng.choice([h for h in homophones(simplified[i]) if common(h)])
        out.append(simplified[:i] + typo + simplified[i + 1:])
    return out


def read_off_topic(path: Path = OFF_TOPIC) -> list[str]:
    """The project's own off-topic messages."""
    return [str(m) for m in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]]


def collect(kb: KnowledgeBase, settings: MatchSettings) -> list[Row]:
    rng = random.Random(SEED)
    rows: list[Row] = []
    full = Matcher(kb, settings)
    for number, name in enumerate(SPENT_SETS):
        for q in read_eval_set(EVAL_DIR / f"{name}.yaml"):
            row = observe(full, q.text, q.expect, "eval" if q.expect else "eval-oos")
            rows.append(dataclasses.replace(row, fold=number % FOLDS, weight=EVAL_WEIGHT))
    for message in read_off_topic():
        rows.append(observe(full, message, None, "off-topic"))
    for i, entry in enumerate(kb.entries):
        for j, question in enumerate(entry.questions):
            fewer = dataclasses.replace(entry, questions=entry.questions[:j] + entry.questions[j + 1:])
            matcher = Matcher(dataclasses.replace(kb, entries=kb.entries[:i] + (fewer,) + kb.entries[i + 1:]),
                              settings)
            rows.append(observe(matcher, question, entry.id, "held", i))
            for variant in perturbed(question, rng):
                rows.append(observe(matcher, variant, entry.id, "held-p", i))
    for i, entry in enumerate(kb.entries):
        matcher = Matcher(dataclasses.replace(kb, entries=kb.entries[:i] + kb.entries[i + 1:]), settings)
        for question in entry.questions:
            rows.append(observe(matcher, question, None, "removed", i))
            for variant in perturbed(question, rng):
                rows.append(observe(matcher, variant, None, "removed-p", i))
    return rows


def solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the system is 14 × 14)."""
    n = len(vector)
    a = [row[:] + [v] for row, v in zip(matrix, vector, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            for c in range(col, n + 1):
                a[r][c] -= factor * a[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (a[r][n] - sum(a[r][c] * x[c] for c in range(r + 1, n))) / a[r][r]
    return x


def fit(rows: list[Row]) -> list[float]:
    """Weighted logistic regression by Newton-Raphson; L2 on the weights (not the intercept). Returns weights +
    intercept."""
    xs = [list(r.features) + [1.0] for r in rows]
    ys = [r.label for r in rows]
    cs = [r.weight for r in rows]
    dim = len(xs[0])
    penalty = L2 * sum(cs)
    w = [0.0] * dim
    for _ in range(50):
        grad = [penalty * w[k] if k < dim - 1 else 0.0 for k in range(dim)]
        hess = [[(penalty if k == m and k < dim - 1 else 0.0) for m in range(dim)] for k in range(dim)]
        for x, y, c in zip(xs, ys, cs, strict=True):
            z = sum(a * b for a, b in zip(w, x, strict=False))
            p = 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
            g, h = (p - y) * c, p * (1.0 - p) * c
            for k in range(dim):
                grad[k] += g * x[k]
                hk = h * x[k]
                row = hess[k]
                for m in range(k, dim):
                    row[m] += hk * x[m]
        for k in range(dim):
            for m in range(k):
                hess[k][m] = hess[m][k]
        step = solve(hess, grad)
        w = [a - b for a, b in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return w


def probability(w: list[float], features: tuple[float, ...]) -> float:
    z = w[-1] + sum(a * b for a, b in zip(w, features, strict=False))
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def fold_of(index: int, row: Row) -> int:
    if row.fold >= 0:
        return row.fold
    return (row.entry if row.entry >= 0 else index) % FOLDS


def rates(rows: list[Row], probs: list[float], threshold: float) -> dict[str, tuple[float, float, int]]:
    """Per group: (answered right, answered wrong or out of scope answered, n)."""
    out: dict[str, list[int]] = {}
    for row, p in zip(rows, probs, strict=True):
        cell = out.setdefault(row.group, [0, 0, 0])
        cell[2] += 1
        if row.features is not None and row.answerable and p >= threshold:
            cell[0] += row.label
            cell[1] += row.wrong_if_answered
    return {g: (c[0] / c[2], c[1] / c[2], c[2]) for g, c in out.items()}


def choose_threshold(rows: list[Row], probs: list[float]) -> float | None:
    """The lowest threshold meeting every constraint of the module docstring, or None."""
    for step in range(30, 91):
        r = rates(rows, probs, step / 100)
        if (r["eval-oos"][1] <= MAX_EVAL_OOS_ANSWERED and r["eval"][1] <= MAX_EVAL_WRONG
                and r["off-topic"][1] <= MAX_OFF_TOPIC_ANSWERED and r["held"][1] <= MAX_HELD_WRONG):
            return step / 100
    return None


def print_tables(rows: list[Row], probs: list[float], chosen: float | None) -> None:
    print("| threshold | resident questions right / wrong | resident out of scope answered | held-out right / wrong "
          "| perturbed right / wrong | removed-entry answered | perturbed removed answered | off-topic answered |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for threshold in sorted({0.4, 0.5, 0.6, 0.7, *([chosen] if chosen else [])}):
        r = rates(rows, probs, threshold)
        mark = " **(chosen)**" if threshold == chosen else ""
        print(f"| {threshold:.2f}{mark} | {r['eval'][0]:.1%} / {r['eval'][1]:.1%} | {r['eval-oos'][1]:.1%} "
              f"| {r['held'][0]:.1%} / {r['held'][1]:.1%} | {r['held-p'][0]:.1%} / {r['held-p'][1]:.1%} "
              f"| {r['removed'][1]:.1%} | {r['removed-p'][1]:.1%} | {r['off-topic'][1]:.1%} |")
    if chosen is None:
        return
    print("\nPer spent set, left out of the fit (as if blind), at the chosen threshold:\n")
    print("| set | in scope answered right | answered wrong | out of scope answered |")
    print("|---|---:|---:|---:|")
    for number, name in enumerate(SPENT_SETS):
        picked = [i for i, row in enumerate(rows) if row.group.startswith("eval") and row.fold == number % FOLDS]
        r = rates([rows[i] for i in picked], [probs[i] for i in picked], chosen)
        inside, outside = r.get("eval", (0.0, 0.0, 0)), r.get("eval-oos", (0.0, 0.0, 0))
        print(f"| {name} | {inside[0]:.1%} ({inside[2]}) | {inside[1]:.1%} | {outside[1]:.1%} ({outside[2]}) |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=str(ROOT / "knowledge"))
    parser.add_argument("--settings", default="{}", help="MatchSettings overrides as JSON (ablations)")
    parser.add_argument("--without", default="", help="features to leave out, comma-separated (ablations)")
    args = parser.parse_args()
    settings = MatchSettings(**json.loads(args.settings))
    left_out = {name for name in args.without.split(",") if name}
    if left_out - set(FEATURES):
        parser.error(f"unknown features: {', '.join(sorted(left_out - set(FEATURES)))}")
    names = [name for name in FEATURES if name not in left_out]
    kept = [FEATURES.index(name) for name in names]
    rows = [row if row.features is None else dataclasses.replace(row, features=tuple(row.features[i] for i in kept))
            for row in collect(load_knowledge(Path(args.kb)), settings)]
    usable = [i for i, r in enumerate(rows) if r.features is not None]
    # cross-validated probabilities: each row scored by a model fitted without its fold
    probs = [0.0] * len(rows)
    for k in range(FOLDS):
        model = fit([rows[i] for i in usable if fold_of(i, rows[i]) != k])
        for i in usable:
            if fold_of(i, rows[i]) == k:
                probs[i] = probability(model, rows[i].features)
    weights = fit([rows[i] for i in usable])
    chosen = choose_threshold(rows, probs)
    print(f"{len(rows)} questions; trained on {len(usable)}; features: {', '.join(names)}\n")
    print_tables(rows, probs, chosen)
    print("\n# paste into bot/core/matching/decision.py")
    print("WEIGHTS: tuple[float, ...] = (")
    for name, w in zip(names, weights, strict=False):
        print(f"    {w:.3f},  # {name}")
    print(")")
    print(f"INTERCEPT: float = {weights[-1]:.3f}")
    print(f"answer_probability: float = {chosen}" if chosen else "no threshold meets the constraints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
