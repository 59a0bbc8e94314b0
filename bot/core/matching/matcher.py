"""Find the entry a resident's question is about: answer, suggest ("did you mean"), or not found.

1. Fold the question (:mod:`bot.core.matching.normalize`).
2. Candidate phrasings from the BM25 character n-gram index (:mod:`bot.core.matching.index`), bounded cost.
3. Rescore each candidate with two independent views and average them into one 0-100 score:
   *lexical* — idf-weighted Dice of the n-grams (how much of the question the phrasing covers and how much of
   the phrasing the question covers; rare characters count more than 的/怎么), and *fuzzy* — rapidfuzz ``ratio``
   on the folded strings (character edit similarity; forgives typos and word order the n-grams miss).
   ``WRatio``/``token_set_ratio`` were measured and left out: they saturate on partial overlaps of unspaced
   Chinese (see benchmarks/README.md).
4. An entry's score is its best phrasing's. The decision uses more than a threshold: an **answer** needs a high
   score, a clear margin over the runner-up *entry*, enough of the question covered, and the two views agreeing
   on the same entry. Anything weaker with a meaningful score becomes **suggest**; the rest **not found**.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from rapidfuzz.distance import Indel

from bot.core.knowledge.model import Entry, KnowledgeBase
from bot.core.matching.index import PhraseIndex
from bot.core.matching.normalize import Normalizer
from bot.core.matching.result import Candidate, MatchResult

#: A question is cut to this many characters before folding: nobody asks a question this long, and it keeps a
#: pasted 5,000-character text from costing more than a normal question.
MAX_RAW_CHARS = 400


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """The matcher's constants. Defaults were chosen on benchmarks/eval/dev.yaml (see benchmarks/README.md)."""

    candidates: int = 40           # phrasings rescored per question
    lexical_weight: float = 0.5    # share of the lexical view in the score; the fuzzy view gets the rest
    max_query_chars: int = 120     # folded question length used for matching
    answer_score: float = 60.0     # an answer needs at least this score …
    answer_margin: float = 8.0     # … this many points over the runner-up entry …
    answer_coverage: float = 0.6   # … this share of the question's idf mass found in the phrasing …
    answer_agreement: bool = True  # … and the lexical and fuzzy views preferring the same entry
    suggest_score: float = 35.0    # an entry is offered as "did you mean" from this score …
    suggest_window: float = 20.0   # … when within this many points of the best entry
    max_suggestions: int = 3


class _Scored(NamedTuple):
    """One entry's best phrasing for a question, with the evidence behind its score."""

    score: float
    lexical: float
    fuzzy: float
    coverage: float
    entry: int


class Matcher:
    """Matches questions against one knowledge base; build once, call :meth:`match` from any thread."""

    def __init__(self, kb: KnowledgeBase, settings: MatchSettings | None = None):
        """Fold every phrasing of every entry (questions, title variants, keywords) and index them."""
        self.kb = kb
        self.settings = settings or MatchSettings()
        self.normalizer = Normalizer(kb.synonyms)
        self._entry_ids: list[str] = [e.id for e in kb.entries]
        texts: list[str] = []
        owners: list[int] = []
        for number, entry in enumerate(kb.entries):
            for folded in dict.fromkeys(self.normalizer.fold(p) for p in _phrasings(entry)):
                if folded:
                    texts.append(folded)
                    owners.append(number)
        self._texts = texts
        self._owners = owners
        self.index = PhraseIndex(texts)

    @property
    def phrasing_count(self) -> int:
        """How many distinct folded phrasings are indexed."""
        return len(self._texts)

    def match(self, query: str) -> MatchResult:
        """Decide between answer, suggest and not found for one question."""
        s = self.settings
        ranked = self._rank(query)
        if not ranked:
            return MatchResult(query=query, outcome="not_found", answer_id=None, score=0.0)
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        candidates = tuple(Candidate(self._entry_ids[r.entry], round(r.score, 2)) for r in ranked[:5])
        score = round(best.score, 2)
        if (
            best.score >= s.answer_score
            and best.score - runner_up >= s.answer_margin
            and best.coverage >= s.answer_coverage
            and (not s.answer_agreement or self._views_agree(ranked))
        ):
            return MatchResult(query, "answer", self._entry_ids[best.entry], score, (), candidates)
        floor = max(s.suggest_score, best.score - s.suggest_window)
        suggestions = tuple(self._entry_ids[r.entry] for r in ranked[: s.max_suggestions] if r.score >= floor)
        if suggestions:
            return MatchResult(query, "suggest", None, score, suggestions, candidates)
        return MatchResult(query, "not_found", None, score, (), candidates)

    def rank(self, query: str, limit: int = 10) -> list[Candidate]:
        """Entries best first with their 0-100 scores (the ranking behind :meth:`match`; used by evaluations)."""
        return [Candidate(self._entry_ids[r.entry], round(r.score, 2)) for r in self._rank(query)[:limit]]

    def _rank(self, query: str) -> list[_Scored]:
        """Every candidate entry, scored by its best phrasing, best first (ties: knowledge-base order)."""
        s = self.settings
        folded = self.normalizer.fold(query[:MAX_RAW_CHARS])[: s.max_query_chars]
        if not folded:
            return []
        terms = self.index.query_terms(folded)
        if terms.mass <= 0:
            return []
        best: dict[int, _Scored] = {}
        doc_mass = self.index.doc_mass
        for doc, _ in self.index.search(terms, s.candidates):
            matched, _bm25 = self.index.overlap(doc, terms)
            q_cov = matched / terms.mass
            d_cov = matched / doc_mass[doc] if doc_mass[doc] else 0.0
            lexical = 2 * q_cov * d_cov / (q_cov + d_cov) if matched else 0.0
            fuzzy = Indel.normalized_similarity(folded, self._texts[doc])
            score = 100.0 * (s.lexical_weight * lexical + (1.0 - s.lexical_weight) * fuzzy)
            entry = self._owners[doc]
            held = best.get(entry)
            if held is None or score > held.score:
                best[entry] = _Scored(score, lexical, fuzzy, q_cov, entry)
        return sorted(best.values(), key=lambda r: (-r.score, r.entry))

    @staticmethod
    def _views_agree(ranked: list[_Scored]) -> bool:
        """Whether the lexical and the fuzzy view, each on its own, would also pick the top entry."""
        top = ranked[0]
        return all(r.lexical <= top.lexical and r.fuzzy <= top.fuzzy for r in ranked[1:] if r.entry != top.entry)


def _phrasings(entry: Entry) -> list[str]:
    """Everything a resident might type to mean ``entry``: its questions, every title variant, its keywords."""
    return [*entry.questions, *entry.title.variants(), *entry.keywords]
