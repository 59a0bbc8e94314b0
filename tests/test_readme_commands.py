"""README.md names every way in: each ``python -m bot`` subcommand (from the argparse parser) and each chat command
(from the collected dialog table, residents' and staff's). A command added without a word in the README fails here."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from bot.cli import build_parser
from bot.core.dialog.table import TABLE

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def subcommands() -> list[str]:
    parser = build_parser()
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(action.choices)


def chat_commands() -> list[str]:
    return sorted({row.trigger.partition(":")[2] for row in TABLE
                   if row.trigger.startswith("command:") and row.trigger != "command:*"})


def test_there_are_commands_to_check():
    assert "ask" in subcommands() and "start" in chat_commands() and "staff" in chat_commands()


def test_every_subcommand_of_python_m_bot_is_in_the_readme():
    missing = [name for name in subcommands() if not re.search(rf"python -m bot {re.escape(name)}\b", README)]
    assert not missing, f"README.md does not show `python -m bot NAME` for: {', '.join(missing)}"


def test_every_chat_command_is_in_the_readme():
    missing = [name for name in chat_commands() if not re.search(rf"/{re.escape(name)}(?![\w-])", README)]
    assert not missing, f"README.md does not mention the chat commands: {', '.join('/' + n for n in missing)}"
