"""Putting long staff reports into chat messages: escaped lines packed into messages below Telegram's limit."""
from __future__ import annotations

from html import escape

#: Characters per message we aim for: below Telegram's 4096 with room for the header and the "… more" line.
MESSAGE_BUDGET = 3500
#: Lines of one report shown in the chat; the rest is summed up (the CLI prints everything).
MAX_LINES = 60
#: Characters of a resident's text quoted in a staff report: one line on a phone or a terminal.
QUOTE_CHARS = 80


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """A resident's text as one line of at most ``limit`` characters, cut with "…": a 5,000-character question
    must not fill a report's first screen. Line breaks and runs of spaces become one space."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def pack(header: str, lines: list[str], more: str = "") -> list[str]:
    """``header`` (HTML) and ``lines`` (plain text, escaped here) as messages of whole lines, each within
    ``MESSAGE_BUDGET``. Over ``MAX_LINES`` lines the rest is replaced by ``more`` (HTML, e.g. "… and 12 more").
    A single line longer than the budget is cut, so no message is ever refused for length."""
    shown = [escape(line[:MESSAGE_BUDGET - 1] + "…" if len(line) >= MESSAGE_BUDGET else line)
             for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES and more:
        shown.append(more)
    messages: list[str] = []
    current = header
    for line in shown:
        if current and len(current) + 1 + len(line) > MESSAGE_BUDGET:
            messages.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        messages.append(current)
    return messages
