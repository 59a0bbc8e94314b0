"""Keyed hashes of residents' user keys: for exports, and to stop double answers to anonymous consultations.

HMAC-SHA256 with ``Settings.export_salt`` (``EXPORT_SALT``): without the salt nobody can test a known Telegram id
against an export or a participation token, which a plain hash of a small-number id would allow.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping


def resident_hash(user: str, salt: str) -> str:
    """A stable pseudonym for ``user`` in exports (hex)."""
    return hmac.new(salt.encode(), b"resident\0" + user.encode(), hashlib.sha256).hexdigest()


def participation_token(user: str, consultation_id: str, salt: str) -> str:
    """Marks "this resident answered this anonymous consultation" without saying which submission is theirs; a
    different domain prefix from ``resident_hash`` so an export never reveals a token."""
    message = b"participation\0" + user.encode() + b"\0" + consultation_id.encode()
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()


def typed_by_resident(consultation_id: str | None, question_id: str, value: object,
                      typed_questions: Mapping[str, Collection[str]] | None) -> bool:
    """Whether an answer is text the resident typed, to erase at ``/forget_me``: a text answer to a question
    ``typed_questions`` (consultation id → ids of its text questions) lists as typed. For a consultation it does not
    know (None: none known; or one removed from the knowledge base) every text value counts as typed, since typed
    text and option ids cannot be told apart there: erasing one option too many beats keeping a typed one."""
    if not isinstance(value, str):
        return False  # scale values and multiple choices are never typed
    if typed_questions is None or consultation_id is None or consultation_id not in typed_questions:
        return True
    return question_id in typed_questions[consultation_id]
