#!/usr/bin/env python3
"""Run the resident-service bot.

With ``TELEGRAM_BOT_TOKEN`` set: the Telegram bot (polling, or a webhook when ``WEBHOOK_URL`` is set).
Without it, or with ``--console``: a chat in this terminal on the same core and knowledge base.
``python run_bot.py --help`` lists the options.
"""
import sys

from bot.runner import main

if __name__ == "__main__":
    sys.exit(main())
