"""The worker's frozen heap (service/ops/heap.py) and the engine swap's refreeze.

Oracle: CPython's own collector. A reference cycle frozen by
``freeze_long_lived`` survives ``gc.collect()`` after its last outside
reference is gone (the collector skips the permanent generation); after
``refreeze`` it is collected, and what was alive stays frozen. Every test
unfreezes the process again, so the rest of the suite collects as usual.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.engine.slot import EngineSlot
from service.ops.heap import freeze_long_lived, refreeze
from tests.support.fake_engine import FakeQuoteEngine


class Cycle:
    """An object that only the cycle collector can free."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def unfrozen_after() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.collect()


def test_a_frozen_cycle_is_skipped_until_refreeze_collects_it(unfrozen_after: None) -> None:
    cycle = Cycle()
    alive = weakref.ref(cycle)
    freeze_long_lived()
    assert gc.get_freeze_count() > 0
    del cycle
    gc.collect()
    assert alive() is not None  # frozen: the full pass did not look at it
    kept = Cycle()
    refreeze()
    assert alive() is None  # unfrozen, collected
    assert gc.get_freeze_count() > 0 and kept.me is kept  # the living frozen again


def test_refreeze_does_nothing_in_a_process_that_never_froze() -> None:
    assert gc.get_freeze_count() == 0
    refreeze()
    assert gc.get_freeze_count() == 0


class CyclicEngine(FakeQuoteEngine):
    """The fake engine holding a reference cycle, as a real engine's objects do."""

    def __init__(self, version: str) -> None:
        self.model_version, self.me = version, self


def test_an_engine_swap_in_a_frozen_worker_frees_the_previous_engine(
    tmp_path: Path, unfrozen_after: None
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "ACTIVE").write_text("v1\n")
    versions = iter(["v1", "v2"])
    clock = [0.0]
    slot = EngineSlot(
        lambda _: CyclicEngine(next(versions)),
        str(models),
        check_seconds=1.0,
        clock=lambda: clock[0],
    )
    first = weakref.ref(slot.get())
    freeze_long_lived()  # as service/wsgi.py does once the engine is warm
    (models / "ACTIVE").write_text("v2\n")
    clock[0] += 2.0
    assert slot.get().model_version == "v2"
    assert first() is None  # the old engine's cycle collected by the swap's refreeze
    assert gc.get_freeze_count() > 0
