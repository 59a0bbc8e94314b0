"""An inverted index over folded phrasings: character unigrams + bigrams (Latin words as whole tokens), BM25.

Chinese is written without spaces, so words are approximated by overlapping character bigrams, with unigrams
added so a typo or a one-character word still finds something. Both postings (term → phrasings) and the forward
index (phrasing → terms) are flat ``array`` buffers with offsets (CSR), not per-term Python lists: at 100k
phrasings that is a few bytes per posting instead of ~100.

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
from collections import Counter
from dataclasses import dataclass
from operator import itemgetter
from typing import Sequence

from bot.core.matching.normalize import UNSPACED

_UNIT = re.compile(rf"[{UNSPACED}]|[^\s{UNSPACED}]+")
_IS_UNSPACED = re.compile(rf"[{UNSPACED}]")


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
        doc_tids: list[array] = []
        doc_tfs: list[array] = []
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
        fill = array("l", self.post_start[:-1])
        self.doc_start = array("l", [0]) * (len(docs) + 1)
        self.doc_terms = array("i")
        self.doc_mass = array("d")
        idf = self.idf
        for doc, (tids, tfs) in enumerate(zip(doc_tids, doc_tfs)):
            norm = k1 * (1.0 - b + b * lengths[doc] / avgdl)
            for tid, tf in zip(tids, tfs):
                slot = fill[tid]
                self.post_docs[slot] = doc
                self.post_weights[slot] = idf[tid] * tf * (k1 + 1.0) / (tf + norm)
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
                acc = dict(zip(docs, weights))
                continue
            get = acc.get
            for doc, w in zip(docs, weights):
                acc[doc] = get(doc, 0.0) + w
        return heapq.nlargest(k, acc.items(), key=itemgetter(1))

    def overlap(self, doc: int, terms: QueryTerms) -> float:
        """The idf mass of the query's terms that ``doc`` contains (exact, whatever the search skipped)."""
        lo, hi = self.doc_start[doc], self.doc_start[doc + 1]
        known = terms.known
        return sum(known[tid] for tid in self.doc_terms[lo:hi] if tid in known)

    def terms_of(self, doc: int) -> set[int]:
        """The ids of the distinct terms ``doc`` contains."""
        return set(self.doc_terms[self.doc_start[doc]:self.doc_start[doc + 1]])

    def document_frequency(self, term: str) -> int:
        """How many documents contain ``term`` (0 for a term the index has never seen)."""
        tid = self.vocab.get(term)
        return 0 if tid is None else self.post_start[tid + 1] - self.post_start[tid]
