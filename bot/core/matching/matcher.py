"""Find the entry a resident's question is about: answer, suggest ("did you mean"), or not found.

1. Fold the question (:mod:`bot.core.matching.normalize`).
2. Candidates from two BM25 character n-gram indexes (:mod:`bot.core.matching.index`), each with bounded cost:
   one over every phrasing (questions, title variants, keywords), one over whole entries (all phrasings plus the
   answer text), so an entry whose answer mentions what the resident asks about is found even when none of its
   phrasings does.
3. Each candidate entry gets one 0-100 score from three views (weights chosen on benchmarks/eval/dev.yaml):
   - *coverage*: the share of the question's idf mass found anywhere in the entry (phrasings or answer). It is
     what separates an uncovered question (护照, 羽毛球馆: a rare word no entry has) from a covered one; rare
     characters weigh more than 的/怎么;
   - *containment*: rapidfuzz ``partial_ratio`` of the best phrasing, i.e. "the question contains a keyword or
     title almost exactly";
   - *similarity*: the best phrasing's idf-weighted n-gram Dice averaged with rapidfuzz ``ratio`` (character
     edit similarity on the folded strings; forgives typos the n-grams miss).
   ``WRatio`` and ``token_set_ratio`` were measured and left out: on unspaced Chinese they saturate on partial
   overlaps (benchmarks/README.md).
4. Decision: an **answer** needs a high score, a clear margin over the runner-up *entry*, enough of the question
   covered, and at least one single view preferring the same entry. Anything weaker with a meaningful score
   becomes **suggest** (up to three entries close to the best); the rest **not found**.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from rapidfuzz import fuzz
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

    phrasing_candidates: int = 40   # phrasings taken from the phrasing index
    entry_candidates: int = 20      # entries taken from the whole-entry index
    rescored_entries: int = 12      # entries whose every phrasing is compared with rapidfuzz
    coverage_weight: float = 0.5
    containment_weight: float = 0.3
    similarity_weight: float = 0.2
    max_query_chars: int = 120      # folded question length used for matching
    strip_chatter: bool = True      # drop 請問/謝謝/嗎… before matching (normalize.CHATTER)
    answer_score: float = 48.0      # an answer needs at least this score …
    answer_margin: float = 2.0      # … this many points over the runner-up entry …
    answer_coverage: float = 0.25   # … this share of the question's idf mass found in the entry …
    answer_reverse: float = 0.6     # … this share of one phrasing's idf mass found in the question …
    answer_agreement: int = 2       # … and this many single views (of three) preferring the same entry
    suggest_score: float = 40.0     # an entry is offered as "did you mean" from this score …
    suggest_window: float = 15.0    # … when within this many points of the best entry
    max_suggestions: int = 3


class _Scored(NamedTuple):
    """One candidate entry's score and the views behind it (each 0-1)."""

    score: float
    coverage: float
    containment: float
    similarity: float
    reverse: float  # the largest share of one phrasing's idf mass the question contains
    entry: int


class Matcher:
    """Matches questions against one knowledge base; build once, call :meth:`match` from any thread."""

    def __init__(self, kb: KnowledgeBase, settings: MatchSettings | None = None):
        """Fold every phrasing and answer of every entry and index them."""
        self.kb = kb
        self.settings = s = settings or MatchSettings()
        self.normalizer = Normalizer(kb.synonyms, strip_chatter=s.strip_chatter)
        fold = self.normalizer.fold
        self._entry_ids: list[str] = [e.id for e in kb.entries]
        # Folded community names (沿河社區 → 沿河社区 and 沿河), to tell whether a question says which one it means.
        self._places: list[tuple[str, ...]] = [_place_names(e, fold) for e in kb.entries]
        texts: list[str] = []
        owners: list[int] = []
        self._first: list[int] = []  # entry n's phrasings are texts[_first[n]:_first[n + 1]]
        entry_docs: list[str] = []
        for number, entry in enumerate(kb.entries):
            self._first.append(len(texts))
            phrasings = [f for f in dict.fromkeys(fold(p) for p in _phrasings(entry)) if f]
            texts.extend(phrasings)
            owners.extend([number] * len(phrasings))
            answers = dict.fromkeys(fold(a) for a in entry.answer.variants())
            entry_docs.append("\n".join([*phrasings, *answers]))
        self._first.append(len(texts))
        self._texts = texts
        self._owners = owners
        self.phrasings = PhraseIndex(texts)
        self.entries = PhraseIndex(entry_docs)

    @property
    def phrasing_count(self) -> int:
        """How many distinct folded phrasings are indexed."""
        return len(self._texts)

    def match(self, query: str) -> MatchResult:
        """Decide between answer, suggest and not found for one question."""
        s = self.settings
        folded, ranked = self._rank(query)
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
            and best.reverse >= s.answer_reverse
            and _agreeing_views(ranked) >= s.answer_agreement
            and not self._place_unnamed(folded, ranked)
        ):
            return MatchResult(query, "answer", self._entry_ids[best.entry], score, (), candidates)
        floor = max(s.suggest_score, best.score - s.suggest_window)
        suggestions = tuple(self._entry_ids[r.entry] for r in ranked[: s.max_suggestions] if r.score >= floor)
        if suggestions:
            return MatchResult(query, "suggest", None, score, suggestions, candidates)
        return MatchResult(query, "not_found", None, score, (), candidates)

    def rank(self, query: str, limit: int = 10) -> list[Candidate]:
        """Entries best first with their 0-100 scores (the ranking behind :meth:`match`; used by evaluations)."""
        return [Candidate(self._entry_ids[r.entry], round(r.score, 2)) for r in self._rank(query)[1][:limit]]

    def _place_unnamed(self, folded: str, ranked: list[_Scored]) -> bool:
        """Whether the best entry belongs to a community the question does not name while a close runner-up
        belongs to another one (健身房幾點開門 with a gym in 積善 and one in 正達): ask, do not guess."""
        places = self._places[ranked[0].entry]
        if not places or any(place in folded for place in places):
            return False
        floor = ranked[0].score - self.settings.suggest_window
        return any(self._places[r.entry] and self._places[r.entry] != places
                   for r in ranked[1:] if r.score >= floor)

    def _rank(self, query: str) -> tuple[str, list[_Scored]]:
        """The folded question, and candidate entries scored, best first (ties: knowledge-base order)."""
        s = self.settings
        folded = self.normalizer.fold(query[:MAX_RAW_CHARS])[: s.max_query_chars]
        if not folded:
            return folded, []
        entry_terms = self.entries.query_terms(folded)
        phrase_terms = self.phrasings.query_terms(folded)
        if entry_terms.mass <= 0:
            return folded, []
        # Coverage of every candidate entry: cheap, from the whole-entry forward index.
        coverage: dict[int, float] = {}
        for doc, _ in self.phrasings.search(phrase_terms, s.phrasing_candidates):
            coverage[self._owners[doc]] = 0.0
        for entry, _ in self.entries.search(entry_terms, s.entry_candidates):
            coverage[entry] = 0.0
        for entry in coverage:
            coverage[entry] = self.entries.overlap(entry, entry_terms) / entry_terms.mass
        # Rapidfuzz on every phrasing of the best-covered entries only: it is the costly part.
        shortlist = sorted(coverage, key=lambda e: (-coverage[e], e))[: s.rescored_entries]
        scored = []
        for entry in shortlist:
            containment = similarity = reverse = 0.0
            for doc in range(self._first[entry], self._first[entry + 1]):
                text = self._texts[doc]
                matched = self.phrasings.overlap(doc, phrase_terms)
                doc_mass = self.phrasings.doc_mass[doc]
                dice = 2.0 * matched / (phrase_terms.mass + doc_mass) if matched else 0.0
                containment = max(containment, fuzz.partial_ratio(folded, text) / 100.0)
                similarity = max(similarity, 0.5 * dice + 0.5 * Indel.normalized_similarity(folded, text))
                reverse = max(reverse, matched / doc_mass if doc_mass else 0.0)
            score = 100.0 * (s.coverage_weight * coverage[entry] + s.containment_weight * containment
                             + s.similarity_weight * similarity)
            scored.append(_Scored(score, coverage[entry], containment, similarity, reverse, entry))
        return folded, sorted(scored, key=lambda r: (-r.score, r.entry))


def _agreeing_views(ranked: list[_Scored]) -> int:
    """How many of the three views, each on its own, would also rank the top entry first."""
    top = ranked[0]
    others = [r for r in ranked[1:] if r.entry != top.entry]
    return sum(
        all(getattr(r, view) <= getattr(top, view) + 1e-9 for r in others)  # a tie does not disagree
        for view in ("coverage", "containment", "similarity")
    )


def _place_names(entry: Entry, fold) -> tuple[str, ...]:
    """The folded names of an entry's community, with and without the trailing 社区 (residents say 沿河)."""
    if entry.community is None:
        return ()
    names = set()
    for variant in entry.community.variants():
        folded = fold(variant)
        if folded:
            names.add(folded)
            short = folded.removesuffix("社区")
            if len(short) >= 2:
                names.add(short)
    return tuple(sorted(names))


def _phrasings(entry: Entry) -> list[str]:
    """Everything a resident might type to mean ``entry``: its questions, every title variant, its keywords."""
    return [*entry.questions, *entry.title.variants(), *entry.keywords]
