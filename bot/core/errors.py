"""Typed errors of the core. The edges turn them into plain words; residents never see a traceback."""
from __future__ import annotations

from dataclasses import dataclass


class CoreError(Exception):
    """Base of every error the core raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a staff-edited file, reported as ``FILE:LINE: message``."""

    file: str
    line: int
    message: str
    #: The file could not be read at all (YAML syntax, encoding): listed before anything else.
    unreadable: bool = False

    def __str__(self) -> str:
        # Line 0 means the problem is with the file or directory as a whole, not a line in it.
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class KnowledgeBaseInvalid(CoreError):
    """The knowledge directory has mistakes; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        # A file that cannot be read is the mistake to fix first: the rest may follow from it.
        self.problems = sorted(problems, key=lambda p: (not p.unreadable, p.file, p.line, p.message))
        super().__init__(self.report())

    def report(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class ConfigurationError(CoreError):
    """A setting (environment variable) is missing or malformed; the message says which and how to fix it."""


class LimitExceeded(CoreError):
    """A resident hit an abuse limit (cooldown, one submission per consultation, text too long)."""

    def __init__(self, text_key: str, **params: object):
        self.text_key = text_key
        self.params = params
        super().__init__(text_key)


class StorageUnavailable(CoreError):
    """The store cannot read or write right now (disk full, read-only or damaged database file, I/O error). The
    write that raised it stored nothing; the message is the storage's own words, for the log."""


class TeachRefused(CoreError):
    """Something staff taught was not written (a hand edit meanwhile, a layout that cannot be kept, a regression
    question it would break, …); ``text_key`` and ``params`` say why in the staff member's words, nothing changed."""

    def __init__(self, text_key: str, **params: object):
        self.text_key = text_key
        self.params = params
        super().__init__(f"{text_key} {params}")
