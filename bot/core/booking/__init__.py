"""Booking community venues: the transport-free core (model, store port, slots and calendar, service, usage).

Venues are part of the knowledge directory (``bot.core.knowledge.venues``). The chat flows (``/book``,
``/mybookings``, ``/bookings``) are built on the per-feature routers in a later change; see docs/bookings.md.
"""
