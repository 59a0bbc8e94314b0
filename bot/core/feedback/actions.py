"""Button actions of policy feedback (``PREFIX:ARGS``, ASCII, ≤ 64 bytes); the transition table routes them by
prefix. Question and option ids are at most 24 characters (``consultations.MAX_ID``) so every action fits."""
from __future__ import annotations

from bot.core.knowledge.service import entry_token
from bot.core.messages import MAX_ACTION_BYTES

LIST = "fb"          # the list of open consultations
CHOOSE = "fc"        # fc:CONSULTATION
ANSWER = "fa"        # fa:QUESTION:VALUE (scale value or option id)
TOGGLE = "ft"        # ft:QUESTION:OPTION (multiple choice)
DONE = "fd"          # fd:QUESTION (multiple choice finished)
SKIP = "fs"          # fs:QUESTION (optional question)
BACK = "fbk"         # fbk:QUESTION, or fbk: from the summary
SUBMIT = "fok"       # the summary is right
CANCEL = "fx"        # leave the consultation without saving
REPLACE = "frp"      # frp:y / frp:n — answer again and replace the earlier submission?
CONSENT = "fct"      # fct:y / fct:n — may staff contact you?
RATE = "fr"          # fr:REPLY:SCORE
HELPFUL = "fh"       # fh:u:ENTRY / fh:d:ENTRY
CASE = "fcase"       # send the unanswered question to staff
FORGET = "ffg"       # ffg:y / ffg:n
MENU_PAUSE = "fmn"   # fmn:c / fmn:m — /menu during a consultation: continue it, or leave for the menu

YES, NO = "y", "n"


def action(prefix: str, *args: object) -> str:
    return ":".join([prefix, *(str(a) for a in args)])


def helpful(entry_id: str, up: bool) -> str:
    """``fh:u:ENTRY``; long entry ids travel as the knowledge snapshot's ``#token`` (resolved on press)."""
    value = action(HELPFUL, "u" if up else "d", entry_id)
    return value if len(value.encode()) <= MAX_ACTION_BYTES else action(HELPFUL, "u" if up else "d",
                                                                         entry_token(entry_id))
