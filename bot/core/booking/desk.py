"""Staff ``/bookings``: pending requests one at a time (venue, time, purpose, people, kind of applicant, the unit's
name — never who asked), approve / decline with a typed reason / next; the day's schedule per venue with "no-show"
for a confirmed booking that has started; ``/bookings move REF DATE TIME`` gives a booking another slot;
``/bookings notices off|on``: the message each new request sends staff (``notices.py``), whose approve / decline
buttons are answered here. Every decision is written to the audit log and reaches the resident in the chat
(``mine.notice``). Approve, decline, no-show and move are staged with their audit record on the unit of work of
the staff member's message (``_stage``): one COMMIT for the decision, its record and the staff member's state.

Buttons name the booking by its reference (``bsf:VERB:REF``), so a card keeps working after a restart; a booking
someone else already decided answers "this booking has changed". Staff rows only (``staff=True``): residents get
the unknown-command / stale-button replies.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from html import escape

from bot.core.booking import mine, notices
from bot.core.booking import views as V
from bot.core.booking.errors import BookingRefused
from bot.core.booking.model import MAX_REASON, Booking
from bot.core.booking.service import PendingChange, PendingMove
from bot.core.booking.slots import local_instant, today
from bot.core.dialog import render
from bot.core.dialog.context import Context
from bot.core.dialog.router import IDLE
from bot.core.messages import Button, Reply
from bot.core.staff.ports import AuditRecord

#: The staff member's next message is the reason for declining ``data["ref"]``.
REASON = "bk_reason"


def _record(ctx: Context, action: str, booking: Booking, extra: str = "") -> AuditRecord:
    detail = f"{booking.reference} {booking.venue_id} {booking.slot.start.isoformat()}" + (f" {extra}" if extra else "")
    return AuditRecord(ctx.deps.clock(), ctx.incoming.user, action, detail)


async def _stage(ctx: Context, pending: PendingChange | PendingMove, action: str, then: Callable[[], list[Reply]],
                 extra: str = "") -> list[Reply]:
    """Stage a decision and its audit record on the unit of work of the staff member's message: both stored
    together, answered (``then``) after the COMMIT; a booking someone decided meanwhile is refused in that
    transaction, with neither written, and answered as a refusal before it."""
    svc = ctx.deps.bookings

    async def refused(error: Exception) -> list[Reply]:
        problem = await pending.refusal(error)
        if not isinstance(problem, BookingRefused):
            raise problem
        return [Reply(html=V.refusal(ctx.t, problem, svc.tz))]

    ctx.stage(pending.write, then=then, refused=refused)
    ctx.stage(ctx.deps.staff.audit.stage_record(_record(ctx, action, pending.booking, extra)), then=lambda: [])
    return []


def _card_html(ctx: Context, booking: Booking) -> str:
    return V.staff_card(ctx.t, ctx.lang, booking, ctx.knowledge.kb, ctx.deps.bookings.tz)


async def _pending_card(ctx: Context, after: str | None = None, *, head: str = "", decided: str | None = None) -> Reply:
    """The oldest pending request (or the one after ``after``), with approve / decline / next / today; without
    ``decided``, a booking whose decision is staged (the card is read before the commit, shown after it)."""
    pending = [b for b in await ctx.deps.bookings.pending() if b.reference != decided]
    index = 0
    if after is not None:
        refs = [b.reference for b in pending]
        index = refs.index(after) + 1 if after in refs else 0
    prefix = f"{head}\n\n" if head else ""
    today_row = (Button(ctx.t("bk.staff_today"), f"{V.STAFF}:t:"),)
    if index >= len(pending):
        return Reply(html=prefix + ctx.t("bk.staff_none"), buttons=(today_row,))
    b = pending[index]
    return Reply(html=prefix + ctx.t("bk.staff_card", index=index + 1, total=len(pending), card=_card_html(ctx, b)),
                 buttons=(V.decision_row(ctx.t, b.reference),
                          (Button(ctx.t("bk.staff_next"), f"{V.STAFF}:n:{b.reference}"),), today_row))


async def _schedule(ctx: Context, day: date) -> Reply:
    """Every venue's bookings of ``day``, with "no-show" for a confirmed one that has started."""
    svc, kb = ctx.deps.bookings, ctx.knowledge.kb
    lines, rows = [ctx.t("bk.staff_schedule", day=V.day_text(ctx.t, day))], []
    now = ctx.deps.clock()
    for venue in kb.venues:
        found = await svc.schedule(venue.id, day)
        if not found:
            continue
        lines.append(f"\n<b>{escape(V.text_of(venue.name, ctx.lang))}</b>")
        for b in found:
            unit = f" · {escape(b.unit_name)}" if b.unit_name else ""
            lines.append(f"{V.time_range(b.slot, svc.tz)} {ctx.t(f'bk.status.{b.status}')} · "
                         f"{escape(b.purpose)} · {b.people} · {ctx.t(f'bk.kind.{b.applicant}')}{unit} "
                         f"<code>{b.reference}</code>")
            if b.status == "confirmed" and b.slot.start <= now:
                rows.append((Button(ctx.t("bk.staff_no_show", reference=b.reference), f"{V.STAFF}:x:{b.reference}"),))
    if len(lines) == 1:
        lines.append(ctx.t("bk.staff_schedule_empty"))
    return Reply(html="\n".join(lines), buttons=tuple(rows))


async def desk(ctx: Context) -> list[Reply]:
    """``/bookings``: the oldest pending request as a card; ``/bookings today`` or ``/bookings YYYY-MM-DD``: that
    day's schedule; ``/bookings move REF YYYY-MM-DD HH:MM``: move a booking (the resident is told);
    ``/bookings notices [on|off]``: the message for each new request awaiting approval (``notices.py``). Leaves
    a reason being typed. Next: a card button."""
    if ctx.state.state == REASON:
        ctx.goto(IDLE, {})
    words = ctx.arg.split()
    svc = ctx.deps.bookings
    if not words:
        return [await _pending_card(ctx)]
    if words[0].lower() == "today":
        return [await _schedule(ctx, today(ctx.deps.clock(), svc.tz))]
    if words[0].lower() == "move" and len(words) == 4:
        return await _move(ctx, words[1], words[2], words[3])
    if words[0].lower() == "notices":
        return await notices.command(ctx, " ".join(words[1:]))
    try:
        return [await _schedule(ctx, date.fromisoformat(words[0]))]
    except ValueError:
        return [Reply(html=ctx.t("bk.staff_usage"))]


async def _move(ctx: Context, reference: str, day: str, hhmm: str) -> list[Reply]:
    """Staged with its audit record like a decision; a slot held meanwhile is refused by the store with the next
    free slots, a booking changed meanwhile with "this booking has changed"; the resident is told after the COMMIT."""
    svc = ctx.deps.bookings
    try:
        wall = datetime.strptime(f"{day} {hhmm}", "%Y-%m-%d %H:%M")
    except ValueError:
        return [Reply(html=ctx.t("bk.staff_usage"))]
    start = local_instant(wall.date(), wall.hour * 60 + wall.minute, svc.tz)
    try:
        pending = await svc.prepare_move(reference.upper(), start)
    except BookingRefused as refused:
        return [Reply(html=V.refusal(ctx.t, refused, svc.tz))]
    moved = pending.booking
    return await _stage(ctx, pending, "booking.move", lambda: [
        Reply(html=ctx.t("bk.staff_moved", reference=moved.reference, when=V.when(ctx.t, moved.slot, svc.tz))),
        *mine.notice(moved, "moved", ctx.knowledge.kb, svc)])


async def button(ctx: Context) -> list[Reply]:
    """``bsf:a:REF`` approve (audited; the resident is told; then the next card), ``bsf:d:REF`` ask for the
    reason, ``bsf:n:REF`` the next card, ``bsf:t:[YYYYMMDD]`` the day's schedule (today), ``bsf:x:REF`` mark a
    no-show (audited). A booking already decided: "changed"; forged data: a stale button."""
    verb, _, ref = ctx.arg.partition(":")
    svc = ctx.deps.bookings
    if ctx.state.state == REASON and verb != "d":
        ctx.goto(IDLE, {})
    if verb == "n":
        return [await _pending_card(ctx, ref)]
    if verb == "t":
        try:
            day = datetime.strptime(ref, "%Y%m%d").date() if ref else today(ctx.deps.clock(), svc.tz)
        except ValueError:
            return render.stale(ctx)
        return [await _schedule(ctx, day)]
    if verb not in ("a", "d", "x") or await svc.store.get(ref) is None:
        return render.stale(ctx)
    if verb == "d":
        ctx.goto(REASON, {"ref": ref})
        return [Reply(html=ctx.t("bk.staff_ask_reason", reference=escape(ref), max=MAX_REASON))]
    try:
        pending = await (svc.prepare_approve(ref) if verb == "a" else svc.prepare_no_show(ref))
    except BookingRefused as refused:
        return [Reply(html=V.refusal(ctx.t, refused, svc.tz))]
    if verb == "x":
        return await _stage(ctx, pending, "booking.no_show",
                            lambda: [Reply(html=ctx.t("bk.staff_marked", reference=escape(ref)))])
    card = await _pending_card(ctx, head=ctx.t("bk.staff_approved", reference=escape(ref)), decided=ref)
    return await _stage(ctx, pending, "booking.approve",
                        lambda: [*mine.notice(pending.booking, "approved", ctx.knowledge.kb, svc), card])


async def reason(ctx: Context) -> list[Reply]:
    """The reason for declining (the message after "decline"): declined, audited, the resident told with the
    reason; then the next card. Empty or too long: say so and keep waiting."""
    text = " ".join(ctx.arg.split())
    ref = str(ctx.data.get("ref", ""))
    svc = ctx.deps.bookings
    if not text or len(text) > MAX_REASON:
        return [Reply(html=ctx.t("bk.bad_text", max=MAX_REASON))]
    ctx.goto(IDLE, {})
    try:
        pending = await svc.prepare_decline(ref, text)
    except BookingRefused as refused:
        return [Reply(html=V.refusal(ctx.t, refused, svc.tz))]
    card = await _pending_card(ctx, head=ctx.t("bk.staff_declined", reference=escape(ref)), decided=ref)
    return await _stage(ctx, pending, "booking.decline",
                        lambda: [*mine.notice(pending.booking, "declined", ctx.knowledge.kb, svc), card], text[:80])

