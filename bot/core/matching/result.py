"""The outcome of matching one question."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["answer", "suggest", "not_found"]


@dataclass(frozen=True, slots=True)
class Candidate:
    entry_id: str
    score: float  # 0-100


@dataclass(frozen=True, slots=True)
class MatchResult:
    """``answer``: confident (``answer_id`` set); ``suggest``: "did you mean" ``suggestions`` (best first, ≤ 3);
    ``not_found``: nothing close enough. ``score`` is the best candidate's score, 0-100."""

    query: str
    outcome: Outcome
    answer_id: str | None
    score: float
    suggestions: tuple[str, ...] = ()
    candidates: tuple[Candidate, ...] = ()
