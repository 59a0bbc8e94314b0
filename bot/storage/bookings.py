"""SQLite implementations of ``BookingStore`` (tables of migration 8, see ``migrations.py``) and of
``StaffNoticeStore`` (migration 10).

The guarantee that no two bookings of a venue overlap is the database's: a booking inserts one ``booked_slot`` row
per 5-minute grid step of its slot, whose primary key (venue_id, slot_start) refuses a second holder, in the same
block as the booking row — so of 50 residents pressing the same slot at once exactly one block commits and the
others fail on the constraint and are rolled back whole. The limit of open bookings per resident is counted inside
the insert itself (over the limit the row's status is NULL, which NOT NULL refuses), so it too holds under
concurrency: every block runs inside ``BEGIN IMMEDIATE``, one writer at a time.

Every write is one block of statements known beforehand (``SqliteWrite``), each failure of which means one error of
the domain: ``stage_add`` / ``stage_set_status`` / ``stage_move`` prepare it for the unit of work of a message
(``bot.storage.unit``), which sends it with the dialog state (and a staff action's audit record) — one COMMIT for
all; ``add`` / ``set_status`` run it as a block of its own (``Database.run_block``, group committed, returns after
the COMMIT). All SQL is parameterised; times are stored as UTC ISO text.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.core.booking.errors import DuplicateReference, OpenLimitReached, SlotConflict, StatusChanged
from bot.core.booking.model import HOLDING, Booking, NewBooking, Slot, Status, utc
from bot.core.ports import clean_text
from bot.storage.database import Database, Statement
from bot.storage.unit import SqliteWrite

_COLUMNS = """b.reference, b.venue_id, b.user, b.starts_at, b.ends_at, b.status, b.applicant, b.unit_name,
    b.purpose, b.people, b.price_cents, b.language, b.reason, b.created_at, b.updated_at,
    EXISTS (SELECT 1 FROM booking_contact c WHERE c.booking_id = b.id) AS has_contact"""


def _ts(moment: datetime) -> str:
    return utc(moment).isoformat()


def _in(statuses: Sequence[str]) -> str:
    return ", ".join("?" * len(statuses))


def _row(row) -> Booking:
    return Booking(
        reference=row["reference"], user=row["user"], venue_id=row["venue_id"],
        slot=Slot(datetime.fromisoformat(row["starts_at"]), datetime.fromisoformat(row["ends_at"])),
        status=row["status"], applicant=row["applicant"], purpose=row["purpose"], people=row["people"],
        price_cents=row["price_cents"], created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]), unit_name=row["unit_name"], language=row["language"],
        reason=row["reason"], has_contact=bool(row["has_contact"]))


def _hold(quanta: Sequence[int], reference: str, status: Status | None = None) -> Statement:
    """Insert the booked_slot rows of ``quanta`` for the booking ``reference`` (in ``status`` when given), at the
    booking row's venue: one statement, a VALUES list."""
    values = ", ".join(["(?)"] * len(quanta))
    guard, params = (" AND b.status = ?", (status,)) if status is not None else ("", ())
    return Statement(f"""INSERT INTO booked_slot (venue_id, slot_start, booking_id)
                         SELECT b.venue_id, v.column1, b.id FROM booking b, (VALUES {values}) v
                         WHERE b.reference = ?{guard}""", (*quanta, reference, *params))


def _insert_refused(error: sqlite3.IntegrityError, booking: NewBooking) -> Exception:
    """What the booking insert's IntegrityError means: NULL status, the open limit; UNIQUE, a taken reference."""
    name = getattr(error, "sqlite_errorname", "")
    if name == "SQLITE_CONSTRAINT_NOTNULL":
        return OpenLimitReached(booking.user)
    if name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
        return DuplicateReference(booking.reference)
    return error


def _fails_if(condition: str, params: tuple) -> Statement:
    """A statement that fails with an IntegrityError exactly when ``condition`` holds and changes nothing
    otherwise: a rule checked inside a block, by the block's own transaction. SQLite has no ``RAISE`` outside a
    trigger, so the rule inserts a row only when it is broken, and that row (NULL in a NOT NULL key) cannot be
    stored; the ``SqliteWrite`` maps the failure of this statement to the rule's error."""
    return Statement(f"INSERT INTO booked_slot (venue_id, slot_start, booking_id) SELECT NULL, NULL, NULL "
                     f"WHERE {condition}", params)


class SqliteBookingStore:
    def __init__(self, db: Database):
        self.db = db

    async def add(self, booking: NewBooking, max_open: int, now: datetime) -> Booking:
        """The booking in a block of its own (a unit of work of one write and no state)."""
        await self.stage_add(booking, max_open, now).run()
        stored = await self.get(booking.reference)
        assert stored is not None
        return stored

    def stage_add(self, booking: NewBooking, max_open: int, now: datetime) -> SqliteWrite:
        """The booking's block, prepared for a unit of work: the booking row, the contact, and one ``booked_slot``
        row per grid step (the primary key refuses an overlap). Every statement finds the new booking by its
        reference, so none needs another's result; the first that fails rolls back the whole block, and with it
        the resident's state."""
        b = booking
        if not b.quanta:
            raise ValueError("a booking holds at least one grid step")
        write = SqliteWrite(self.db)
        # The open limit is counted in the insert itself, in the unit's transaction: over the limit the status is
        # NULL, which its NOT NULL refuses — one statement keeps both the limit and the UNIQUE reference (each
        # statement of a block is a turn of the database thread, the hot path of a burst of requests).
        write.add(Statement(f"""INSERT INTO booking (reference, venue_id, user, starts_at, ends_at, status, applicant,
                                    unit_name, purpose, people, price_cents, language, created_at, updated_at)
                                VALUES (?, ?, ?, ?, ?, CASE WHEN (SELECT COUNT(*) FROM booking WHERE user = ?
                                            AND status IN ({_in(HOLDING)}) AND ends_at > ?) < ? THEN ? END,
                                        ?, ?, ?, ?, ?, ?, ?, ?)""",
                            (b.reference, b.venue_id, b.user, _ts(b.slot.start), _ts(b.slot.end),
                             b.user, *HOLDING, _ts(now), max_open, b.status,
                             b.applicant, clean_text(b.unit_name) if b.unit_name else None, clean_text(b.purpose),
                             b.people, b.price_cents, b.language, _ts(b.created_at), _ts(b.created_at))),
                  lambda error: _insert_refused(error, b))
        write.add(Statement("""INSERT INTO booking_contact (booking_id, contact, consented_at)
                               SELECT id, ?, ? FROM booking WHERE reference = ? AND ? <> ''""",
                            (clean_text(b.contact), _ts(b.created_at), b.reference, clean_text(b.contact))))
        write.add(_hold(b.quanta, b.reference), SlotConflict(b.venue_id))
        return write

    async def get(self, reference: str) -> Booking | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM booking b WHERE b.reference = ?", (reference,))
        return None if row is None else _row(row)

    async def taken(self, venue_id: str, start: int, end: int) -> set[int]:
        rows = await self.db.fetchall("SELECT slot_start FROM booked_slot WHERE venue_id = ? AND slot_start >= ? "
                                      "AND slot_start < ?", (venue_id, start, end))
        return {row[0] for row in rows}

    async def for_user(self, user: str, limit: int = 20) -> list[Booking]:
        rows = await self.db.fetchall(f"SELECT {_COLUMNS} FROM booking b WHERE b.user = ? "
                                      "ORDER BY b.starts_at DESC, b.reference DESC LIMIT ?", (user, limit))
        return [_row(r) for r in rows]

    async def set_status(self, reference: str, expected: Sequence[Status], status: Status, at: datetime,
                         reason: str | None = None) -> Booking | None:
        try:
            await self.stage_set_status(reference, expected, status, at, reason).run()
        except StatusChanged:
            return None
        return await self.get(reference)

    def stage_set_status(self, reference: str, expected: Sequence[Status], status: Status, at: datetime,
                         reason: str | None = None) -> SqliteWrite:
        write = SqliteWrite(self.db)
        # Checked in the write's own transaction, not from an earlier read: of two people acting on the same
        # booking at once, the second is refused.
        write.add(_fails_if(f"NOT EXISTS (SELECT 1 FROM booking WHERE reference = ? AND status IN ({_in(expected)}))",
                            (reference, *expected)), StatusChanged(reference))
        write.add(Statement(f"""UPDATE booking SET status = ?, reason = COALESCE(?, reason), updated_at = ?
                                WHERE reference = ? AND status IN ({_in(expected)})""",
                            (status, clean_text(reason) if reason is not None else None, _ts(at), reference,
                             *expected)))
        if status not in HOLDING:
            write.add(Statement("""DELETE FROM booked_slot WHERE booking_id =
                                       (SELECT id FROM booking WHERE reference = ? AND status = ?)""",
                                (reference, status)))
        return write

    def stage_move(self, reference: str, status: Status, seen: Slot, slot: Slot, quanta: Sequence[int],
                   at: datetime) -> SqliteWrite:
        """The move's block, for a unit of work: the booking as it was read (``status`` at ``seen``) checked in the
        unit's own transaction, its steps freed, the new ones held (the primary key refuses a step another booking
        holds: ``SlotConflict``), then the guarded UPDATE of its slot. Nothing is read before: the venue of the new
        steps is the booking row's."""
        if not quanta:
            raise ValueError("a booking holds at least one grid step")
        as_read = "reference = ? AND status = ? AND starts_at = ? AND ends_at = ?"
        read = (reference, status, _ts(seen.start), _ts(seen.end))
        write = SqliteWrite(self.db)
        # A colleague (or the resident) who changed, moved or cancelled the booking since it was read refuses the
        # unit here, before its slot is touched: "this booking has changed", not "taken".
        write.add(_fails_if(f"NOT EXISTS (SELECT 1 FROM booking WHERE {as_read})", read), StatusChanged(reference))
        write.add(Statement(f"DELETE FROM booked_slot WHERE booking_id = (SELECT id FROM booking WHERE {as_read})",
                            read))
        write.add(_hold(quanta, reference, status), SlotConflict(reference))
        write.add(Statement(f"UPDATE booking SET starts_at = ?, ends_at = ?, updated_at = ? WHERE {as_read}",
                            (_ts(slot.start), _ts(slot.end), _ts(at), *read)))
        return write

    async def in_status(self, statuses: Sequence[Status], limit: int | None = None) -> list[Booking]:
        rows = await self.db.fetchall(f"SELECT {_COLUMNS} FROM booking b WHERE b.status IN ({_in(statuses)}) "
                                      "ORDER BY b.created_at, b.id LIMIT ?",
                                      (*statuses, -1 if limit is None else limit))
        return [_row(r) for r in rows]

    async def bookings(self, venue_id: str | None = None, since: datetime | None = None,
                       until: datetime | None = None) -> list[Booking]:
        where, params = [], []
        if venue_id is not None:
            where.append("b.venue_id = ?")
            params.append(venue_id)
        if since is not None:
            where.append("b.starts_at >= ?")
            params.append(_ts(since))
        if until is not None:
            where.append("b.starts_at < ?")
            params.append(_ts(until))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self.db.fetchall(f"SELECT {_COLUMNS} FROM booking b {clause} ORDER BY b.starts_at, b.reference",
                                      tuple(params))
        return [_row(r) for r in rows]

    async def contact(self, reference: str) -> str | None:
        row = await self.db.fetchone("""SELECT c.contact FROM booking_contact c JOIN booking b ON b.id = c.booking_id
                                        WHERE b.reference = ?""", (reference,))
        return None if row is None else row[0]

    async def mark_reminded(self, reference: str, at: datetime) -> bool:
        [outcome] = await self.db.run_block([Statement(
            "UPDATE booking SET reminded_at = ? WHERE reference = ? AND reminded_at IS NULL", (_ts(at), reference))])
        return outcome.rowcount > 0

    async def forget(self, user: str) -> int:
        outcomes = await self.db.run_block([
            Statement("DELETE FROM booking_contact WHERE booking_id IN (SELECT id FROM booking WHERE user = ?)",
                      (user,)),
            Statement("UPDATE booking SET user = NULL WHERE user = ?", (user,)),
        ])
        return outcomes[1].rowcount


class SqliteStaffNoticeStore:
    """``StaffNoticeStore`` on the ``booking_notice_off`` table (migration 10): one row per staff member who turned
    the new-request notices off."""

    def __init__(self, db: Database):
        self.db = db

    async def set_notices(self, user: str, enabled: bool, at: datetime) -> None:
        if enabled:
            await self.db.run_block([Statement("DELETE FROM booking_notice_off WHERE user = ?", (user,))])
        else:
            await self.db.run_block([Statement("INSERT INTO booking_notice_off (user, off_at) VALUES (?, ?) "
                                               "ON CONFLICT (user) DO NOTHING", (user, _ts(at)))])

    async def notices_enabled(self, user: str) -> bool:
        return await self.db.fetchone("SELECT 1 FROM booking_notice_off WHERE user = ?", (user,)) is None

    async def notices_off(self) -> list[str]:
        return [r["user"] for r in await self.db.fetchall("SELECT user FROM booking_notice_off ORDER BY user")]
