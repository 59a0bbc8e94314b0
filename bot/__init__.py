"""Resident-service assistant for a city district.

``bot.core`` holds every use case and knows no messenger or database driver; ``bot.adapters`` translate Telegram
updates and console lines into core messages; ``bot.storage`` implements the core's store ports with aiosqlite;
``bot.app`` is the composition root.
"""
