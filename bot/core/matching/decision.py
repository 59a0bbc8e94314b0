"""The answer / suggest / not-found decision: two small logistic models and the fingerprint of what they were fitted on.

A question's evidence (:mod:`bot.core.matching.matcher`) becomes a handful of numbers about its best entry; a
logistic regression turns them into P(the best entry is the right answer and the question is in scope). The bot
answers above one threshold, offers "did you mean" buttons above a lower one, and says it does not know below.

- :data:`HYBRID_FEATURES` when the meaning-level model runs (the normal case): lexical and meaning-level evidence
  together. Fitted by ``benchmarks/fit_hybrid.py`` on knowledge bases of several districts (never on the blind ones
  it reports) and the sample's spent evaluation sets.
- :data:`FEATURES`, the lexical model, when the model cannot be loaded (an unsupported platform). Fitted by
  ``benchmarks/fit_decision.py`` on the sample base (the previous round's decision, kept as the fallback).

:data:`FINGERPRINT` records the features and the matcher settings the hybrid weights were fitted with;
``tests/test_decision.py`` fails when either changes without a refit.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import asdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.matching.matcher import MatchSettings


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


#: The lexical model's inputs, in the order :meth:`Matcher._features` returns them (each about 0-1).
FEATURES: tuple[str, ...] = (
    "score", "margin", "coverage", "containment", "reverse", "explained", "unknown", "repairs", "latin", "covered",
    "place", "pairs", "missing", "coverage_lead", "length", "long",
)
#: Step feature: a question with less than this share of its idf mass in the entry is much less often right than
#: the linear terms alone say. (A second one, a lead under 0.02 over the runner-up, changed no refitted figure of
#: residents' questions and was removed: benchmarks/README.md, "Ablations".)
COVERED = 0.25
#: Length features: a resident describing their situation in a long sentence (家裡上週失火，東西都燒光了…) leaves
#: much of it unmatched even when the entry is right, while a short question that misses a word is usually about
#: something else. Folded length is capped at LENGTH_CAP characters; LONG marks the situational kind.
LENGTH_CAP = 40
LONG = 12
#: Logistic-regression weights, one per feature, then the intercept. Fitted by benchmarks/fit_decision.py (which
#: prints this block) on the spent evaluation sets (resident-style questions already run for a reported figure),
#: held-out phrasings of the sample base and perturbed copies of them (label: the best entry is the right one),
#: against the same phrasings with their entry removed and the project's own 400 off-topic messages
#: (benchmarks/eval/off_topic.yaml; label 0); never on a blind set before its one run, never on third-party data.
#: Features are correlated (score contains coverage), so single weights are not meaningful on their own; refit
#: rather than hand-edit.
WEIGHTS: tuple[float, ...] = (
    3.424,  # score
    3.369,  # margin
    1.952,  # coverage
    0.380,  # containment
    2.213,  # reverse
    -0.495,  # explained
    0.377,  # unknown
    -0.111,  # repairs
    -0.995,  # latin
    1.533,  # covered
    1.830,  # place
    0.347,  # pairs
    1.002,  # missing
    1.754,  # coverage_lead
    1.690,  # length
    0.796,  # long
)
INTERCEPT: float = -7.966


def answer_probability(features: tuple[float, ...]) -> float:
    """P(the best entry is the right answer and the question is in scope), from :data:`WEIGHTS`."""
    return _logistic(INTERCEPT + sum(w * x for w, x in zip(WEIGHTS, features, strict=True)))


#: The hybrid model's inputs, in the order :meth:`Matcher._hybrid_features` returns them (each about 0-1 but
#: ``standout``, in standard deviations: about 0-5; scaling it to 0-1 changed no figure, benchmarks/README.md).
#: Chosen by leaving each one out in turn (benchmarks/README.md): the lexical score itself, the explained share,
#: the pair evidence and "Latin-only" changed no cross-validated figure by more than a question and were removed;
#: so were the phrasing view's own cosine and lead once nine districts were in the fit (without them: 71.4 % of
#: residents' questions answered right against 67.6 %, out of scope answered 4.9 % both; the phrasing view still
#: ranks and counts through ``standout``).
HYBRID_FEATURES: tuple[str, ...] = (
    "lexical_margin", "answer_cosine", "answer_lead", "standout", "coverage", "unknown", "length",
)
#: Fitted by benchmarks/fit_hybrid.py (which prints this block) on twelve other districts' bases (district_c to
#: district_n; E-N each after its one blind run), the thin and the full sample with their spent
#: evaluation sets (holdout6 too, after its run), the thin sample's later phrasings, removed-entry questions and the
#: off-topic messages; never on a blind set before its one run. Features are correlated (a lead contains its
#: cosine), so single weights mean little alone: refit, never hand-edit. The fingerprint below says which features
#: and MatchSettings they were fitted with.
HYBRID_WEIGHTS: tuple[float, ...] = (
    6.147,  # lexical_margin
    4.642,  # answer_cosine
    25.002,  # answer_lead
    1.562,  # standout
    5.572,  # coverage
    0.953,  # unknown
    4.283,  # length
)
HYBRID_INTERCEPT: float = -13.610
FINGERPRINT = "3bced460ccdbd211"
#: Settings the hybrid evidence does not depend on: the two thresholds the fit chooses (its outputs), and the
#: lexical probability from which the model is not asked at all.
_NOT_INPUTS = frozenset({"hybrid_answer", "hybrid_suggest", "lexical_decisive"})


def hybrid_probability(features: tuple[float, ...]) -> float:
    """P(the best entry is the right answer and the question is in scope), from :data:`HYBRID_WEIGHTS`."""
    return _logistic(HYBRID_INTERCEPT + sum(w * x for w, x in zip(HYBRID_WEIGHTS, features, strict=True)))


def fingerprint(settings: MatchSettings) -> str:
    """A short hash of what the hybrid weights depend on: the feature names and every matcher setting that shapes
    the evidence (all but :data:`_NOT_INPUTS`)."""
    inputs = sorted((key, value) for key, value in asdict(settings).items() if key not in _NOT_INPUTS)
    material = repr((HYBRID_FEATURES, inputs))
    return hashlib.blake2b(material.encode(), digest_size=8).hexdigest()
