"""Repair homophone typos: a character that fits none of its neighbours is swapped for one that sounds the same
and does (低寶金 → 低保金, 結昏 → 結婚, 家正 → 家政, 踏陷 → 塌陷).

Residents type Chinese with pinyin input methods, so their typos are mostly a wrong character of the same sound.
Character n-grams cannot see sound; this step can, using a toneless pinyin table of the 6,763 GB2312 characters
(``pinyin.txt``, generated from pypinyin by benchmarks/make_pinyin_table.py; 23 KB, each character's most common
reading only; loaded once per process in ~2 ms — pypinyin itself is not a dependency: importing it costs ~0.3 s
and ~50 MB at start-up).

The rule is deliberately narrow, so that correct text is left alone: a character is replaced only when neither
pair it forms with its neighbours occurs anywhere in the knowledge base, and a character of the same sound makes
both occur (or one, at the edge of the text or when that pair is common: ``edge_weight``, ``one_sided``). Among
several such characters the one that makes more pairs occur, then the more frequent pairs, wins; ties go to the
lower code point. The matcher counts repairs and lets its decision weigh them.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

TABLE = Path(__file__).with_name("pinyin.txt")


@cache
def _table() -> tuple[dict[str, str], dict[str, str]]:
    """(character → its toneless reading, reading → its characters), read once per process."""
    reading: dict[str, str] = {}
    characters: dict[str, str] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            syllable, chars = line.split(" ", 1)
            characters[syllable] = chars
            reading.update(dict.fromkeys(chars, syllable))
    return reading, characters


@cache
def homophones(char: str) -> str:
    """The other characters read like ``char`` (most common readings only; code-point order; empty if unknown)."""
    reading, characters = _table()
    syllable = reading.get(char)
    return characters[syllable].replace(char, "") if syllable else ""


def repair(text: str, pair_weight: Callable[[str], float], skip: frozenset[int] = frozenset(),
           edge_weight: float = 2.0, one_sided: float = float("inf")) -> tuple[str, int]:
    """``text`` with homophone typos replaced, and how many characters were replaced.

    ``pair_weight(pair)``: how common a two-character string is in the knowledge base, 0 when it never occurs.
    ``skip``: positions to leave alone (polite chatter such as 吗/呢, which the knowledge base does not contain).
    """
    readings, _ = _table()  # the characters the table knows
    chars = list(text)
    repaired = 0
    for i, char in enumerate(chars):
        if i in skip or char not in readings:
            continue
        left = chars[i - 1] if i > 0 and chars[i - 1] in readings else ""
        right = chars[i + 1] if i + 1 < len(chars) and chars[i + 1] in readings else ""
        if not left and not right:
            continue
        if (left and pair_weight(left + char)) or (right and pair_weight(char + right)):
            continue  # the character fits at least one neighbour: leave it
        best: tuple[int, float, str] | None = None
        for other in homophones(char):
            weights = [w for w in ((pair_weight(left + other) if left else 0.0),
                                   (pair_weight(other + right) if right else 0.0)) if w]
            if not weights or (len(weights) == 1 and weights[0] < (one_sided if left and right else edge_weight)):
                continue
            if best is None or (len(weights), sum(weights)) > best[:2]:
                best = (len(weights), sum(weights), other)
        if best is not None:
            chars[i] = best[2]
            repaired += 1
    return "".join(chars), repaired
