"""Find the entry a resident's question is about: answer, suggest ("did you mean"), or not found.

Steps 1-3 (folding, candidates, the four-view score) are :mod:`bot.core.matching.evidence`; this module decides.

4. Decision: a logistic regression over the evidence (:data:`FEATURES`, :data:`WEIGHTS`, fitted by
   benchmarks/fit_decision.py) estimates P(the best entry is right and the question is in scope); the bot
   **answers** when P ≥ ``answer_probability`` and three hard rules hold: the best entry leads the runner-up by
   ``answer_margin`` points (two entries with the same phrasing are never a coin toss), the question does not
   name another community than the entry's, and for an entry of one community the question names it unless no
   close runner-up belongs to another (健身房幾點開門 with a gym in 積善 and one in 正達: ask). Anything weaker
   with a meaningful score becomes **suggest** (up to three entries close to the best); the rest **not found**.
   A threshold alone separates off-topic questions but not in-domain ones the base does not cover
   (benchmarks/README.md).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np

from bot.core.knowledge.model import KnowledgeBase
from bot.core.matching.decision import (
    COVERED,
    LENGTH_CAP,
    LONG,
    answer_probability,
    hybrid_probability,
)
from bot.core.matching.embedding import Progress, Semantic
from bot.core.matching.evidence import HAN, MAX_RAW_CHARS, Evidence, IndexedKnowledge, Scored, Wording
from bot.core.matching.result import Candidate, MatchResult

__all__ = ["MAX_RAW_CHARS", "MatchSettings", "Matcher"]


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """The matcher's constants, chosen on benchmarks/eval/dev.yaml and held-out phrasings (benchmarks/README.md).
    Each lexical one was set to its neutral value in turn (0, off, a round number) and kept only where that cost
    right answers, added wrong ones or broke a tested behaviour, with the model or without (benchmarks/README.md,
    "Ablations")."""

    entry_candidates: int = 12      # entries from the whole-entry index (each phrasing compared with rapidfuzz)
    coverage_weight: float = 0.5
    containment_weight: float = 0.2
    similarity_weight: float = 0.1
    explained_weight: float = 0.2
    strip_places: bool = True       # take community names out of texts and questions (only place rules see them)
    place_penalty: float = 30.0     # points off an entry of another community than the one the question names
    place_bonus: float = 10.0       # points for an entry of the community the question names
    twin_window: float = 50.0       # a twin (same facility, another community) this close to the best makes the bot ask
    max_query_chars: int = 120      # folded question length used for matching
    strip_chatter: bool = True      # drop 請問/謝謝/嗎… before matching (normalize.CHATTER)
    repair_homophones: bool = True  # swap a character that fits no neighbour for a same-sounding one (pinyin.py)
    repair_edge_weight: float = 2.0  # a repair at the edge of the text needs a pair in this many entries …
    repair_one_sided: float = 3.0   # … one that fits only one of two neighbours, a pair in this many
    answer_probability: float = 0.48  # answer when the decision model's P(best entry is right) reaches this …
    answer_margin: float = 2.0      # … and the best entry is at least this many points ahead of the runner-up
    suggest_score: float = 30.0     # an entry is offered as "did you mean" from this score …
    suggest_window: float = 15.0    # … when within this many points of the best entry
    max_suggestions: int = 3
    # With the meaning-level model (the normal case):
    cosine_weight: float = 2.0      # ranking: lexical score (0-100) + this × 100 × (phrasing + answer cosine)
    dense_candidates: int = 5       # entries with the best cosines, rescored beside the lexical candidates
    hybrid_answer: float = 0.51     # answer when the hybrid model's P(best entry is right) reaches this …
    hybrid_suggest: float = 0.03    # … offer "did you mean" buttons from this P (both by fit_hybrid.py's rule)
    lexical_decisive: float = 0.8   # the lexical model's P from which the wording alone decides (no model call)


class Matcher(IndexedKnowledge):
    """Matches questions against one knowledge base; build once, call :meth:`match` from any thread."""

    def __init__(self, kb: KnowledgeBase, settings: MatchSettings | None = None, semantic: Semantic | None = None,
                 progress: Progress | None = None):
        """Fold every phrasing and answer of every entry and index them; with ``semantic``, embed them too (only the
        texts its cache does not hold; ``progress(done, total)`` is called between batches)."""
        super().__init__(kb, settings or MatchSettings(), semantic, progress)

    @property
    def phrasing_count(self) -> int:
        """How many distinct folded phrasings are indexed."""
        return len(self._texts)

    def question_vector(self, query: str) -> np.ndarray | None:
        """The question's meaning-level vector (a model call unless recently asked), or None without the model."""
        return self.dense.semantic.question(query[:MAX_RAW_CHARS]) if self.dense is not None else None

    async def match_async(self, query: str) -> MatchResult:
        """:meth:`match` for the event loop: the model runs in a worker thread (the call releases the interpreter
        lock), so other residents are served meanwhile; a question asked recently, or one whose wording alone is
        decisive, needs no model call at all."""
        if self.dense is None:
            return self.match(query)
        wording = self._wording(query)
        decisive = self._decisive_wording(query, wording)
        if decisive is not None:
            return decisive
        text = query[:MAX_RAW_CHARS]
        vector = self.dense.semantic.cached_question(text)
        if vector is None:
            vector = await asyncio.to_thread(self.dense.semantic.question, text)
        return self._hybrid_decision(query, self._scored(wording, vector))

    def match(self, query: str, vector: np.ndarray | None = None) -> MatchResult:
        """Decide between answer, suggest and not found for one question (``vector``: its meaning-level vector,
        computed here when the model runs, the wording is not decisive and none is given)."""
        if self.dense is None:
            return self._lexical_decision(query, self._evidence(query))
        wording = self._wording(query)
        decisive = self._decisive_wording(query, wording)
        if decisive is not None:
            return decisive
        return self._hybrid_decision(query, self._scored(wording, vector if vector is not None
                                                         else self.question_vector(query)))

    def _decisive_wording(self, query: str, wording: Wording) -> MatchResult | None:
        """The lexical answer when the lexical model alone is sure enough (``lexical_decisive``) that the model
        would not change it. Measured on 1,852 development questions (districts C-F, the thin and the full sample):
        skipping the model at P ≥ 0.8 changed 7 outcomes, each to the lexical answer, which was the right entry
        every time (at 0.7: 15, one of them wrong); it skips the model for 25-29 % of a new district's questions
        and 62 % of the sample's (0.9: 14-21 % and 51 %)."""
        evidence = self._scored(wording)
        if (evidence.ranked and self._answerable(evidence)
                and answer_probability(self._features(evidence)) >= self.settings.lexical_decisive):
            return self._lexical_decision(query, evidence)
        return None

    def _lexical_decision(self, query: str, evidence: Evidence) -> MatchResult:
        """Answer, suggest or not found from the lexical model alone (the bot without the meaning-level model)."""
        s, ranked = self.settings, evidence.ranked
        if not ranked:
            return MatchResult(query=query, outcome="not_found", answer_id=None, score=0.0)
        best = ranked[0]
        candidates = tuple(Candidate(self._entry_ids[r.entry], _shown(r.score)) for r in ranked[:5])
        score = _shown(best.score)
        if self._answerable(evidence) and answer_probability(self._features(evidence)) >= s.answer_probability:
            return MatchResult(query, "answer", self._entry_ids[best.entry], score, (), candidates)
        floor = max(s.suggest_score, best.score - s.suggest_window)
        offered = [r.entry for r in ranked if r.score >= floor]
        # the same facility in another community is always among the choices ("which library do you mean?")
        offered[1:1] = [r.entry for r in self._close_twins(evidence) if r.entry not in offered]
        suggestions = tuple(self._entry_ids[entry] for entry in offered[: s.max_suggestions])
        if suggestions:
            return MatchResult(query, "suggest", None, score, suggestions, candidates)
        return MatchResult(query, "not_found", None, score, (), candidates)

    def _hybrid_decision(self, query: str, evidence: Evidence) -> MatchResult:
        """Answer, suggest or not found from the hybrid model's estimate for the best entry; every candidate's score
        is that estimate for it (0-100), so staff tools show how sure the bot was."""
        s, ranked = self.settings, evidence.ranked
        if not ranked:
            return MatchResult(query=query, outcome="not_found", answer_id=None, score=0.0)
        shown = [(r.entry, round(100.0 * hybrid_probability(self._hybrid_features(evidence, n)), 2))
                 for n, r in enumerate(ranked[:5])]
        candidates = tuple(Candidate(self._entry_ids[entry], score) for entry, score in shown)
        probability = shown[0][1] / 100.0
        best_id = self._entry_ids[ranked[0].entry]
        if probability >= s.hybrid_answer and self._answerable(evidence):
            return MatchResult(query, "answer", best_id, shown[0][1], (), candidates)
        if probability < s.hybrid_suggest:
            return MatchResult(query, "not_found", None, shown[0][1], (), candidates)
        offered = [r.entry for r in ranked[: s.max_suggestions]]
        offered[1:1] = [r.entry for r in self._close_twins(evidence) if r.entry not in offered]
        suggestions = tuple(self._entry_ids[entry] for entry in offered[: s.max_suggestions])
        return MatchResult(query, "suggest", None, shown[0][1], suggestions, candidates)

    def rank(self, query: str, limit: int = 10, vector: np.ndarray | None = None) -> list[Candidate]:
        """Entries best first with their ranking scores (the ranking behind :meth:`match`; for evaluations)."""
        evidence = self._evidence(query, vector if vector is not None else self.question_vector(query))
        shown = _shown if evidence.cosines is None else (lambda score: round(score, 2))
        return [Candidate(self._entry_ids[r.entry], shown(r.score)) for r in evidence.ranked[:limit]]

    def _answerable(self, evidence: Evidence) -> bool:
        """The hard rules, whatever the model says: a clear lead over the runner-up entry (two entries with the same
        phrasing are a question for staff, not a coin toss), and the place rules."""
        ranked = evidence.ranked
        runner_up = next((r.score for r in ranked[1:] if r.entry != ranked[0].entry), 0.0)
        return (ranked[0].score - runner_up >= self.settings.answer_margin
                and not self._place_unnamed(evidence) and not self._place_conflict(evidence))

    def _place_unnamed(self, evidence: Evidence) -> bool:
        """Whether the best entry belongs to a community the question does not name while a close runner-up
        belongs to another one (健身房幾點開門 with a gym in 積善 and one in 正達): ask, do not guess."""
        ranked = evidence.ranked
        places = self._places[ranked[0].entry]
        if not places or any(place in evidence.named_places for place in places):
            return False
        floor = ranked[0].score - self.settings.suggest_window
        return bool(self._close_twins(evidence)) or any(
            self._places[r.entry] and self._places[r.entry] != places for r in ranked[1:] if r.score >= floor)

    def _close_twins(self, evidence: Evidence) -> list[Scored]:
        """The best entry's twins (:attr:`_twins`) that score within ``twin_window`` of it, when the question names
        no community of theirs or the best entry's."""
        ranked = evidence.ranked
        twins = self._twins.get(ranked[0].entry, ())
        if not twins or any(p in evidence.named_places for e in (ranked[0].entry, *twins) for p in self._places[e]):
            return []
        floor = max(self.settings.suggest_score, ranked[0].score - self.settings.twin_window)
        return [r for r in ranked[1:] if r.entry in twins and r.score >= floor]

    def _place_conflict(self, evidence: Evidence) -> bool:
        """Whether the question names a community and the best entry belongs to another one (沿河圖書室 must not
        be answered with 明園's library, even when 沿河 has none in the base)."""
        places = self._places[evidence.ranked[0].entry]
        return bool(places and evidence.named_places) and not any(p in evidence.named_places for p in places)

    def _features(self, evidence: Evidence) -> tuple[float, ...]:
        """The decision's inputs for the best entry (:data:`FEATURES` names them, in order): its score and lead over
        the runner-up (0-1), its views, the share of the question no entry knows, repairs made, whether the
        question is Latin-only, the step feature, whether the question names the entry's community, the pair
        evidence (:meth:`_pair_evidence`), its coverage lead over the runner-up, and the question's length."""
        ranked = evidence.ranked
        best = ranked[0]
        others = [r for r in ranked[1:] if r.entry != best.entry]
        margin = (best.score - (others[0].score if others else 0.0)) / 100.0
        return (
            best.score / 100.0,
            margin,
            best.coverage,
            best.containment,
            best.reverse,
            best.explained,
            evidence.unknown_share,
            min(evidence.repairs, 3) / 3.0,
            float(not HAN.search(evidence.folded)),
            float(best.coverage >= COVERED),
            float(any(p in evidence.named_places for p in self._places[best.entry])),
            *self._pair_evidence(evidence),
            best.coverage - (others[0].coverage if others else 0.0),
            min(len(evidence.folded), LENGTH_CAP) / LENGTH_CAP,
            float(len(evidence.folded) >= LONG),
        )

    def _hybrid_features(self, evidence: Evidence, position: int = 0) -> tuple[float, ...]:
        """The hybrid model's inputs (:data:`~bot.core.matching.decision.HYBRID_FEATURES`, in order) for the entry
        ranked at ``position``: its lexical lead over the best other entry; its answer cosine and that cosine's
        lead over every other entry; how far its combined cosine stands above the question's cosines with the
        whole base (in standard deviations: some questions are close to everything); its coverage; the share of
        the question no entry knows; and the question's length. (The phrasing view ranks, and counts here through
        the combined cosine; its own cosine and lead added nothing the fit could use: benchmarks/README.md.)"""
        assert evidence.cosines is not None
        ranked, cosines = evidence.ranked, evidence.cosines
        this = ranked[position]
        lexical_others = max((r.lexical for r in ranked if r.entry != this.entry), default=0.0)
        return (
            (this.lexical - lexical_others) / 100.0,
            this.answer_cosine,
            cosines.answer_lead(this.entry),
            (float(cosines.total[this.entry]) - cosines.mean) / cosines.spread,
            this.coverage,
            evidence.unknown_share,
            min(len(evidence.folded), LENGTH_CAP) / LENGTH_CAP,
        )


def _shown(score: float) -> float:
    """A score as results report it: 0-100 (the place bonus can lift the internal one above 100), 2 decimals."""
    return round(min(max(score, 0.0), 100.0), 2)
