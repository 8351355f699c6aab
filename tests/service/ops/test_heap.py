"""The worker's frozen heap (service/ops/heap.py) and the engine swap's refreeze.

Oracle: CPython's own collector. A reference cycle frozen by
``freeze_long_lived`` survives ``gc.collect()`` after its last outside
reference is gone (the collector skips the permanent generation); after
``refreeze`` it is collected, and what was alive stays frozen. An engine
swap thaws the heap and the slot refreezes it REFREEZE_AFTER_S later, so an
engine a request still held at the swap is freed once the request ends.
Every test leaves the process unfrozen, so the rest of the suite collects
as usual.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.engine.slot import REFREEZE_AFTER_S, EngineSlot
from service.ops import heap
from service.ops.heap import freeze_long_lived, refreeze
from tests.support.fake_engine import FakeQuoteEngine


class Cycle:
    """An object that only the cycle collector can free."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def unfrozen_after(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test may freeze this process; afterwards it is a process that never froze."""
    monkeypatch.setattr(heap, "_freezing", False)  # restored to it at teardown
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
    """The fake engine holding a reference cycle, as a real engine and its assessor do."""

    def __init__(self, version: str) -> None:
        self.model_version, self.me = version, self


def _slot(models: Path, clock: list[float]) -> EngineSlot:
    models.mkdir()
    (models / "ACTIVE").write_text("v1\n")
    versions = iter(["v1", "v2"])
    return EngineSlot(
        lambda _: CyclicEngine(next(versions)),
        str(models),
        check_seconds=1.0,
        clock=lambda: clock[0],
    )


def test_a_swap_in_a_frozen_worker_frees_the_old_engine_once_its_requests_end(
    tmp_path: Path, unfrozen_after: None
) -> None:
    clock = [0.0]
    slot = _slot(tmp_path / "models", clock)
    held = slot.get()  # a request that took the engine before the promotion
    old = weakref.ref(held)
    freeze_long_lived()  # as service/wsgi.py does once the engine is warm
    (tmp_path / "models" / "ACTIVE").write_text("v2\n")
    clock[0] += 2.0
    assert slot.get().model_version == "v2"
    assert gc.get_freeze_count() == 0  # thawed: a frozen old engine could never be freed
    del held  # the request ends
    clock[0] += REFREEZE_AFTER_S - 1.0
    slot.get()
    assert gc.get_freeze_count() == 0  # not yet
    clock[0] += 1.0
    slot.get()
    assert old() is None  # collected by the refreeze
    assert gc.get_freeze_count() > 0  # and the new engine frozen with the rest


def test_a_swap_in_a_process_that_never_froze_changes_nothing(tmp_path: Path) -> None:
    clock = [0.0]
    slot = _slot(tmp_path / "models", clock)
    slot.get()
    (tmp_path / "models" / "ACTIVE").write_text("v2\n")
    clock[0] += REFREEZE_AFTER_S + 2.0
    assert slot.get().model_version == "v2"
    clock[0] += REFREEZE_AFTER_S + 2.0
    slot.get()
    assert gc.get_freeze_count() == 0
