"""A worker's long-lived objects, kept out of the garbage collector's full passes.

A warm worker holds about 230,000 objects that live as long as it does
(Flask, SQLAlchemy, marshmallow schemas, the quote engine and its trees).
Every full collection walked them all: a pause of 116 ms for every request
thread of the worker (0.02 ms once frozen), 14% of the time of five batches
of 100 cities in which one fell (0.13 of 0.92 s, measured with
gc.callbacks; issue 13). Once the engine is warm, ``gc.freeze`` moves them
to the permanent generation, which collections skip; reference counting
still frees them as usual, but not their reference cycles (the engine and
its self-assessor form one). So an engine swap thaws the heap, and the slot
freezes it again a while later (service/engine/slot.py, REFREEZE_AFTER_S),
once the requests that took the old engine before the swap have ended:
freezing at the swap would freeze the old engine with them, for good.
"""

from __future__ import annotations

import gc

#: Set once this process froze its heap (a gunicorn worker); tests and the CLI never do.
_freezing = False


def freeze_long_lived() -> None:
    """Freeze what this process holds now (service/wsgi.py, after the engine is warm)."""
    global _freezing
    _freezing = True
    gc.collect()  # the start-up's own garbage first, or it would be kept for good
    gc.freeze()


def thaw() -> bool:
    """Unfreeze everything, so that a replaced engine can be collected once unused.

    True when this process freezes its heap: call :func:`refreeze` later,
    once no request holds the old engine. False (and nothing done) otherwise.
    """
    if not _freezing:
        return False
    gc.unfreeze()
    return True


def refreeze() -> None:
    """Collect what is garbage now (a replaced engine's cycles), then freeze the rest again.

    A no-op in a process that never froze.
    """
    if not _freezing:
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()
