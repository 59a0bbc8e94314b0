"""Booking references: ``BK-XXXX-XXXX-XXXX-XXXX``, 80 random bits in Crockford's base32, like feedback's.

The number alone may one day show a booking (a resident asking staff about it), so it is as hard to guess as the
feedback references (``bot.core.feedback.references``), whose alphabet, random source and typing rules it shares.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from bot.core.feedback.references import ALPHABET, GROUP_LENGTH, GROUPS

PREFIX = "BK-"
_CHAR = "[0-9A-HJKMNP-TV-Z]"
PATTERN = re.compile(rf"BK-{_CHAR}{{4}}(?:-{_CHAR}{{4}}){{3}}")
_TYPED = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = re.compile(r"[\s_\-\u2010-\u2015\u2212\u30fc\uff0d]+")


def format_reference(bits: int) -> str:
    chars = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(GROUPS * GROUP_LENGTH)))
    return PREFIX + "-".join(chars[i:i + GROUP_LENGTH] for i in range(0, len(chars), GROUP_LENGTH))


def draw_reference(random_below: Callable[[int], int]) -> str:
    """A fresh reference from ``random_below`` (``RandomBelow`` or a test's stand-in): 32 + 32 + 16 bits."""
    bits = (random_below(1 << 32) << 48) | (random_below(1 << 32) << 16) | random_below(1 << 16)
    return format_reference(bits)


def normalize(typed: str) -> str | None:
    """The reference a resident typed, as stored (``bk-7k2m 9qxd-4hzt-r8wa`` → ``BK-7K2M-9QXD-4HZT-R8WA``), or
    None when it cannot be one."""
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed).strip().upper())
    body = compact.removeprefix("BK").translate(_TYPED)
    if len(body) != GROUPS * GROUP_LENGTH or any(c not in ALPHABET for c in body):
        return None
    return format_reference(sum(ALPHABET.index(c) << (5 * i) for i, c in enumerate(reversed(body))))
