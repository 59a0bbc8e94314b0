"""Which consultations residents have answered, as ``SqliteFeedbackStore`` last read or wrote it.

The dialog asks twice in a row: /feedback reads it for the ✅ marks of the list (``answered``), and choosing a
consultation asks again whether this one was answered (``linked_to`` for linked consultations, ``participated``
for anonymous ones). The first look-up fills this cache, so the second needs no trip to the database thread; the
store's own writes (a submission, /forget_me) drop what they change, to be read again. Same assumption as the
resident-state cache
(``bot.storage.residents``): this process is the only writer of links and participation tokens.

A look-up still in flight when a write touches one of its keys does not fill the cache: it may have read the file
from before the write.
"""
from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

#: Residents and tokens each kept (least recently used dropped first).
CACHE_SIZE = 20_000


class Unknown:
    """Not in the cache: ask the database."""


UNKNOWN = Unknown()


class AnsweredCache:
    def __init__(self, size: int = CACHE_SIZE):
        self._size = size
        self._linked: OrderedDict[str, frozenset[str]] = OrderedDict()  # user → every consultation linked
        self._tokens: OrderedDict[str, str | None] = OrderedDict()  # token → its consultation, None: not stored
        self._reading: Counter[tuple[str, str]] = Counter()  # keys of look-ups in flight
        self._touched: set[tuple[str, str]] = set()  # keys written while a look-up of them was in flight

    def linked(self, user: str) -> frozenset[str] | Unknown:
        """The consultations ``user`` has a linked submission to."""
        if user not in self._linked:
            return UNKNOWN
        self._linked.move_to_end(user)
        return self._linked[user]

    def token(self, token: str) -> str | None | Unknown:
        """The consultation of a stored participation token, None when it is not stored."""
        if token not in self._tokens:
            return UNKNOWN
        self._tokens.move_to_end(token)
        return self._tokens[token]

    @contextmanager
    def look_up(self, user: str | None, tokens: Iterable[str]) -> Iterator[Callable[[], bool]]:
        """Around a read of the database: yields a check that says whether what was read may fill the cache (no
        write touched those keys meanwhile)."""
        keys = ([("user", user)] if user is not None else []) + [("token", t) for t in tokens]
        self._reading.update(keys)
        try:
            yield lambda: self._touched.isdisjoint(keys)
        finally:
            for key in keys:
                self._reading[key] -= 1
                if not self._reading[key]:
                    del self._reading[key]
                    self._touched.discard(key)

    def fill(self, user: str | None, linked: Iterable[str], tokens: dict[str, str | None]) -> None:
        """What a look-up read: all of ``user``'s linked consultations, and each token's."""
        if user is not None:
            self._keep(self._linked, user, frozenset(linked))
        for token, consultation_id in tokens.items():
            self._keep(self._tokens, token, consultation_id)

    def changed(self, user: str | None, tokens: Iterable[str]) -> None:
        """A write changed (or, failing, may have changed) ``user``'s links or these tokens: ask the database
        about them next time."""
        if user is not None:
            self._touch(("user", user))
            self._linked.pop(user, None)
        for token in tokens:
            self._touch(("token", token))
            self._tokens.pop(token, None)

    def _touch(self, key: tuple[str, str]) -> None:
        if key in self._reading:
            self._touched.add(key)

    def _keep(self, entries: OrderedDict, key: str, value: object) -> None:
        entries[key] = value
        entries.move_to_end(key)
        if len(entries) > self._size:
            entries.popitem(last=False)
