"""The consultations residents can answer, by id.

Every message of a consultation looks its consultation up (the id is in the flow data); the knowledge snapshot
builds this index once (``KnowledgeSnapshot.derived``) instead of every lookup scanning the list.
"""
from __future__ import annotations

from bot.core.feedback.model import Consultation
from bot.core.knowledge.model import KnowledgeBase


class OpenConsultations:
    """The open consultations of one knowledge base, in their order, and by id."""

    def __init__(self, kb: KnowledgeBase):
        self.all: tuple[Consultation, ...] = tuple(c for c in kb.consultations if c.open)
        self._by_id = {c.id: c for c in self.all}

    def get(self, consultation_id: str | None) -> Consultation | None:
        return self._by_id.get(consultation_id) if isinstance(consultation_id, str) else None
