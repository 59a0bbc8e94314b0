"""Languages and scripts: which one a resident writes in, and converting text to it.

The bot speaks ``zh-Hant`` (the knowledge base is written in Traditional Chinese), ``zh-Hans`` and ``en``.
Conversion uses OpenCC's C++ wheel (microseconds per call).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Final, Literal, Protocol

import opencc

Lang = Literal["zh-Hant", "zh-Hans", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh-Hant", "zh-Hans", "en")
DEFAULT_LANG: Final[Lang] = "zh-Hant"


class Converter(Protocol):
    """An OpenCC converter as used here: its ``convert`` returns the converted text, unannotated in the package."""

    def convert(self, text: str) -> str: ...


_T2S: Converter = opencc.OpenCC("t2s")
_S2T: Converter = opencc.OpenCC("s2t")


def to_simplified(text: str) -> str:
    return _T2S.convert(text)


def to_traditional(text: str) -> str:
    return _S2T.convert(text)


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


@lru_cache(maxsize=4096)
def detect_script(text: str) -> Lang | None:
    """The script a message is written in, or None when it cannot tell (no Chinese, or only shared characters).

    A message whose characters change under traditional→simplified conversion is Traditional; one that changes
    under simplified→traditional is Simplified. Latin letters with no Chinese at all count as English.
    """
    han = "".join(ch for ch in text if _is_han(ch))
    if not han:
        letters = sum(ch.isascii() and ch.isalpha() for ch in text)
        return "en" if letters >= 2 else None
    simplified = _T2S.convert(han)
    traditional = _S2T.convert(han)
    trad_marks = sum(a != b for a, b in zip(han, simplified, strict=False))
    simp_marks = sum(a != b for a, b in zip(han, traditional, strict=False))
    if trad_marks > simp_marks:
        return "zh-Hant"
    if simp_marks > trad_marks:
        return "zh-Hans"
    return None


def lang_from_code(code: str | None) -> Lang | None:
    """Map a Telegram ``language_code`` (IETF tag) to a bot language."""
    if not code:
        return None
    code = code.lower().replace("_", "-")
    if code.startswith("zh"):
        traditional_tags = ("hant", "-tw", "-hk", "-mo")
        return "zh-Hant" if any(tag in code for tag in traditional_tags) else "zh-Hans"
    if code.startswith("en"):
        return "en"
    return None


def choose_lang(text: str | None, language_code: str | None, remembered: Lang | None) -> Lang:
    """The language to answer in: a remembered ``/language`` choice, then the message's script, then Telegram's
    ``language_code``, then Traditional Chinese."""
    if remembered:
        return remembered
    if text:
        script = detect_script(text)
        if script:
            return script
    return lang_from_code(language_code) or DEFAULT_LANG


def in_script(text: str, lang: Lang) -> str:
    """Show Traditional text to a Simplified reader in Simplified; anything else as written."""
    return to_simplified(text) if lang == "zh-Hans" else text
