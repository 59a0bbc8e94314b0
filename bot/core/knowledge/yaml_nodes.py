"""PyYAML nodes, and the problems reported at their lines.

Knowledge files are parsed with ``compose`` (not ``load``): only nodes remember where they were written, so only
they let every problem carry its 1-based line. This module holds what reading those nodes needs whatever value
they hold: parsing, a node's line and its value, how a message describes a node, the keys of a mapping, and the
``Report`` that collects one file's problems. What a value may be is said by the field specs of ``spec.py``.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from typing import Any

import yaml

from bot.core.errors import Problem

_TAG = "tag:yaml.org,2002:"
NULL_TAG, BOOL_TAG, INT_TAG, FLOAT_TAG, TIMESTAMP_TAG = (
    _TAG + t for t in ("null", "bool", "int", "float", "timestamp"))

# The C parser is ~10x faster and gives nodes the same marks; fall back when PyYAML was built without libyaml.
YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def describe(node: yaml.Node) -> str:
    """What a node is, in the words of a "must be …, not …" message."""
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a map"
    # A whole answer pasted where a list belongs would swamp the message; its start is enough to find it.
    text = node.value if len(node.value) <= 30 else node.value[:30] + "…"
    return {NULL_TAG: "empty", BOOL_TAG: "true/false", INT_TAG: "a number", FLOAT_TAG: "a number",
            TIMESTAMP_TAG: "a date"}.get(node.tag, f"'{text}'")


def is_null(node: yaml.Node) -> bool:
    """Whether a node is YAML's empty value (``~``, ``null`` or nothing after the colon)."""
    return isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG


def mapping_pairs(node: yaml.MappingNode, subject: str,
                  report: Report) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
    """``(key, key_node, value_node)`` of a mapping; reports non-text keys and keys written twice.

    YAML itself silently keeps the last of two equal keys, which would hide half of a staff member's edit.
    """
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == NULL_TAG:
            report.error(key_node, f"a key in {subject} must be a plain word, not {describe(key_node)}")
            continue
        key = key_node.value
        if key in seen:
            report.error(key_node, f"key `{key}` appears twice in {subject} (first on line {seen[key]})")
            continue
        seen[key] = line_of(key_node)
        yield key, key_node, value_node
