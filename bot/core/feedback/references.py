"""Random digits for reference numbers, as unguessable as ``secrets.randbelow`` and cheaper for the event loop.

``secrets.randbelow`` asks the kernel (``os.urandom``) for every number, and that system call lets go of the GIL:
with the database thread busy, the event loop then waits for the GIL to come back before it can go on — ~100 µs a
submission in the paced feedback benchmark, a twentieth of the loop's time there. ``RandomBelow`` draws the same
kernel randomness 4 KB at a time (one call per ~1,000 reference numbers) and turns it into numbers the way
``secrets.randbelow`` does (rejection sampling over just enough bits, so every number is equally likely).
"""
from __future__ import annotations

import os

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
