"""Resident-facing wording, one module per language (``zh_hant``, ``zh_hans``, ``en``), looked up by key.

Templates use ``str.format`` fields; callers pass values already HTML-escaped when they come from residents or
the knowledge base. ``tests/test_i18n.py`` checks every language has the same keys and fields.
"""
from __future__ import annotations

import string
from collections.abc import Mapping
from types import MappingProxyType

from bot.core.i18n import en, zh_hans, zh_hant
from bot.core.language import DEFAULT_LANG, Lang

CATALOGUES: Mapping[Lang, Mapping[str, str]] = MappingProxyType({
    "zh-Hant": zh_hant.TEXTS,
    "zh-Hans": zh_hans.TEXTS,
    "en": en.TEXTS,
})


class Texts:
    """The wording for one language: ``texts("key", name=value)``."""

    def __init__(self, lang: Lang):
        self.lang = lang
        self._catalogue = CATALOGUES.get(lang) or CATALOGUES[DEFAULT_LANG]

    def __call__(self, key: str, /, **params: object) -> str:
        template = self._catalogue.get(key)
        if template is None:
            template = CATALOGUES[DEFAULT_LANG][key]
        return template.format(**params) if params else template


def template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def texts_for(lang: Lang) -> Texts:
    return _CACHE[lang] if lang in _CACHE else Texts(lang)


_CACHE: dict[str, Texts] = {lang: Texts(lang) for lang in CATALOGUES}
