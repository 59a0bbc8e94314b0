"""States and transitions of the whole conversation, in one table.

A row says: in ``state`` (``*`` = any), on ``trigger``, run ``handler``; afterwards the resident is either where
they were (a rejected or repeated input never moves anyone) or in one of ``goes_to``. Triggers:

- ``command:NAME`` — ``/NAME [payload]``; ``command:*`` catches unknown commands;
- ``action:PREFIX`` — a button whose action is ``PREFIX`` or ``PREFIX:ARGS``;
- ``text`` — anything typed that is not a command; ``location``; ``unsupported`` (stickers, photos, …).

Rows for a specific state win over ``*`` rows. ``staff`` rows answer non-staff exactly as an unknown command.
``python -m bot chat --table`` prints the table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from bot.core.dialog import announce, near, notify, qa, review, staff, stats, subscribe, teach
from bot.core.dialog.context import Context
from bot.core.feedback import cases, pause, tracking
from bot.core.feedback import flow as fb
from bot.core.messages import Reply

Handler = Callable[[Context], Awaitable[list[Reply]]]

IDLE = "idle"
ANY = "*"


@dataclass(frozen=True, slots=True)
class Transition:
    state: str
    trigger: str
    handler: Handler
    goes_to: tuple[str, ...] = ()
    staff: bool = False
    doc: str = ""


TABLE: tuple[Transition, ...] = (
    # --- everywhere --------------------------------------------------------------------------------------------
    Transition(ANY, "command:start", qa.start, (IDLE,), doc="welcome + categories; /start ENTRY opens an entry"),
    Transition(ANY, "command:help", qa.help_, doc="what the bot can do"),
    Transition(ANY, "command:menu", qa.menu, (IDLE,), doc="category menu"),
    Transition(ANY, "command:language", qa.language_menu, doc="choose zh-Hant / zh-Hans / en / automatic"),
    Transition(ANY, "command:cancel", qa.cancel, (IDLE,), doc="leave any flow"),
    Transition(ANY, "command:*", qa.unknown_command, doc="unknown command"),
    Transition(ANY, "action:lang", qa.set_language, doc="remember the language"),
    Transition(ANY, "action:menu", qa.menu_in_place, (IDLE,), doc="category menu"),
    Transition(ANY, "action:cat", qa.category_page, (IDLE,), doc="a page of a category's entries"),
    Transition(ANY, "action:e", qa.show_entry, (IDLE,), doc="an entry's answer"),
    Transition(ANY, "location", qa.nearby, doc="nearest facilities"),
    Transition(ANY, "command:near", near.near, doc="nearest facilities to a place name or LAT,LON (no location)"),
    Transition(ANY, "unsupported", qa.unsupported, doc="stickers, photos, voice …"),
    # --- idle: questions ---------------------------------------------------------------------------------------
    Transition(IDLE, "text", qa.question, (IDLE,), doc="answer, 'did you mean' buttons, or not found"),
    Transition(IDLE, "action:none", qa.none_of_these, (IDLE,), doc="the suggestions were wrong: record the miss"),
    # --- feedback (bot/core/feedback): consultations, /mystatus, ratings, 👍/👎, cases ---------------------------
    Transition(ANY, "command:feedback", fb.list_consultations, (IDLE,), doc="open consultations"),
    Transition(ANY, "action:fb", fb.list_consultations, (IDLE,), doc="open consultations"),
    Transition(ANY, "action:fc", fb.choose, (fb.QUESTION, fb.REPLACE), doc="start one (or: replace earlier?)"),
    Transition(ANY, "action:fx", fb.cancel, (IDLE,), doc="leave the consultation, nothing saved"),
    Transition(fb.REPLACE, "action:frp", fb.decide_replace, (fb.QUESTION, IDLE), doc="answer again, or keep"),
    Transition(fb.REPLACE, "text", fb.use_buttons, (IDLE,), doc="buttons only: show them again"),
    Transition(fb.QUESTION, "action:fa", fb.answer, (fb.QUESTION, fb.SUMMARY, IDLE), doc="scale / single answer"),
    Transition(fb.QUESTION, "action:ft", fb.toggle, (fb.QUESTION, IDLE), doc="tick / untick an option"),
    Transition(fb.QUESTION, "action:fd", fb.done, (fb.QUESTION, fb.SUMMARY, IDLE), doc="multiple choice done"),
    Transition(fb.QUESTION, "action:fs", fb.skip, (fb.QUESTION, fb.SUMMARY, IDLE), doc="skip an optional one"),
    Transition(fb.QUESTION, "action:fbk", fb.back, (fb.QUESTION, IDLE), doc="previous question"),
    Transition(fb.QUESTION, "text", fb.typed, (fb.QUESTION, fb.SUMMARY, IDLE), doc="text answer (or refused)"),
    Transition(fb.SUMMARY, "action:fbk", fb.back, (fb.QUESTION, IDLE), doc="change the last answer"),
    Transition(fb.SUMMARY, "action:fok", fb.confirm, (fb.CONSENT, IDLE), doc="submit (anonymous) or ask consent"),
    Transition(fb.SUMMARY, "text", fb.use_buttons, (IDLE,), doc="buttons only: show the summary again"),
    Transition(fb.CONSENT, "action:fct", fb.consent, (fb.CONTACT, IDLE), doc="yes: ask contact; no: submit"),
    Transition(fb.CONSENT, "text", fb.use_buttons, (IDLE,), doc="buttons only: ask again"),
    Transition(fb.CONTACT, "action:fct", fb.consent, (IDLE,), doc="changed mind: submit without contact"),
    Transition(fb.CONTACT, "text", fb.contact, (IDLE,), doc="contact details: submit with them"),
    *(Transition(state, "command:menu", pause.menu_asked, doc="answers kept: continue, or leave for the menu?")
      for state in pause.SURVEY_STATES),
    *(Transition(state, "action:fmn", pause.menu_decision, (state, IDLE), doc="continue the survey / leave it")
      for state in pause.SURVEY_STATES),
    Transition(ANY, "command:mystatus", tracking.my_status, doc="my submissions; /mystatus FB-… looks one up"),
    Transition(ANY, "action:fr", tracking.rate, doc="rate a staff reply 1-5"),
    Transition(ANY, "command:forget_me", tracking.forget_prompt, doc="explain and confirm"),
    Transition(ANY, "action:ffg", tracking.forget, doc="delete contact data, unlink submissions, drop state"),
    Transition(ANY, "action:fh", cases.helpful, doc="👍/👎 on an answer"),
    Transition(IDLE, "action:fcase", cases.send_case, (IDLE,), doc="unanswered question → case for staff"),
    # --- announcements: residents subscribe --------------------------------------------------------------------
    Transition(ANY, "command:subscribe", subscribe.subscribe, doc="announcements: the whole district or a community"),
    Transition(ANY, "command:unsubscribe", subscribe.unsubscribe, doc="stop every announcement"),
    Transition(ANY, "action:sub", subscribe.choose, doc="subscribe to the district or one community"),
    # --- staff (STAFF_IDS only, checked on every message; anyone else gets the unknown-command reply) ----------
    Transition(ANY, "command:staff", staff.help_, staff=True, doc="the staff commands"),
    Transition(ANY, "command:reload", staff.reload, staff=True,
               doc="validate, regression-test and swap the knowledge base"),
    Transition(ANY, "command:digest", staff.digest, staff=True, doc="weekly digest of unanswered questions on|off"),
    Transition(ANY, "action:digest", staff.digest_button, staff=True, doc="weekly digest on/off button"),
    Transition(ANY, "command:announce", announce.begin, (announce.TEXT, announce.CONFIRM), staff=True,
               doc="compose an announcement to subscribers"),
    Transition(announce.TEXT, "text", announce.compose, (announce.CONFIRM,), staff=True,
               doc="the announcement text: preview + audiences"),
    Transition(announce.CONFIRM, "text", announce.compose, (announce.CONFIRM, announce.TEXT), staff=True,
               doc="a replacement text: preview again"),
    Transition(announce.CONFIRM, "action:annsend", announce.send, (IDLE,), staff=True,
               doc="send to the chosen audience (a Broadcast)"),
    Transition(ANY, "action:anncancel", announce.cancel, (IDLE,), staff=True, doc="discard the announcement"),
    # --- staff: review ---------------------------------------------------------------------------------------
    Transition(ANY, "command:review", review.begin, (IDLE,), staff=True,
               doc="new submissions and cases one at a time; /review FB-… opens one"),
    Transition(ANY, "action:rv", review.button, (IDLE, review.REPLY_STATE), staff=True,
               doc="mark in review / reply / close / next / cancel the reply"),
    Transition(review.REPLY_STATE, "text", review.reply_text, (IDLE,), staff=True,
               doc="the reply: sent to the resident under the reference, who is asked to rate it"),
    Transition(ANY, "command:stats", stats.show, staff=True, doc="figures and charts (images)"),
    # --- staff: teach (unanswered questions → phrasings or new entries in the YAML files) ----------------------
    Transition(ANY, "command:teach", teach.begin, (IDLE,), staff=True,
               doc="one unanswered group at a time; /teach undo takes back the newest teach"),
    Transition(ANY, "action:tc", teach.button, (IDLE, teach.ANSWER_STATE), staff=True,
               doc="attach / pick / new entry / ignore / next; create or drop a drafted entry"),
    Transition(teach.ANSWER_STATE, "text", teach.answer_text, (teach.CONFIRM_STATE,), staff=True,
               doc="the new entry's answer: shown with ✅ create / ✖️ cancel"),
    Transition(teach.CONFIRM_STATE, "text", teach.typed_on_confirm, (teach.CONFIRM_STATE, teach.ANSWER_STATE),
               staff=True,
               doc="a replacement answer"),
    # --- residents: told once when their unanswered question is taught ----------------------------------------
    Transition(ANY, "action:ntf", notify.notify_me, doc="🔔 tell me when there is an answer"),
)


#: (state, trigger) → its row (the first, should the table list one twice): ``find`` runs for every message.
_ROWS: dict[tuple[str, str], Transition] = {}
for _row in TABLE:
    _ROWS.setdefault((_row.state, _row.trigger), _row)


def find(state: str, trigger: str) -> Transition | None:
    """The row for ``trigger`` in ``state``: a row for that state first, then a ``*`` row."""
    return _ROWS.get((state, trigger)) or _ROWS.get((ANY, trigger))


def describe() -> str:
    """The table as aligned text, for staff and developers."""
    lines = [f"{'state':<22} {'trigger':<24} {'handler':<26} goes to"]
    for row in TABLE:
        name = f"{row.handler.__module__.rsplit('.', 1)[-1]}.{row.handler.__name__}"
        staff = " (staff)" if row.staff else ""
        lines.append(f"{row.state:<22} {row.trigger:<24} {name:<26} {', '.join(row.goes_to) or '(stays)'}{staff}")
    return "\n".join(lines)
