"""How bookings look in the chat: venue names, times in the district's zone, states, the month calendar and the
cards residents and staff read. Pure functions of values and the wording (``Texts``); no handler lives here."""
from __future__ import annotations

import calendar as _calendar
from datetime import date, tzinfo
from html import escape
from typing import TYPE_CHECKING

from bot.core.booking.errors import (
    ApplicantNotAllowed,
    BookingRefused,
    CancelTooLate,
    InvalidRequest,
    OutsideWindow,
    SlotTaken,
    TooManyOpen,
)
from bot.core.booking.model import Booking, Slot
from bot.core.i18n import Texts
from bot.core.knowledge.model import KnowledgeBase, Text
from bot.core.knowledge.venues import Venue
from bot.core.language import Lang
from bot.core.messages import Button

if TYPE_CHECKING:  # only the /stats line's parameters; nothing here calls into these modules
    from bot.core.booking.service import BookingService
    from bot.core.booking.usage import RoomsUse

#: Button prefixes of the booking feature, spelled only here (``routes.py`` routes them).
VENUE = "bkv"  # bkv:VENUE — start /book at a venue (list, or the 📅 button under its entry)
MONTH = "bkm"  # bkm:YYYYMM — show another month of the calendar
DAY = "bkd"  # bkd:YYYYMMDD — a date
SLOT = "bks"  # bks:EPOCH-MINUTES — a free slot (also the "just taken" alternatives)
KIND = "bka"  # bka:resident|group|unit
CONSENT = "bkc"  # bkc:y / bkc:n — leave a contact (explicit consent) or skip
RULES = "bkr"  # accept the house rules
CONFIRM = "bky"  # send the request
BACK = "bkb"  # one step back
QUIT = "bkx"  # leave the booking, nothing saved
NOOP = "bk0"  # weekday headers and blank calendar cells
ASK_CANCEL = "bkq"  # bkq:REF — /mybookings: cancel this one? (asks first)
DO_CANCEL = "bkk"  # bkk:REF — yes, cancel it
STAFF = "bsf"  # bsf:VERB[:ARG] — staff /bookings: a approve, d decline, n next, t day's schedule, x no-show
NOTICES = "bsn"  # bsn:on / bsn:off — staff: the message for each new request awaiting approval


def text_of(value: Text | None, lang: Lang) -> str:
    return value.get(lang).strip() if value else ""


def venue_name(venue: Venue | None, venue_id: str, lang: Lang) -> str:
    return text_of(venue.name, lang) if venue else venue_id


def day_text(t: Texts, day: date) -> str:
    return t("bk.date", month=day.month, day=day.day, weekday=t("bk.weekdays").split()[day.weekday()])


def time_range(slot: Slot, tz: tzinfo) -> str:
    start, end = slot.start.astimezone(tz), slot.end.astimezone(tz)
    return f"{start:%H:%M}–{end:%H:%M}" if end.date() == start.date() or end.hour == end.minute == 0 else \
        f"{start:%H:%M}–{end:%m-%d %H:%M}"


def when(t: Texts, slot: Slot, tz: tzinfo) -> str:
    """"7月3日（五）08:30–11:00" in the district's time zone."""
    return f"{day_text(t, slot.local_day(tz))} {time_range(slot, tz)}"


def price(t: Texts, cents: int) -> str:
    return t("bk.free") if cents == 0 else t("bk.price", amount=f"{cents / 100:g}")


def booking_lines(t: Texts, b: Booking, venue: Venue | None, tz: tzinfo, lang: Lang, *, staff: bool = False) -> str:
    """A booking's card: reference, venue, time, state (and for staff the request's particulars — never who)."""
    lines = [t("bk.card", reference=escape(b.reference), venue=escape(venue_name(venue, b.venue_id, lang)),
               when=when(t, b.slot, tz), status=t(f"bk.status.{b.status}"))]
    if staff:
        lines.append(t("bk.card_staff", purpose=escape(b.purpose), people=b.people, kind=t(f"bk.kind.{b.applicant}"),
                       price=price(t, b.price_cents)))
        if b.unit_name:
            lines.append(t("bk.card_unit", unit=escape(b.unit_name)))
    if b.status == "declined" and b.reason:
        lines.append(t("bk.card_reason", reason=escape(b.reason)))
    return "\n".join(lines)


def staff_card(t: Texts, lang: Lang, booking: Booking, kb: KnowledgeBase, tz: tzinfo) -> str:
    """A request as staff read it: on the ``/bookings`` desk and in the notice of a new request."""
    return booking_lines(t, booking, kb.venue(booking.venue_id), tz, lang, staff=True)


def decision_row(t: Texts, reference: str) -> tuple[Button, ...]:
    """Approve / decline (``bsf:a:REF``, ``bsf:d:REF``), answered by ``desk.button`` wherever the card is shown."""
    return (Button(t("bk.staff_approve"), f"{STAFF}:a:{reference}"),
            Button(t("bk.staff_decline"), f"{STAFF}:d:{reference}"))


def calendar_rows(t: Texts, counts: dict[date, int], year: int, month: int) -> list[tuple[Button, ...]]:
    """One month as rows of seven buttons (Monday first): a bookable date is its number, a date without a free
    slot is marked ✖, a date outside the window is blank; weeks wholly outside the window are left out.

    Telegram needs the weekday headings and blank cells as buttons to draw a grid (they send ``NOOP``); they are
    ``inert``, and each date is pressed by its ``key``, the day's number — so the console prints the month as a
    calendar and "9" there picks the 9th (``Button``)."""
    rows: list[tuple[Button, ...]] = [tuple(Button(w, NOOP, inert=True) for w in t("bk.weekdays").split())]
    for week in _calendar.Calendar(0).monthdatescalendar(year, month):
        if not any(d in counts and d.month == month for d in week):
            continue
        cells = []
        for d in week:
            if d.month != month or d not in counts:
                cells.append(Button("·", NOOP, inert=True))
            elif counts[d] == 0:
                cells.append(Button(f"{d.day}✖", f"{DAY}:{d:%Y%m%d}", key=str(d.day)))
            else:
                cells.append(Button(str(d.day), f"{DAY}:{d:%Y%m%d}", key=str(d.day)))
        rows.append(tuple(cells))
    return rows


def nav_row(t: Texts) -> tuple[Button, ...]:
    return (Button(t("bk.back"), BACK), Button(t("bk.quit"), QUIT))


def refusal(t: Texts, refused: BookingRefused, tz: tzinfo) -> str:
    """A refusal in the resident's words (the typed error's ``text_key`` with its particulars formatted)."""
    if isinstance(refused, OutsideWindow):
        return t(refused.text_key, first=day_text(t, refused.first), last=day_text(t, refused.last))
    if isinstance(refused, TooManyOpen):
        return t(refused.text_key, limit=refused.limit)
    if isinstance(refused, CancelTooLate):
        deadline = refused.deadline.astimezone(tz)
        return t(refused.text_key, deadline=f"{day_text(t, deadline.date())} {deadline:%H:%M}")
    if isinstance(refused, SlotTaken):  # a staff move (``/book`` offers the next free slots as buttons)
        if not refused.next_free:
            return t("bk.taken_none")
        return "\n".join([t(refused.text_key), *(when(t, s, tz) for s in refused.next_free)])
    if isinstance(refused, ApplicantNotAllowed):
        return t(refused.text_key, allowed="、".join(t(f"bk.kind.{k}") for k in refused.allowed))
    if isinstance(refused, InvalidRequest):
        return t(refused.text_key, field=t(f"bk.field.{refused.params.get('field', 'purpose')}"),
                 max=refused.params.get("max", ""))
    return t(refused.text_key)


def book_rows(kb: KnowledgeBase, entry_id: str, t: Texts, lang: Lang) -> tuple[tuple[Button, ...], ...]:
    """The "📅 Book" button under an entry's answer, one per venue that names the entry; it starts ``/book`` at
    that venue. ("排練廳週六下午有空嗎" is answered with the entry, and this button.)"""
    from bot.core.dialog.render import label  # noqa: PLC0415 - render needs nothing from here

    return tuple((Button(label(t("bk.book_button", venue=text_of(v.name, lang))), f"{VENUE}:{v.id}"),)
                 for v in kb.venues_of(entry_id))


async def recent_use(svc: BookingService, kb: KnowledgeBase, lang: Lang, weeks: int = 4) -> RoomsUse:
    """The rooms' use over the last ``weeks`` weeks up to today (``usage.weekly_usage``, once), with their names in
    ``lang``: what the /stats line sums and the rooms chart draws."""
    from datetime import timedelta  # noqa: PLC0415

    from bot.core.booking.slots import local_instant, today  # noqa: PLC0415
    from bot.core.booking.usage import RoomsUse, weekly_usage  # noqa: PLC0415

    now = svc.clock()
    last = today(now, svc.tz)
    first = last - timedelta(days=7 * weeks - 1)
    bookings = await svc.store.bookings(None, local_instant(first, 0, svc.tz), local_instant(last, 24 * 60, svc.tz))
    rows = weekly_usage(bookings, list(kb.venues), svc.tz, first, last, now)
    return RoomsUse(first, last, tuple((v.id, text_of(v.name, lang)) for v in kb.venues), tuple(rows))


async def usage_line(svc: BookingService, use: RoomsUse, t: Texts) -> str:
    """The /stats line: hours booked of hours open over ``use``'s period (all venues), the no-show rate, free and
    paid hours and the requests waiting."""
    rows = use.rows
    booked, open_ = sum(r.hours_booked for r in rows), sum(r.hours_open for r in rows)
    ended, no_shows = sum(r.ended for r in rows), sum(r.no_shows for r in rows)
    pending = len(await svc.pending())
    return t("bk.stats", booked=f"{booked:.0f}", open=f"{open_:.0f}",
             rate=f"{booked / open_ * 100:.0f}%" if open_ else "–",
             no_show=f"{no_shows / ended * 100:.0f}%" if ended else "–",
             free=f"{sum(r.free_hours for r in rows):.0f}", paid=f"{sum(r.paid_hours for r in rows):.0f}",
             pending=pending)
