"""aiosqlite implementations of the core's store ports, all in one database file (``BOT_DB``)."""
