"""The knowledge base as the rest of the core sees it: immutable, validated, indexed by id."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING

from bot.core.language import Lang, to_simplified, to_traditional

if TYPE_CHECKING:  # both modules read their sections with this one's Text: only their types are needed here
    from bot.core.feedback.model import Consultation
    from bot.core.knowledge.venues import Venue

BUILTIN_CATEGORIES: tuple[str, ...] = ("services", "facilities", "schools", "policies")


@dataclass(frozen=True, slots=True)
class Text:
    """Text that is either plain (``plain``) or given per language (``by_lang``)."""

    plain: str | None = None
    by_lang: Mapping[str, str] = field(default_factory=dict)

    def get(self, lang: Lang) -> str:
        """The text for a reader of ``lang``: their own version, else the best conversion of another."""
        own = self.by_lang.get(lang)
        if own:
            return own
        hant = self.by_lang.get("zh-Hant") or self.plain
        hans = self.by_lang.get("zh-Hans")
        en = self.by_lang.get("en")
        if lang == "zh-Hans":
            return to_simplified(hant) if hant else (en or "")
        if lang == "zh-Hant":
            return hant or (to_traditional(hans) if hans else (en or ""))
        return self.plain or hant or hans or ""  # an English reader gets the Chinese as it was written

    def variants(self) -> tuple[str, ...]:
        """Every written form, for matching."""
        out = [self.plain] if self.plain else []
        out.extend(v for v in self.by_lang.values() if v)
        return tuple(out)

    @classmethod
    def of(cls, value: str | Mapping[str, str]) -> Text:
        if isinstance(value, str):
            return cls(plain=value)
        return cls(by_lang=MappingProxyType(dict(value)))


@dataclass(frozen=True, slots=True)
class Contact:
    phone: Text | None = None
    address: Text | None = None
    hours: Text | None = None
    url: Text | None = None


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    category: str
    title: Text
    questions: tuple[str, ...]
    answer: Text
    keywords: tuple[str, ...] = ()
    contact: Contact | None = None
    location: Location | None = None
    community: Text | None = None
    source: Text | None = None
    updated: date | None = None
    related: tuple[str, ...] = ()
    #: Id of a policy-feedback consultation offered under the answer (a button), while it is open.
    consultation: str | None = None
    #: A shorter title for buttons, in the languages whose title does not fit one (see ``render.label``).
    short: Text | None = None
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    title: Text


@dataclass(frozen=True, slots=True)
class RegressionCase:
    """A staff-written check: ``question`` must be answered with ``expect`` (None: must not be answered)."""

    question: str
    expect: str | None
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything loaded from one knowledge directory."""

    entries: tuple[Entry, ...]
    categories: tuple[Category, ...]
    synonyms: tuple[tuple[str, ...], ...] = ()
    regression: tuple[RegressionCase, ...] = ()
    consultations: tuple[Consultation, ...] = ()  # filled by bot.core.feedback (survey definitions)
    #: Rooms residents can book (the ``venues`` section).
    venues: tuple[Venue, ...] = ()
    directory: str = ""

    # The indexes are built on first use and cached in the instance (``cached_property`` writes past the frozen
    # ``__setattr__``); they are not fields, so they stay out of ``__init__``, equality and the pluggable sections.
    @cached_property
    def _by_id(self) -> Mapping[str, Entry]:
        return {e.id: e for e in self.entries}

    @cached_property
    def _venues(self) -> Mapping[str, Venue]:
        return {v.id: v for v in self.venues}

    def venue(self, venue_id: str) -> Venue | None:
        """The venue with this id, or None."""
        return self._venues.get(venue_id)

    @property
    def venue_map(self) -> Mapping[str, Venue]:
        """Venues by id (read-only), as ``BookingService`` reads them."""
        return MappingProxyType(self._venues)

    def venues_of(self, entry_id: str) -> list[Venue]:
        """The venues that belong to an entry (its answer offers to book them)."""
        return [v for v in self.venues if v.entry == entry_id]

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def __contains__(self, entry_id: str) -> bool:
        return entry_id in self._by_id

    def in_category(self, category_id: str) -> list[Entry]:
        return [e for e in self.entries if e.category == category_id]

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def counts(self) -> dict[str, int]:
        counts = {c.id: 0 for c in self.categories}
        for e in self.entries:
            counts[e.category] = counts.get(e.category, 0) + 1
        return counts
