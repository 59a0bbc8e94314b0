"""Garbage-collector settings for the long-running bot process, applied once start-up has built everything.

CPython's cyclic collector runs on the one event-loop thread and every message waits while it does. Measured in
the paced feedback benchmark (``benchmarks/README.md``): a collection of the oldest generation took 20-50 ms —
it walks every object the process holds, most of them the knowledge base and the matcher's indexes, which live
as long as the process — and the young collections (one per 700 new objects) added up to ~10 µs a message. So:

- ``gc.freeze()`` when start-up is done: what exists then (the knowledge snapshot, imported modules) is left out
  of every later collection. It is still freed by reference counting when a reload drops it (a snapshot holds no
  reference cycles, which only the collector could free).
- a young generation of ``YOUNG`` new objects instead of 700: most of a message's objects are gone before a
  collection looks, so collections are rare (a few ms each) and the older generations rarely fill.
"""
from __future__ import annotations

import gc

YOUNG = 10_000


def settle() -> None:
    """Call once, after start-up built the services (and before the first message)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)
