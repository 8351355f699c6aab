"""Drift gauges: the PSI of models.scoring.drift over recent stored quotes, refreshed at most every N s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from models.scoring.drift import exposure_drift
from models.spec.exposure import frame_to_records, records_to_frame
from service.ops.drift_metrics import ExposureDriftCollector
from service.storage.db import Database
from service.storage.migrate import upgrade_database
from tests.support.portfolio import exposure_frame
from tests.support.quotes import store_quotes


@pytest.fixture()
def database(tmp_path):
    url = f"sqlite:///{tmp_path / 'polisure.sqlite3'}"
    upgrade_database(url)
    db = Database(url)
    yield db
    db.dispose()


def _store(database: Database, records: list[dict], created_at: datetime, first_id: int) -> None:
    with database.session() as session:
        store_quotes(session, records, [created_at] * len(records), first_id)


def test_gauges_equal_models_drift_and_refresh_on_schedule(database):
    reference = exposure_frame(300, 4)
    recent = exposure_frame(50, 8)
    recent["privacy_regime"] = "pipl"
    now = datetime.now(UTC)
    _store(database, frame_to_records(recent), now - timedelta(days=1), 0)
    _store(database, frame_to_records(exposure_frame(30, 9)), now - timedelta(days=90), 1000)
    clock = [0.0]
    collector = ExposureDriftCollector(
        lambda: database, lambda: reference, window_days=30, clock=lambda: clock[0]
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    expected = {
        d.field: d.psi
        for d in exposure_drift(reference, records_to_frame(frame_to_records(recent)))
    }
    psi = {f: registry.get_sample_value("polisure_exposure_psi", {"field": f}) for f in expected}
    assert psi == pytest.approx(expected, rel=1e-12)
    assert psi["privacy_regime"] > 0.25
    assert registry.get_sample_value("polisure_exposure_psi_quotes") == 50
    # more quotes: unchanged until the refresh interval has passed
    _store(database, frame_to_records(exposure_frame(10, 10)), now, 2000)
    assert registry.get_sample_value("polisure_exposure_psi_quotes") == 50
    clock[0] = 301.0
    assert registry.get_sample_value("polisure_exposure_psi_quotes") == 60
    assert b'polisure_exposure_psi{field="privacy_regime"}' in generate_latest(registry)


def test_no_reference_or_failing_database_gives_no_psi_and_no_error(database):
    broken = ExposureDriftCollector(lambda: database, lambda: None)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(broken)
    assert registry.get_sample_value("polisure_exposure_psi_quotes") == 0

    def no_database() -> Database:
        raise RuntimeError("database down")

    failing = ExposureDriftCollector(no_database, lambda: exposure_frame(10, 1))
    assert failing.current() == ([], 0)
