"""Every language has the same messages with the same placeholders, so no resident ever sees a missing text."""
import pytest

from bot.core.i18n import CATALOGUES, template_fields, texts_for


def test_every_language_has_the_same_keys():
    reference = set(CATALOGUES["zh-Hant"])
    for lang, catalogue in CATALOGUES.items():
        assert set(catalogue) == reference, lang


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_placeholders_match_the_traditional_text(lang):
    for key, template in CATALOGUES["zh-Hant"].items():
        assert template_fields(CATALOGUES[lang][key]) == template_fields(template), f"{lang}:{key}"


def test_simplified_catalogue_is_really_simplified():
    from bot.core.language import to_simplified

    for key, template in CATALOGUES["zh-Hans"].items():
        template = template.replace("繁體", "")  # a language's own name is written in that language
        assert to_simplified(template) == template, key


def test_texts_fill_placeholders():
    assert "3" in texts_for("en")("category_page", category="X", page=1, pages=3)
