"""``/book``: a resident (or a group's or unit's contact person) books a community venue, one step at a time.

venue (by community) → a date on the calendar of the bookable window → a free slot → purpose (typed) → number
of people (typed) → kind of applicant (and the unit's name for a unit) → leave a contact (explicit consent) or
skip → the venue's house rules → summary → ✅ → the ``BK-`` reference and its state. Every step has ◀ back and
✖ leave, and ``/cancel`` works throughout. The flow's answers live in the resident's dialog state (``ctx.data``),
stored like every flow's, so a restart in the middle resumes at the same step. A slot someone else took in the
meantime is answered with "just taken" and the next free slots as buttons. Everything is decided by
``BookingService``; this module only talks.
"""
from __future__ import annotations

from datetime import date, datetime
from html import escape

from bot.core.booking import notices
from bot.core.booking import views as V
from bot.core.booking.errors import (
    ApplicantNotAllowed,
    BookingRefused,
    InvalidRequest,
    SlotTaken,
    TooManyOpen,
    UnknownVenue,
)
from bot.core.booking.model import (
    MAX_CONTACT,
    MAX_PURPOSE,
    MAX_UNIT_NAME,
    BookingRequest,
    Slot,
    epoch_minutes,
    from_epoch_minutes,
)
from bot.core.dialog import render
from bot.core.dialog.context import Context
from bot.core.dialog.router import IDLE
from bot.core.knowledge.venues import Venue
from bot.core.messages import Button, Reply

VENUE, DATE, SLOT, PURPOSE, PEOPLE, KIND, UNIT, CONSENT, CONTACT, RULES, SUMMARY = (
    "bk_venue", "bk_date", "bk_slot", "bk_purpose", "bk_people", "bk_kind", "bk_unit", "bk_consent", "bk_contact",
    "bk_rules", "bk_summary")
STATES = (VENUE, DATE, SLOT, PURPOSE, PEOPLE, KIND, UNIT, CONSENT, CONTACT, RULES, SUMMARY)


def _venue(ctx: Context) -> Venue | None:
    return ctx.knowledge.kb.venue(str(ctx.data.get("v", "")))


def _steps(ctx: Context, venue: Venue | None) -> list[str]:
    """The steps of this booking, in order: the unit's name only for a unit, the contact only with consent, the
    rules only when the venue has some."""
    d = ctx.data
    return [VENUE, DATE, SLOT, PURPOSE, PEOPLE, KIND, *([UNIT] if d.get("kind") == "unit" else []), CONSENT,
            *([CONTACT] if d.get("consent") else []), *([RULES] if venue is not None and venue.rules else []),
            SUMMARY]


async def _go(ctx: Context, state: str, head: str = "") -> list[Reply]:
    """Move to ``state`` and ask its question (``head``, e.g. a refusal, above it)."""
    ctx.goto(state)
    replies = await _prompt(ctx, state)
    if head:
        replies = [Reply(html=head), *replies]
    return replies


async def _next(ctx: Context) -> list[Reply]:
    steps = _steps(ctx, _venue(ctx))
    return await _go(ctx, steps[steps.index(ctx.state.state) + 1])


def _ask(ctx: Context, key: str, rows: tuple[tuple[Button, ...], ...] = (), *, typed_number: bool = False,
         **params: object) -> list[Reply]:
    """The step's question with its buttons and ◀ back / ✖ leave; ``typed_number``: the answer typed here may be a
    bare number (the number of people, a phone number), not a button (``Reply.typed_number``)."""
    return [Reply(html=ctx.t(key, **params), buttons=(*rows, V.nav_row(ctx.t)), typed_number=typed_number)]


async def _prompt(ctx: Context, state: str) -> list[Reply]:
    t, venue, svc = ctx.t, _venue(ctx), ctx.deps.bookings
    if state == VENUE:
        return [_venue_list(ctx)]
    if venue is None:  # the venue left the knowledge base while the resident was booking
        ctx.goto(IDLE, {})
        return [Reply(html=t("booking.unknown_venue"))]
    if state == DATE:
        return [await _calendar(ctx, venue, None)]
    if state == SLOT:
        day = date.fromisoformat(ctx.data["day"])
        free = await svc.free_slots(venue.id, day)
        rows = tuple((Button(V.time_range(s, svc.tz), f"{V.SLOT}:{epoch_minutes(s.start)}"),) for s in free)
        return _ask(ctx, "bk.ask_slot" if free else "bk.day_full", rows, day=V.day_text(t, day))
    if state == PURPOSE:
        return _ask(ctx, "bk.ask_purpose", max=MAX_PURPOSE)
    if state == PEOPLE:
        return _ask(ctx, "bk.ask_people", typed_number=True, capacity=venue.capacity)
    if state == KIND:
        rows = tuple((Button(f"{t(f'bk.kind.{k}')} · {V.price(t, venue.price_cents(k))}", f"{V.KIND}:{k}"),)
                     for k in venue.applicants)
        return _ask(ctx, "bk.ask_kind", rows)
    if state == UNIT:
        return _ask(ctx, "bk.ask_unit", max=MAX_UNIT_NAME)
    if state == CONSENT:
        return _ask(ctx, "bk.ask_consent", ((Button(t("bk.consent_yes"), f"{V.CONSENT}:y"),),
                                            (Button(t("bk.consent_no"), f"{V.CONSENT}:n"),)))
    if state == CONTACT:
        return _ask(ctx, "bk.ask_contact", typed_number=True, max=MAX_CONTACT)
    if state == RULES:
        return _ask(ctx, "bk.ask_rules", ((Button(t("bk.rules_accept"), V.RULES),),),
                    rules=escape(V.text_of(venue.rules, ctx.lang)))
    return [_summary(ctx, venue)]


def _venue_list(ctx: Context) -> Reply:
    """Every venue, grouped by community (a heading per community, its venues' buttons in that order)."""
    venues = sorted(ctx.knowledge.kb.venues, key=lambda v: (V.text_of(v.community, ctx.lang), v.id))
    lines, rows, seen = [ctx.t("bk.ask_venue")], [], None
    for v in venues:
        community = V.text_of(v.community, ctx.lang)
        if community != seen:
            lines.append(f"<b>{escape(community or ctx.t('bk.no_community'))}</b>")
            seen = community
        lines.append(f"• {escape(V.text_of(v.name, ctx.lang))}")
        rows.append((Button(render.label(V.text_of(v.name, ctx.lang)), f"{V.VENUE}:{v.id}"),))
    if not venues:
        return Reply(html=ctx.t("bk.no_venues"))
    return Reply(html="\n".join(lines), buttons=(*rows, (Button(ctx.t("bk.quit"), V.QUIT),)))


async def _calendar(ctx: Context, venue: Venue, month: tuple[int, int] | None, *, replace: bool = False,
                    head: str = "") -> Reply:
    """The venue's card and one month of its bookable window (✖: no free slot), with the other month(s)."""
    t, svc = ctx.t, ctx.deps.bookings
    counts = await svc.calendar(venue.id)
    months = sorted({(d.year, d.month) for d in counts})
    if not months:
        return Reply(html=t("bk.no_dates"), buttons=(V.nav_row(t),))
    shown = month if month in months else months[0]
    rows = V.calendar_rows(t, counts, *shown)
    i = months.index(shown)
    nav = [Button(f"◀ {t('bk.month', year=y, month=m)}", f"{V.MONTH}:{y}{m:02d}") for y, m in months[i - 1:i] if i]
    nav += [Button(f"{t('bk.month', year=y, month=m)} ▶", f"{V.MONTH}:{y}{m:02d}") for y, m in months[i + 1:i + 2]]
    if nav:
        rows.append(tuple(nav))
    rows.append(V.nav_row(t))
    first, last = min(counts), max(counts)
    html = t("bk.venue_card", venue=escape(V.text_of(venue.name, ctx.lang)),
             community=escape(V.text_of(venue.community, ctx.lang)), capacity=venue.capacity,
             approval=t("bk.needs_approval" if venue.approval else "bk.confirmed_at_once"),
             cancel_hours=venue.cancel_hours)
    html += "\n\n" + t("bk.ask_date", month=t("bk.month", year=shown[0], month=shown[1]),
                       first=V.day_text(t, first), last=V.day_text(t, last))
    return Reply(html=(f"{head}\n\n" if head else "") + html, buttons=tuple(rows), replace=replace)


def _summary(ctx: Context, venue: Venue) -> Reply:
    t, d, tz = ctx.t, ctx.data, ctx.deps.bookings.tz
    start = from_epoch_minutes(int(d["s"]))
    slot = next((s for s in _day_slots(ctx, venue, start)), None)
    lines = [t("bk.summary", venue=escape(V.text_of(venue.name, ctx.lang)),
               when=V.when(t, slot, tz) if slot else f"{start.astimezone(tz):%Y-%m-%d %H:%M}",
               purpose=escape(d["purpose"]), people=d["people"], kind=t(f"bk.kind.{d['kind']}"),
               price=V.price(t, venue.price_cents(d["kind"])))]
    if d.get("unit"):
        lines.append(t("bk.card_unit", unit=escape(d["unit"])))
    lines.append(t("bk.summary_contact", contact=escape(d["contact"])) if d.get("contact")
                 else t("bk.summary_no_contact"))
    lines.append(t("bk.needs_approval" if venue.approval else "bk.confirmed_at_once"))
    return Reply(html="\n".join(lines), buttons=((Button(t("bk.confirm"), V.CONFIRM),), V.nav_row(t)))


def _day_slots(ctx: Context, venue: Venue, start: datetime) -> list[Slot]:
    from bot.core.booking.slots import day_slots  # noqa: PLC0415 - one helper, kept next to its only use

    tz = ctx.deps.bookings.tz
    return [s for s in day_slots(venue, start.astimezone(tz).date(), tz) if s.start == start]


# --- handlers ---------------------------------------------------------------------------------------------------

async def begin(ctx: Context) -> list[Reply]:
    """``/book`` (or ``/book VENUE-ID``): start a booking — the venues by community, or that venue's calendar.
    Anything half-done before is dropped. Next: a venue button (or a date)."""
    venue = ctx.knowledge.kb.venue(ctx.arg.strip())
    ctx.goto(VENUE, {})
    if venue is None:
        return await _go(ctx, VENUE)
    ctx.data["v"] = venue.id
    return await _go(ctx, DATE)


async def choose_venue(ctx: Context) -> list[Reply]:
    """``bkv:VENUE``: from the list, or the "📅 Book" button under the venue's entry: its calendar. Next: a date."""
    venue = ctx.knowledge.kb.venue(ctx.arg)
    if venue is None:
        return render.stale(ctx)
    ctx.goto(DATE, {"v": venue.id})
    return await _prompt(ctx, DATE)


async def month(ctx: Context) -> list[Reply]:
    """``bkm:YYYYMM``: another month of the calendar, in place. Next: a date."""
    venue = _venue(ctx)
    if venue is None or not (ctx.arg.isdigit() and len(ctx.arg) == 6):
        return render.stale(ctx)
    return [await _calendar(ctx, venue, (int(ctx.arg[:4]), int(ctx.arg[4:])), replace=True)]


async def choose_day(ctx: Context) -> list[Reply]:
    """``bkd:YYYYMMDD``: the free slots of that date; a date without one (✖) says so and shows the calendar
    again. Next: a slot."""
    venue = _venue(ctx)
    try:
        day = datetime.strptime(ctx.arg, "%Y%m%d").date()
    except ValueError:
        return render.stale(ctx)
    if venue is None:
        return render.stale(ctx)
    if not await ctx.deps.bookings.free_slots(venue.id, day):
        return [await _calendar(ctx, venue, (day.year, day.month),
                                 head=ctx.t("bk.day_full", day=V.day_text(ctx.t, day)))]
    ctx.data["day"] = day.isoformat()
    return await _go(ctx, SLOT)


async def choose_slot(ctx: Context) -> list[Reply]:
    """``bks:MINUTES``: the slot (checked again when the request is sent). Next: the purpose."""
    if not ctx.arg.isdigit():
        return render.stale(ctx)
    ctx.data["s"] = int(ctx.arg)
    return await _next(ctx)


async def rechoose_slot(ctx: Context) -> list[Reply]:
    """``bks:MINUTES`` on "just taken": take one of the next free slots, keep every answer. Next: the summary."""
    if not ctx.arg.isdigit():
        return render.stale(ctx)
    ctx.data["s"] = int(ctx.arg)
    return await _go(ctx, SUMMARY)


async def _typed_text(ctx: Context, key: str, limit: int) -> list[Reply]:
    """Keep the typed text (spaces folded, 1 to ``limit`` characters) under ``key`` and go on; otherwise ask again."""
    text = " ".join(ctx.arg.split())
    if not text or len(text) > limit:
        return [Reply(html=ctx.t("bk.bad_text", max=limit))]
    ctx.data[key] = text
    return await _next(ctx)


async def purpose(ctx: Context) -> list[Reply]:
    """The purpose, typed (1-200 characters). Next: the number of people."""
    return await _typed_text(ctx, "purpose", MAX_PURPOSE)


async def people(ctx: Context) -> list[Reply]:
    """How many people, typed (1 to the venue's capacity). Next: the kind of applicant."""
    venue = _venue(ctx)
    text = ctx.arg.strip().rstrip("人位名 ").removesuffix("people").strip()  # "12", "12人", "12 people"
    if venue is None:
        return await _prompt(ctx, DATE)
    if not text.isdigit() or not 1 <= int(text) <= venue.capacity:
        return [Reply(html=ctx.t("bk.bad_people", capacity=venue.capacity))]
    ctx.data["people"] = int(text)
    return await _next(ctx)


async def kind(ctx: Context) -> list[Reply]:
    """``bka:KIND``: resident, group or unit (those the venue allows). Next: the unit's name, or the contact."""
    venue = _venue(ctx)
    if venue is None or ctx.arg not in venue.applicants:
        return render.stale(ctx)
    ctx.data["kind"] = ctx.arg
    ctx.data.pop("unit", None)
    return await _next(ctx)


async def unit(ctx: Context) -> list[Reply]:
    """The unit's name, typed. Next: leave a contact?"""
    return await _typed_text(ctx, "unit", MAX_UNIT_NAME)


async def consent(ctx: Context) -> list[Reply]:
    """``bkc:y``: the resident agrees that staff use a contact for this booking — next they type it; ``bkc:n``:
    no contact (staff answer in this chat) — next the house rules."""
    if ctx.arg not in ("y", "n"):
        return render.stale(ctx)
    ctx.data["consent"] = ctx.arg == "y"
    ctx.data.pop("contact", None)
    return await _next(ctx)


async def contact(ctx: Context) -> list[Reply]:
    """The contact (a phone number or e-mail), typed after consenting. Next: the house rules (or the summary)."""
    text = ctx.arg.strip()
    if not text or len(text) > MAX_CONTACT:
        return [Reply(html=ctx.t("bk.bad_text", max=MAX_CONTACT))]
    ctx.data["contact"] = text
    return await _next(ctx)


async def rules(ctx: Context) -> list[Reply]:
    """``bkr``: the house rules accepted. Next: the summary."""
    ctx.data["rules"] = True
    return await _next(ctx)


async def confirm(ctx: Context) -> list[Reply]:
    """``bky``: send the request. The reference and its state (pending approval / confirmed) and back to idle;
    a request awaiting approval is also sent to every staff member who wants it (``notices.py``). "Just taken"
    offers the next free slots (stays at the summary); a date no longer bookable goes back to the calendar; any
    other refusal ends the booking with the reason.

    The request is staged (``Context.stage``): the Assistant commits it with the resident's idle state in one
    transaction and answers only then, so a booking is never confirmed unless both are stored, nor stored while
    the resident hears "not saved". What the store refuses in that transaction (the slot just taken, the open
    limit) is answered by ``refused``, which puts the resident back where the refusal leaves them."""
    d, svc = ctx.data, ctx.deps.bookings
    request = BookingRequest(
        user=ctx.incoming.user, venue_id=str(d.get("v")), start=from_epoch_minutes(int(d.get("s", 0))),
        purpose=str(d.get("purpose", "")), people=int(d.get("people", 0)), applicant=d.get("kind", "resident"),
        contact=str(d.get("contact") or ""), consent=bool(d.get("contact")), unit_name=d.get("unit"),
        language=ctx.lang)
    try:
        pending = svc.prepare(request)
    except BookingRefused as early:
        return await _refused(ctx, early)
    # Awaiting approval: staff are told now rather than when they next look; who, and in which language, is read
    # before the commit, so the notices are built after it without a read (sent after this message is saved).
    readers = await ctx.deps.booking_notices.readers(pending.booking)
    answers = dict(d)
    ctx.goto(IDLE, {})

    def booked() -> list[Reply]:
        booking = pending.booking
        venue = ctx.knowledge.kb.venue(booking.venue_id)
        return [Reply(html=ctx.t("bk.booked", card=V.booking_lines(ctx.t, booking, venue, svc.tz, ctx.lang))
                      + "\n\n" + ctx.t(f"bk.booked_{booking.status}")),
                *notices.messages(readers, booking, ctx.knowledge.kb, svc.tz)]

    async def refused(error: Exception) -> list[Reply]:
        problem = await pending.refusal(error)
        if not isinstance(problem, BookingRefused):
            raise problem
        ctx.goto(SUMMARY, answers)  # where the resident pressed ✅; ``_refused`` moves them on from there
        return await _refused(ctx, problem)

    ctx.stage(pending.write, then=booked, refused=refused, retry=pending.retry)
    return []


async def _refused(ctx: Context, refused: BookingRefused) -> list[Reply]:
    """A request refused, before the commit or by it."""
    svc = ctx.deps.bookings
    if isinstance(refused, SlotTaken):
        rows = tuple((Button(V.when(ctx.t, s, svc.tz), f"{V.SLOT}:{epoch_minutes(s.start)}"),)
                     for s in refused.next_free)
        if not rows:
            return await _go(ctx, DATE, ctx.t("bk.taken_none"))
        return [Reply(html=ctx.t("booking.slot_taken"), buttons=(*rows, V.nav_row(ctx.t)))]
    if isinstance(refused, (TooManyOpen, UnknownVenue, ApplicantNotAllowed, InvalidRequest)):
        ctx.goto(IDLE, {})
        return [Reply(html=V.refusal(ctx.t, refused, svc.tz))]
    # in the past, outside the window, not offered any more
    return await _go(ctx, DATE, V.refusal(ctx.t, refused, svc.tz))


async def back(ctx: Context) -> list[Reply]:
    """``bkb``: one step back, the answers kept. Outside a booking: a stale button."""
    if ctx.state.state not in STATES:
        return render.stale(ctx)
    steps = _steps(ctx, _venue(ctx))
    here = ctx.state.state if ctx.state.state in steps else SUMMARY
    return await _go(ctx, steps[max(steps.index(here) - 1, 0)])


async def leave(ctx: Context) -> list[Reply]:
    """``bkx``: leave the booking, nothing saved. Next: idle."""
    was = ctx.state.state in STATES
    ctx.goto(IDLE, {})
    return [Reply(html=ctx.t("bk.left" if was else "nothing_to_cancel"), replace=True)]


async def use_buttons(ctx: Context) -> list[Reply]:
    """Typed text where a button is expected: the same question again."""
    return [Reply(html=ctx.t("bk.use_buttons")), *await _prompt(ctx, ctx.state.state)]


async def noop(ctx: Context) -> list[Reply]:
    """A weekday heading or a blank calendar cell: nothing happens."""
    return []
