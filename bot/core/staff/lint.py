"""``kb lint``: warnings about a valid knowledge base that will still serve residents badly.

- **collision**: a phrasing of one entry that the matcher answers with (or ranks first) another entry, so
  residents asking it that way get the wrong answer;
- **stale**: ``updated`` missing, or older than the allowed age (information nobody has verified lately);
- **facility**: a facility without opening hours or without coordinates (no map, no "nearest" search);
- **too long**: an answer that does not fit in one Telegram message once rendered (4096 characters);
- **venue**: a bookable venue that no entry links to (no `entry`), so no answer offers to book it;
- **few phrasings**: an entry with fewer than :data:`MIN_PHRASINGS` example questions, answered directly less often.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape

from bot.core.dialog.render import entry_reply
from bot.core.i18n import texts_for
from bot.core.knowledge.model import Entry, KnowledgeBase
from bot.core.language import LANGS, Lang
from bot.core.matching.matcher import Matcher

TELEGRAM_MESSAGE_LIMIT = 4096
DEFAULT_MAX_AGE_DAYS = 365
#: Example questions an entry should have. Four other districts' bases cut to their entries' first 2 questions
#: got 4-11 points fewer of their residents' questions answered directly than with their 3-4 (the rest only as
#: "did you mean" buttons), and a fifth district written with 2 throughout got 38 % (benchmarks/README.md).
MIN_PHRASINGS = 3
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class LintWarning:
    file: str
    line: int
    kind: str  # collision | stale | facility | too-long | venue | few phrasings
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: warning [{self.kind}]: {self.message}"


def visible_length(html: str) -> int:
    """What Telegram counts: the text without tags, entities decoded, in UTF-16 code units."""
    return len(unescape(_TAG.sub("", html)).encode("utf-16-le")) // 2


def collisions(kb: KnowledgeBase, matcher: Matcher) -> list[LintWarning]:
    """Questions of an entry that the matcher answers with another entry, or ranks another entry first for."""
    warnings = []
    for entry in kb.entries:
        for question in entry.questions:
            result = matcher.match(question)
            if result.outcome == "answer" and result.answer_id != entry.id:
                other, how = result.answer_id, "answered by"
            elif result.outcome != "answer" and result.candidates and result.candidates[0].entry_id != entry.id:
                other, how = result.candidates[0].entry_id, "ranked first for"
            else:
                continue
            warnings.append(LintWarning(entry.file, entry.line, "collision",
                                        f'{entry.id}: "{question}" is {how} {other} (score {result.score:.1f})'))
    return warnings


def stale_entries(kb: KnowledgeBase, today: date, max_age_days: int) -> list[LintWarning]:
    oldest = today - timedelta(days=max_age_days)
    warnings = []
    for entry in kb.entries:
        if entry.updated is None:
            warnings.append(LintWarning(entry.file, entry.line, "stale", f"{entry.id}: no `updated` date"))
        elif entry.updated < oldest:
            age = (today - entry.updated).days
            warnings.append(LintWarning(entry.file, entry.line, "stale",
                                        f"{entry.id}: last verified {entry.updated.isoformat()}, {age} days ago "
                                        f"(more than {max_age_days})"))
    return warnings


def incomplete_facilities(kb: KnowledgeBase) -> list[LintWarning]:
    warnings = []
    for entry in kb.in_category("facilities"):
        missing = [name for name, present in (("opening hours (contact.hours)", entry.contact and entry.contact.hours),
                                              ("coordinates (location)", entry.location)) if not present]
        if missing:
            warnings.append(LintWarning(entry.file, entry.line, "facility",
                                        f"{entry.id}: facility without {' and '.join(missing)}"))
    return warnings


def long_answers(kb: KnowledgeBase) -> list[LintWarning]:
    """Entries whose rendered answer (as residents get it, in any language) exceeds one Telegram message."""
    warnings = []
    for entry in kb.entries:
        longest = max((_rendered_length(kb, entry, lang), lang) for lang in LANGS)
        if longest[0] > TELEGRAM_MESSAGE_LIMIT:
            warnings.append(LintWarning(entry.file, entry.line, "too-long",
                                        f"{entry.id}: the answer is {longest[0]} characters in {longest[1]} once "
                                        f"rendered, more than one Telegram message ({TELEGRAM_MESSAGE_LIMIT})"))
    return warnings


def _rendered_length(kb: KnowledgeBase, entry: Entry, lang: Lang) -> int:
    return max(visible_length(r.html) for r in entry_reply(kb, entry, texts_for(lang), lang))


def unlinked_venues(kb: KnowledgeBase) -> list[LintWarning]:
    """Venues without an ``entry``: residents reading about the room are never offered to book it."""
    return [LintWarning(v.file, v.line, "venue", f"venue {v.id}: no entry links to it (give it `entry: ENTRY-ID`, "
                                                 "so the entry's answer offers to book it)")
            for v in kb.venues if v.entry is None]


def few_phrasings(kb: KnowledgeBase) -> list[LintWarning]:
    """Entries with fewer than :data:`MIN_PHRASINGS` example questions."""
    return [LintWarning(e.file, e.line, "few phrasings",
                        f"{e.id}: {len(e.questions)} example question{'' if len(e.questions) == 1 else 's'}; with "
                        f"{MIN_PHRASINGS} or more, written the way residents ask, more questions get a direct answer "
                        "instead of a choice of buttons")
            for e in kb.entries if len(e.questions) < MIN_PHRASINGS]


def lint(kb: KnowledgeBase, today: date, max_age_days: int = DEFAULT_MAX_AGE_DAYS,
         matcher: Matcher | None = None) -> list[LintWarning]:
    """Every warning, sorted by file and line."""
    warnings = [*collisions(kb, matcher or Matcher(kb)), *stale_entries(kb, today, max_age_days),
                *incomplete_facilities(kb), *long_answers(kb), *unlinked_venues(kb), *few_phrasings(kb)]
    return sorted(warnings, key=lambda w: (w.file, w.line, w.kind, w.message))
