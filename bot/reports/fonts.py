"""A font with Chinese glyphs for the charts, found and registered with matplotlib explicitly.

matplotlib ships only DejaVu fonts, which have no Chinese: without help every 中文 label is drawn as boxes. The
set-up (``make``) installs Debian's ``fonts-wqy-microhei`` (WenQuanYi Micro Hei, 1.6 MB, both scripts) when no
Chinese font is present and it runs as root with apt-get; anywhere else install any font of ``KNOWN_FAMILIES``.
Here the font *file* is looked up and handed to ``font_manager.addfont``, so it works even when matplotlib's font
cache predates the font's installation. With no such font the charts still render — with boxes — after a clear
warning in the log.

``python -m bot.reports.fonts`` says which font the charts use (exit 0) or how to get one (exit 1).
"""
from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

#: Font files tried first, most suitable first: Debian/Ubuntu packages, other Linux layouts, macOS, Windows.
KNOWN_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei (what the set-up installs)
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # fonts-noto-cjk
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/msjh.ttc",
)
#: Families matplotlib may already know from elsewhere (a font installed in ~/.fonts, …), preferred first.
KNOWN_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Source Han Sans SC", "Source Han Sans TC",
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback", "AR PL UMing CN", "PingFang SC",
    "Microsoft YaHei", "Microsoft JhengHei", "Heiti TC", "Arial Unicode MS",
)
#: A font is usable only if it has all of these: Traditional and Simplified forms of words the charts use.
PROBE = "區居民意見統計滿意度回覆统计满意度回复问题"
#: matplotlib's own font, second in the list: Latin letters, digits and punctuation the Chinese font lacks.
FALLBACK_FAMILY = "DejaVu Sans"
INSTALL_HINT = ("no font with Chinese glyphs found: chart labels will be drawn as boxes. Install one — on "
                "Debian/Ubuntu `apt-get install fonts-wqy-microhei` (the set-up `make` does it when run as root), "
                "or any of: " + ", ".join(KNOWN_FAMILIES[:6]) + " — and restart the bot.")


@dataclass(frozen=True, slots=True)
class ChartFont:
    """The Chinese font the charts use (``family`` as matplotlib names it) and every code point drawable with
    it and the fallback font."""

    family: str
    path: str
    drawable: frozenset[int]


def _charmap(path: str) -> frozenset[int]:
    from matplotlib import ft2font  # noqa: PLC0415 - matplotlib loads only when charts are drawn

    try:
        return frozenset(ft2font.FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):  # unreadable or not a font
        return frozenset()


def _covers(path: str) -> bool:
    charmap = _charmap(path)
    return all(ord(c) in charmap for c in PROBE)


def find_font_file() -> str | None:
    """The first usable Chinese font: a known file, else a known family matplotlib already found."""
    for candidate in KNOWN_FILES:
        if Path(candidate).is_file() and _covers(candidate):
            return candidate
    from matplotlib import font_manager  # noqa: PLC0415

    by_family = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in KNOWN_FAMILIES:
        path = by_family.get(family)
        if path and _covers(path):
            return path
    return None


@lru_cache(maxsize=1)
def chart_font() -> ChartFont | None:
    """Find and register the Chinese font once per process; None (and a warning) when there is none."""
    from matplotlib import font_manager  # noqa: PLC0415

    path = find_font_file()
    if path is None:
        log.warning(INSTALL_HINT)
        return None
    font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    fallback = font_manager.findfont(font_manager.FontProperties(family=FALLBACK_FAMILY))
    log.info("charts use the font %s (%s)", family, path)
    return ChartFont(family, path, _charmap(path) | _charmap(fallback))


def families() -> list[str]:
    """``font.family`` for the charts: the Chinese font first, matplotlib's own for what it lacks."""
    font = chart_font()
    return [font.family, FALLBACK_FAMILY] if font else [FALLBACK_FAMILY]


def drawable(text: str) -> str:
    """``text`` without the characters no chart font has (emoji, rare symbols residents type), so a label never
    shows a box; line breaks and spaces stay. Unchanged when no Chinese font was found (boxes are then expected
    and the warning has been logged)."""
    font = chart_font()
    if font is None:
        return text
    kept = (c for c in text if c in "\n " or (c.isprintable() and ord(c) in font.drawable))
    return re.sub(" {2,}", " ", "".join(kept)).strip()


def main() -> int:
    """Report the chart font for this machine: exit 0 with its name, or 1 with how to install one."""
    font = chart_font.__wrapped__()  # not cached, and quiet: the hint goes to stderr below
    if font is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 1
    print(f"charts use {font.family} ({font.path})")
    return 0


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    sys.exit(main())
