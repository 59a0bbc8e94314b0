"""Booking throughput and the calendar view, through ``BookingService`` and the SQLite store (WAL,
``synchronous=FULL``, group commit), on a fresh database file.

    .venv/bin/python benchmarks/bench_booking.py [--residents 1000] [--rounds 3] [--venues 20]

1. *burst*: ``--residents`` residents each request a random free-looking slot (of ``--venues`` venues, 30-minute
   slots 08:00-22:00, the next 30 days) at the same moment, ``--rounds`` times; some pick a slot another takes a
   moment earlier and get "just taken" with the next free slots (a refusal, counted). Requests/s is requests over the
   wall time of the rounds; the latency of each request is from the call to the returned reference (or refusal),
   i.e. after the COMMIT that made it durable.
2. *one at a time*: 300 requests in sequence: the time to the reference number without queueing.
2b. *a resident's message* (``--message``, default on): the burst again, each request with the resident's dialog
   state as the chat makes it, in the two shapes — *two commits* (``BookingService.request``, then
   ``save_state``: bookings before the unit of work) and *one unit* (``BookingService.prepare`` staged on
   ``SqliteUnitOfWork`` with the state: one COMMIT) — alternating, each on a fresh file; the latency is to the
   reference, i.e. after the last COMMIT the resident's message waits for.
3. *calendar*: a venue with a year of bookings (every other 60-minute slot, 08:00-22:00, 182 days back and 183
   ahead), then ``BookingService.calendar`` for a whole month (free slots per day), 50 times, and ``free_slots``
   for one day.

Prints Markdown tables.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.booking.errors import BookingRefused, SlotTaken  # noqa: E402
from bot.core.booking.model import BookingRequest, NewBooking  # noqa: E402
from bot.core.booking.service import BookingService  # noqa: E402
from bot.core.booking.slots import day_slots, quanta  # noqa: E402
from bot.core.knowledge.model import Text  # noqa: E402
from bot.core.knowledge.venues import Venue  # noqa: E402
from bot.core.ports import ResidentState  # noqa: E402
from bot.core.unit import Refused  # noqa: E402
from bot.storage.bookings import SqliteBookingStore  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.residents import SqliteResidentStore  # noqa: E402
from bot.storage.unit import SqliteUnitOfWork  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")


def venue(vid: str, slot: int, max_days: int = 30) -> Venue:
    return Venue(id=vid, name=Text.of(vid), capacity=50, hours=(((480, 1320),),) * 7,
                 applicants=("resident", "group", "unit"), prices_cents=MappingProxyType({"unit": 2000}),
                 slot_minutes=slot, approval=True, min_days_ahead=0, max_days_ahead=max_days, cancel_hours=24)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def request(user: str, vid: str, start: datetime) -> BookingRequest:
    return BookingRequest(user=user, venue_id=vid, start=start, purpose="排練", people=10, applicant="resident",
                          contact="138 0000 0000", consent=True)


async def burst(service: BookingService, residents: int, rounds: int, venues: list[str], rng: random.Random):
    today = datetime.now(UTC).astimezone(TZ).date()
    pool = [(vid, s.start) for vid in venues for d in range(1, 31)
            for s in day_slots(service.venue(vid), today + timedelta(days=d), TZ)]
    latencies: list[float] = []
    booked = taken = refused = 0

    async def one(n: int, r: int) -> None:
        nonlocal booked, taken, refused
        vid, start = rng.choice(pool)
        t0 = time.perf_counter()
        try:
            await service.request(request(f"tg:{n}", vid, start))
            booked += 1
        except SlotTaken:
            taken += 1
        except BookingRefused:
            refused += 1
        latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    for r in range(rounds):
        await asyncio.gather(*(one(n, r) for n in range(residents)))
    wall = time.perf_counter() - t0
    return wall, latencies, booked, taken, refused, len(pool)


async def sequential(service: BookingService, venues: list[str], count: int, rng: random.Random) -> list[float]:
    today = datetime.now(UTC).astimezone(TZ).date()
    latencies = []
    for n in range(count):
        vid = venues[n % len(venues)]
        slots = await service.free_slots(vid, today + timedelta(days=rng.randint(1, 30)))
        if not slots:
            continue
        t0 = time.perf_counter()
        try:
            await service.request(request(f"seq:{n}", vid, rng.choice(slots).start))
        except BookingRefused:
            pass
        latencies.append(time.perf_counter() - t0)
    return latencies


async def message_burst(shape: str, residents: int, rounds: int, venues: dict[str, Venue], max_open: int,
                        rng: random.Random) -> tuple[float, list[float], int, int]:
    """``burst`` with the resident's state, on a fresh file: ``shape`` "two commits" or "one unit"."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "message.sqlite3")
        await db.open()
        store, states = SqliteBookingStore(db), SqliteResidentStore(db)
        service = BookingService(store, lambda: venues, TZ, max_open=max_open)
        unit = SqliteUnitOfWork(db, states)
        today = datetime.now(UTC).astimezone(TZ).date()
        pool = [(vid, s.start) for vid in venues for d in range(1, 31)
                for s in day_slots(service.venue(vid), today + timedelta(days=d), TZ)]
        latencies: list[float] = []
        booked = taken = 0

        async def one(user: str) -> None:
            nonlocal booked, taken
            vid, start = rng.choice(pool)
            idle = ResidentState(user=user, state="idle", updated_at=datetime.now(UTC))
            t0 = time.perf_counter()
            try:
                if shape == "two commits":
                    await service.request(request(user, vid, start))
                    await states.save_state(idle)
                else:
                    pending = service.prepare(request(user, vid, start))
                    write = pending.write
                    while True:
                        try:
                            await unit.commit([write], idle)
                            break
                        except Refused as refused:
                            again = pending.retry(refused.error)
                            if again is None:  # "just taken": the resident stays at the summary, nothing saved
                                raise await pending.refusal(refused.error) from None
                            write = again
                booked += 1
            except SlotTaken:
                taken += 1
            except BookingRefused:
                pass
            latencies.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        for r in range(rounds):
            await asyncio.gather(*(one(f"tg:{r}:{n}") for n in range(residents)))
        wall = time.perf_counter() - t0
        assert await db.integrity_check() == "ok"
        await db.close()
    return wall, latencies, booked, taken


async def year_of_bookings(store: SqliteBookingStore, vid: str, v: Venue) -> int:
    today = datetime.now(UTC).astimezone(TZ).date()
    now = datetime.now(UTC)
    news = []
    for d in range(-182, 184):
        for i, slot in enumerate(day_slots(v, today + timedelta(days=d), TZ)):
            if i % 2:
                continue
            news.append(NewBooking(reference=f"BK-Y{len(news):06d}", user=f"tg:y{len(news) % 997}", venue_id=vid,
                                   slot=slot, status="confirmed", applicant="group", purpose="排練", people=10,
                                   price_cents=0, contact="138", created_at=now, quanta=quanta(slot)))
    for i in range(0, len(news), 500):
        await asyncio.gather(*(store.add(b, 10 ** 6, now) for b in news[i:i + 500]))
    return len(news)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--venues", type=int, default=20)
    parser.add_argument("--message", action=argparse.BooleanOptionalAction, default=True,
                        help="also the burst with the resident's state, two commits vs one unit (2b)")
    args = parser.parse_args()
    rng = random.Random(13)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.sqlite3")
        await db.open()
        store = SqliteBookingStore(db)
        venues = {f"room-{i}": venue(f"room-{i}", 30) for i in range(args.venues)}
        venues["year"] = venue("year", 60, max_days=366)
        service = BookingService(store, lambda: venues, TZ, max_open=args.rounds + 1)
        ids = [v for v in venues if v != "year"]

        wall, lat, booked, taken, refused, pool = await burst(service, args.residents, args.rounds, ids, rng)
        seq = await sequential(service, ids, 300, rng)
        print(f"\n### Booking requests ({args.residents} residents, {args.venues} venues, {pool:,} slots)\n")
        print("| run | requests | booked | just taken | other refusals | requests/s | p50 ms | p99 ms |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        print(f"| burst ×{args.rounds} | {len(lat)} | {booked} | {taken} | {refused} | {len(lat) / wall:,.0f} | "
              f"{pct(lat, .5) * 1e3:.1f} | {pct(lat, .99) * 1e3:.1f} |")
        print(f"| one at a time | {len(seq)} | | | | {len(seq) / sum(seq):,.0f} | {pct(seq, .5) * 1e3:.2f} | "
              f"{pct(seq, .99) * 1e3:.2f} |")

        if args.message:
            rooms = {vid: venues[vid] for vid in ids}
            print(f"\n### A resident's message: the request and their dialog state ({args.residents} residents, "
                  f"×{args.rounds}, each shape twice, alternating; one at a time: 300 in sequence)\n")
            print("| shape | COMMITs a message | run | requests | booked | just taken | requests/s | p50 ms | p99 ms |")
            print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
            for shape in ("two commits", "one unit", "two commits", "one unit"):
                for run, residents, rounds in ((f"burst ×{args.rounds}", args.residents, args.rounds),
                                               ("one at a time", 1, 300)):
                    wall, lat, booked, taken = await message_burst(shape, residents, rounds, rooms, rounds + 1,
                                                                   random.Random(17))
                    print(f"| {shape} | {2 if shape == 'two commits' else 1} | {run} | {len(lat)} | {booked} | "
                          f"{taken} | {len(lat) / wall:,.0f} | {pct(lat, .5) * 1e3:.2f} | {pct(lat, .99) * 1e3:.2f} |")

        t0 = time.perf_counter()
        count = await year_of_bookings(store, "year", venues["year"])
        fill = time.perf_counter() - t0
        today = datetime.now(UTC).astimezone(TZ).date()
        first = today.replace(day=1) + timedelta(days=32)
        first = first.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        month, day = [], []
        for _ in range(50):
            t0 = time.perf_counter()
            cal = await service.calendar("year", first, last)
            month.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await service.free_slots("year", first + timedelta(days=3))
            day.append(time.perf_counter() - t0)
        steps = (await db.fetchone("SELECT COUNT(*) FROM booked_slot"))[0]
        print(f"\n### Calendar view (a venue with a year of bookings: {count:,} bookings, {steps:,} booked_slot rows "
              f"in the file; filled in {fill:.1f} s)\n")
        print("| view | days | p50 ms | p99 ms |")
        print("| --- | ---: | ---: | ---: |")
        print(f"| calendar of a month (free slots per day) | {len(cal)} | {statistics.median(month) * 1e3:.2f} | "
              f"{pct(month, .99) * 1e3:.2f} |")
        print(f"| free slots of one day | 1 | {statistics.median(day) * 1e3:.2f} | {pct(day, .99) * 1e3:.2f} |")
        assert await db.integrity_check() == "ok"
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
