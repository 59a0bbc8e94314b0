"""The console chat: the same core as Telegram, in a terminal.

Buttons are shown as numbered choices; typing the number presses the button. When the step waits for something
typed that may be a bare number (``Reply.typed_number``: how many people, a phone number), its buttons are keyed
with letters instead — a, b, c … — so "12" is the answer and "a" presses a button. A calendar is printed as one:
a row of only ``inert`` buttons (weekday headings, blank cells: never keyed) and buttons with their own ``key``
(a day: its number) is one line, in columns; typing "9" presses the 9th, and the screen's other buttons (months,
back, leave) are lettered so no key means two things. A message the core sends someone else (``Reply.to``: a staff
member told of a new booking request, a resident told of a decision) is printed with who it is for, its buttons
unnumbered, as Telegram would send it to their chat. ``/quit`` or end of input leaves (so
``echo 低保怎么申请 | python run_bot.py`` prints the answer and exits 0).
"""
from __future__ import annotations

import asyncio
import html
import re
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from itertools import count
from typing import TextIO

from bot.core.i18n import texts_for
from bot.core.messages import Button, Incoming, Reply

CONSOLE_USER = "console:local"
QUIT_COMMANDS = {"/quit", "/exit", "/q"}
_TAG = re.compile(r"<[^>]+>")


def html_to_plain(text: str) -> str:
    """Telegram-HTML to terminal text: tags dropped, entities unescaped."""
    return html.unescape(_TAG.sub("", text))


def button_key(index: int, lettered: bool) -> str:
    """What the resident types to press the button at ``index`` (from 0): "1", "2" …, or "a" … "z", "aa", "ab" …"""
    if not lettered:
        return str(index + 1)
    key = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        key = chr(ord("a") + rest) + key
    return key


def letters(taken: set[str]) -> Iterator[str]:
    """a, b, c … without the keys ``taken`` by buttons that bring their own."""
    return (key for key in (button_key(i, True) for i in count()) if key not in taken)


def is_grid_row(row: Sequence[Button]) -> bool:
    """A row of only inert and keyed buttons (a calendar's week, its weekday headings): printed on one line."""
    return bool(row) and all(b.url is None and (b.inert or b.key is not None) for b in row)


def cell(button: Button) -> tuple[str, str]:
    """A grid cell as (what aligns, what follows): an inert button is its label; a keyed one its key in brackets,
    then the rest of its label — "[9]", "[12]" "✖" (what is typed is exactly what is in brackets) — or, when the
    label does not start with the key, "[key]" " label"."""
    if button.key is None:
        return button.label, ""
    rest = button.label[len(button.key):] if button.label.startswith(button.key) else f" {button.label}"
    return f"[{button.key}]", rest


def width(text: str) -> int:
    """Columns a terminal gives ``text``: two for a wide (CJK) character, none for a combining mark."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def grid_lines(rows: list[Sequence[Button]]) -> list[str]:
    """Consecutive grid rows as aligned lines, like a printed calendar: columns of one width, keys right-aligned
    as numbers are (a mark after a key — ✖ — in a margin of its own), labels (headings, blanks) centred."""
    cells = [[(cell(b), b.key is None) for b in row] for row in rows]
    main = max(width(text) for r in cells for (text, _), _ in r)
    tail = max(width(rest) for r in cells for (_, rest), _ in r)
    lines = []
    for r in cells:
        padded = []
        for (text, rest), centred in r:
            gap = main - width(text)
            left = gap - gap // 2 if centred else gap
            padded.append(" " * left + text + " " * (gap - left) + rest + " " * (tail - width(rest)))
        lines.append(("  " + " ".join(padded)).rstrip())
    return lines


def key_list(keys: Sequence[str]) -> str:
    """The keys on screen for a "no such button" line: runs of numbers collapsed — "7–21 / a / b"."""
    numbers = sorted({int(k) for k in keys if k.isdecimal()})
    parts: list[str] = []
    run: list[int] = []
    for n in [*numbers, None]:
        if run and (n is None or n != run[-1] + 1):
            parts += [f"{run[0]}–{run[-1]}"] if len(run) > 2 else [str(r) for r in run]
            run = []
        if n is not None:
            run.append(n)
    return " / ".join(parts + [k for k in keys if not k.isdecimal()])


class ConsoleChat:
    def __init__(self, assistant, output: TextIO = sys.stdout, user: str = CONSOLE_USER,
                 language_code: str | None = None,
                 is_staff: bool = False):
        self.assistant = assistant
        self.output = output
        self.user = user
        self.language_code = language_code
        self.is_staff = is_staff  # run_bot.py --staff: staff commands work in this terminal
        self.choices: list[str] = []  # actions of the buttons currently on screen, in the order of their keys
        self.keys: list[str] = []  # what presses each: "1", "2" …; "a", "b" … where a number is typed; a day's "9"
        self.choice_lines: list[str] = []  # how they were printed, to show them again after a wrong key
        self.typed_number = False  # the screen waits for a typed number: a bare number is an answer, never a slip
        self.own_keys = False  # some buttons on screen brought their own key (a calendar's days)

    def render(self, replies: list[Reply]) -> None:
        """Print replies; key every button (a number, a letter where a number is typed or where buttons bring
        their own keys, or that own key) so the next line can press it."""
        choices: list[str] = []
        keys: list[str] = []
        choice_lines: list[str] = []
        # The core says when a bare number typed now is the answer (the step knows, the console cannot guess).
        # Then buttons get letters for this screen: a number never means both, and every other screen keeps its
        # numbers — typing "2" for the second item of a menu stays as it was. (Reading a number past the last button
        # as text would still make "2" mean a button on the people step; a prefix to press, like "#2", would change
        # every screen.) Likewise where buttons bring their own keys (a calendar's days: "9" is the 9th): the
        # others on that screen are lettered, skipping any letter a button brought, so no key means two things.
        # The step marks such buttons (``Button.key``, ``Button.inert``): the console cannot tell a heading from a
        # day by its action (``bk0`` is the booking feature's) or its label ("5" may be a scale's answer).
        mine = [reply for reply in replies if reply.to in (None, self.user) and reply.buttons]
        typed_number = any(reply.typed_number for reply in mine)
        own = {b.key for reply in mine for row in reply.buttons for b in row if b.key is not None}
        lettered = typed_number or bool(own)
        free_letters = letters(own)

        def press(button: Button) -> str:
            key = button.key or (next(free_letters) if lettered else button_key(len(choices), False))
            choices.append(button.action)
            keys.append(key)
            return key

        for reply in replies:
            lines = []
            if reply.to not in (None, self.user):
                self._print_for_someone_else(reply)
                continue
            if reply.html:
                lines.append(html_to_plain(reply.html))
            if reply.venue:
                v = reply.venue
                lines.append(f"🗺️ {v.title} — {v.address} ({v.lat:.5f}, {v.lon:.5f})")
            if reply.image:
                lines.append(f"[image: {reply.image.filename}] {html_to_plain(reply.image.caption)}")
            if reply.document:
                lines.append(f"[file: {reply.document.filename}] {html_to_plain(reply.document.caption)}")
            grid: list[Sequence[Button]] = []  # grid rows waiting to be printed as one aligned block
            for row in [*reply.buttons, ()]:  # () ends a grid block at the end
                if is_grid_row(row):
                    grid.append(row)
                    for button in row:
                        if not button.inert:
                            press(button)
                    continue
                if grid:
                    lines += grid_lines(grid)
                    choice_lines += lines[-len(grid):]
                    grid = []
                for button in row:
                    if button.url:
                        lines.append(f"  🔗 {button.label}: {button.url}")
                        continue
                    lines.append(f"  {button.label}" if button.inert else f"  [{press(button)}] {button.label}")
                    choice_lines.append(lines[-1])
            if lines:
                print("\n".join(lines), file=self.output)
                print(file=self.output)
        if choices:
            self.choices, self.keys, self.choice_lines = choices, keys, choice_lines
            self.typed_number, self.own_keys = typed_number, bool(own)
        self.output.flush()

    @property
    def lettered(self) -> bool:
        """The buttons on screen are keyed a, b, c … (where a number is typed, or beside buttons' own keys)."""
        return self.typed_number or self.own_keys

    def _print_for_someone_else(self, reply: Reply) -> None:
        """A message the core sends another person (a staff member told of a new booking request, the resident
        told of a staff decision, a reload report): Telegram sends it to their chat; this terminal is one person,
        so it is shown with who it is for and its buttons' labels, unnumbered — they are pressed in that chat."""
        labels = [button.label for row in reply.buttons for button in row]
        print(f"[→ {reply.to}] {html_to_plain(reply.html)}" + (f"\n  ({' · '.join(labels)})" if labels else ""),
              file=self.output)
        print(file=self.output)

    def _key_of(self, line: str) -> str:
        """The line as a key: full-width "１２" or "Ａ" as typed with a Chinese input method read as 12 and a,
        leading zeros dropped ("02" presses 2)."""
        key = unicodedata.normalize("NFKC", line.strip()).lower()
        return (key.lstrip("0") or "0") if key.isdecimal() else key

    def is_wrong_key(self, line: str) -> bool:
        """A key while buttons are on screen, but no button has it: a slip, not a question. A number without a
        button (unless the screen waits for a typed number: then it is the answer); a letter (or two, past z)
        without one where the buttons are lettered."""
        key = self._key_of(line)
        if not self.keys or key in self.keys:
            return False
        if key.isdecimal():
            return not self.typed_number
        longest = max((len(k) for k in self.keys if k.isascii() and k.isalpha()), default=0)
        return self.lettered and key.isascii() and key.isalpha() and len(key) <= longest

    async def say_no_such_button(self, line: str) -> None:
        """"There is no button 99" (or "x"), in the resident's language, then the buttons again."""
        lang = await self.assistant.language_of(self.user, self.language_code)
        t = texts_for(lang)
        if self.own_keys:
            text = t("console.no_key_button", key=line.strip(), keys=key_list(self.keys))
        elif self.lettered:
            text = t("console.no_letter_button", key=line.strip(), keys=" / ".join(self.keys))
        else:
            text = t("console.no_button", number=line.strip(), count=len(self.choices))
        print("\n".join([text, *self.choice_lines]), file=self.output)
        print(file=self.output)
        self.output.flush()

    def incoming_for(self, line: str) -> Incoming:
        text = line.strip()
        key = self._key_of(line)
        if key in self.keys:
            return Incoming(user=self.user, action=self.choices[self.keys.index(key)],
                            language_code=self.language_code, is_staff=self.is_staff)
        return Incoming(user=self.user, text=text, language_code=self.language_code, is_staff=self.is_staff)

    async def send(self, line: str) -> None:
        if self.is_wrong_key(line):
            await self.say_no_such_button(line)
            return
        replies = await self.assistant.handle(self.incoming_for(line))
        self.render(replies)
        for reply in replies:
            if reply.broadcast is not None:
                # An announcement: the terminal has no other people, so each message is printed; the report follows.
                self.render(await reply.broadcast.deliver(self._print_announcement))

    async def deliver(self, replies: list[Reply]) -> None:
        """What the background jobs send (``bot.core.jobs``): a reminder to this user is shown as any reply;
        one addressed to someone else (a staff digest, a reload report) is printed with who it is for."""
        for reply in replies:
            self.render([reply])

    async def _print_announcement(self, user: str, html: str) -> str:
        print(f"[📢 → {user}] {html_to_plain(html)}", file=self.output)
        return "sent"

    async def run(self, lines: TextIO = sys.stdin, greet: bool = True) -> int:
        """Read lines until ``/quit`` or end of input; returns the exit code."""
        interactive = lines.isatty()
        if greet:
            await self.send("/start")
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                print("> ", end="", file=self.output, flush=True)
            line = await loop.run_in_executor(None, lines.readline)
            if not line:  # end of input
                return 0
            if line.strip().lower() in QUIT_COMMANDS:
                return 0
            if not line.strip():
                continue
            await self.send(line)
