"""States and transitions of the whole conversation: the routers of every feature, collected in one table.

Each feature declares its own rows beside its handlers (``router.py`` explains a row and its triggers); this
module only lists the routers, in the order ``describe`` and ``/staff`` show them. Building ``TABLE`` checks that
no two features claim the same trigger in the same state or the same button prefix (``RouteConflict``), when
the bot starts. ``python -m bot chat --table`` prints the table.
"""
from __future__ import annotations

from bot.core.booking import routes as booking
from bot.core.dialog import announce, near, notify, qa, review, staff, stats, subscribe, teach
from bot.core.dialog.router import ANY, IDLE, RouteConflict, Table, Transition
from bot.core.feedback import routes as feedback

#: Q&A first (its ``*`` rows), then the residents' features, then the staff's.
ROUTERS = (qa.router, near.router, feedback.router, subscribe.router, notify.router, booking.router, staff.router,
           announce.router, review.router, stats.router, teach.router)

TABLE = Table(ROUTERS)
find = TABLE.find
describe = TABLE.describe

__all__ = ["ANY", "IDLE", "ROUTERS", "TABLE", "RouteConflict", "Transition", "describe", "find"]
