"""The weekly digest: for staff who opted in (``/digest on``), the unanswered questions of the last seven days,
grouped and with the nearest entry, so they know which entries to add or which phrasings to attach."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta, timezone
from html import escape

from bot.core.dialog.render import text_of
from bot.core.i18n import Texts, texts_for
from bot.core.knowledge.model import KnowledgeBase
from bot.core.knowledge.service import KnowledgeService
from bot.core.language import Lang
from bot.core.messages import Button, Reply
from bot.core.ports import ResidentStore
from bot.core.staff.ports import DigestStore
from bot.core.staff.teach import PREFIX as TEACH
from bot.core.staff.text import quote
from bot.core.staff.unanswered import UnansweredGroup, group_unanswered
from bot.core.staff.watcher import staff_language

PERIOD = timedelta(days=7)
#: Groups listed in the chat; the CLI lists them all.
TOP_GROUPS = 10
#: Characters of a question quoted in the digest (residents sometimes paste whole letters).
QUOTE_CHARS = 80
#: When the digest goes out: Monday 09:00 in the district (China Standard Time, UTC+8, no daylight saving).
DIGEST_WEEKDAY = 0
DIGEST_TIME = time(9, 0)
DISTRICT_TZ = timezone(timedelta(hours=8))


def next_digest_time(after: datetime) -> datetime:
    """The first digest moment strictly after ``after`` (aware), for the adapter's weekly loop."""
    local = after.astimezone(DISTRICT_TZ)
    days = (DIGEST_WEEKDAY - local.weekday()) % 7
    candidate = datetime.combine(local.date() + timedelta(days=days), DIGEST_TIME, DISTRICT_TZ)
    return candidate if candidate > local else candidate + timedelta(days=7)


class WeeklyDigest:
    def __init__(self, residents: ResidentStore, digests: DigestStore, knowledge: KnowledgeService,
                 staff_users: Sequence[str], clock: Callable[[], datetime]):
        self.residents = residents
        self.digests = digests
        self.knowledge = knowledge
        self.staff_users = frozenset(staff_users)
        self.clock = clock

    async def weekly_digest(self) -> list[Reply]:
        """One digest message for each opted-in staff member (the adapter calls this once a week). Someone no
        longer in STAFF_IDS gets nothing, even if they opted in while they were."""
        recipients = [u for u in await self.digests.digest_recipients() if u in self.staff_users]
        if not recipients:
            return []
        since = self.clock() - PERIOD
        snapshot = self.knowledge.current
        groups = group_unanswered(await self.residents.unanswered(since), snapshot.matcher)
        replies = []
        for user in recipients:
            lang = await staff_language(self.residents, user)
            t = texts_for(lang)
            # One tap from the digest to /teach: the groups one at a time, with attach / new entry / ignore.
            teach = ((Button(t("teach.button_start"), f"{TEACH}:s"),),) if groups else ()
            replies.append(Reply(html=digest_html(groups, snapshot.kb, since, t, lang), to=user, buttons=teach))
        return replies


def digest_html(groups: list[UnansweredGroup], kb: KnowledgeBase, since: datetime, t: Texts, lang: Lang) -> str:
    """The digest message: totals, the most asked groups with their nearest entry, where to see everything."""
    day = since.date().isoformat()
    if not groups:
        return t("staff.digest_empty", since=day)
    lines = [t("staff.digest_title", count=sum(g.count for g in groups), groups=len(groups), since=day)]
    for group in groups[:TOP_GROUPS]:
        entry = kb.get(group.nearest_id) if group.nearest_id else None
        nearest = (f"{escape(text_of(entry.title, lang))} (<code>{escape(entry.id)}</code>)" if entry
                   else t("staff.digest_nearest_none"))
        lines.append(t("staff.digest_item", count=group.count, question=escape(_quote(group.representative)),
                       nearest=nearest))
    lines.append(t("staff.digest_footer", since=day))
    return "\n".join(lines)


def _quote(text: str) -> str:
    return quote(text, QUOTE_CHARS)
