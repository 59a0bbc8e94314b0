"""What the decision looks at for one question: the question folded, and candidate entries scored.

1. Fold the question (:mod:`bot.core.matching.normalize`), repairing homophone typos on the way
   (:mod:`bot.core.matching.pinyin`: 低寶金 → 低保金). Community names (沿河, 明園…) are taken out of the question and
   of every indexed text: they say *where*, not *what*, and only the place rules
   (:mod:`bot.core.matching.matcher`) look at them.
2. Candidates from a BM25 character n-gram index over whole entries (:mod:`bot.core.matching.index`, bounded
   cost): all phrasings plus the answer's Chinese text (:func:`_indexed_answers`), so an entry whose answer mentions
   what the resident asks about is found even when none of its phrasings does. A second index over every phrasing
   (questions, title variants, keywords) weighs each phrasing's terms for the views below.
3. Each candidate entry gets one 0-100 score from four views (weights chosen on dev + held-out phrasings):
   - *coverage*: the share of the question's idf mass found anywhere in the entry (phrasings or answer). It is
     what separates an uncovered question (护照, 羽毛球馆: a rare word no entry has) from a covered one; rare
     characters weigh more than 的/怎么;
   - *containment*: rapidfuzz ``partial_ratio`` of the best phrasing, i.e. "the question contains a keyword or
     title almost exactly";
   - *similarity*: the best phrasing's idf-weighted n-gram Dice averaged with rapidfuzz ``ratio`` (character
     edit similarity on the folded strings; forgives typos the n-grams miss);
   - *explained*: the share of the question's idf mass that one phrasing accounts for when the question contains
     all of it (低保一个月多少钱 holds the keyword 低保 whole; an entry matching only 一个月多少钱 in its answer
     does not).
   An entry of the community the question names gains ``place_bonus`` points, one of another community loses
   ``place_penalty``. ``WRatio`` and ``token_set_ratio`` were measured and left out: on unspaced Chinese they
   saturate on partial overlaps (benchmarks/README.md).
"""
from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from bot.core.knowledge.model import Entry, KnowledgeBase
from bot.core.matching.dense import Cosines, DenseIndex
from bot.core.matching.embedding import Progress, Semantic
from bot.core.matching.index import PhraseIndex, QueryTerms, tokenize
from bot.core.matching.normalize import UNSPACED, Normalizer
from bot.core.matching.pinyin import repair

if TYPE_CHECKING:
    from bot.core.matching.matcher import MatchSettings


#: A question is cut to this many characters before folding: nobody asks a question this long, and it keeps a
#: pasted 5,000-character text from costing more than a normal question.
MAX_RAW_CHARS = 400
HAN = re.compile(f"[{UNSPACED}]")
_WHOLE = 1.0 - 1e-9  # a phrasing is wholly contained when the question holds all its idf mass (float sums)


class Scored(NamedTuple):
    """One candidate entry's score and the views behind it (each 0-1)."""

    score: float  # what ranks the entries: the lexical score, plus the weighted cosine when there is one
    coverage: float
    containment: float
    similarity: float
    reverse: float  # the largest share of one phrasing's idf mass the question contains
    explained: float  # the largest share of the question's idf mass one phrasing explains when wholly contained
    entry: int
    lexical: float = 0.0  # the lexical score alone, 0-100
    cosine: float = 0.0  # meaning-level: the best cosine of the entry's phrasings with the question (0-1)
    answer_cosine: float = 0.0  # meaning-level: the cosine of the entry's title and answer with the question


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything the decision looks at for one question."""

    folded: str
    repairs: int               # homophone typos repaired (pinyin.repair)
    ranked: list[Scored]       # best first
    unknown_share: float       # share of the question's idf mass in terms no entry contains
    named_places: frozenset[str]  # the knowledge base's community names the question mentions
    cosines: Cosines | None = None  # every entry's meaning-level scores, when the model runs



@dataclass(frozen=True, slots=True)
class Wording:
    """What a question's wording gives, gathered once: the lexical pass and the meaning-level pass after it share
    the folding, the index searches and every entry's lexical scores."""

    folded: str
    repairs: int
    named: frozenset[str]
    entry_terms: QueryTerms
    phrase_terms: QueryTerms
    candidates: tuple[int, ...]  # the entries the whole-entry index found
    coverage: dict[int, float]   # entry → coverage: the candidates', then any the meaning-level pass asked for
    scored: dict[int, Scored]    # entry → its lexical score and views (cosines 0), for the entries scored so far


class IndexedKnowledge:
    """One knowledge base folded and indexed; :meth:`_evidence` gathers what the decision looks at for a question."""

    def __init__(self, kb: KnowledgeBase, settings: MatchSettings, semantic: Semantic | None = None,
                 progress: Progress | None = None):
        """Fold every phrasing and answer of every entry and index them; with ``semantic``, embed them too (only the
        texts its cache does not hold; ``progress(done, total)`` is called between batches)."""
        self.kb = kb
        self.settings = s = settings
        self.normalizer = Normalizer(kb.synonyms, strip_chatter=s.strip_chatter)
        self._entry_ids: list[str] = [e.id for e in kb.entries]
        # Folded community names (沿河社區 → 沿河社区 and 沿河), to tell whether a question says which one it means.
        self._places: list[tuple[str, ...]] = [_place_names(e, self.normalizer.fold) for e in kb.entries]
        self._all_places: tuple[str, ...] = tuple(sorted({p for places in self._places for p in places}))
        # Community names say where, not what: they are taken out of every indexed text and of the question, and
        # only the place rules look at them (otherwise 國泰民安 alone would make 國泰民安食堂 look like an answer
        # to "國泰民安公益站有免費理髮嗎").
        self._place_re = (re.compile("|".join(map(re.escape, sorted(self._all_places, key=lambda p: (-len(p), p)))))
                          if self._all_places and s.strip_places else None)
        fold = self._fold_content
        texts: list[str] = []
        self._first: list[int] = []  # entry n's phrasings are texts[_first[n]:_first[n + 1]]
        entry_docs: list[str] = []
        for entry in kb.entries:
            self._first.append(len(texts))
            phrasings = [f for f in dict.fromkeys(fold(p) for p in _phrasings(entry)) if f]
            texts.extend(phrasings)
            answers = dict.fromkeys(fold(a) for a in _indexed_answers(entry))
            entry_docs.append("\n".join([*phrasings, *answers]))
        self._first.append(len(texts))
        # Twins: entries of different communities with the same title once the community is taken out (沿河社區圖書室
        # and 明園社區圖書室). One of them matching "圖書室幾點開門" exactly says nothing about which one is meant.
        by_title: dict[str, list[int]] = {}
        for number, entry in enumerate(kb.entries):
            if self._places[number]:
                by_title.setdefault(fold(entry.title.variants()[0]), []).append(number)
        self._twins: dict[int, tuple[int, ...]] = {
            n: tuple(t for t in group if t != n) for group in by_title.values() if len(group) > 1 for n in group}
        self._texts = texts
        self.phrasings = PhraseIndex(texts)
        self.entries = PhraseIndex(entry_docs)
        # Pairs a repaired typo may form: those of the indexed text, plus those of every synonym as written (the
        # index holds only each group's first word; repair runs before synonyms are folded) and of every community
        # name (taken out of the index, but 沿河 must not be "repaired" into something the index knows).
        self._extra_pairs: dict[str, int] = {}
        words = [w for group in kb.synonyms for w in group]
        for word in [*map(self.normalizer.base, words), *self._all_places]:
            for a, b in zip(word, word[1:], strict=False):
                self._extra_pairs[a + b] = self._extra_pairs.get(a + b, 0) + 1
        self.dense = (DenseIndex(kb.entries, [_phrasings(e) for e in kb.entries],
                                 [_indexed_answers(e) for e in kb.entries], semantic, progress)
                      if semantic is not None else None)

    def _fold_query(self, query: str) -> tuple[str, int]:
        """The folded question and how many homophone typos were repaired on the way."""
        s = self.settings
        text = self.normalizer.base(query[:MAX_RAW_CHARS])
        repairs = 0
        if s.repair_homophones and text:
            text, repairs = repair(text, self._pair_weight, self.normalizer.chatter_positions(text),
                                   s.repair_edge_weight, s.repair_one_sided)
        return self.normalizer.finish(text)[: s.max_query_chars], repairs

    def _fold_content(self, text: str) -> str:
        """A knowledge-base text folded, community names taken out."""
        folded = self.normalizer.fold(text)
        return (self._place_re.sub("", folded) or folded) if self._place_re is not None else folded

    def _pair_weight(self, pair: str) -> float:
        """How common a two-character string is in the knowledge base (entries containing it, plus synonyms and
        community names containing it)."""
        return self.entries.document_frequency(pair) + self._extra_pairs.get(pair, 0)

    def _evidence(self, query: str, vector: np.ndarray | None = None) -> Evidence:
        """The folded question, and candidate entries scored, best first (ties: knowledge-base order). With the
        question's ``vector``, the entries closest in meaning join the candidates and the cosine joins the score."""
        return self._scored(self._wording(query), vector)

    def _wording(self, query: str) -> Wording:
        """What the question's wording alone gives: folded, its terms, the lexical candidates and their coverage
        (the share of the question's idf mass each entry holds; cheap, from the whole-entry index)."""
        s = self.settings
        folded, repairs = self._fold_query(query)
        named = frozenset(p for p in self._all_places if p in folded)
        if named and self._place_re is not None:
            folded = self._place_re.sub("", folded) or folded
        entry_terms = self.entries.query_terms(folded)
        phrase_terms = self.phrasings.query_terms(folded)
        # Candidates from the whole-entry index only: it holds every phrasing too, and the best 40 phrasings of the
        # phrasing index added no right answer (benchmarks/README.md, "Ablations").
        candidates = tuple(entry for entry, _ in self.entries.search(entry_terms, s.entry_candidates))
        wording = Wording(folded, repairs, named, entry_terms, phrase_terms, candidates, {}, {})
        self._cover(wording, list(candidates))
        return wording

    def _cover(self, wording: Wording, entries: list[int]) -> None:
        """Add the coverage of ``entries`` to ``wording``."""
        terms = wording.entry_terms
        shared = self.entries.overlaps([(entry, entry + 1) for entry in sorted(entries)], terms)
        for entry in entries:
            wording.coverage[entry] = shared.get(entry, 0.0) / terms.mass if terms.mass > 0 else 0.0

    def _scored(self, wording: Wording, vector: np.ndarray | None = None) -> Evidence:
        """:meth:`_evidence` from the question's ``wording``; the entries it has already scored are not scored
        again (the bot first asks whether the wording alone decides, then adds the meaning-level evidence)."""
        s, w = self.settings, wording
        cosines = self.dense.cosines(vector) if self.dense is not None and vector is not None else None
        if cosines is None and (not w.folded or w.entry_terms.mass <= 0):
            return Evidence(w.folded, w.repairs, [], 0.0, w.named)
        closest: list[int] = []
        if cosines is not None:
            closest = [int(e) for e in np.argsort(-cosines.total, kind="stable")[: s.dense_candidates]]
            self._cover(w, [entry for entry in closest if entry not in w.coverage])
        shortlist = sorted({*w.candidates, *closest})
        self._score_wording(w, [entry for entry in shortlist if entry not in w.scored])
        scored = []
        for entry in shortlist:
            lexical = w.scored[entry]
            cosine = float(cosines.phrasings[entry]) if cosines is not None else 0.0
            answer_cosine = float(cosines.answers[entry]) if cosines is not None else 0.0
            ranking = lexical.score + 100.0 * s.cosine_weight * (cosine + answer_cosine)
            scored.append(lexical._replace(score=ranking, cosine=cosine, answer_cosine=answer_cosine))
        terms = w.entry_terms
        unknown = 1.0 - sum(terms.known.values()) / terms.mass if terms.mass > 0 else 1.0
        return Evidence(w.folded, w.repairs, sorted(scored, key=lambda r: (-r.score, r.entry)), unknown, w.named,
                        cosines)

    def _score_wording(self, wording: Wording, entries: list[int]) -> None:
        """Score ``entries`` on the four lexical views (0-100 with the place rules) into ``wording.scored``."""
        s, folded, named = self.settings, wording.folded, wording.named
        first, texts, doc_mass, mass = self._first, self._texts, self.phrasings.doc_mass, wording.phrase_terms.mass
        # The term overlap of every shortlisted phrasing that shares a term with the question (on the sample
        # knowledge base, two in three share none).
        matched_in = self.phrasings.overlaps(sorted((first[e], first[e + 1]) for e in entries), wording.phrase_terms)
        sharing = list(matched_in)  # ascending
        for entry in entries:
            lo, hi = first[entry], first[entry + 1]
            phrasings = texts[lo:hi]
            # Only each view's best phrasing counts, so rapidfuzz gets the entry's phrasings as one list: one C call
            # instead of one per phrasing, and extractOne lets a comparison stop once it cannot beat the best so far.
            best_partial = process.extractOne(folded, phrasings, scorer=fuzz.partial_ratio)
            best_edit = process.extractOne(folded, phrasings, scorer=Indel.normalized_similarity)
            containment = best_partial[1] / 100.0 if best_partial else 0.0
            # A phrasing sharing no term with the question has Dice 0: its similarity is half its edit similarity,
            # and a sharing one's is no less than half of its own, so half the entry's best edit similarity stands
            # for every phrasing sharing nothing. Those add nothing to reverse or explained either: only the
            # sharing ones are scored one by one.
            similarity = 0.5 * best_edit[1] if best_edit else 0.0
            reverse = explained = 0.0
            for doc in sharing[bisect_left(sharing, lo):bisect_left(sharing, hi)]:
                matched, own_mass = matched_in[doc], doc_mass[doc]  # both > 0: the phrasing holds a shared term
                dice = 2.0 * matched / (mass + own_mass)
                similarity = max(similarity, 0.5 * dice + 0.5 * Indel.normalized_similarity(folded, texts[doc]))
                contained = matched / own_mass
                reverse = max(reverse, contained)
                if contained >= _WHOLE:
                    explained = max(explained, matched / mass)
            coverage = wording.coverage[entry]
            score = 100.0 * (s.coverage_weight * coverage + s.containment_weight * containment
                             + s.similarity_weight * similarity + s.explained_weight * explained)
            if named and self._places[entry]:
                if any(p in named for p in self._places[entry]):
                    score += s.place_bonus
                else:
                    score = max(0.0, score - s.place_penalty)
            wording.scored[entry] = Scored(score, coverage, containment, similarity, reverse, explained, entry, score)

    def _pair_evidence(self, evidence: Evidence) -> tuple[float, float]:
        """How much of the question's wording (character pairs and Latin words, not single characters) the best
        entry holds, by idf share, and how specific the most specific pair it lacks is (0-1, 1 for a pair no entry
        has). 健園有網球場嗎 shares 球場 with the basketball court but not 網球: single characters cover it well,
        pairs do not."""
        index = self.entries
        held = index.terms_of(evidence.ranked[0].entry)
        mass = found = missing = 0.0
        # sorted: float sums must not depend on set order (string hashing differs per process)
        for term in sorted(set(tokenize(evidence.folded))):
            if len(term) == 1 and HAN.match(term):
                continue
            tid = index.vocab.get(term)
            idf = index.unknown_idf if tid is None else index.idf[tid]
            mass += idf
            if tid is not None and tid in held:
                found += idf
            else:
                missing = max(missing, idf)
        return (found / mass if mass else 0.0), missing / index.unknown_idf



def _place_names(entry: Entry, fold: Callable[[str], str]) -> tuple[str, ...]:
    """The folded names of an entry's community in every language, with and without the trailing 社区 /
    "community" (residents say 沿河, "Yanhe")."""
    if entry.community is None:
        return ()
    suffixes = (fold("社區"), " " + fold("community"))
    names = set()
    for variant in entry.community.variants():
        folded = fold(variant)
        if folded:
            names.add(folded)
            for suffix in suffixes:
                short = folded.removesuffix(suffix)
                if short != folded and len(short) >= 2:
                    names.add(short)
    return tuple(sorted(names))


def _indexed_answers(entry: Entry) -> tuple[str, ...]:
    """The forms of the answer the whole-entry index holds: every one but an English translation (unless the answer
    is only in English). English questions are matched through the English phrasings and title; the words of an
    English answer would change the coverage the decision sees for every English question, and the decision was
    fitted and measured on a base without them — indexing them wants a refit and a new blind run first."""
    answer = entry.answer
    chinese = ([answer.plain] if answer.plain else []) + [text for lang, text in answer.by_lang.items()
                                                           if lang != "en" and text]
    return tuple(chinese) or answer.variants()


def _phrasings(entry: Entry) -> list[str]:
    """Everything a resident might type to mean ``entry``: its questions, every title variant, its keywords."""
    return [*entry.questions, *entry.title.variants(), *entry.keywords]
