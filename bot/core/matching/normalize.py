"""Fold a question or a knowledge-base phrasing into the one form matching compares.

``NFKC → OpenCC t2s → casefold → character variants → English stems → strip punctuation/space/emoji``
(:meth:`Normalizer.base`), then ``synonyms → chatter`` (:meth:`Normalizer.finish`; chatter only with
``strip_chatter=True``, as the matcher uses it). The matcher repairs homophone typos between the two halves.
Both sides (resident questions and knowledge-base text) go through the same :class:`Normalizer`, so a
Simplified question meets a Traditional entry, ``ＷｉＦｉ`` meets ``wifi`` and ``低保`` meets ``最低生活保障``.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Protocol

import snowballstemmer

from bot.core.language import to_simplified

#: Characters that OpenCC ``t2s`` leaves apart although residents use them interchangeably. Applied after t2s
#: on both sides, so the direction only has to be consistent. Kept tiny: anything wider belongs in the staff
#: synonyms file.
VARIANTS: dict[str, str] = {
    "甚么": "什么",  # t2s keeps 甚麼 → 甚么; residents in Taiwan/HK write 甚麼 for 什麼
    "着": "著",    # t2s keeps 著; Simplified writers use 着 in 看着/接着
    "妳": "你",
    "衞": "卫",
}

#: Polite chatter that carries no meaning for finding an entry (folded forms), removed with
#: ``Normalizer(strip_chatter=True)``. Measured on the dev sets it helps a little and never hurts
#: (benchmarks/README.md), so the matcher turns it on. Only set formulas of greeting, asking and thanking: every
#: word here is invisible to matching.
CHATTER: tuple[str, ...] = (
    "请问", "想问", "你好", "您好", "哈喽", "哈啰", "请教", "谢谢", "感谢", "感恩", "多谢",
    "麻烦", "拜托了", "拜托", "劳驾",
    "辛苦了", "打扰了", "打扰", "不好意思", "一下",
    "呢", "吗", "啊", "吧", "呀", "哦", "嘛",
)
#: The English counterpart, matched as whole words after stemming: function words that carry no meaning for
#: finding an entry ("I graduated last year and still have no job, what help is there" → "graduat year job help").
#: Without them, a word no entry contains (still, there) counts as the most specific evidence in the question.
ENGLISH_FILLER: tuple[str, ...] = (
    "a", "an", "the", "is", "are", "am", "was", "were", "be", "been", "being", "do", "does", "did", "have", "has",
    "had", "having", "will", "would", "shall", "should", "can", "could", "may", "might", "must",
    "i", "me", "my", "mine", "we", "us", "our", "you", "your", "he", "him", "his", "she", "her", "it", "its",
    "they", "them", "their", "this", "that", "these", "those", "there", "here",
    "what", "which", "who", "whom", "whose", "how", "why",
    "to", "of", "for", "in", "on", "at", "by", "with", "from", "into", "about", "as", "than", "then",
    "and", "or", "but", "if", "so", "because", "also", "too", "just", "still", "already", "yet", "very", "really",
    "any", "some", "much", "many", "please", "pls", "hi", "hello", "hey", "thanks", "thank", "thx", "ok", "okay",
    "s", "t", "know", "tell", "want", "wanna", "like", "need", "get", "got", "anyone", "somebody", "someone",
)
# Han ideographs, CJK symbols, kana and hangul syllables: scripts written without spaces between words.
UNSPACED = r"\u2e80-\u2fff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_NON_WORD = re.compile(r"[\W_]+")
# A space survives only between two characters of spaced scripts (English words, numbers).
_USELESS_SPACE = re.compile(rf" (?=[{UNSPACED}])|(?<=[{UNSPACED}]) ")
# English words are stemmed (Snowball, the standard English stemmer) so that "graduated" meets "graduate" and
# "registering" meets "register"; only runs of letters, so "wifi6" or a street number is left alone.
class Stemmer(Protocol):
    """The part of a Snowball stemmer used here (``snowballstemmer`` ships no types)."""

    def stemWord(self, word: str) -> str: ...  # noqa: N802 - Snowball's name


_LATIN_WORD = re.compile(r"(?<![0-9a-z])[a-z]{3,}(?![0-9a-z])")
_STEMMER: Stemmer = snowballstemmer.stemmer("english")
_STEMMER_LOCK = threading.Lock()  # a Snowball stemmer keeps its working string on itself: one caller at a time
_VARIANT_RE = re.compile("|".join(map(re.escape, sorted(VARIANTS, key=len, reverse=True))))


def _strip(text: str) -> str:
    """Punctuation, symbols, emoji and whitespace out; one space kept between Latin words."""
    text = _NON_WORD.sub(" ", text)
    return _USELESS_SPACE.sub("", text).strip()


def _base_fold(text: str) -> str:
    """Every step but synonyms: script, width, case, variants, punctuation."""
    # Lone surrogates (broken UTF-16 from some clients) cannot be encoded for OpenCC; they carry nothing anyway.
    text = text.encode("utf-8", "ignore").decode("utf-8")
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text).casefold()
    text = _VARIANT_RE.sub(lambda m: VARIANTS[m.group()], text)
    text = _LATIN_WORD.sub(_stem_match, text)
    return _strip(text)


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The Snowball stem of one lower-case English word (cached: residents and entries reuse few words)."""
    with _STEMMER_LOCK:
        return _STEMMER.stemWord(word)


def _stem_match(match: re.Match[str]) -> str:
    return stem(match.group())


def _word_pattern(word: str) -> str:
    """A regex for ``word`` that, where it starts or ends with a Latin letter or digit, only matches whole words
    (so a synonym ``hall`` does not rewrite ``hallway``)."""
    pattern = re.escape(word)
    if word[0].isascii() and word[0].isalnum():
        pattern = r"(?<![0-9a-z])" + pattern
    if word[-1].isascii() and word[-1].isalnum():
        pattern += r"(?![0-9a-z])"
    return pattern


class Normalizer:
    """Folds text for matching; built once per knowledge base from its synonym groups."""

    def __init__(self, synonym_groups: Iterable[Sequence[str]] = (), *, strip_chatter: bool = False):
        """``synonym_groups``: each group's words are rewritten to its first word (all folded the same way).
        A word claimed by two groups keeps the first group's meaning."""
        self.canonical: dict[str, str] = {}
        for group in synonym_groups:
            folded = [f for f in (_base_fold(w) for w in group) if f]
            if not folded:
                continue
            for word in folded:
                self.canonical.setdefault(word, folded[0])
        # One alternation, longest first: Python's regex tries alternatives in order, so at each position the
        # longest synonym wins (最低生活保障金 before 低保), in a single C-speed left-to-right pass. Each group's
        # first word stays in the alternation although it maps to itself: matched where it starts, it keeps a
        # word that overlaps it from being rewritten (免费用 is 免费 + 用, not 免 + 费用 → 免多少钱).
        words = sorted(self.canonical, key=lambda w: (-len(w), w))
        self._synonym_re = (re.compile("|".join(_word_pattern(w) for w in words))
                            if any(w != c for w, c in self.canonical.items()) else None)
        chatter = "|".join(map(re.escape, sorted(CHATTER, key=len, reverse=True)))
        # folded like the text, stems included ("does" → "doe"), so the words still match after folding
        fillers = sorted({_LATIN_WORD.sub(_stem_match, word) for word in ENGLISH_FILLER})
        filler = r"\b(?:" + "|".join(fillers) + r")\b ?"
        self._chatter_re = re.compile(f"{chatter}|{filler}") if strip_chatter else None

    def fold(self, text: str) -> str:
        """The matching form of ``text``: Simplified, case-folded, half-width, no punctuation/emoji/spaces
        (except one space between Latin words), synonyms replaced by their group's first word."""
        return self.finish(_base_fold(text))

    @staticmethod
    def base(text: str) -> str:
        """The first half of :meth:`fold`: script, width, case, variants, punctuation (no synonyms, no chatter).
        The matcher repairs typos on this form, then calls :meth:`finish`."""
        return _base_fold(text)

    def finish(self, text: str) -> str:
        """The second half of :meth:`fold`, on the output of :meth:`base`: synonyms, then chatter."""
        if self._synonym_re is not None:
            text = self._synonym_re.sub(lambda m: self.canonical[m.group()], text)
        if self._chatter_re is not None:
            stripped = self._chatter_re.sub("", text).strip()
            text = stripped or text  # "你好" alone is still a message; keep it rather than fold it to nothing
        return text

    def chatter_positions(self, text: str) -> frozenset[int]:
        """Positions of chatter words in ``text`` (a :meth:`base` form); empty when chatter is not stripped."""
        if self._chatter_re is None:
            return frozenset()
        return frozenset(i for m in self._chatter_re.finditer(text) for i in range(m.start(), m.end()))
