"""The knowledge base as sentence vectors, in two views an entry each:

- **phrasings**: every question, title and keyword of the entry, embedded like a question (the model's ``query:``
  side, its recommended use for "same meaning?" comparisons); the view's score is the best cosine of any of them,
  so one phrasing close in meaning is enough;
- **answer**: the title joined to the answer ("低保申請：帶齊戶口簿、身份證……"), embedded as a ``passage:``, the
  question-to-document use the model was trained for; it knows what the entry is about even when its phrasings
  are few.

Measured on two other districts' bases and the thin sample (benchmarks/README.md), the sum of the two ranks the
right entry first for 93 %, 95 % and 91 % of in-scope questions, against 84-91 % for either view alone. English
answers are left out for the same reason as in the lexical index (they translate; they add no topic).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.core.knowledge.model import Entry
from bot.core.matching.embedding import Progress, Semantic


def _top_two(scores: np.ndarray) -> tuple[int, float, float]:
    """(index of the best, the best, the second best) of ``scores`` (0 for a missing second)."""
    if len(scores) == 0:
        return -1, 0.0, 0.0
    best = int(np.argmax(scores))
    second = float(np.partition(scores, -2)[-2]) if len(scores) > 1 else 0.0
    return best, float(scores[best]), second


@dataclass(frozen=True)
class Cosines:
    """Each entry's score in the two views for one question (knowledge-base order), with what the decision asks of
    them for every candidate computed once: the answer view's best and second best, the combined scores' mean and
    spread."""

    phrasings: np.ndarray
    answers: np.ndarray
    total: np.ndarray = field(init=False)
    mean: float = field(init=False)
    spread: float = field(init=False)
    _answer_tops: tuple[int, float, float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        total = self.phrasings + self.answers
        object.__setattr__(self, "total", total)
        object.__setattr__(self, "mean", float(total.mean()) if len(total) else 0.0)
        object.__setattr__(self, "spread", (float(total.std()) if len(total) else 0.0) or 1.0)
        object.__setattr__(self, "_answer_tops", _top_two(self.answers))

    def answer_lead(self, entry: int) -> float:
        """How far ``entry``'s answer cosine is above every other entry's."""
        best_entry, best, second = self._answer_tops
        return float(self.answers[entry]) - (second if entry == best_entry else best)


def answer_text(entry: Entry, answers: Sequence[str]) -> str:
    """The answer view's text: the title, then the first indexed answer form."""
    title = entry.title.variants()[0]
    return f"{title}：{answers[0].strip()}" if answers else title


class DenseIndex:
    """Every entry's phrasings and answer as unit vectors."""

    def __init__(self, entries: Sequence[Entry], phrasings_of: Sequence[Sequence[str]],
                 answers_of: Sequence[Sequence[str]], semantic: Semantic, progress: Progress | None = None):
        self.semantic = semantic
        texts: list[str] = []
        self._starts: list[int] = []
        for entry, phrasings in zip(entries, phrasings_of, strict=True):
            self._starts.append(len(texts))
            texts.extend(dict.fromkeys(p.strip() for p in phrasings if p.strip()) or [entry.title.variants()[0]])
        answers = [answer_text(entry, a) for entry, a in zip(entries, answers_of, strict=True)]
        self.size = len(texts) + len(answers)
        self._phrasings, self._answers = semantic.cached_groups([(texts, True), (answers, False)], progress)

    def cosines(self, vector: np.ndarray) -> Cosines:
        """Each entry's best phrasing cosine and its answer cosine with the question ``vector``."""
        if not self._starts:
            empty = np.zeros(0, dtype=np.float32)
            return Cosines(empty, empty)
        return Cosines(np.maximum.reduceat(self._phrasings @ vector, self._starts), self._answers @ vector)
