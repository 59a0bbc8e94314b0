"""Who an announcement goes to. Each ``AudienceSource`` offers options (shown to staff as buttons) and resolves
one option to recipients at the moment of sending.

``SubscriberAudiences`` offers every subscriber and each community of the knowledge base. Other features add
sources (e.g. everyone who answered a consultation, for "you said, we did") by appending to
``StaffTools.audiences``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from bot.core.i18n import Texts
from bot.core.knowledge.model import KnowledgeBase, Text
from bot.core.language import Lang
from bot.core.staff.ports import SubscriptionStore


@dataclass(frozen=True, slots=True)
class Audience:
    """One choice of recipients: ``source`` names the ``AudienceSource``, ``key`` what it means to that source,
    ``name`` is what staff read (plain text), ``count`` is how many recipients it had when offered."""

    source: str
    key: str
    name: str
    count: int


class AudienceSource(Protocol):
    name: str  # short ASCII id, stored in the staff member's flow data

    async def options(self, kb: KnowledgeBase, t: Texts, lang: Lang) -> list[Audience]: ...

    async def recipients(self, key: str) -> list[str]: ...


def communities(kb: KnowledgeBase) -> dict[str, Text]:
    """The communities named in the knowledge base (``community`` of its entries), by their Traditional name."""
    found: dict[str, Text] = {}
    for entry in kb.entries:
        if entry.community:
            found.setdefault(entry.community.get("zh-Hant"), entry.community)
    return dict(sorted(found.items()))


def community_token(name: str) -> str:
    """A short ASCII stand-in for a community name, for button actions (names are Chinese and may be long)."""
    return hashlib.blake2b(name.encode(), digest_size=6).hexdigest()


class SubscriberAudiences:
    """Announcement subscribers: all of them, or those of one community (plus whole-district subscribers)."""

    name = "sub"

    def __init__(self, subscriptions: SubscriptionStore):
        self.subscriptions = subscriptions

    async def options(self, kb: KnowledgeBase, t: Texts, lang: Lang) -> list[Audience]:
        everyone = len(await self.subscriptions.recipients(None))
        offered = [Audience(self.name, "", t("staff.audience_all"), everyone)]
        for key, name in communities(kb).items():
            offered.append(Audience(self.name, key, name.get(lang), len(await self.subscriptions.recipients(key))))
        return offered

    async def recipients(self, key: str) -> list[str]:
        return await self.subscriptions.recipients(key or None)
