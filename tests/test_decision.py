"""The hybrid decision model belongs to the features and settings it was fitted with."""
from __future__ import annotations

from bot.core.matching.decision import FINGERPRINT, HYBRID_FEATURES, HYBRID_WEIGHTS, fingerprint, hybrid_probability
from bot.core.matching.matcher import MatchSettings


def test_fitted_model_matches_the_features_and_settings_in_the_code() -> None:
    """Changing a feature or a matcher setting without running benchmarks/fit_hybrid.py again fails here: the
    weights would be silently wrong for the evidence the matcher now computes."""
    assert len(HYBRID_WEIGHTS) == len(HYBRID_FEATURES)
    assert fingerprint(MatchSettings()) == FINGERPRINT, (
        "the hybrid features or MatchSettings changed since the fit: run benchmarks/fit_hybrid.py and paste its "
        "block into bot/core/matching/decision.py")


def test_thresholds_are_not_part_of_the_fingerprint() -> None:
    """The fit chooses the thresholds itself; moving them is a decision about the trade-off, not a new model."""
    assert fingerprint(MatchSettings(hybrid_answer=0.9, hybrid_suggest=0.2)) == FINGERPRINT
    assert fingerprint(MatchSettings(cosine_weight=3.0)) != FINGERPRINT


def test_probability_is_a_probability() -> None:
    assert 0.0 <= hybrid_probability((0.0,) * len(HYBRID_FEATURES)) <= 1.0
    assert 0.0 <= hybrid_probability((1.0,) * len(HYBRID_FEATURES)) <= 1.0
