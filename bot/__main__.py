"""``python -m bot``: the command-line interface (see ``bot.cli``)."""
import sys

from bot.cli import main

sys.exit(main())
