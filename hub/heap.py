"""Keeping a long-running process's startup objects out of the garbage collector's way.

A server worker or an ingest holds a few hundred thousand objects built at startup (the
modules of SQLAlchemy, pydantic, FastAPI and the hub, the settings, the keyring) that live
as long as the process. Every full collection walks all of them again, although none of
them can ever be garbage, and ingests and lookups allocate fast enough to trigger such
collections often. ``settle`` collects what is garbage now and moves everything left to
the collector's permanent generation (``gc.freeze``), so later collections walk only what
was made after. Measured on the benchmark's data: 6% of the CPU of a lookup, 10% of an
ingest (docs/performance.md).

Only for processes that own their heap (a server worker, a CLI job): frozen objects are
never collected, so a library or a test must not call it on someone else's heap.
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Collect, then freeze what survives; the number of objects now frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
