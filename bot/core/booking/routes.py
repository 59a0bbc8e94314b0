"""The booking feature's router: ``/book`` (residents), ``/mybookings`` (residents) and ``/bookings`` (staff).
Button prefixes are those of ``views.py``, spelled only there."""
from __future__ import annotations

from bot.core.booking import book as B
from bot.core.booking import desk, mine, notices
from bot.core.booking import views as V
from bot.core.dialog.router import IDLE, Router

router = Router("booking")
router.command("book", B.begin, (B.VENUE, B.DATE, IDLE), doc="book a venue: venues by community, or /book VENUE-ID")
router.action(V.VENUE, B.choose_venue, (B.DATE, IDLE), doc="a venue (also the 📅 button under its entry): its calendar")
router.action(V.MONTH, B.month, (IDLE,), state=B.DATE, doc="another month of the calendar")
router.action(V.DAY, B.choose_day, (B.SLOT, IDLE), state=B.DATE, doc="a date: its free slots (✖: none)")
router.action(V.SLOT, B.choose_slot, (B.PURPOSE, IDLE), state=B.SLOT, doc="a free slot")
router.text(B.PURPOSE, B.purpose, (B.PEOPLE, IDLE), doc="the purpose, typed")
router.text(B.PEOPLE, B.people, (B.KIND, B.DATE, IDLE), doc="how many people, typed")
router.action(V.KIND, B.kind, (B.UNIT, B.CONSENT, IDLE), state=B.KIND, doc="resident / group / unit")
router.text(B.UNIT, B.unit, (B.CONSENT, IDLE), doc="the unit's name, typed")
router.action(V.CONSENT, B.consent, (B.CONTACT, B.RULES, B.SUMMARY, IDLE), state=B.CONSENT,
              doc="leave a contact (consent) or skip")
router.text(B.CONTACT, B.contact, (B.RULES, B.SUMMARY, IDLE), doc="the contact, typed")
router.action(V.RULES, B.rules, (B.SUMMARY, IDLE), state=B.RULES, doc="house rules accepted")
router.action(V.CONFIRM, B.confirm, (IDLE, B.DATE), state=B.SUMMARY,
              doc="send: BK- reference and state; just taken: next free slots")
router.action(V.SLOT, B.rechoose_slot, (B.SUMMARY, IDLE), state=B.SUMMARY, doc="one of the next free slots")
router.action(V.BACK, B.back, (*B.STATES, IDLE), doc="one step back")
router.action(V.QUIT, B.leave, (IDLE,), doc="leave the booking, nothing saved")
router.action(V.NOOP, B.noop, doc="weekday heading, blank cell")
for _state in (B.VENUE, B.DATE, B.SLOT, B.KIND, B.CONSENT, B.RULES, B.SUMMARY):
    router.text(_state, B.use_buttons, (IDLE,), doc="buttons only: ask again")

router.command("mybookings", mine.my_bookings, doc="upcoming and past bookings with their state; cancel buttons")
router.action(V.ASK_CANCEL, mine.ask_cancel, doc="cancel this booking? (yes / no)")
router.action(V.DO_CANCEL, mine.do_cancel, doc="cancel it (up to the venue's deadline), or keep it")
router.command("bookings", desk.desk, (IDLE,), staff=True,
               doc="pending requests one at a time; /bookings today|DATE: schedule; /bookings move REF DATE TIME; "
                   "/bookings notices on|off: a message for each new request")
router.action(V.STAFF, desk.button, (desk.REASON, IDLE), staff=True,
              doc="approve / decline (asks the reason) / next / day's schedule / no-show")
router.text(desk.REASON, desk.reason, (IDLE,), staff=True, doc="the reason for declining: declined, resident told")
router.action(V.NOTICES, notices.button, staff=True, doc="🔕 / 🔔 the message for each new request off / on")
