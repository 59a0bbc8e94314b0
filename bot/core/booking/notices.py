"""Staff hear of a new request at once: when a resident's request awaits approval (the venue needs it), every
staff member in STAFF_IDS who has not turned this off gets one message — the card the ``/bookings`` desk shows,
in their own language, with the desk's approve / decline buttons (``views.decision_row``: ``bsf:a:REF``,
``bsf:d:REF``, answered by ``desk.button`` as on the desk) and a button to stop these messages. A request
confirmed at once needs nobody, so it sends nothing.

The messages are ``Reply(to=staff_user)`` returned by the resident's own handler (``book.confirm``), so the front
end sends them only once the resident's message is done and saved, like every reply. The handler reads who gets
them (``readers``) before the request is committed, and builds them (``messages``) once it is, with the reference
the commit settled: an acknowledgement is built after the COMMIT without reading anything. They go to private chats only
(a ``to`` is a person); nothing of a request is shown in a group (``dialog/groups.py``).

``/bookings notices off|on`` (and the 🔕 / 🔔 buttons, ``bsn:off`` / ``bsn:on``) turn them off and on again, per
staff member, in the ``StaffNoticeStore``; every change is written to the audit log.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import tzinfo

from bot.core.booking import views as V
from bot.core.booking.model import Booking
from bot.core.booking.ports import StaffNoticeStore
from bot.core.dialog import render
from bot.core.dialog.context import Context
from bot.core.errors import StorageUnavailable
from bot.core.i18n import Texts, texts_for
from bot.core.knowledge.model import KnowledgeBase
from bot.core.language import Lang
from bot.core.messages import Button, Reply
from bot.core.ports import ResidentStore
from bot.core.staff.watcher import staff_language

log = logging.getLogger(__name__)

#: The audit log's name for turning the notices on or off (detail: ``on`` / ``off``).
AUDIT_ACTION = "booking.notices"


class BookingStaffNotices:
    """Who is told of a new request awaiting approval, and what they read. ``staff_users``: the user keys of
    STAFF_IDS (``StaffTools.staff_users``), so someone taken off the list is told nothing, whatever they set."""

    def __init__(self, store: StaffNoticeStore, residents: ResidentStore, staff_users: Sequence[str]):
        self.store = store
        self.residents = residents
        self.staff_users = tuple(staff_users)

    async def recipients(self, booking: Booking) -> list[str]:
        """The staff members to tell of ``booking``: none unless it awaits approval; not those who turned the
        notices off, nor the one who asked (a staff member booking a room has just read the request)."""
        if booking.status != "pending":
            return []
        off = set(await self.store.notices_off())
        return [user for user in self.staff_users if user not in off and user != booking.user]

    async def new_request(self, booking: Booking, kb: KnowledgeBase, tz: tzinfo) -> list[Reply]:
        """One message a recipient: the request's card in the language they read the bot in, approve / decline,
        and 🔕 stop these messages (``readers``, then ``messages``)."""
        return messages(await self.readers(booking), booking, kb, tz)

    async def readers(self, booking: Booking) -> list[tuple[str, Lang]]:
        """The recipients of ``booking``'s notice and the language each reads the bot in. None when the settings
        cannot be read: the request is stored all the same, so the resident must still get its reference, and
        staff find it on the desk (``/bookings``)."""
        try:
            return [(user, await staff_language(self.residents, user)) for user in await self.recipients(booking)]
        except StorageUnavailable as failed:
            log.error("staff not told of booking request %s: %s", booking.reference, failed)
            return []


def messages(readers: Sequence[tuple[str, Lang]], booking: Booking, kb: KnowledgeBase, tz: tzinfo) -> list[Reply]:
    """The notice of ``booking`` for each of ``readers`` (``BookingStaffNotices.readers``), reading nothing."""
    replies = []
    for user, lang in readers:
        t = texts_for(lang)
        replies.append(Reply(html=t("bk.staff_notice", card=V.staff_card(t, lang, booking, kb, tz)),
                             buttons=(V.decision_row(t, booking.reference), (_switch(t, enabled=True),)), to=user))
    return replies


def _switch(t: Texts, *, enabled: bool) -> Button:
    """The button that turns the notices the other way: 🔕 while they are on, 🔔 while they are off."""
    return (Button(t("bk.notices_stop"), f"{V.NOTICES}:off") if enabled
            else Button(t("bk.notices_start"), f"{V.NOTICES}:on"))


async def command(ctx: Context, choice: str) -> list[Reply]:
    """``/bookings notices on|off`` (from ``desk.desk``): turn the messages for new requests on or off;
    ``/bookings notices`` alone says which it is, with the button that turns it the other way. Next: the next
    new request arrives as a message (or does not), or that button."""
    choice = choice.strip().lower()
    if choice in ("on", "off"):
        return await _set(ctx, choice == "on")
    if choice:
        return [Reply(html=ctx.t("bk.staff_usage"))]
    enabled = await ctx.deps.booking_notices.store.notices_enabled(ctx.incoming.user)
    return [Reply(html=ctx.t("bk.notices_status_on" if enabled else "bk.notices_status_off"),
                  buttons=((_switch(ctx.t, enabled=enabled),),))]


async def button(ctx: Context) -> list[Reply]:
    """``bsn:off`` (🔕 under a notice) / ``bsn:on`` (🔔): the same as ``/bookings notices off|on``, as a new
    message, so the notice above keeps its card and buttons. Next: as for the command."""
    if ctx.arg not in ("on", "off"):
        return render.stale(ctx)
    return await _set(ctx, ctx.arg == "on")


async def _set(ctx: Context, enabled: bool) -> list[Reply]:
    user, now = ctx.incoming.user, ctx.deps.clock()
    await ctx.deps.booking_notices.store.set_notices(user, enabled, now)
    await ctx.deps.staff.record(user, AUDIT_ACTION, "on" if enabled else "off")
    return [Reply(html=ctx.t("bk.notices_on" if enabled else "bk.notices_off"),
                  buttons=((_switch(ctx.t, enabled=enabled),),))]
