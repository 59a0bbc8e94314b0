""""You said, we did": an announcement to everyone who answered a consultation, open or closed.

An ``AudienceSource`` (see ``audience.py``) the composition root appends to ``StaffTools.audiences``. Recipients
are the residents linked to a submission (``FeedbackStore.respondents``): anonymous answers and residents who used
``/forget_me`` cannot be reached, and are not counted. Respondents get the announcement whether or not they
subscribed: it is the answer to what they themselves said.
"""
from __future__ import annotations

from bot.core.dialog.render import text_of
from bot.core.feedback.ports import FeedbackStore
from bot.core.i18n import Texts
from bot.core.knowledge.model import KnowledgeBase
from bot.core.language import Lang
from bot.core.staff.audience import Audience


class RespondentAudiences:
    """One option per consultation of the knowledge base with at least one reachable respondent."""

    name = "resp"

    def __init__(self, store: FeedbackStore):
        self.store = store

    async def options(self, kb: KnowledgeBase, t: Texts, lang: Lang) -> list[Audience]:
        offered = []
        for consultation in kb.consultations:
            count = len(await self.store.respondents(consultation.id))
            if count:
                name = t("review.audience_respondents", title=text_of(consultation.title, lang))
                offered.append(Audience(self.name, consultation.id, name, count))
        return offered

    async def recipients(self, key: str) -> list[str]:
        return await self.store.respondents(key)
