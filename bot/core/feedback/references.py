"""Random digits for reference numbers, as unguessable as ``secrets.randbelow`` and cheaper for the event loop.

``secrets.randbelow`` asks the kernel (``os.urandom``) for every number, and that system call lets go of the GIL:
with the database thread busy, the event loop then waits for the GIL to come back before it can go on — ~100 µs a
submission in the paced feedback benchmark, a twentieth of the loop's time there. ``RandomBelow`` draws the same
kernel randomness 4 KB at a time (one call per ~1,000 reference numbers) and turns it into numbers the way
``secrets.randbelow`` does (rejection sampling over just enough bits, so every number is equally likely).
"""
from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable

CHUNK = 4096  # bytes asked of the kernel at a time
WORD = 4  # bytes per draw: numbers below 2**32


class RandomBelow:
    """``RandomBelow()(n)``: a uniformly random int in [0, n), for 0 < n <= 2**32."""

    def __init__(self) -> None:
        self._buffer = b""
        self._position = 0

    def __call__(self, n: int) -> int:
        if not 0 < n <= 1 << (8 * WORD):
            raise ValueError(f"n must be in 1..2**{8 * WORD}, not {n}")
        drop = 8 * WORD - (n - 1).bit_length()  # keep the fewest top bits that can hold n - 1
        while True:
            if self._position + WORD > len(self._buffer):
                self._buffer, self._position = os.urandom(CHUNK), 0
            word = int.from_bytes(self._buffer[self._position:self._position + WORD], "big")
            self._position += WORD
            value = word >> drop
            if value < n:
                return value


# --- reference numbers ------------------------------------------------------------------------------------------
#: Crockford's base32: digits and capitals without I, L, O and U, so nothing reads as something else; typed I and
#: L count as 1, O as 0, and lower case as upper case.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: ``FB-`` + four groups of four characters: 80 random bits. The number alone shows an unlinked submission
#: (anonymous, or after /forget_me) and its staff reply, so it must be as hard to guess as a password.
GROUPS, GROUP_LENGTH = 4, 4
RANDOM_BITS = 5 * GROUPS * GROUP_LENGTH
_CHAR = "[0-9A-HJKMNP-TV-Z]"
BEARER = re.compile(rf"FB-{_CHAR}{{4}}(?:-{_CHAR}{{4}}){{3}}")
#: Numbers drawn before issue 15: ``FB-`` + date + six digits (~20 random bits a day). They keep working for the
#: resident they are linked to, and never alone (``is_bearer``).
LEGACY = re.compile(r"FB-\d{8,20}")
#: Either kind, as staff tools accept it.
ANY_REFERENCE = re.compile(rf"{LEGACY.pattern}|{BEARER.pattern}")
_TYPED = str.maketrans({"I": "1", "L": "1", "O": "0"})
#: What residents type for the dash (or leave out): hyphens and dashes of every width, spaces, underscores.
_SEPARATORS = re.compile(r"[\s_\-\u2010-\u2015\u2212\u30fc\uff0d]+")


def format_reference(bits: int) -> str:
    """``FB-XXXX-XXXX-XXXX-XXXX`` for an integer of ``RANDOM_BITS`` bits."""
    chars = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(GROUPS * GROUP_LENGTH)))
    return "FB-" + "-".join(chars[i:i + GROUP_LENGTH] for i in range(0, len(chars), GROUP_LENGTH))


def draw_reference(random_below: Callable[[int], int]) -> str:
    """A fresh number from ``random_below`` (``RandomBelow`` or a test's stand-in): 32 + 32 + 16 bits."""
    bits = (random_below(1 << 32) << 48) | (random_below(1 << 32) << 16) | random_below(1 << 16)
    return format_reference(bits)


def normalize(typed: str) -> str | None:
    """The reference number a resident typed, as stored (``fb-7k2m 9qxd-4hzt-r8wa`` → ``FB-7K2M-9QXD-4HZT-R8WA``;
    legacy numbers as they are), or None when it cannot be one."""
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed).strip().upper())  # ＦＢ２０… → FB20…
    if compact.startswith("FB") and LEGACY.fullmatch(f"FB-{compact[2:]}"):
        return f"FB-{compact[2:]}"
    body = compact.removeprefix("FB").translate(_TYPED)
    if len(body) != GROUPS * GROUP_LENGTH or any(c not in ALPHABET for c in body):
        return None
    return "FB-" + "-".join(body[i:i + GROUP_LENGTH] for i in range(0, len(body), GROUP_LENGTH))


def is_bearer(reference: str) -> bool:
    """Whether the number alone may show its submission (≥ 64 random bits), or only to its linked resident."""
    return BEARER.fullmatch(reference) is not None
