"""The console chat: the same core as Telegram, in a terminal.

Buttons are shown as numbered choices; typing the number presses the button. When the step waits for something
typed that may be a bare number (``Reply.typed_number``: how many people, a phone number), its buttons are keyed
with letters instead — a, b, c … — so "12" is the answer and "a" presses a button. A message the core sends someone
else (``Reply.to``: a staff member told of a new booking request, a resident told of a decision) is printed with
who it is for, its buttons unnumbered, as Telegram would send it to their chat. ``/quit`` or end of input leaves
(so ``echo 低保怎么申请 | python run_bot.py`` prints the answer and exits 0).
"""
from __future__ import annotations

import asyncio
import html
import re
import sys
import unicodedata
from typing import TextIO

from bot.core.i18n import texts_for
from bot.core.messages import Incoming, Reply

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
        self.keys: list[str] = []  # what presses each: "1", "2" … or, where a number is typed, "a", "b" …
        self.choice_lines: list[str] = []  # how they were printed, to show them again after a wrong number

    def render(self, replies: list[Reply]) -> None:
        """Print replies; key every button (a number, or a letter where a number is typed) so the next line can
        press it."""
        choices: list[str] = []
        choice_lines: list[str] = []
        # The core says when a bare number typed now is the answer (the step knows, the console cannot guess).
        # Then buttons get letters for this screen: a number never means both, and every other screen keeps its
        # numbers — typing "2" for the second item of a menu stays as it was. (Reading a number past the last button
        # as text would still make "2" mean a button on the people step; a prefix to press, like "#2", would change
        # every screen.)
        lettered = any(reply.typed_number for reply in replies if reply.to in (None, self.user) and reply.buttons)
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
            for row in reply.buttons:
                for button in row:
                    if button.url:
                        lines.append(f"  🔗 {button.label}: {button.url}")
                    else:
                        choices.append(button.action)
                        lines.append(f"  [{button_key(len(choices) - 1, lettered)}] {button.label}")
                        choice_lines.append(lines[-1])
            if lines:
                print("\n".join(lines), file=self.output)
                print(file=self.output)
        if choices:
            self.choices, self.choice_lines = choices, choice_lines
            self.keys = [button_key(i, lettered) for i in range(len(choices))]
        self.output.flush()

    def _print_for_someone_else(self, reply: Reply) -> None:
        """A message the core sends another person (a staff member told of a new booking request, the resident
        told of a staff decision, a reload report): Telegram sends it to their chat; this terminal is one person,
        so it is shown with who it is for and its buttons' labels, unnumbered — they are pressed in that chat."""
        labels = [button.label for row in reply.buttons for button in row]
        print(f"[→ {reply.to}] {html_to_plain(reply.html)}" + (f"\n  ({' · '.join(labels)})" if labels else ""),
              file=self.output)
        print(file=self.output)

    @property
    def lettered(self) -> bool:
        """The buttons on screen are keyed a, b, c …: a bare number typed now is an answer."""
        return bool(self.keys) and not self.keys[0].isdigit()

    def _key_of(self, line: str) -> str:
        """The line as a key: full-width "１２" or "Ａ" as typed with a Chinese input method read as 12 and a,
        leading zeros dropped ("02" presses 2)."""
        key = unicodedata.normalize("NFKC", line.strip()).lower()
        return (key.lstrip("0") or "0") if key.isdecimal() else key

    def is_wrong_key(self, line: str) -> bool:
        """A key while buttons are on screen, but no button has it: a slip, not a question. Numbered buttons: any
        number without one; lettered ones: a letter (or two, past z) without one — a number there is an answer."""
        key = self._key_of(line)
        if not self.keys or key in self.keys:
            return False
        if self.lettered:
            return key.isascii() and key.isalpha() and len(key) <= len(self.keys[-1])
        return key.isdecimal()

    async def say_no_such_button(self, line: str) -> None:
        """"There is no button 99" (or "x"), in the resident's language, then the buttons again."""
        lang = await self.assistant.language_of(self.user, self.language_code)
        t = texts_for(lang)
        text = (t("console.no_letter_button", key=line.strip(), keys=" / ".join(self.keys)) if self.lettered
                else t("console.no_button", number=line.strip(), count=len(self.choices)))
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
