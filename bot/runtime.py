"""Process-wide interpreter settings for the long-running bot, applied once start-up has built everything.

Both concern the one event-loop thread every message waits for. Measured in the paced feedback benchmark
(``benchmarks/README.md``, "Third round"):

- The garbage collector runs on that thread. A collection of the oldest generation took 35-54 ms — it walks every
  object the process holds, most of them the knowledge base and the matcher's indexes, which live as long as the
  process — and the young collections (one per 700 new objects) added up to ~10 µs a message. So ``gc.freeze()``
  when start-up is done: what exists then (the knowledge snapshot, imported modules) is left out of every later
  collection; it is still freed by reference counting when a reload drops it (a snapshot holds no reference
  cycles, which only the collector could free). And a young generation of ``YOUNG`` new objects instead of 700:
  most of a message's objects are gone before a collection looks, so collections are rare (a few ms each) and the
  older generations rarely fill.
- The database thread needs the GIL back after every SQLite call, and a busy event loop gives it up only when the
  switch interval has run out: 5 ms by default, several times per group commit, each time an acknowledgement
  waits. ``SWITCH_INTERVAL`` = 0.5 ms lowered the paced run's ack p99 in seven of seven back-to-back pairs of runs
  (e.g. 40 against 78 ms), for a few µs more CPU a message.
"""
from __future__ import annotations

import gc
import sys

YOUNG = 10_000
SWITCH_INTERVAL = 0.0005  # seconds


def settle() -> None:
    """Call once, after start-up built the services (and before the first message)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)
    sys.setswitchinterval(SWITCH_INTERVAL)
