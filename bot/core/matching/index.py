"""An inverted index over folded phrasings: character unigrams + bigrams (Latin words as whole tokens), BM25.

Chinese is written without spaces, so words are approximated by overlapping character bigrams, with unigrams
added so a typo or a one-character word still finds something. Both postings (term → phrasings) and the forward
index (phrasing → terms) are flat ``array`` buffers with offsets (CSR), not per-term Python lists: at 100k
phrasings that is a few bytes per posting instead of ~100.

Each posting also records its term's place among the document's terms, so the overlap of many documents with a
query can be summed from the query's few terms' postings in each document's own term order
(:meth:`PhraseIndex.overlaps`): the same floats as walking every term of every document, at a fraction of the cost.

Query cost is bounded: terms are visited rarest first and a term whose postings would push the traversal past
``posting_budget`` is skipped during candidate generation (it is a very common character or bigram, so it barely
separates phrasings). Skipped terms are not lost: :meth:`PhraseIndex.overlap` scores every candidate exactly from
the forward index.
"""
from __future__ import annotations

import heapq
import math
import re
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, compress, groupby, repeat, starmap
from operator import itemgetter

from bot.core.matching.normalize import UNSPACED

_UNIT = re.compile(rf"[{UNSPACED}]|[^\s{UNSPACED}]+")
_IS_UNSPACED = re.compile(rf"[{UNSPACED}]")
_DOC, _IDF = itemgetter(0), itemgetter(2)  # fields of a PhraseIndex.overlaps hit
#: PhraseIndex.overlaps tests each posting of a term with at most this many postings per span asked for, and
#: binary-searches the postings of a more common one (measured on the sample knowledge base: 4-16 are as fast) …
_SCAN_POSTINGS = 8
#: … unless the documents hold fewer than this many terms per posting it would read: looking up one of a
#: document's terms costs about a third of handling a posting (measured on the sample knowledge base and
#: benchmarks/bench_matching.py's synthetic ones; 3 came within 1 % of the best choice made call by call)
_WALK_RATIO = 3


def tokenize(folded: str) -> list[str]:
    """Index terms of a folded string: each Han (or kana, hangul) character, each pair of adjacent ones, and
    each run of other letters/digits (an English word, a number). Lines are separate texts: no pair spans a
    line break (a document may join several phrasings with ``"\\n"``)."""
    out: list[str] = []
    for line in folded.split("\n"):
        prev = ""
        for unit in _UNIT.findall(line):
            if len(unit) == 1 and _IS_UNSPACED.match(unit):
                out.append(unit)
                if prev:
                    out.append(prev + unit)
                prev = unit
            else:
                out.append(unit)
                prev = ""
    return out


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """A query's distinct terms: ``known`` maps term id → idf; ``mass`` is the idf sum of all its terms, unknown
    ones counted at the highest idf (a word the index has never seen is the most specific evidence there is)."""

    known: dict[int, float]
    mass: float


class PhraseIndex:
    """BM25 over short documents (a phrasing, or a whole entry), with bounded-cost top-k retrieval."""

    def __init__(self, docs: Sequence[str], *, k1: float = 1.2, b: float = 0.5, posting_budget: int = 3_000):
        """Index ``docs`` (already folded). ``k1``, ``b``: BM25 constants; ``posting_budget``: the most postings
        one query traverses."""
        self.size = len(docs)
        self.posting_budget = posting_budget
        vocab: dict[str, int] = {}
        # Per document, its distinct term ids and their counts as two small arrays (a Counter per document
        # would triple the peak memory of a 100k-phrasing build).
        doc_tids: list[array[int]] = []
        doc_tfs: list[array[int]] = []
        for text in docs:
            counts: Counter[int] = Counter()
            for term in tokenize(text):
                tid = vocab.get(term)
                if tid is None:
                    tid = vocab[term] = len(vocab)
                counts[tid] += 1
            doc_tids.append(array("i", counts.keys()))
            doc_tfs.append(array("i", counts.values()))
        self.vocab = vocab
        n = max(len(docs), 1)
        lengths = [sum(tfs) for tfs in doc_tfs]
        avgdl = (sum(lengths) / n) or 1.0
        df = [0] * len(vocab)
        for tids in doc_tids:
            for tid in tids:
                df[tid] += 1
        self.idf = array("d", (math.log(1.0 + (n - f + 0.5) / (f + 0.5)) for f in df))
        #: idf of a term no document contains
        self.unknown_idf = math.log(1.0 + (n + 0.5) / 0.5)

        # Postings (term → docs) and forward index (doc → terms) in CSR form; BM25 term weights precomputed,
        # since they depend on the document only (query term frequency is ignored: questions are short and a
        # repeated character is emphasis, not content).
        self.post_start = array("l", [0]) * (len(vocab) + 1)
        for tid, f in enumerate(df):
            self.post_start[tid + 1] = self.post_start[tid] + f
        self.post_docs = array("i", [0]) * self.post_start[-1]
        self.post_weights = array("f", [0.0]) * self.post_start[-1]
        # each posting's term's place among its document's terms (the order overlap() sums them in): 2 bytes a
        # posting unless a document has more than 65,536 distinct terms
        places = "H" if max(map(len, doc_tids), default=0) <= 1 << 16 else "i"
        self.post_places = array(places, [0]) * self.post_start[-1]
        fill = array("l", self.post_start[:-1])
        self.doc_start = array("l", [0]) * (len(docs) + 1)
        self.doc_terms = array("i")
        self.doc_mass = array("d")
        idf = self.idf
        for doc, (tids, tfs) in enumerate(zip(doc_tids, doc_tfs, strict=True)):
            norm = k1 * (1.0 - b + b * lengths[doc] / avgdl)
            for place, (tid, tf) in enumerate(zip(tids, tfs, strict=True)):
                slot = fill[tid]
                self.post_docs[slot] = doc
                self.post_weights[slot] = idf[tid] * tf * (k1 + 1.0) / (tf + norm)
                self.post_places[slot] = place
                fill[tid] = slot + 1
            self.doc_terms.extend(tids)
            self.doc_start[doc + 1] = len(self.doc_terms)
            self.doc_mass.append(sum(idf[tid] for tid in tids))

    def query_terms(self, folded: str) -> QueryTerms:
        """The distinct terms of a folded query, looked up once."""
        known: dict[int, float] = {}
        mass = 0.0
        # sorted, not set order: string hashing differs per process, and float sums must not depend on it
        for term in sorted(set(tokenize(folded))):
            tid = self.vocab.get(term)
            if tid is None:
                mass += self.unknown_idf
            else:
                known[tid] = self.idf[tid]
                mass += self.idf[tid]
        return QueryTerms(known, mass)

    def search(self, terms: QueryTerms, k: int) -> list[tuple[int, float]]:
        """Up to ``k`` (doc, BM25) pairs, best first. Terms are visited rarest first; a common term that would
        exceed the posting budget is skipped here (and still counted by :meth:`overlap`)."""
        start = self.post_start
        order = sorted(terms.known, key=lambda t: start[t + 1] - start[t])
        acc: dict[int, float] = {}
        spent = 0
        for tid in order:
            lo, hi = start[tid], start[tid + 1]
            if acc and spent + (hi - lo) > self.posting_budget:
                break  # every later term is at least as common
            # A question made only of very common terms (的, 我想问) still costs at most the budget: its first
            # postings stand in for all (such a question will not be answered confidently anyway).
            hi = min(hi, lo + self.posting_budget)
            spent += hi - lo
            docs, weights = self.post_docs[lo:hi], self.post_weights[lo:hi]
            if not acc:
                acc = dict(zip(docs, weights, strict=True))
                continue
            get = acc.get
            for doc, w in zip(docs, weights, strict=True):
                acc[doc] = get(doc, 0.0) + w
        return heapq.nlargest(k, acc.items(), key=itemgetter(1))

    def overlap(self, doc: int, terms: QueryTerms) -> float:
        """The idf mass of the query's terms that ``doc`` contains (exact, whatever the search skipped)."""
        lo, hi = self.doc_start[doc], self.doc_start[doc + 1]
        known = terms.known
        return sum(known[tid] for tid in self.doc_terms[lo:hi] if tid in known)

    def overlaps(self, spans: Sequence[tuple[int, int]], terms: QueryTerms) -> dict[int, float]:
        """:meth:`overlap` of the documents in ``spans`` (``(first, last)`` ranges of document numbers, ascending
        and disjoint) that share a term with the query, in ascending document order; the others are left out
        (their overlap is 0).

        The same floats as :meth:`overlap`, usually found from the other side: a question has a dozen terms,
        while the matcher asks for ~25 whole-entry documents of ~300 terms or ~260 phrasings of ~16 (sample
        knowledge base), so reading the query terms' postings replaces a dictionary lookup per document term. Each
        document's shared terms are summed in their forward-index order, as :meth:`overlap` sums them (float
        addition is not associative: another order could change the last bits). When the documents hold fewer
        terms than the postings would cost (small entries, common terms: the synthetic bases of
        benchmarks/bench_matching.py), they are walked instead."""
        post_start, post_docs, post_places = self.post_start, self.post_docs, self.post_places
        doc_start = self.doc_start
        per_term = _SCAN_POSTINGS * len(spans)  # postings tested one by one at most, per query term
        reads = sum(min(post_start[tid + 1] - post_start[tid], per_term) for tid in terms.known)
        if sum(doc_start[last] - doc_start[first] for first, last in spans) < _WALK_RATIO * reads:
            walked = ((doc, self.overlap(doc, terms)) for first, last in spans for doc in range(first, last))
            return {doc: overlap for doc, overlap in walked if overlap}
        hits: list[tuple[int, int, float]] = []  # (document, place in it, idf) of each shared term
        wanted: set[int] | None = None
        for tid, idf in terms.known.items():
            lo, hi = post_start[tid], post_start[tid + 1]
            if hi - lo <= per_term:
                # a term few documents hold: testing each of its postings (in C) beats a binary search per span
                if wanted is None:
                    wanted = set(chain.from_iterable(starmap(range, spans)))
                docs = post_docs[lo:hi]
                hits.extend(compress(zip(docs, post_places[lo:hi], repeat(idf)), map(wanted.__contains__, docs)))
                continue
            for first, last in spans:
                lo = bisect_left(post_docs, first, lo, hi)
                if lo == hi:
                    break  # no posting of this term in this span or any later one
                end = bisect_left(post_docs, last, lo, hi)
                if end > lo:
                    hits.extend(zip(post_docs[lo:end], post_places[lo:end], repeat(idf)))
                    lo = end
        hits.sort()  # by document, then by the term's place in it (never a tie: the idf is not compared)
        return {doc: sum(map(_IDF, shared)) for doc, shared in groupby(hits, _DOC)}

    def terms_of(self, doc: int) -> set[int]:
        """The ids of the distinct terms ``doc`` contains."""
        return set(self.doc_terms[self.doc_start[doc]:self.doc_start[doc + 1]])

    def document_frequency(self, term: str) -> int:
        """How many documents contain ``term`` (0 for a term the index has never seen)."""
        tid = self.vocab.get(term)
        return 0 if tid is None else self.post_start[tid + 1] - self.post_start[tid]
