"""The specs of values made of other values: a list of items, and a mapping with known keys (``Field``s).

What they return keeps the lines their parts were written on, so checks made later (across files, or by a section's
own parser) still report ``FILE:LINE``: ``Seq`` for a list, ``Record`` for a mapping.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml

from bot.core.knowledge.spec import INVALID, KeyPath, Spec, Str
from bot.core.knowledge.yaml_nodes import Report, describe, did_you_mean, is_null, line_of, mapping_pairs


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
