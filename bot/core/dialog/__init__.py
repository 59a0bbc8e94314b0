"""The conversation: a router per feature (``router.py``), collected and checked in one table (``table.py``), and
the ``Assistant`` that runs
them for every incoming message."""
