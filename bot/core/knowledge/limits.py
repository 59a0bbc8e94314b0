"""Size limits of a knowledge directory, so a mistaken or hostile file cannot hold the bot's memory or keep
residents waiting while it is read and indexed (docs/knowledge-format.md, "Limits"). Each is reported as
``FILE:LINE: message`` like every other problem, and nothing of a refused directory is kept.
"""
from __future__ import annotations

import yaml

from bot.core.errors import Problem
from bot.core.knowledge.compound_specs import Record
from bot.core.knowledge.yaml_nodes import Report

# Limits (docs/knowledge-format.md, "Limits"): generous for a real district — the sample has 89 entries, ~2,000
# phrasings, 236 KB in all, files up to 67 KB and answers up to 1,044 characters — and small enough that a mistaken
# or hostile file cannot hold the bot's memory or keep residents waiting while it is read and indexed.
MAX_FILE_BYTES = 2 * 1024 * 1024  # per file, checked before parsing (30× the largest sample file)
MAX_TOTAL_BYTES = 20 * 1024 * 1024  # the whole directory (85× the sample)
MAX_PHRASINGS = 20_000  # questions + keywords of all entries (10× the sample; the index builds in ~1.3 s)
MAX_ANSWER_CHARS = 8_000  # per answer and language: two Telegram messages
MAX_ALIAS_NODES = 10_000  # values YAML aliases (*name) may add beyond what a file writes out


def mb(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def aliases_fit(root: yaml.Node, report: Report) -> bool:
    """Whether the file's YAML aliases (``*name``) add at most ``MAX_ALIAS_NODES`` values to what it writes out.

    The composer shares an anchored node wherever it is aliased, so a few lines can stand for billions of values
    (the "billion laughs") that every later step would walk. The expanded size is counted here, once per node
    (memoised, and without recursion), before anything walks it; an alias of a node that contains itself is
    refused outright."""
    size: dict[int, int] = {}  # id(node) → values it expands to, itself included
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = ([n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        if children_done:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in children)
            continue
        if key in size:
            continue
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                report.error(child, "a YAML alias here refers to a value that contains it (endless); write the "
                                    "values out instead")
                return False
            if id(child) not in size:
                stack.append((child, False))
    written = len(size)
    if size[id(root)] - written > MAX_ALIAS_NODES:
        reused = first_alias(root)
        report.error(reused if reused is not None else root,
                     f"YAML aliases (*name) expand this file to {size[id(root)]:,} values, {written:,} written "
                     f"out; at most {MAX_ALIAS_NODES:,} more than written are allowed: write the values out or "
                     "use fewer aliases")
        return False
    return True


def first_alias(root: yaml.Node) -> yaml.Node | None:
    """The first node met a second time (where an alias points), in file order."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return None


def check_sizes(entries: list[Record], problems: list[Problem]) -> None:
    """Answers of at most ``MAX_ANSWER_CHARS`` per language; at most ``MAX_PHRASINGS`` questions and keywords in
    the whole base, reported at the entry that goes beyond."""
    phrasings = 0
    for entry in entries:
        answer = entry.get("answer")
        texts = answer.values() if isinstance(answer, dict) else [answer] if isinstance(answer, str) else []
        longest = max((len(t) for t in texts if isinstance(t, str)), default=0)
        if longest > MAX_ANSWER_CHARS:
            problems.append(Problem(entry.file, entry.line_of("answer"), f"this answer has {longest:,} characters; "
                                    f"at most {MAX_ANSWER_CHARS:,} are allowed (shorten it, or link to a page)"))
        before = phrasings
        phrasings += len(entry.get("questions") or ()) + len(entry.get("keywords") or ())
        if before <= MAX_PHRASINGS < phrasings:
            problems.append(Problem(entry.file, entry.line_of("questions"), f"this entry takes the knowledge base "
                                    f"beyond {MAX_PHRASINGS:,} questions and keywords, the most it may have "
                                    "(merge entries or drop rare phrasings)"))
