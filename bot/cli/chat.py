"""``python -m bot chat``: the console chat on the database in ``BOT_DB`` (``--memory``: a throwaway one), or
``--table`` to print the conversation's transition table."""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("chat", help="chat with the bot in this terminal (or print its state table)",
                                   description="Chat with the bot in this terminal, on the same core as Telegram.")
    parser.add_argument("--kb", metavar="DIR", default=None, help="knowledge directory")
    parser.add_argument("--table", action="store_true", help="print the dialog's states and transitions and exit")
    parser.add_argument("--staff", action="store_true", help="chat as a staff member (staff commands enabled)")
    parser.add_argument("--memory", action="store_true",
                        help="keep everything in memory for this session instead of the database in BOT_DB")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.table:
        from bot.core.dialog.table import describe  # noqa: PLC0415

        print(describe())
        return 0
    from bot.runner import main  # noqa: PLC0415

    # The same database as the bot (BOT_DB), so /review sees what residents sent; --memory for a throwaway session.
    return main(["--console"] + (["--memory"] if args.memory else []) + (["--kb", args.kb] if args.kb else [])
                + (["--staff"] if args.staff else []))
