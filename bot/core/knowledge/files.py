"""Finding and reading the files of a knowledge directory: which files count, and each one's YAML nodes.

A file is read only inside the directory and within the size limits (``limits.py``); what cannot be read is
reported as ``FILE:LINE: message`` marked unreadable, with YAML's parser errors put in staff's words (a tab, a
second document, a line indented too deep). What the nodes hold is checked by the sections (``sections.py``).
"""
from __future__ import annotations

from pathlib import Path

import yaml

from bot.core.errors import Problem
from bot.core.knowledge.limits import MAX_FILE_BYTES, MAX_TOTAL_BYTES, aliases_fit, mb
from bot.core.knowledge.yaml_nodes import Report, compose


def knowledge_files(root: Path, problems: list[Problem]) -> list[Path]:
    """The ``*.yaml`` files of the knowledge directory ``root``, in name order; reports a missing directory, one
    without knowledge files, and links to files outside it (those are left out)."""
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


def read_yaml(path: Path, report: Report, budget: list[int]) -> yaml.Node | None:
    """The nodes of one knowledge file, or None when it is empty or cannot be read (the reason is reported).
    ``budget[0]``: bytes the directory's remaining files may still take; what this file takes is subtracted."""
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
