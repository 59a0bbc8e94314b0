"""The top-level keys (*sections*) a knowledge file may have, and the parser of each.

The built-in sections (``entries``, ``categories``, ``synonyms``, ``regression``) are checked against the field
specs below; ``venues`` has its own module and ``consultations`` is registered by the feedback feature
(``register_section``). ``SECTIONS`` is the one registry: the loader reads a file's keys with it, the JSON Schema
(``schema.py``) is built from it, and each section's ``check`` runs across files with a ``CrossCheck``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from bot.core.errors import Problem
from bot.core.knowledge import venues as _venues
from bot.core.knowledge.compound_specs import Field, ListOf, Mapping, check_list
from bot.core.knowledge.model import BUILTIN_CATEGORIES, KnowledgeBase
from bot.core.knowledge.spec import ID_HINT, ID_PATTERN, Date, LocalizedText, Number, Spec, Str
from bot.core.knowledge.yaml_nodes import Report, to_python

_ID = Str(pattern=ID_PATTERN, pattern_hint=ID_HINT)
_LOCALIZED = " Plain text, or a map with keys zh-Hant, zh-Hans and en."

CONTACT = Mapping(description="How to reach the place or office; every field is text.", fields=(
    Field("phone", LocalizedText(), description="Phone number(s)." + _LOCALIZED),
    Field("address", LocalizedText(), description="Street address." + _LOCALIZED),
    Field("hours", LocalizedText(), description="Opening hours." + _LOCALIZED),
    Field("url", LocalizedText(), description="Web page." + _LOCALIZED),
))

LOCATION = Mapping(description="Where it is on a map (WGS84 degrees).", fields=(
    Field("lat", Number(minimum=-90, maximum=90), required=True, description="Latitude, -90 to 90."),
    Field("lon", Number(minimum=-180, maximum=180), required=True, description="Longitude, -180 to 180."),
))

ENTRY = Mapping(noun="entry", description="One thing residents ask about, and the bot's answer.", fields=(
    Field("id", _ID, required=True, description="Unique across the directory; only a-z, 0-9 and '-'."),
    Field("category", Str(pattern=ID_PATTERN, pattern_hint=ID_HINT, known=BUILTIN_CATEGORIES), required=True,
          description="services, facilities, schools, policies, or a category declared under `categories`."),
    Field("title", LocalizedText(), required=True, description="Short name shown to residents." + _LOCALIZED),
    Field("short", LocalizedText(), description="Button label where the title is too long for one (over 22 Chinese "
          "characters or 44 letters); give only the languages that need it." + _LOCALIZED),
    Field("questions", ListOf(Str(), min_items=1, unique=True, item_noun="question"), required=True,
          description="One or more ways residents ask for this (any script, any language)."),
    Field("answer", LocalizedText(), required=True, description="The bot's answer; never empty." + _LOCALIZED),
    Field("keywords", ListOf(Str(), item_noun="keyword"), description="Extra words that point to this entry."),
    Field("contact", CONTACT, description="Phone, address, opening hours and web page."),
    Field("location", LOCATION, description="Map position {lat, lon}; facilities should have it."),
    Field("community", LocalizedText(), description="The community it belongs to." + _LOCALIZED),
    Field("source", LocalizedText(), description="Where the information comes from." + _LOCALIZED),
    Field("updated", Date(), description="Date the information was last verified, YYYY-MM-DD."),
    Field("related", ListOf(_ID, unique=True, item_noun="id"), description="Ids of other entries to suggest."),
    Field("consultation", _ID, description="Id of a consultation (the `consultations` section) to offer under the "
                                           "answer as a button, so residents reading about a policy can say what "
                                           "they think of it; hidden while the consultation is closed."),
))

CATEGORY = Mapping(noun="category", description="A category beside the four built-in ones.", fields=(
    Field("id", _ID, required=True, description="Category id used by entries; only a-z, 0-9 and '-'."),
    Field("title", LocalizedText(), required=True, description="Name shown to residents." + _LOCALIZED),
))

SYNONYM_GROUP = ListOf(Str(), min_items=2, item_noun="word", noun="synonym group")

REGRESSION_CASE = Mapping(noun="regression case", description="A question and the entry that must answer it.",
                          fields=(
    Field("question", Str(), required=True, description="What a resident writes."),
    Field("expect", _ID, required=True, nullable=True,
          description="Id of the entry that must answer; null when the bot must not answer at all."),
))


@dataclass(frozen=True)
class CrossCheck:
    """What a section's checks across files may refer to, and where to report."""

    entry_ids: frozenset[str]
    category_ids: frozenset[str]
    problems: list[Problem]
    #: Every entry's ``consultation``: (file, line, consultation id), for the section that knows those ids.
    consultation_refs: tuple[tuple[str, int, str], ...] = ()
    #: False when a file could not be read: an id that seems missing may be in it, so references are not checked.
    complete: bool = True

    def error(self, file: str, line: int, message: str) -> None:
        """Record a problem at ``file:line``."""
        self.problems.append(Problem(file, line, message))


Parse = Callable[[yaml.Node, Report], list[Any]]
Check = Callable[[list[Any], CrossCheck], None]


@dataclass(frozen=True)
class SectionParser:
    """One top-level key: ``parse`` turns one file's value into items, ``schema`` describes that value,
    ``check`` (optional) runs once over the items of every file."""

    parse: Parse
    schema: dict[str, Any]
    check: Check | None = None


def _list_section(key: str, item: Spec, description: str) -> SectionParser:
    schema = {"description": description, **ListOf(item).json_schema()}
    return SectionParser(parse=lambda node, report: check_list(node, key, item, report), schema=schema)


def keep_as_written(node: yaml.Node, report: Report) -> list[Any]:
    """The parser of a section no feature has registered yet: its items exactly as written (plain Python data)."""
    try:
        value = to_python(node)
    except (yaml.YAMLError, ValueError) as error:  # e.g. an unquoted 2026-13-45 is a timestamp YAML cannot build
        report.error(node, f"cannot read this section: {error}")
        return []
    return list(value) if isinstance(value, list) else [value]


_BUILTIN_SECTIONS = ("entries", "categories", "synonyms", "regression")

#: Top-level keys a knowledge file may have, in the order the schema lists them.
SECTIONS: dict[str, SectionParser] = {
    "entries": _list_section("entries", ENTRY, "Knowledge-base entries: questions residents ask and the answer."),
    "categories": _list_section("categories", CATEGORY, "Extra categories beside services, facilities, "
                                                        "schools and policies."),
    "synonyms": _list_section("synonyms", SYNONYM_GROUP, "Groups of words that mean the same to residents; "
                                                         "every word in a group is matched as the first."),
    "regression": _list_section("regression", REGRESSION_CASE, "Regression questions run by "
                                                               "`python -m bot kb test`."),
    "consultations": SectionParser(parse=keep_as_written, schema={
        "description": "Policy-feedback surveys.", "type": "array"}),
    "venues": SectionParser(parse=_venues.parse_section, schema=_venues.SCHEMA, check=_venues.check_across_files),
}


def register_section(key: str, parser: Parse, schema: dict[str, Any], check: Check | None = None) -> None:
    """Make ``key`` a top-level section read by ``parser`` (and checked across files by ``check``).

    Its items end up in the ``KnowledgeBase`` field of the same name, so ``key`` must be one of those fields;
    the built-in sections cannot be replaced.
    """
    pluggable = {f.name for f in dataclasses.fields(KnowledgeBase)} - set(_BUILTIN_SECTIONS) - {"directory"}
    if key not in pluggable:
        raise ValueError(f"cannot register section {key!r}: choose one of {sorted(pluggable)}")
    SECTIONS[key] = SectionParser(parse=parser, schema=schema, check=check)
