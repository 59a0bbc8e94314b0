"""``/near PLACE`` and ``/near LAT,LON``: nearby facilities without sharing a location.

The console cannot share a location, and a resident on a computer may not want to; the same list as a shared
location (``qa.nearby``) comes from a typed point or from a community or facility name of the knowledge base.
"""
from __future__ import annotations

import re
import unicodedata
from html import escape

from bot.core.dialog import qa
from bot.core.dialog.context import Context
from bot.core.dialog.router import Router
from bot.core.language import to_simplified
from bot.core.messages import Reply

_POINT = re.compile(r"\s*(-?\d{1,2}(?:\.\d+)?)\s*[,，\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*")


def _fold(text: str) -> str:
    return to_simplified(unicodedata.normalize("NFKC", text)).casefold().replace(" ", "")


async def near(ctx: Context) -> list[Reply]:
    """``/near 沿河`` (a community or facility name: the middle of the places that carry it) or ``/near 32.04,118.78``
    (a point): the nearest facilities, as for a shared location. No argument or nothing known: say how. Next: a
    facility button."""
    typed = unicodedata.normalize("NFKC", ctx.arg).strip()
    if not typed:
        return [Reply(html=ctx.t("near.usage"))]
    point = _POINT.fullmatch(typed)
    if point:
        lat, lon = float(point.group(1)), float(point.group(2))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return qa.nearby_at(ctx, lat, lon)
    wanted = _fold(typed)
    places = [e.location for e in ctx.knowledge.kb.entries if e.location and any(
        wanted in _fold(name) for text in (e.community, e.title) if text
        for name in (text.plain or "", *text.by_lang.values()))]
    if not places:
        return [Reply(html=ctx.t("near.not_found", place=escape(typed[:40])))]
    return qa.nearby_at(ctx, sum(p.lat for p in places) / len(places), sum(p.lon for p in places) / len(places))


router = Router("near")
router.command("near", near, doc="nearest facilities to a place name or LAT,LON (no location)")
