"""The engine slot's hot reload (the service's only one), driven by a fake clock and direct calls.

Oracle: the slot must hand out the engine of the version ACTIVE names, no
sooner than the check interval, never a half-loaded one, and keep the
previous engine when the named bundle cannot be loaded or ACTIVE vanishes.
Which version an engine is and how often the factory ran are observed
directly; the metrics are read from the slot's own registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from models.underwriting.quote_engine import load_quote_engine
from models.versions.registry import Registry
from service.engine.slot import RETRY_SECONDS, EngineSlot
from service.quotes.schemas import QuoteRequestSchema
from tests.support.city import quote_body
from tests.support.fake_engine import FakeQuoteEngine
from tests.support.model_versions import TwoVersions, add_broken_copy, copy_models

CHECK_SECONDS = 0.5


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingFactory:
    """load_quote_engine, counting its calls (each call is a full bundle load)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(
        self, models_dir: str | None
    ) -> Any:  # a models.underwriting.quote_engine.QuoteEngine
        self.calls += 1
        return load_quote_engine(models_dir)


def _reloads(slot: EngineSlot, outcome: str) -> float:
    labels = {"outcome": outcome}
    return slot.metrics.registry.get_sample_value("polisure_model_reloads_total", labels) or 0.0


def _model_info(slot: EngineSlot, version: str) -> float | None:
    return slot.metrics.registry.get_sample_value("polisure_model_info", {"version": version})


@pytest.fixture
def registry(two_versions: TwoVersions, tmp_path: Path) -> Registry:
    return copy_models(two_versions, tmp_path / "models")


@pytest.fixture
def slot_parts(registry: Registry) -> tuple[EngineSlot, Clock, CountingFactory]:
    clock, factory = Clock(), CountingFactory()
    slot = EngineSlot(factory, str(registry.root), check_seconds=CHECK_SECONDS, clock=clock)
    return slot, clock, factory


def test_a_promotion_is_served_after_the_check_interval_and_old_references_stay_whole(
    slot_parts: tuple[EngineSlot, Clock, CountingFactory],
    registry: Registry,
    two_versions: TwoVersions,
) -> None:
    slot, clock, factory = slot_parts
    first = slot.get()
    assert first.model_version == two_versions.a and factory.calls == 1
    assert _model_info(slot, two_versions.a) == 1.0
    registry.promote(two_versions.b)
    clock.now += CHECK_SECONDS - 0.01
    assert slot.get() is first  # not looked at yet: no stat within the interval
    clock.now += 0.01
    second = slot.get()
    assert second.model_version == two_versions.b and factory.calls == 2
    assert (_model_info(slot, two_versions.a), _model_info(slot, two_versions.b)) == (0.0, 1.0)
    assert _reloads(slot, "loaded") == 1.0
    clock.now += 10 * CHECK_SECONDS
    assert slot.get() is second and factory.calls == 2  # unchanged pointer: no reload
    # A request that took the engine before the swap prices wholly with it.
    body = QuoteRequestSchema().load(quote_body())
    held = first.quote(body["exposure"], body["policy"])
    fresh = load_quote_engine(str(registry.root), two_versions.a)
    assert held == fresh.quote(body["exposure"], body["policy"])
    assert held != second.quote(body["exposure"], body["policy"])


def test_a_bundle_that_fails_to_load_keeps_the_old_engine_and_is_retried_later(
    slot_parts: tuple[EngineSlot, Clock, CountingFactory],
    registry: Registry,
    two_versions: TwoVersions,
) -> None:
    slot, clock, factory = slot_parts
    serving = slot.get()
    # ACTIVE names a damaged bundle (written by hand: promotion would refuse it).
    broken = add_broken_copy(registry, two_versions.b, "altered")
    (registry.root / "ACTIVE").write_text(broken + "\n")
    clock.now += CHECK_SECONDS
    assert slot.get() is serving
    assert slot.reload_error is not None and "fails its SHA-256 check" in slot.reload_error
    assert slot.problem() is None  # still ready: the old model prices every quote
    assert slot.active_version() == broken
    assert _reloads(slot, "failed") == 1.0 and factory.calls == 2
    clock.now += 5 * CHECK_SECONDS
    assert slot.get() is serving and factory.calls == 2  # not retried on every check
    clock.now += RETRY_SECONDS
    assert slot.get() is serving and factory.calls == 3  # retried after RETRY_SECONDS
    registry.promote(two_versions.b)  # a good promotion clears the error
    clock.now += CHECK_SECONDS
    assert slot.get().model_version == two_versions.b and slot.reload_error is None


def test_rewriting_active_with_the_same_version_loads_nothing(
    slot_parts: tuple[EngineSlot, Clock, CountingFactory],
    registry: Registry,
    two_versions: TwoVersions,
) -> None:
    slot, clock, factory = slot_parts
    serving = slot.get()
    (registry.root / "ACTIVE.new").write_text(two_versions.a + "\n")
    (registry.root / "ACTIVE.new").replace(registry.root / "ACTIVE")
    clock.now += CHECK_SECONDS
    assert slot.get() is serving and factory.calls == 1


def test_an_engine_handed_in_is_fixed(registry: Registry, two_versions: TwoVersions) -> None:
    clock, factory = Clock(), CountingFactory()
    fixed = FakeQuoteEngine()
    slot = EngineSlot(factory, str(registry.root), engine=fixed, clock=clock)
    registry.promote(two_versions.b)
    clock.now += 100.0
    assert slot.get() is fixed and slot.pointer is None and factory.calls == 0


def test_a_worker_without_a_model_loads_the_first_promotion_at_once(
    slot_parts: tuple[EngineSlot, Clock, CountingFactory],
    registry: Registry,
    two_versions: TwoVersions,
) -> None:
    slot, clock, factory = slot_parts
    (registry.root / "ACTIVE").unlink()
    problem = slot.problem()
    assert problem is not None and "no active model" in problem
    clock.now += 1.0
    assert slot.problem() == problem and factory.calls == 1  # same pointer: waits RETRY_SECONDS
    registry.promote(two_versions.a)  # well inside RETRY_SECONDS
    assert slot.get().model_version == two_versions.a and factory.calls == 2


def test_a_vanished_pointer_keeps_the_last_engine_serving(
    slot_parts: tuple[EngineSlot, Clock, CountingFactory],
    registry: Registry,
    two_versions: TwoVersions,
) -> None:
    """Moved from models.versions.registry.ActiveModel's test: the slot is the one reload."""
    slot, clock, factory = slot_parts
    registry.promote(two_versions.b)
    serving = slot.get()
    assert serving.model_version == two_versions.b
    clock.now += 10 * CHECK_SECONDS
    assert slot.get() is serving and factory.calls == 1  # cached, not reloaded
    (registry.root / "ACTIVE").unlink()
    clock.now += CHECK_SECONDS
    assert slot.get() is serving and factory.calls == 2  # tried once, failed
    assert slot.reload_error is not None and "no active model" in slot.reload_error
    assert slot.problem() is None and slot.active_version() is None
    assert _reloads(slot, "failed") == 1.0 and _model_info(slot, two_versions.b) == 1.0


def test_a_factory_whose_object_is_no_engine_is_reported_not_served(registry: Registry) -> None:
    slot = EngineSlot(lambda models_dir: object(), str(registry.root))
    problem = slot.problem()
    assert problem is not None and "object does not implement QuoteEngine" in problem


def test_the_public_reason_names_no_absolute_path_of_the_host(
    slot_parts: tuple[EngineSlot, Clock, CountingFactory], registry: Registry
) -> None:
    """Before: the 503 said 'no active model in /abs/path/models/ACTIVE'."""
    slot, _, _ = slot_parts
    (registry.root / "ACTIVE").unlink()
    problem = slot.problem()
    assert problem is not None and "no active model" in problem
    assert str(registry.root) not in problem
    with pytest.raises(Exception) as refused:
        slot.get()
    assert str(registry.root) not in str(refused.value)
