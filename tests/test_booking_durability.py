"""Durability of bookings: a process booking and cancelling through ``BookingService`` and the SQLite store is
killed with SIGKILL at random moments. Afterwards every booking it acknowledged is stored, no booking is
half-written (a booking that holds its slot has exactly one ``booked_slot`` row per 5-minute step, one that does not
has none, every booking has its contact), no two bookings of a venue overlap, and ``integrity_check`` says ok."""
from __future__ import annotations

import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLS = 5

WORKER = r'''
import asyncio, os, random, sys
sys.path[:0] = [sys.argv[2], sys.argv[3]]
from booking_helpers import TZ, request, venue
from bot.core.booking.errors import BookingRefused
from bot.core.booking.service import BookingService
from bot.storage.bookings import SqliteBookingStore
from bot.storage.database import Database

VENUES = {v.id: v for v in (venue("a", hours=((0, 1440),), slot=30, prices={}),
                            venue("b", hours=((0, 1440),), slot=60, prices={}))}


def say(line):
    os.write(1, (line + "\n").encode())  # one write per line: whole lines survive SIGKILL in the pipe


async def resident(service, worker):
    rng = random.Random(f"{os.getpid()}-{worker}")
    mine = []
    while True:
        vid = rng.choice("ab")
        day = service.window(vid)[0] + __import__("datetime").timedelta(days=rng.randint(1, 29))
        slots = await service.free_slots(vid, day)
        if not slots:
            continue
        try:
            booking = await service.request(request(rng.choice(slots).start, user=f"tg:{worker}", vid=vid))
        except BookingRefused:
            continue
        say(f"ACK {booking.reference}")
        mine.append(booking.reference)
        if rng.random() < 0.3:
            reference = mine.pop(rng.randrange(len(mine)))
            try:
                await service.cancel(reference, f"tg:{worker}")
            except BookingRefused:  # past the deadline
                continue
            say(f"CANCEL {reference}")


async def main():
    db = Database(sys.argv[1])
    await db.open()
    service = BookingService(SqliteBookingStore(db), lambda: VENUES, TZ, max_open=10 ** 6)
    say("READY")
    await asyncio.gather(*(resident(service, w) for w in range(4)))


asyncio.run(main())
'''


def reader(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def test_acknowledged_bookings_survive_sigkill_whole(tmp_path):
    db = tmp_path / "bot.sqlite3"
    rng = random.Random(20260701)
    acked, cancelled = set(), set()
    started = time.monotonic()
    for _ in range(KILLS):
        worker = subprocess.Popen([sys.executable, "-c", WORKER, str(db), str(ROOT), str(ROOT / "tests")],
                                  stdout=subprocess.PIPE, text=True, cwd=ROOT)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=reader, args=(worker.stdout, lines), daemon=True).start()
        assert lines.get(timeout=15) == "READY"
        time.sleep(rng.uniform(0.05, 0.4))
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL
        while (line := lines.get(timeout=10)) is not None:
            kind, reference = line.split()
            (acked if kind == "ACK" else cancelled).add(reference)
    assert acked, "the workers never acknowledged a booking"

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = conn.execute("""SELECT b.reference, b.venue_id, b.status, b.starts_at, b.ends_at,
                                      (SELECT COUNT(*) FROM booked_slot s WHERE s.booking_id = b.id),
                                      (SELECT COUNT(*) FROM booking_contact c WHERE c.booking_id = b.id)
                               FROM booking b""").fetchall()
        stored = {r[0]: r for r in rows}
        assert not acked - stored.keys(), "acknowledged bookings lost"
        assert all(stored[ref][2] == "cancelled" for ref in cancelled), "an acknowledged cancellation undone"
        intervals: dict[str, list[tuple[datetime, datetime]]] = {}
        for reference, venue_id, status, starts, ends, steps, contacts in rows:
            start, end = datetime.fromisoformat(starts), datetime.fromisoformat(ends)
            holding = status in ("pending", "confirmed")
            assert steps == ((end - start).seconds // 300 if holding else 0), f"half-written {reference}"
            assert contacts == 1, f"{reference} without its contact"
            if holding:
                intervals.setdefault(venue_id, []).append((start, end))
        for spans in intervals.values():
            spans.sort()
            assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), "two bookings of a venue overlap"
    finally:
        conn.close()
    print(f"\n{KILLS} SIGKILLs in {time.monotonic() - started:.1f} s: {len(acked)} bookings acknowledged, "
          f"{len(cancelled)} cancelled, {len(stored)} stored, 0 lost, 0 half-written, integrity ok")
