"""Declarative field specs, checked against PyYAML nodes so that every problem carries its 1-based line.

A spec says what one YAML value may be: text, text by language, a number in a range, a date, one of a few
words, a list of something, or a mapping with known keys. ``spec.check(node, path, report)`` reports every
mistake to ``report`` and returns the plain Python value (``INVALID`` when nothing usable is left);
``spec.json_schema()`` describes the same rules as a JSON Schema fragment, so the validator and the schema
editors use can never disagree.

Nodes come from ``compose`` (not ``load``): only nodes remember where they were written.
"""
from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import yaml

from bot.core.errors import Problem
from bot.core.language import LANGS

ID_PATTERN = "[a-z0-9-]+"  # the whole value must match
ID_HINT = "may only contain a-z, 0-9 and '-'"

_TAG = "tag:yaml.org,2002:"
_NULL, _BOOL, _INT, _FLOAT, _TIMESTAMP = (_TAG + t for t in ("null", "bool", "int", "float", "timestamp"))
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

# The C parser is ~10x faster and gives nodes the same marks; fall back when PyYAML was built without libyaml.
YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KeyPath = tuple[str | int, ...]  # keys and 0-based list indexes from the checked root


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


#: Returned by ``check`` when a value is unusable (its problem is already reported).
INVALID: Any = _Invalid()


def line_of(node: yaml.Node) -> int:
    """The 1-based line a node starts on."""
    line: int = node.start_mark.line  # 0-based; PyYAML ships no types, so its type is stated here
    return line + 1


def compose(text: str) -> yaml.Node | None:
    """Parse one YAML document into nodes (None for an empty document); raises ``yaml.YAMLError``."""
    return yaml.compose(text, Loader=YamlLoader)


def to_python(node: yaml.Node) -> Any:
    """The plain Python value of a node, as ``yaml.safe_load`` would build it."""
    return yaml.constructor.SafeConstructor().construct_document(node)


class Report:
    """Collects the problems found in one file; ``file`` is the path shown to staff."""

    def __init__(self, file: str, problems: list[Problem] | None = None):
        self.file = file
        self.problems: list[Problem] = [] if problems is None else problems

    def error(self, at: yaml.Node | int, message: str) -> None:
        """Record ``message`` at a node's line (or at a line number)."""
        line = at if isinstance(at, int) else line_of(at)
        self.problems.append(Problem(self.file, line, message))


def did_you_mean(word: str, choices: Sequence[str], cutoff: float = 0.6) -> str:
    """``"; did you mean `x`?"`` when one of ``choices`` is close to ``word``, else an empty string.

    Long ids share prefixes like ``service-``; callers suggesting ids pass a higher ``cutoff`` so that only
    real typos get a suggestion.
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return f"; did you mean `{close[0]}`?" if close else ""


def show(path: KeyPath, noun: str) -> str:
    """How a message names a value: ```contact.phone```, ```questions[2]``` (1-based), or ``noun`` at the root."""
    if not path:
        return noun
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else part)
    return f"`{text}`"


def describe(node: yaml.Node) -> str:
    """What a node is, in the words of a "must be …, not …" message."""
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a map"
    # A whole answer pasted where a list belongs would swamp the message; its start is enough to find it.
    text = node.value if len(node.value) <= 30 else node.value[:30] + "…"
    return {_NULL: "empty", _BOOL: "true/false", _INT: "a number", _FLOAT: "a number",
            _TIMESTAMP: "a date"}.get(node.tag, f"'{text}'")


def is_null(node: yaml.Node) -> bool:
    """Whether a node is YAML's empty value (``~``, ``null`` or nothing after the colon)."""
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL


def mapping_pairs(node: yaml.MappingNode, subject: str,
                  report: Report) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
    """``(key, key_node, value_node)`` of a mapping; reports non-text keys and keys written twice.

    YAML itself silently keeps the last of two equal keys, which would hide half of a staff member's edit.
    """
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _NULL:
            report.error(key_node, f"a key in {subject} must be a plain word, not {describe(key_node)}")
            continue
        key = key_node.value
        if key in seen:
            report.error(key_node, f"key `{key}` appears twice in {subject} (first on line {seen[key]})")
            continue
        seen[key] = line_of(key_node)
        yield key, key_node, value_node


class Spec:
    """What one YAML value may be. Subclasses implement ``check`` and ``json_schema``."""

    #: Completes "… must be ___, not a list".
    label: ClassVar[str] = "a value"
    #: How messages name the value when it is the root of a check (an entry, a synonym group).
    noun: str = "value"

    def check(self, node: yaml.Node, path: KeyPath, report: Report) -> Any:
        """Report every problem of ``node`` and return its Python value, or ``INVALID``."""
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:
        """The same rules as a JSON Schema (draft 2020-12) fragment."""
        raise NotImplementedError

    def subject(self, path: KeyPath) -> str:
        """How messages name the value at ``path``."""
        return show(path, self.noun)

    def wrong_type(self, node: yaml.Node, path: KeyPath, report: Report) -> Any:
        """Report that ``node`` is not what this spec wants; returns ``INVALID``."""
        report.error(node, f"{self.subject(path)} must be {self.label}, not {describe(node)}")
        return INVALID


@dataclass(frozen=True)
class Str(Spec):
    """One line or block of text. Numbers, dates and yes/no written unquoted count as the text they were written
    as (``keywords: [4050]`` is the keyword "4050"), so staff need not know which words YAML treats specially."""

    pattern: str | None = None
    pattern_hint: str = ""  # the pattern in words, e.g. "may only contain a-z, 0-9 and '-'"
    known: tuple[str, ...] = ()  # values editors offer; others are allowed when they match ``pattern``
    allow_empty: bool = False
    noun: str = "text"
    label: ClassVar[str] = "text"

    def check(self, node: yaml.Node, path: KeyPath, report: Report) -> Any:
        if is_null(node):
            if self.allow_empty:
                return ""
            report.error(node, f"{self.subject(path)} is empty")
            return INVALID
        if not isinstance(node, yaml.ScalarNode):
            return self.wrong_type(node, path, report)
        # Block scalars (`|`) end with a newline and staff indent freely; neither is part of the text.
        value = node.value.strip()
        if not value and not self.allow_empty:
            report.error(node, f"{self.subject(path)} is empty")
            return INVALID
        if self.pattern and not re.fullmatch(self.pattern, value):
            report.error(node, f"{self.subject(path)} '{value}' {self.pattern_hint or 'has the wrong form'}")
            return INVALID
        return value

    def json_schema(self) -> dict[str, Any]:
        # Editors parse `keywords: [4050]` as a number; the loader reads it as the text "4050", so both may.
        schema: dict[str, Any] = {"type": ["string", "number", "boolean"]}
        if not self.allow_empty:
            schema["minLength"] = 1
        if self.pattern:
            schema["pattern"] = f"^(?:{self.pattern})$"  # JSON Schema patterns are unanchored
        if self.known:
            return {"anyOf": [{"enum": list(self.known)}, schema]}
        return schema


@dataclass(frozen=True)
class LocalizedText(Spec):
    """Text that is either a plain string or a map by language (``zh-Hant``, ``zh-Hans``, ``en``)."""

    noun: str = "text"
    label: ClassVar[str] = "text (a string, or a map with keys " + ", ".join(LANGS) + ")"

    def check(self, node: yaml.Node, path: KeyPath, report: Report) -> Any:
        if not isinstance(node, yaml.MappingNode):
            if isinstance(node, yaml.SequenceNode):
                return self.wrong_type(node, path, report)
            return Str(noun=self.noun).check(node, path, report)
        if not node.value:
            report.error(node, f"{self.subject(path)} has no text in any language")
            return INVALID
        by_lang: dict[str, str] = {}
        for lang, key_node, value_node in mapping_pairs(node, self.subject(path), report):
            if lang not in LANGS:
                report.error(key_node, f"unknown language `{lang}` in {self.subject(path)}"
                                       f"{did_you_mean(lang, LANGS)} (use {', '.join(LANGS)})")
                continue
            value = Str().check(value_node, path + (lang,), report)
            if value is not INVALID:
                by_lang[lang] = value
        return by_lang or INVALID

    def json_schema(self) -> dict[str, Any]:
        return {"anyOf": [
            Str().json_schema(),
            {"type": "object", "minProperties": 1, "additionalProperties": False,
             "properties": {lang: Str().json_schema() for lang in LANGS}},
        ]}


@dataclass(frozen=True)
class Number(Spec):
    """An integer (``integer=True``) or any number, optionally within ``minimum``..``maximum``."""

    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    noun: str = "number"

    @property
    def label(self) -> str:  # type: ignore[override]
        return "a whole number" if self.integer else "a number"

    def check(self, node: yaml.Node, path: KeyPath, report: Report) -> Any:
        allowed = (_INT,) if self.integer else (_INT, _FLOAT)
        if not isinstance(node, yaml.ScalarNode) or node.tag not in allowed:
            return self.wrong_type(node, path, report)
        value = to_python(node)
        too_low = self.minimum is not None and value < self.minimum
        too_high = self.maximum is not None and value > self.maximum
        if not math.isfinite(value) or too_low or too_high:
            low = "" if self.minimum is None else f"{self.minimum:g}"
            high = "" if self.maximum is None else f"{self.maximum:g}"
            bounds = (f"between {low} and {high}" if low and high else
                      f"at least {low}" if low else f"at most {high}" if high else "a finite number")
            report.error(node, f"{self.subject(path)} must be {bounds}, not {node.value}")
            return INVALID
        return value

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer" if self.integer else "number"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema


@dataclass(frozen=True)
class Date(Spec):
    """A calendar date written ``YYYY-MM-DD``, quoted or not."""

    noun: str = "date"
    label: ClassVar[str] = "a date written YYYY-MM-DD"

    def check(self, node: yaml.Node, path: KeyPath, report: Report) -> Any:
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
            return self.wrong_type(node, path, report)
        text = node.value.strip()
        if not _DATE_RE.fullmatch(text):
            report.error(node, f"{self.subject(path)} must be {self.label}, not '{text}'")
            return INVALID
        try:
            return date.fromisoformat(text)
        except ValueError:
            report.error(node, f"{self.subject(path)} '{text}' is not a real date")
            return INVALID

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


@dataclass(frozen=True)
class Bool(Spec):
    """``true`` or ``false``."""

    noun: str = "value"
    label: ClassVar[str] = "true or false"

    def check(self, node: yaml.Node, path: KeyPath, report: Report) -> Any:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _BOOL:
            return self.wrong_type(node, path, report)
        return to_python(node)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True)
class Enum(Spec):
    """One of a fixed set of words."""

    values: tuple[str, ...] = ()
    noun: str = "value"

    @property
    def label(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(self.values)

    def check(self, node: yaml.Node, path: KeyPath, report: Report) -> Any:
        value = Str(noun=self.noun).check(node, path, report)
        if value is INVALID:
            return INVALID
        if value not in self.values:
            report.error(node, f"{self.subject(path)} must be {self.label}, not '{value}'"
                               f"{did_you_mean(value, self.values)}")
            return INVALID
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"enum": list(self.values)}


class Seq(tuple[Any, ...]):
    """A checked list: the usable values, and ``lines[i]``, the line value ``i`` was written on."""

    lines: tuple[int, ...]

    def __new__(cls, values: Sequence[Any], lines: Sequence[int]) -> Seq:
        self = super().__new__(cls, values)
        self.lines = tuple(lines)
        return self


@dataclass(frozen=True)
class ListOf(Spec):
    """A YAML list whose items all follow ``item``."""

    item: Spec = Str()
    min_items: int = 0
    unique: bool = False  # the same item written twice is an error (for lists of text)
    item_noun: str = "item"
    noun: str = "list"
    label: ClassVar[str] = "a list"

    def check(self, node: yaml.Node, path: KeyPath, report: Report) -> Any:
        if not isinstance(node, yaml.SequenceNode):
            return self.wrong_type(node, path, report)
        subject = self.subject(path)
        count = len(node.value)
        if count < self.min_items:
            need = f"{self.min_items} {self.item_noun}{'s' if self.min_items > 1 else ''}"
            has = f"has {count} {self.item_noun}{'s' if count > 1 else ''}; it needs"
            report.error(node, f"{subject} is empty; give at least {need}" if count == 0 else
                               f"{subject} {has} at least {need}")
        values: list[Any] = []
        lines: list[int] = []
        seen: dict[object, int] = {}  # a unique list's values → the line each was first written on
        for index, child in enumerate(node.value):
            value = self.item.check(child, path + (index,), report)
            if value is INVALID:
                continue
            if self.unique:
                if value in seen:
                    report.error(child, f"{subject} lists '{value}' twice (first on line {seen[value]})")
                    continue
                seen[value] = line_of(child)
            values.append(value)
            lines.append(line_of(child))
        return Seq(values, lines)

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": self.item.json_schema()}
        if self.min_items:
            schema["minItems"] = self.min_items
        if self.unique:
            schema["uniqueItems"] = True
        return schema


@dataclass(frozen=True)
class Field:
    """One key of a mapping. ``nullable``: an explicit empty value (``~``/``null``) is meaningful and kept as None."""

    name: str
    spec: Spec
    required: bool = False
    description: str = ""
    nullable: bool = False

    def json_schema(self) -> dict[str, Any]:
        """The field's value schema with its description."""
        schema = self.spec.json_schema()
        if self.nullable:
            schema = {"anyOf": [schema, {"type": "null"}]}
        if self.description:
            # The field's own description says more in its place than the generic one of its spec.
            schema = {"description": self.description, **{k: v for k, v in schema.items() if k != "description"}}
        return schema


class Record(dict[str, Any]):
    """A checked mapping: its usable values by key, where it was written, and the line of each value."""

    def __init__(self, file: str, line: int):
        super().__init__()
        self.file = file
        self.line = line
        self.lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        """The line of the value of ``key``, else the line the mapping starts on."""
        return self.lines.get(key, self.line)


@dataclass(frozen=True)
class Mapping(Spec):
    """A mapping with known keys; any other key is an error (with a "did you mean" when one is close)."""

    fields: tuple[Field, ...] = ()
    noun: str = "map"
    description: str = ""
    label: ClassVar[str] = "a map of `key: value` lines"

    def check(self, node: yaml.Node, path: KeyPath, report: Report) -> Any:
        if not isinstance(node, yaml.MappingNode):
            return self.wrong_type(node, path, report)
        subject = self.subject(path)
        by_name = {f.name: f for f in self.fields}
        record = Record(report.file, line_of(node))
        given: set[str] = set()
        for key, key_node, value_node in mapping_pairs(node, subject, report):
            spec_field = by_name.get(key)
            if spec_field is None:
                hint = did_you_mean(key, list(by_name)) or f" (known keys: {', '.join(by_name)})"
                report.error(key_node, f"unknown key `{key}` in {subject}{hint}")
                continue
            given.add(key)
            record.lines[key] = line_of(value_node)
            if is_null(value_node) and spec_field.nullable:
                record[key] = None
                continue
            if is_null(value_node) and not spec_field.required:
                continue  # `updated:` left blank reads as "not given", as it would to a person
            value = spec_field.spec.check(value_node, path + (key,), report)
            if value is not INVALID:
                record[key] = value
        for spec_field in self.fields:
            if spec_field.required and spec_field.name not in given:
                report.error(node, f"{subject} is missing required key `{spec_field.name}`")
        return record

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object"}
        if self.description:
            schema["description"] = self.description
        schema["properties"] = {f.name: f.json_schema() for f in self.fields}
        required = [f.name for f in self.fields if f.required]
        if required:
            schema["required"] = required
        schema["additionalProperties"] = False
        return schema


def check_list(node: yaml.Node, key: str, item: Spec, report: Report) -> list[Any]:
    """Check a top-level section ``key`` that is a list of ``item``; each item is named by ``item.noun``."""
    if not isinstance(node, yaml.SequenceNode):
        report.error(node, f"`{key}` must be a list (lines starting with '- '), not {describe(node)}")
        return []
    values = (item.check(child, (), report) for child in node.value)
    return [value for value in values if value is not INVALID]
