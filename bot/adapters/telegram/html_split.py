"""Splitting Telegram-HTML text into messages that fit Telegram's limit without breaking tags or entities.

Telegram counts the *visible* text (after entity parsing) and refuses a message over 4096 characters (1024 for a
caption). A long answer is cut preferably at a paragraph break, else a line break, else after a sentence end or a
space, as late as possible but not in the first half of the budget; only as a last resort mid-word. Tags open at
the cut are closed at the end of one part and opened again (with their attributes) at the start of the next, so
each part is valid HTML on its own. Lengths are counted in UTF-16 code units, Telegram's unit for text offsets;
for Chinese and English text that is the number of characters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_MESSAGE = 4096
MAX_CAPTION = 1024

_TOKEN = re.compile(r"<[^>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);|[^<&]|[<&]")
_TAG = re.compile(r"<[^>]*>")
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9-]*)")
_ENTITY_CHARS = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"'}

#: Break preferences: the higher, the better a place to cut after this character.
_PARAGRAPH, _LINE, _SENTENCE, _SPACE = 4, 3, 2, 1
_SENTENCE_ENDS = frozenset("。！？；….!?;")


@dataclass(frozen=True, slots=True)
class _Token:
    raw: str
    width: int  # visible UTF-16 units (0 for tags)
    char: str = ""  # the visible character for text and entities
    opens: str = ""  # tag name, for a start tag
    closes: str = ""  # tag name, for an end tag


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _width(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _tokenize(html: str) -> list[_Token]:
    tokens = []
    for m in _TOKEN.finditer(html):
        raw = m.group(0)
        if raw.startswith("<") and len(raw) > 1:
            name = _TAG_NAME.match(raw)
            tag = name.group(1).lower() if name else ""
            tokens.append(_Token(raw, 0, closes=tag) if raw.startswith("</") else _Token(raw, 0, opens=tag))
        elif raw.startswith("&") and len(raw) > 1:
            char = _ENTITY_CHARS.get(raw, "")
            if raw.startswith("&#"):
                body = raw[2:-1]
                code = int(body[1:], 16) if body[:1] in "xX" else int(body)
                char = chr(code) if 0 < code <= 0x10FFFF else "?"
            tokens.append(_Token(raw, _width(char) if char else 1, char=char or "?"))
        else:
            tokens.append(_Token(raw, _width(raw), char=raw))
    return tokens


def _shows_something(token: _Token) -> bool:
    return bool(token.width) and not token.char.isspace()


def visible_length(html: str) -> int:
    """Telegram's length of ``html`` once tags are removed and entities decoded, in UTF-16 units."""
    return sum(t.width for t in _tokenize(html))


def _break_rank(tokens: list[_Token], i: int) -> int:
    """How good a place the spot just after token ``i`` is to cut (0: not a break)."""
    ch = tokens[i].char
    if ch == "\n":
        j = i - 1
        while j >= 0 and not tokens[j].width:  # look past tags to the previous visible character
            j -= 1
        return _PARAGRAPH if j >= 0 and tokens[j].char == "\n" else _LINE
    if ch in _SENTENCE_ENDS:
        return _SENTENCE
    if ch in (" ", "\t"):
        return _SPACE
    return 0


def split_html(html: str, limit: int = MAX_MESSAGE) -> list[str]:
    """``html`` as one or more parts whose visible length is at most ``limit``; parts that would show nothing are
    dropped. Text already within the limit comes back unchanged."""
    if len(html) <= limit // 2 or _utf16_units(html) <= limit:
        # Fast path for the usual short reply: tags and entities only ever shrink the visible text.
        return [html] if _TAG.sub("", html).strip() else []
    tokens = _tokenize(html)
    if not any(_shows_something(t) for t in tokens):
        return []  # Telegram refuses a message with nothing to show
    if sum(t.width for t in tokens) <= limit:
        return [html]
    parts: list[str] = []
    start, stack = 0, []  # stack: the start tags open at ``start`` (raw text, name)
    while start < len(tokens):
        end, stack_at_end = _cut(tokens, start, stack, limit)
        body = "".join(raw for raw, _ in stack) + "".join(t.raw for t in tokens[start:end])
        body += "".join(f"</{name}>" for _, name in reversed(stack_at_end))
        if any(_shows_something(t) for t in tokens[start:end]):
            parts.append(body)
        start, stack = end, stack_at_end
        # Whitespace at the start of a part would be trimmed by Telegram anyway; skipping it keeps parts dense.
        while start < len(tokens) and tokens[start].width and tokens[start].char.isspace():
            start += 1
    return parts


def _cut(tokens: list[_Token], start: int, stack: list[tuple[str, str]], limit: int
         ) -> tuple[int, list[tuple[str, str]]]:
    """Where the part beginning at ``start`` ends (exclusive token index), and the tags open there."""
    stack = list(stack)
    width = 0
    best: tuple[int, int, list[tuple[str, str]]] | None = None  # (rank, end, stack)
    i = start
    while i < len(tokens):
        token = tokens[i]
        if token.opens:
            stack.append((token.raw, token.opens))
        elif token.closes:
            if stack and stack[-1][1] == token.closes:
                stack.pop()
        else:
            if width + token.width > limit:
                if best and best[1] > start:
                    return best[1], best[2]
                return i, stack
            width += token.width
            rank = _break_rank(tokens, i)
            # Only breaks in the second half count, so no part is needlessly short.
            if rank and width * 2 >= limit and (best is None or rank >= best[0]):
                end = i + 1
                # Close tags that end right here belong to this part, not the next.
                inner = list(stack)
                while end < len(tokens) and tokens[end].closes:
                    if inner and inner[-1][1] == tokens[end].closes:
                        inner.pop()
                    end += 1
                best = (rank, end, inner)
        i += 1
    return len(tokens), stack
