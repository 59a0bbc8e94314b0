"""The conversation: one transition table (``table.py``), handlers per feature, and the ``Assistant`` that runs
them for every incoming message."""
