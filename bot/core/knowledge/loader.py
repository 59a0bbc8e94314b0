"""Read a knowledge directory (every ``*.yaml`` file) into a ``KnowledgeBase``, or report every mistake in it.

Each top-level key of a file is a *section* with its own parser (``SECTIONS``). Parsers check one file's
value against the field specs of ``spec.py``; once every file is read, checks across files follow (duplicate
ids, unknown categories, ``related`` and regression ids that name no entry). Nothing is built until the whole
directory is clean, so a half-valid knowledge base never reaches residents.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.core.errors import KnowledgeBaseInvalid, Problem
from bot.core.knowledge import venues as _venues
from bot.core.knowledge.limits import (
    MAX_FILE_BYTES,
    MAX_TOTAL_BYTES,
    aliases_fit,
    check_sizes,
    mb,
)
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
from bot.core.knowledge.spec import (
    ID_HINT,
    ID_PATTERN,
    Date,
    Field,
    ListOf,
    LocalizedText,
    Mapping,
    Number,
    Record,
    Report,
    Spec,
    Str,
    check_list,
    compose,
    describe,
    did_you_mean,
    is_null,
    mapping_pairs,
    to_python,
)

_ID = Str(pattern=ID_PATTERN, pattern_hint=ID_HINT)
_ID_CUTOFF = 0.8  # see did_you_mean
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


def load_knowledge(directory: str | Path) -> KnowledgeBase:
    """Read every ``*.yaml`` file of ``directory``; raise ``KnowledgeBaseInvalid`` listing every problem found."""
    root = Path(directory)
    problems: list[Problem] = []
    items: dict[str, list[Any]] = {key: [] for key in SECTIONS}
    budget = [MAX_TOTAL_BYTES]  # bytes the remaining files may still take
    complete = True
    for path in _knowledge_files(root, problems):
        report = Report(str(root / path.name), problems)
        node = _read(path, report, budget)
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


def _knowledge_files(root: Path, problems: list[Problem]) -> list[Path]:
    if not root.exists():
        problems.append(Problem(str(root), 0, "knowledge directory not found (give another with --kb DIR "
                                              "or the KNOWLEDGE_DIR environment variable)"))
        return []
    if not root.is_dir():
        problems.append(Problem(str(root), 0, "this is a file, not a knowledge directory"))
        return []
    # Dot files are editor backups and lock files (".#services.yaml"), never knowledge.
    files = sorted(p for p in root.glob("*.yaml") if p.is_file() and not p.name.startswith("."))
    files = [p for p in files if _inside(root, p, problems)]
    if not files:
        misnamed = sorted(p.name for p in root.glob("*.yml"))
        hint = f" (rename {', '.join(misnamed)} to end in .yaml)" if misnamed else ""
        problems.append(Problem(str(root), 0, f"no *.yaml files in this directory{hint}"))
    return files


def _inside(root: Path, path: Path, problems: list[Problem]) -> bool:
    """Whether ``path`` (a symbolic link resolved) lies inside the knowledge directory. A file outside it is
    refused unread, so nothing of it (e.g. ``/etc/passwd``, a ``.env`` with the bot's token) can reach staff,
    residents or the audit log in an error message."""
    if path.resolve().is_relative_to(root.resolve()):
        return True
    problems.append(Problem(str(root / path.name), 0, "is a link to a file outside the knowledge directory; "
                                                      "not read (copy the file into the directory instead)"))
    return False


def _read(path: Path, report: Report, budget: list[int]) -> yaml.Node | None:
    limit = min(MAX_FILE_BYTES, budget[0])
    try:
        with path.open("rb") as file:  # never more than the limit and one byte is read, whatever its size
            raw = file.read(limit + 1)
    except OSError as error:
        _unreadable(report, 0, f"cannot read this file ({error.strerror})")
        return None
    if len(raw) > limit:
        if limit == MAX_FILE_BYTES:
            _unreadable(report, 0, f"larger than {mb(MAX_FILE_BYTES)}, the most a knowledge file may hold; not read "
                            "(split it into several files)")
        else:
            _unreadable(report, 0, f"the knowledge directory holds more than {mb(MAX_TOTAL_BYTES)} of files; "
                            "not read")
        return None
    budget[0] -= len(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        _unreadable(report, raw.count(b"\n", 0, error.start) + 1, "not UTF-8 text: save the file as UTF-8")
        return None
    try:
        node = compose(text)
        return node if node is None or aliases_fit(node, report) else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        _unreadable(report, line, f"malformed YAML: {_yaml_problem(error, text.splitlines(), line)}")
    except yaml.YAMLError as error:
        _unreadable(report, 1, f"malformed YAML: {error}")
    return None


def _unreadable(report: Report, line: int, message: str) -> None:
    report.problems.append(Problem(report.file, line, message, unreadable=True))


def _yaml_problem(error: yaml.MarkedYAMLError, lines: list[str], line: int) -> str:
    """The parser's words, with the mistakes staff make most often spelled out."""
    line_text = lines[line - 1:line]
    if "another document" in (error.problem or ""):
        return "a second document starts here (`---`); keep one document per file"
    if line_text and "\t" in line_text[0]:
        return "this line has a tab: indent with spaces only"
    if "mapping values are not allowed" in (error.problem or "") and line_text:
        return _too_deep(lines, line)
    problem = error.problem or "cannot read this"
    if error.context and error.context_mark:
        problem += f" ({error.context} started on line {error.context_mark.line + 1})"
    return problem


def _too_deep(lines: list[str], line: int) -> str:
    """"mapping values are not allowed here", in words: the line is indented under a key that already has a
    value on its own line, so YAML reads it as more of that value. Names that key and its line."""
    indent = len(lines[line - 1]) - len(lines[line - 1].lstrip(" "))
    for number in range(line - 1, 0, -1):
        text = lines[number - 1]
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(text) - len(text.lstrip(" ")) < indent:
            key = stripped.removeprefix("- ").split(":", 1)[0]
            return (f"indentation: this line is indented deeper than `{key}:` on line {number}, which already has "
                    f"a value there, so it cannot hold more keys; line this one up with `{key}:`, or move "
                    f"`{key}`'s value onto lines of their own below it")
    return "indentation: this line is indented deeper than the key above it; line it up with that key"


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
