"""Keyed hashes of residents' user keys: for exports, and to stop double answers to anonymous consultations.

HMAC-SHA256 with ``Settings.export_salt`` (``EXPORT_SALT``): without the salt nobody can test a known Telegram id
against an export or a participation token, which a plain hash of a small-number id would allow.
"""
from __future__ import annotations

import hashlib
import hmac


def resident_hash(user: str, salt: str) -> str:
    """A stable pseudonym for ``user`` in exports (hex)."""
    return hmac.new(salt.encode(), b"resident\0" + user.encode(), hashlib.sha256).hexdigest()


def participation_token(user: str, consultation_id: str, salt: str) -> str:
    """Marks "this resident answered this anonymous consultation" without saying which submission is theirs; a
    different domain prefix from ``resident_hash`` so an export never reveals a token."""
    message = b"participation\0" + user.encode() + b"\0" + consultation_id.encode()
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()
