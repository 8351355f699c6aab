"""A worker's long-lived objects, kept out of the garbage collector's full passes.

A warm worker holds about 230,000 objects that live as long as it does
(Flask, SQLAlchemy, marshmallow schemas, the quote engine and its trees).
Every full collection walked them all: a pause of 116 ms for every request
thread of the worker (0.02 ms once frozen), 14% of the time of five batches
of 100 cities in which one fell (0.13 of 0.92 s, measured with
gc.callbacks; issue 13). Once the engine is warm, ``gc.freeze`` moves them
to the permanent generation, which collections skip; reference counting
still frees them as usual.
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Freeze what this process holds now (service/wsgi.py, after the engine is warm)."""
    gc.collect()  # the start-up's own garbage first, or it would be kept for good
    gc.freeze()


def refreeze() -> None:
    """After an engine swap: collect the previous engine's cycles, then freeze the new one.

    A no-op in a process that never froze (tests, the command line).
    """
    if gc.get_freeze_count() == 0:
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()
