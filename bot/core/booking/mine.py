"""``/mybookings``: a resident's upcoming and past bookings with their state, cancelling one (up to the venue's
deadline, after a confirmation); and what reaches the resident without asking — the reminder the day before (a
background job, ``bot.core.jobs``) and the staff's decisions (approved, declined with the reason, moved), as
``Reply(to=…)`` in the language they booked in."""
from __future__ import annotations

from collections.abc import Callable
from html import escape

from bot.core.booking import views as V
from bot.core.booking.errors import BookingRefused
from bot.core.booking.model import Booking
from bot.core.booking.service import BookingService
from bot.core.dialog import render
from bot.core.dialog.context import Context
from bot.core.i18n import texts_for
from bot.core.knowledge.model import KnowledgeBase
from bot.core.messages import Button, Reply

SHOWN = 20


async def my_bookings(ctx: Context) -> list[Reply]:
    """``/mybookings``: upcoming bookings first (soonest first), each that still holds its slot with a cancel
    button, then the past ones. Next: a cancel button, or anything else."""
    svc, kb = ctx.deps.bookings, ctx.knowledge.kb
    mine = await svc.my_bookings(ctx.incoming.user, SHOWN)
    if not mine:
        return [Reply(html=ctx.t("bk.mine_none"))]
    now = ctx.deps.clock()
    upcoming = sorted((b for b in mine if b.slot.end > now and b.holds_slot), key=lambda b: b.slot.start)
    past = [b for b in mine if b not in upcoming]
    lines, rows = [], []
    if upcoming:
        lines.append(ctx.t("bk.upcoming"))
        for b in upcoming:
            lines.append(V.booking_lines(ctx.t, b, kb.venue(b.venue_id), svc.tz, ctx.lang))
            rows.append((Button(ctx.t("bk.cancel_button", reference=b.reference), f"{V.ASK_CANCEL}:{b.reference}"),))
    if past:
        lines.append(ctx.t("bk.past"))
        lines += [V.booking_lines(ctx.t, b, kb.venue(b.venue_id), svc.tz, ctx.lang) for b in past]
    return [Reply(html="\n\n".join(lines), buttons=tuple(rows))]


async def _own(ctx: Context) -> Booking | None:
    booking = await ctx.deps.bookings.store.get(ctx.arg)
    return booking if booking is not None and booking.user == ctx.incoming.user else None


async def ask_cancel(ctx: Context) -> list[Reply]:
    """``bkq:REF``: "cancel this booking?" with yes / no (someone else's reference: a stale button). Next: yes."""
    booking = await _own(ctx)
    if booking is None or not booking.holds_slot:
        return render.stale(ctx)
    svc = ctx.deps.bookings
    card = V.booking_lines(ctx.t, booking, ctx.knowledge.kb.venue(booking.venue_id), svc.tz, ctx.lang)
    return [Reply(html=ctx.t("bk.cancel_ask", card=card),
                  buttons=((Button(ctx.t("bk.cancel_yes"), f"{V.DO_CANCEL}:{booking.reference}"),
                            Button(ctx.t("bk.cancel_no"), f"{V.DO_CANCEL}:")),))]


async def do_cancel(ctx: Context) -> list[Reply]:
    """``bkk:REF``: cancel it (refused after the venue's deadline, with the deadline); ``bkk:`` keeps it. The
    cancellation is staged (``Context.stage``): committed with the resident's message, answered after the COMMIT;
    a booking staff decided meanwhile is refused in that transaction, as when it was refused before it."""
    if not ctx.arg:
        return [Reply(html=ctx.t("bk.cancel_kept"), replace=True)]
    svc = ctx.deps.bookings
    try:
        pending = await svc.prepare_cancel(ctx.arg, ctx.incoming.user)
    except BookingRefused as early:
        return [Reply(html=V.refusal(ctx.t, early, svc.tz), replace=True)]

    def cancelled() -> list[Reply]:
        return [Reply(html=ctx.t("bk.cancelled", reference=escape(pending.booking.reference)), replace=True)]

    async def refused(error: Exception) -> list[Reply]:
        problem = await pending.refusal(error)
        if not isinstance(problem, BookingRefused):
            raise problem
        return [Reply(html=V.refusal(ctx.t, problem, svc.tz), replace=True)]

    ctx.stage(pending.write, then=cancelled, refused=refused)
    return []


def notice(booking: Booking, kind: str, kb: KnowledgeBase, svc: BookingService) -> list[Reply]:
    """What the resident reads when staff decide (``kind``: approved, declined, moved) or the day before
    (``reminder``), in the language they booked in; nothing for a booking they asked to be forgotten."""
    if not booking.user:
        return []
    t = texts_for(booking.language)
    card = V.booking_lines(t, booking, kb.venue(booking.venue_id), svc.tz, booking.language)
    return [Reply(html=t(f"bk.{'reminder' if kind == 'reminder' else 'notice_' + kind}", card=card), to=booking.user)]


#: Reminders go out from this hour of the district's day on (not in the night).
REMINDER_HOUR = 9


class BookingReminders:
    """The day-before reminders, as a background job (``bot.core.jobs``) asks for them: ``due_reminders``."""

    def __init__(self, bookings: BookingService, knowledge: Callable[[], KnowledgeBase]):
        self.bookings, self.knowledge = bookings, knowledge

    async def due_reminders(self) -> list[Reply]:
        """Each confirmed booking of tomorrow not reminded yet, once (claimed in the store), from 09:00."""
        if self.bookings.clock().astimezone(self.bookings.tz).hour < REMINDER_HOUR:
            return []
        kb = self.knowledge()
        return [r for b in await self.bookings.due_reminders() for r in notice(b, "reminder", kb, self.bookings)]
