"""Read a knowledge directory (every ``*.yaml`` file) into a ``KnowledgeBase``, or report every mistake in it.

Each top-level key of a file is a *section* with its own parser (``sections.SECTIONS``); files are found and read
by ``files.py``. Once every file is read, checks across files follow (duplicate ids, unknown categories,
``related`` and regression ids that name no entry). Nothing is built until the whole directory is clean, so a
half-valid knowledge base never reaches residents.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bot.core.errors import KnowledgeBaseInvalid, Problem
from bot.core.knowledge.compound_specs import Record
from bot.core.knowledge.files import knowledge_files, read_yaml
from bot.core.knowledge.limits import MAX_TOTAL_BYTES, check_sizes
from bot.core.knowledge.model import (
    BUILTIN_CATEGORIES,
    Category,
    Contact,
    Entry,
    KnowledgeBase,
    Location,
    RegressionCase,
    Text,
)
from bot.core.knowledge.sections import SECTIONS, CrossCheck
from bot.core.knowledge.yaml_nodes import Report, describe, did_you_mean, is_null, mapping_pairs

_ID_CUTOFF = 0.8  # see did_you_mean


def load_knowledge(directory: str | Path) -> KnowledgeBase:
    """Read every ``*.yaml`` file of ``directory``; raise ``KnowledgeBaseInvalid`` listing every problem found."""
    root = Path(directory)
    problems: list[Problem] = []
    items: dict[str, list[Any]] = {key: [] for key in SECTIONS}
    budget = [MAX_TOTAL_BYTES]  # bytes the remaining files may still take
    complete = True
    for path in knowledge_files(root, problems):
        report = Report(str(root / path.name), problems)
        node = read_yaml(path, report, budget)
        complete = complete and node is not None
        for key, value_node in _sections(node, report) if node is not None else ():
            items[key].extend(SECTIONS[key].parse(value_node, report))
    _check_across_files(items, problems, complete)
    check_sizes(items["entries"], problems)
    if problems:
        raise KnowledgeBaseInvalid(problems)
    return KnowledgeBase(
        entries=tuple(_entry(r) for r in items.pop("entries")),
        # Built-in categories first (their titles come from the i18n catalogues), then the declared ones.
        categories=tuple(Category(c, Text.of(c)) for c in BUILTIN_CATEGORIES)
        + tuple(Category(r["id"], Text.of(r["title"])) for r in items.pop("categories")),
        synonyms=tuple(tuple(group) for group in items.pop("synonyms")),
        regression=tuple(RegressionCase(r["question"], r["expect"], r.file, r.line) for r in items.pop("regression")),
        directory=str(root),
        **{key: tuple(values) for key, values in items.items()},
    )


def _sections(node: yaml.Node, report: Report) -> Iterable[tuple[str, yaml.Node]]:
    known = list(SECTIONS)
    if not isinstance(node, yaml.MappingNode):
        report.error(node, f"the top level must be a map with one or more of the keys {', '.join(known)}, "
                           f"not {describe(node)}")
        return
    for key, key_node, value_node in mapping_pairs(node, "the top level", report):
        if key in SECTIONS:
            # `synonyms:` with every item commented out is an empty section, not a mistake.
            if not is_null(value_node):
                yield key, value_node
        else:
            hint = did_you_mean(key, known) or f" (use {', '.join(known)})"
            report.error(key_node, f"unknown top-level key `{key}`{hint}")


def _check_across_files(items: dict[str, list[Any]], problems: list[Problem], complete: bool = True) -> None:
    """Checks across files; ``complete`` False (a file could not be read): ids named elsewhere may be in that file,
    so "names no entry" is not reported — one mistake, one message."""
    category_ids = _check_categories(items["categories"], problems)
    entry_ids = _check_entries(items["entries"], category_ids, problems, complete)
    ids = sorted(entry_ids)
    for case in items["regression"] if complete else ():
        expect = case.get("expect")
        if expect is not None and expect not in entry_ids:
            problems.append(Problem(case.file, case.line_of("expect"),
                                    f"`expect` names '{expect}', which is not an entry id"
                                    f"{did_you_mean(expect, ids, _ID_CUTOFF)}"))
    refs = tuple((e.file, e.line_of("consultation"), e["consultation"])
                 for e in items["entries"] if e.get("consultation") is not None)
    cross = CrossCheck(frozenset(entry_ids), frozenset(category_ids), problems, refs, complete)
    for key, section in SECTIONS.items():
        if section.check:
            section.check(items[key], cross)


def _remember_id(seen: dict[str, Record], record: Record, problems: list[Problem], what: str) -> None:
    """Remember where an id was first defined; report a second definition together with the first one's place."""
    key = record["id"]
    first = seen.setdefault(key, record)
    if first is not record:
        problems.append(Problem(record.file, record.line_of("id"), f"duplicate {what} '{key}' "
                                f"(first defined at {Path(first.file).name}:{first.line_of('id')})"))


def _check_categories(categories: list[Record], problems: list[Problem]) -> set[str]:
    seen: dict[str, Record] = {}
    for category in categories:
        if "id" not in category:
            continue
        if category["id"] in BUILTIN_CATEGORIES:
            problems.append(Problem(category.file, category.line_of("id"), f"category '{category['id']}' is "
                                    "built in; declare only extra categories"))
            continue
        _remember_id(seen, category, problems, "category id")
    return set(BUILTIN_CATEGORIES) | set(seen)


def _check_entries(entries: list[Record], category_ids: set[str], problems: list[Problem],
                   complete: bool = True) -> set[str]:
    seen: dict[str, Record] = {}
    for entry in entries:
        if "id" in entry:
            _remember_id(seen, entry, problems, "id")
        category = entry.get("category")
        if category is not None and category not in category_ids and complete:
            choices = sorted(category_ids)
            problems.append(Problem(entry.file, entry.line_of("category"), f"unknown category '{category}'"
                                    f"{did_you_mean(category, choices) or ' (declare it under `categories`)'}"))
    ids = sorted(seen)
    for entry in entries:
        related = entry.get("related", ())
        for related_id, line in zip(related, getattr(related, "lines", ()), strict=False):
            if related_id == entry.get("id"):
                problems.append(Problem(entry.file, line, "an entry cannot be related to itself"))
            elif related_id not in seen and complete:
                problems.append(Problem(entry.file, line, f"`related` names '{related_id}', which is not an "
                                                          f"entry id{did_you_mean(related_id, ids, _ID_CUTOFF)}"))
    return set(seen)


def _optional_text(value: Any) -> Text | None:
    return None if value is None else Text.of(value)


def _entry(r: Record) -> Entry:
    contact = r.get("contact")
    location = r.get("location")
    return Entry(
        id=r["id"],
        category=r["category"],
        title=Text.of(r["title"]),
        questions=tuple(r["questions"]),
        answer=Text.of(r["answer"]),
        keywords=tuple(r.get("keywords", ())),
        contact=Contact(**{k: Text.of(v) for k, v in contact.items()}) if contact else None,
        location=Location(float(location["lat"]), float(location["lon"])) if location else None,
        community=_optional_text(r.get("community")),
        source=_optional_text(r.get("source")),
        short=_optional_text(r.get("short")),
        updated=r.get("updated"),
        related=tuple(r.get("related", ())),
        consultation=r.get("consultation"),
        file=r.file,
        line=r.line,
    )
