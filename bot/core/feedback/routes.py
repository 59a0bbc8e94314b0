"""The feedback feature's router: consultations, /mystatus, ratings, 👍/👎, cases and /forget_me. Button prefixes
are those of ``actions.py``, spelled only there."""
from __future__ import annotations

from bot.core.dialog.router import IDLE, Router
from bot.core.feedback import actions as A
from bot.core.feedback import cases, pause, tracking
from bot.core.feedback import flow as fb

router = Router("feedback")
router.command("feedback", fb.list_consultations, (IDLE,), doc="open consultations")
router.action(A.LIST, fb.list_consultations, (IDLE,), doc="open consultations")
router.action(A.CHOOSE, fb.choose, (fb.QUESTION, fb.REPLACE), doc="start one (or: replace earlier?)")
router.action(A.CANCEL, fb.cancel, (IDLE,), doc="leave the consultation, nothing saved")
router.action(A.REPLACE, fb.decide_replace, (fb.QUESTION, IDLE), state=fb.REPLACE, doc="answer again, or keep")
router.text(fb.REPLACE, fb.use_buttons, (IDLE,), doc="buttons only: show them again")
router.action(A.ANSWER, fb.answer, (fb.QUESTION, fb.SUMMARY, IDLE), state=fb.QUESTION, doc="scale / single answer")
router.action(A.TOGGLE, fb.toggle, (fb.QUESTION, IDLE), state=fb.QUESTION, doc="tick / untick an option")
router.action(A.DONE, fb.done, (fb.QUESTION, fb.SUMMARY, IDLE), state=fb.QUESTION, doc="multiple choice done")
router.action(A.SKIP, fb.skip, (fb.QUESTION, fb.SUMMARY, IDLE), state=fb.QUESTION, doc="skip an optional one")
router.action(A.BACK, fb.back, (fb.QUESTION, IDLE), state=fb.QUESTION, doc="previous question")
router.text(fb.QUESTION, fb.typed, (fb.QUESTION, fb.SUMMARY, IDLE), doc="text answer (or refused)")
router.action(A.BACK, fb.back, (fb.QUESTION, IDLE), state=fb.SUMMARY, doc="change the last answer")
router.action(A.SUBMIT, fb.confirm, (fb.CONSENT, IDLE), state=fb.SUMMARY, doc="submit (anonymous) or ask consent")
router.text(fb.SUMMARY, fb.use_buttons, (IDLE,), doc="buttons only: show the summary again")
router.action(A.CONSENT, fb.consent, (fb.CONTACT, IDLE), state=fb.CONSENT, doc="yes: ask contact; no: submit")
router.text(fb.CONSENT, fb.use_buttons, (IDLE,), doc="buttons only: ask again")
router.action(A.CONSENT, fb.consent, (IDLE,), state=fb.CONTACT, doc="changed mind: submit without contact")
router.text(fb.CONTACT, fb.contact, (IDLE,), doc="contact details: submit with them")
for _state in pause.SURVEY_STATES:
    router.command("menu", pause.menu_asked, state=_state, doc="answers kept: continue, or leave for the menu?")
for _state in pause.SURVEY_STATES:
    router.action(A.MENU_PAUSE, pause.menu_decision, (_state, IDLE), state=_state,
                  doc="continue the survey / leave it")
router.command("mystatus", tracking.my_status, doc="my submissions; /mystatus FB-… looks one up")
router.action(A.RATE, tracking.rate, doc="rate a staff reply 1-5")
router.command("forget_me", tracking.forget_prompt, doc="explain and confirm")
router.action(A.FORGET, tracking.forget, doc="delete contact data, unlink submissions, drop state")
router.action(A.HELPFUL, cases.helpful, doc="👍/👎 on an answer")
router.action(A.CASE, cases.send_case, (IDLE,), state=IDLE, doc="unanswered question → case for staff")
