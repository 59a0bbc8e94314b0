"""Questions residents asked that got no answer (or whose suggestions they rejected), grouped for staff.

Questions are folded with the matcher's own normaliser (script, width, case, punctuation, synonyms), so 垃圾分類？
and 垃圾分类 are one question. Then greedy clustering, most frequent first: each question joins the most similar
group whose representative is at least ``threshold`` similar, else starts a group. Similarity is the better of two
rapidfuzz ``ratio`` views of the folded text: as written, and with its characters sorted (word order: 居住證怎麼辦理
/ 怎麼辦居住證 score 55 as written, 91 sorted).
Each group is re-matched with the current matcher, so staff see the nearest entry as the bot sees it today (an
entry added since may already answer it).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz, process

from bot.core.matching.matcher import Matcher
from bot.core.matching.result import MatchResult
from bot.core.ports import UnansweredQuestion

#: Folded questions at least this similar (0-100) are one group. On hand-made pairs (tests/test_staff_unanswered.py):
#: 垃圾分類怎麼做/垃圾怎麼分類 (73, sorted 91) join;
#: 社區有沒有游泳池/社區有沒有籃球場 (62) and 老人卡怎麼辦/老年證怎麼辦
#: (60) stay apart.
DEFAULT_THRESHOLD = 70.0


def _bag(folded: str) -> str:
    """The folded text's characters in sorted order: equal for the same words in another order."""
    return "".join(sorted(folded))


@dataclass
class UnansweredGroup:
    """Similar unanswered questions: ``representative`` is the most asked wording, ``count`` all askings."""

    representative: str
    folded: str
    count: int = 0
    wordings: Counter[str] = field(default_factory=Counter)  # original wording → times asked
    reasons: Counter[str] = field(default_factory=Counter)  # not_found / none_of_these → times
    last_asked: datetime | None = None
    nearest: MatchResult | None = None

    @property
    def nearest_id(self) -> str | None:
        """The entry the current matcher answers with, else suggests first, else ranks first."""
        result = self.nearest
        if result is None:
            return None
        if result.answer_id:
            return result.answer_id
        if result.suggestions:
            return result.suggestions[0]
        return result.candidates[0].entry_id if result.candidates else None

    def other_wordings(self, limit: int = 3) -> list[str]:
        return [w for w, _ in self.wordings.most_common() if w != self.representative][:limit]


def group_unanswered(questions: Iterable[UnansweredQuestion], matcher: Matcher,
                     threshold: float = DEFAULT_THRESHOLD) -> list[UnansweredGroup]:
    """Groups of similar questions, most asked first (ties: most recently asked first)."""
    by_folded: dict[str, list[UnansweredQuestion]] = {}
    for q in questions:
        folded = matcher.normalizer.fold(q.question) or q.question.strip()
        if folded:
            by_folded.setdefault(folded, []).append(q)
    groups: list[UnansweredGroup] = []
    folded_reps: list[str] = []
    bag_reps: list[str] = []
    # Most frequent forms first, so a group is represented by how residents usually put it.
    for folded, asked in sorted(by_folded.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        as_written = process.extractOne(folded, folded_reps, scorer=fuzz.ratio, score_cutoff=threshold)
        sorted_view = process.extractOne(_bag(folded), bag_reps, scorer=fuzz.ratio, score_cutoff=threshold)
        best = max((m for m in (as_written, sorted_view) if m), key=lambda m: (m[1], -m[2]), default=None)
        if best is None:
            group = UnansweredGroup(representative=Counter(q.question for q in asked).most_common(1)[0][0],
                                    folded=folded)
            groups.append(group)
            folded_reps.append(folded)
            bag_reps.append(_bag(folded))
        else:
            group = groups[best[2]]
        group.count += len(asked)
        group.wordings.update(q.question for q in asked)
        group.reasons.update(q.reason for q in asked)
        latest = max(q.asked_at for q in asked)
        group.last_asked = latest if group.last_asked is None else max(group.last_asked, latest)
    for group in groups:
        group.nearest = matcher.match(group.representative)
    return sorted(groups, key=lambda g: (-g.count, -(g.last_asked.timestamp() if g.last_asked else 0)))
