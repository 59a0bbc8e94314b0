"""Staff tools in the core: who may use them, the audit trail, knowledge-base upkeep (reload, file watcher,
regression questions, lint), unanswered questions and the weekly digest, announcements to subscribers.

Modules:
- ``ports``: the stores these tools need (audit log, subscriptions, digest opt-ins); ``memory`` implements them
  in memory, ``bot.storage.audit`` and ``bot.storage.subscriptions`` in SQLite;
- ``tools``: ``StaffTools``, the bundle the composition root builds and handlers reach as ``ctx.deps.staff``;
- ``reload`` and ``watcher``: validate → regression → atomic swap, by command or on a file change;
- ``regression``, ``lint``: checks of a knowledge base beyond validation (``python -m bot kb test|lint``);
- ``unanswered``, ``digest``: what residents asked that the bot could not answer;
- ``broadcast``: delivering an announcement through the adapter's ``send``.
"""
