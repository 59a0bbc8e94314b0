"""Regression questions: staff-written ``question → expected entry`` pairs run through the real matcher.

A case passes when the matcher answers ``question`` with exactly ``expect``; an ``expect: null`` case passes when
the bot does not answer at all (suggestions are not answers). ``python -m bot kb test`` prints the failures, and
a reload refuses a knowledge base with any.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core.knowledge.model import KnowledgeBase, RegressionCase
from bot.core.matching.matcher import Matcher
from bot.core.matching.result import MatchResult


@dataclass(frozen=True, slots=True)
class RegressionFailure:
    case: RegressionCase
    result: MatchResult

    def describe(self, *, short_path: bool = False) -> str:
        """``FILE:LINE: "question" → expected X, got Y (score S)``; ``short_path`` shows only the file name."""
        file = Path(self.case.file).name if short_path else self.case.file
        expected = self.case.expect or "no answer"
        return f'{file}:{self.case.line}: "{self.case.question}" → expected {expected}, got {got(self.result)}'


def got(result: MatchResult) -> str:
    """What the matcher did, in words: ``entry-id (score 81.2)``, ``no answer (suggested a, b; score 52.0)``."""
    if result.outcome == "answer":
        return f"{result.answer_id} (score {result.score:.1f})"
    if result.suggestions:
        return f"no answer (suggested {', '.join(result.suggestions)}; score {result.score:.1f})"
    return f"no answer (score {result.score:.1f})"


def passes(case: RegressionCase, result: MatchResult) -> bool:
    if case.expect is None:
        return result.outcome != "answer"
    return result.outcome == "answer" and result.answer_id == case.expect


def run_regression(kb: KnowledgeBase, matcher: Matcher | None = None) -> list[RegressionFailure]:
    """Every failing case of ``kb.regression``, in file order (an empty list: all pass)."""
    matcher = matcher or Matcher(kb)
    failures = []
    for case in kb.regression:
        result = matcher.match(case.question)
        if not passes(case, result):
            failures.append(RegressionFailure(case, result))
    return failures
