"""Adapters between a transport and the core: ``console`` (a terminal chat) and ``telegram`` (python-telegram-bot).

An adapter only translates: what a person did becomes an ``Incoming`` for ``Assistant.handle``, and the ``Reply``
objects that come back are shown the transport's way. Wording, language and state are the core's business.
"""
