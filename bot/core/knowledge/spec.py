"""Declarative field specs: what one YAML value of a knowledge file may be, checked against its PyYAML node.

A spec says what one YAML value may be: here text, text by language, a number in a range, a date or one of a
few words; a list of something or a mapping with known keys are in ``compound_specs.py``.
``spec.check(node, path, report)`` reports every mistake to ``report`` and returns the plain Python value
(``INVALID`` when nothing usable is left); ``spec.json_schema()`` describes the same rules as a JSON Schema
fragment, so the validator and the schema editors use can never disagree.

Nodes and the ``Report`` that gives every problem its 1-based line come from ``yaml_nodes.py``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import yaml

from bot.core.knowledge.yaml_nodes import (
    BOOL_TAG,
    FLOAT_TAG,
    INT_TAG,
    NULL_TAG,
    Report,
    describe,
    did_you_mean,
    is_null,
    mapping_pairs,
    to_python,
)
from bot.core.language import LANGS

ID_PATTERN = "[a-z0-9-]+"  # the whole value must match
ID_HINT = "may only contain a-z, 0-9 and '-'"

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

KeyPath = tuple[str | int, ...]  # keys and 0-based list indexes from the checked root


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


#: Returned by ``check`` when a value is unusable (its problem is already reported).
INVALID: Any = _Invalid()


def show(path: KeyPath, noun: str) -> str:
    """How a message names a value: ```contact.phone```, ```questions[2]``` (1-based), or ``noun`` at the root."""
    if not path:
        return noun
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else part)
    return f"`{text}`"


class Spec:
    """What one YAML value may be. Subclasses implement ``check`` and ``json_schema``."""

    #: How messages name the value when it is the root of a check (an entry, a synonym group).
    noun: str = "value"

    @property
    def label(self) -> str:
        """Completes "… must be ___, not a list". A property so that ``Number`` and ``Enum`` can word it from
        their settings; specs whose label never changes override it with a ``ClassVar``."""
        return "a value"

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
    def label(self) -> str:
        return "a whole number" if self.integer else "a number"

    def check(self, node: yaml.Node, path: KeyPath, report: Report) -> Any:
        allowed = (INT_TAG,) if self.integer else (INT_TAG, FLOAT_TAG)
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
        if not isinstance(node, yaml.ScalarNode) or node.tag == NULL_TAG:
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
        if not isinstance(node, yaml.ScalarNode) or node.tag != BOOL_TAG:
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
    def label(self) -> str:
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
