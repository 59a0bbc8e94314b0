"""Schema migrations, applied in order by ``PRAGMA user_version``.

Each migration is a tuple of single statements run inside one ``BEGIN IMMEDIATE … COMMIT`` together with the
``user_version`` bump, so a crash leaves the file at the old version or the new one, never in between (hence no
``executescript``, which commits on its own). Append new migrations; never edit a released one.
"""
from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: per-resident dialog state and unanswered questions
    (
        """CREATE TABLE resident_state (
            user TEXT PRIMARY KEY,
            language TEXT,
            last_language TEXT,
            state TEXT NOT NULL DEFAULT 'idle',
            data TEXT NOT NULL DEFAULT '{}',
            updated_at TEXT,
            reminded INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX resident_state_flow ON resident_state (state, reminded, updated_at)",
        """CREATE TABLE unanswered_question (
            id INTEGER PRIMARY KEY,
            question TEXT NOT NULL,
            reason TEXT NOT NULL,
            language TEXT NOT NULL,
            nearest_id TEXT,
            asked_at TEXT NOT NULL
        )""",
        "CREATE INDEX unanswered_question_time ON unanswered_question (asked_at)",
    ),
    # 2: policy feedback (bot.storage.feedback). Who sent a submission (feedback_link) and how to reach them
    # (feedback_contact) live apart from what they said, so /forget_me deletes two rows and the answers stay.
    (
        """CREATE TABLE feedback_submission (
            id INTEGER PRIMARY KEY,
            reference TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('survey', 'case')),
            consultation_id TEXT,
            language TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'received'
                CHECK (status IN ('received', 'in_review', 'answered', 'closed')),
            text TEXT,
            answer_count INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX feedback_submission_consultation ON feedback_submission (consultation_id, created_at)",
        "CREATE INDEX feedback_submission_time ON feedback_submission (created_at)",
        """CREATE TABLE feedback_answer (
            submission_id INTEGER NOT NULL REFERENCES feedback_submission (id) ON DELETE CASCADE,
            question_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (submission_id, question_id)
        )""",
        """CREATE TABLE feedback_link (
            submission_id INTEGER PRIMARY KEY REFERENCES feedback_submission (id) ON DELETE CASCADE,
            user TEXT NOT NULL,
            consultation_id TEXT
        )""",
        "CREATE INDEX feedback_link_user ON feedback_link (user)",
        # One submission per resident per consultation, kept by the database itself (cases have no consultation).
        """CREATE UNIQUE INDEX feedback_link_one_per_consultation ON feedback_link (user, consultation_id)
            WHERE consultation_id IS NOT NULL""",
        """CREATE TABLE feedback_contact (
            submission_id INTEGER PRIMARY KEY REFERENCES feedback_submission (id) ON DELETE CASCADE,
            contact TEXT NOT NULL,
            consented_at TEXT NOT NULL
        )""",
        # No time and no rowid: nothing orders the tokens, so none can be matched to an anonymous submission.
        """CREATE TABLE feedback_participation (
            token TEXT PRIMARY KEY,
            consultation_id TEXT NOT NULL
        ) WITHOUT ROWID""",
        """CREATE TABLE feedback_reply (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES feedback_submission (id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX feedback_reply_submission ON feedback_reply (submission_id)",
        """CREATE TABLE feedback_rating (
            reply_id INTEGER PRIMARY KEY REFERENCES feedback_reply (id) ON DELETE CASCADE,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            rated_at TEXT NOT NULL
        )""",
        """CREATE TABLE helpful_vote (
            id INTEGER PRIMARY KEY,
            entry_id TEXT NOT NULL,
            helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
            language TEXT NOT NULL,
            voted_at TEXT NOT NULL
        )""",
        "CREATE INDEX helpful_vote_entry ON helpful_vote (entry_id, voted_at)",
    ),
    # 3: staff tools (bot.storage.audit, bot.storage.subscriptions): the audit log of staff actions, residents'
    # announcement subscriptions (community '*' = the whole district; active = 0 once they blocked the bot) and
    # the staff members who asked for the weekly digest.
    (
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            staff_user TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX audit_log_time ON audit_log (at)",
        """CREATE TABLE subscription (
            user TEXT NOT NULL,
            community TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            subscribed_at TEXT NOT NULL,
            PRIMARY KEY (user, community)
        )""",
        "CREATE INDEX subscription_community ON subscription (community, active)",
        """CREATE TABLE staff_digest (
            user TEXT PRIMARY KEY,
            enabled_at TEXT NOT NULL
        )""",
    ),
    # 4: announcements being delivered (bot.storage.announcements), so a restart resumes one with the people still
    # waiting. Recipient rows (user keys) live only until the announcement is finished; its tally stays.
    (
        """CREATE TABLE announcement (
            id INTEGER PRIMARY KEY,
            staff_user TEXT NOT NULL,
            language TEXT NOT NULL,
            html TEXT NOT NULL,
            created_at TEXT NOT NULL,
            finished_at TEXT,
            sent INTEGER,
            blocked INTEGER,
            failed INTEGER,
            not_sent INTEGER
        )""",
        "CREATE INDEX announcement_unfinished ON announcement (finished_at, id)",
        """CREATE TABLE announcement_recipient (
            announcement_id INTEGER NOT NULL REFERENCES announcement (id) ON DELETE CASCADE,
            user TEXT NOT NULL,
            status TEXT CHECK (status IN ('sent', 'blocked', 'failed')),
            PRIMARY KEY (announcement_id, user)
        ) WITHOUT ROWID""",
        "CREATE INDEX announcement_recipient_user ON announcement_recipient (user)",
    ),
    # 5: no index on resident_state besides its key. Migration 1's resident_state_flow (state, reminded,
    # updated_at) served only the reminder query, which SQLite does not use it for (no ANALYZE statistics: it scans
    # the table, ~3 ms per 50,000 residents, once a minute), while every message's state save paid for it: the
    # upsert moves the row's entry because updated_at changes (27 µs a row with it, 14 µs without, measured on the
    # database thread; see benchmarks/README.md). A partial index on the residents in a flow would let the query
    # skip the scan, but a flow's every message is exactly the write it would slow down (16-21 µs a row).
    ("DROP INDEX IF EXISTS resident_state_flow",),
    # 6: /forget_me erases a resident's free text (docs/feedback.md, "Privacy"), so an unanswered question keeps
    # who asked it (only for that: staff tools never show it, and /forget_me sets it back to NULL). Questions
    # stored before this migration have no asker and cannot be found by resident.
    (
        "ALTER TABLE unanswered_question ADD COLUMN user TEXT",
        "CREATE INDEX unanswered_question_user ON unanswered_question (user) WHERE user IS NOT NULL",
    ),
    # 7: staff teach the bot (bot/core/staff/teach.py). An unanswered question staff attached to an entry or
    # ignored leaves the list (resolved 'taught:ENTRY' | 'ignored'); notify = 1 while its asker wants to hear once
    # it is taught. taught_phrasing: who taught which phrasing to which entry, when (append-only).
    (
        "ALTER TABLE unanswered_question ADD COLUMN resolved TEXT",
        "ALTER TABLE unanswered_question ADD COLUMN resolved_at TEXT",
        "ALTER TABLE unanswered_question ADD COLUMN notify INTEGER NOT NULL DEFAULT 0",
        """CREATE TABLE taught_phrasing (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            staff_user TEXT NOT NULL,
            entry_id TEXT NOT NULL,
            phrasing TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('phrasing', 'entry', 'undo')),
            file TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX taught_phrasing_time ON taught_phrasing (at)",
    ),
    # 8: bookings of community venues (bot.storage.bookings). No two bookings of a venue overlap, and the database
    # guarantees it: a booking holds one booked_slot row per 5-minute grid step of its slot, and the primary key
    # (venue_id, slot_start) refuses a second holder; the rows are written in the booking's own transaction and
    # deleted in the one that declines or cancels it. The resident's contact lives apart (booking_contact).
    (
        """CREATE TABLE booking (
            id INTEGER PRIMARY KEY,
            reference TEXT NOT NULL UNIQUE,
            venue_id TEXT NOT NULL,
            user TEXT,
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'declined', 'cancelled', 'no_show')),
            applicant TEXT NOT NULL CHECK (applicant IN ('resident', 'group', 'unit')),
            unit_name TEXT,
            purpose TEXT NOT NULL,
            people INTEGER NOT NULL CHECK (people >= 1),
            price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
            language TEXT NOT NULL,
            reason TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            CHECK (ends_at > starts_at)
        )""",
        "CREATE INDEX booking_user ON booking (user, starts_at)",
        "CREATE INDEX booking_venue_time ON booking (venue_id, starts_at)",
        "CREATE INDEX booking_status ON booking (status, created_at)",
        """CREATE TABLE booking_contact (
            booking_id INTEGER PRIMARY KEY REFERENCES booking (id) ON DELETE CASCADE,
            contact TEXT NOT NULL,
            consented_at TEXT NOT NULL
        )""",
        """CREATE TABLE booked_slot (
            venue_id TEXT NOT NULL,
            slot_start INTEGER NOT NULL,
            booking_id INTEGER NOT NULL REFERENCES booking (id) ON DELETE CASCADE,
            PRIMARY KEY (venue_id, slot_start)
        ) WITHOUT ROWID""",
        "CREATE INDEX booked_slot_booking ON booked_slot (booking_id)",
    ),
    # 9: the reminder the day before a booking is sent once: the job marks the booking in the same statement that
    # claims it (``UPDATE … WHERE reminded_at IS NULL``), so a restart or a second front end never sends it twice.
    ("ALTER TABLE booking ADD COLUMN reminded_at TEXT",),
    # 10: every staff member is sent each new booking request awaiting approval, until they turn that off
    # (``/bookings notices off``): the rows are the ones who did, so a staff member added later gets them at once.
    (
        """CREATE TABLE booking_notice_off (
            user TEXT PRIMARY KEY,
            off_at TEXT NOT NULL
        )""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
