"""``python -m training drift`` on a migrated service database with a few stored quotes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session

from models.scoring.drift import exposure_drift, population_stability_index
from models.spec.exposure import frame_to_records, records_to_frame
from service.storage.db import make_engine
from service.storage.migrate import upgrade_database
from service.storage.tables import Quote
from tests.support.portfolio import exposure_frame
from tests.support.quotes import quote_id, store_quotes
from training.cli import main
from training.reports.drift_report import sampling_noise_psi


@pytest.fixture()
def quotes_db(tmp_path):
    """(URL, the recent exposures): 60 recent quotes of small cities, 40 old ones."""
    url = f"sqlite:///{tmp_path / 'polisure.sqlite3'}"
    upgrade_database(url)
    recent = exposure_frame(60, 21)
    recent["population"] = 2_000  # every recent city is tiny: population drifts
    old = exposure_frame(40, 22)
    now = datetime.now(UTC)
    engine = make_engine(url)
    with Session(engine) as session:
        store_quotes(
            session,
            frame_to_records(recent),
            [now - timedelta(days=2, minutes=i) for i in range(60)],
        )
        store_quotes(session, frame_to_records(old), [now - timedelta(days=60)] * 40, first_id=100)
    engine.dispose()
    return url, recent


def _run(url, registry, out, days="30"):
    return main(
        [
            "drift",
            "--days",
            days,
            "--database-url",
            url,
            "--models-dir",
            str(registry.root),
            "--out",
            str(out),
        ]
    )


def test_drift_of_recent_quotes_against_the_reference(
    quotes_db, trained_registry, tmp_path, capsys
):
    url, recent = quotes_db
    assert _run(url, trained_registry, tmp_path) == 0  # drift is a finding, not an error
    out = capsys.readouterr().out.splitlines()
    report = json.loads((tmp_path / "drift.json").read_text())
    assert report["quotes"] == 60  # the 40 quotes of 60 days ago are outside the window
    # oracle: models.scoring.drift on the recent exposures alone
    bundle = trained_registry.load()
    current = records_to_frame(frame_to_records(recent))
    expected = exposure_drift(bundle.reference_exposures, current)
    assert [(f["field"], f["psi"]) for f in report["fields"]] == [
        (d.field, pytest.approx(d.psi, rel=1e-12)) for d in expected
    ]
    top = report["fields"][0]
    assert top["field"] == "population" and top["flag"] == "significant"
    assert out[1].split()[0] == "population" and out[1].split()[-1] == "significant"
    assert (tmp_path / "drift.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_quotes_in_the_window_is_a_clear_message(quotes_db, trained_registry, tmp_path, capsys):
    url, _ = quotes_db
    assert _run(url, trained_registry, tmp_path, days="1") == 1
    assert "no quotes in the window" in capsys.readouterr().err


def test_database_without_quotes_table(trained_registry, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    assert _run(url, trained_registry, tmp_path) == 1
    assert "no quotes table" in capsys.readouterr().err


def test_sampling_noise_formula_matches_simulated_psi_without_drift() -> None:
    """Oracle: many pairs of samples from ONE population (10 equal bins)."""
    rng = np.random.default_rng(4)
    n_ref, n_cur = 2000, 500
    psis = [
        population_stability_index(
            np.bincount(rng.integers(0, 10, n_ref), minlength=10) / n_ref,
            np.bincount(rng.integers(0, 10, n_cur), minlength=10) / n_cur,
        )
        for _ in range(400)
    ]
    assert np.mean(psis) == pytest.approx(sampling_noise_psi(n_ref, n_cur), rel=0.1)


def test_the_drift_verb_loads_no_flask() -> None:
    """It reads quotes through service.storage.quoted_exposures, which must not load the app."""
    code = (
        "import sys; from training.cli import build_parser; build_parser('drift'); "
        "import training.commands.drift; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug')))"
    )
    repo = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_a_stored_exposure_without_a_model_field_is_named(
    quotes_db, trained_registry, tmp_path, capsys
):
    url, _ = quotes_db
    engine = make_engine(url)
    with Session(engine) as session:
        quote = session.get(Quote, quote_id(0))
        assert quote is not None
        quote.exposure = {k: v for k, v in quote.exposure.items() if k != "population"}
        session.commit()
    engine.dispose()
    assert _run(url, trained_registry, tmp_path) == 1
    assert f"quote {quote_id(0)}: stored exposure lacks 'population'" in capsys.readouterr().err


@pytest.mark.parametrize("url", ["garbage://x", "not a url at all", "postgresql+nodriver://u@h/d"])
def test_a_database_url_that_cannot_be_opened_is_named_not_a_traceback(
    url, trained_registry, tmp_path, capsys
):
    assert _run(url, trained_registry, tmp_path) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --database-url") and "Traceback" not in err


def test_the_database_password_is_never_printed(trained_registry, tmp_path, capsys):
    """Before: drift printed postgresql://polisure:s3cret-pw@... in its error."""
    url = "postgresql+psycopg://polisure:s3cret-pw@127.0.0.1:1/none"  # nothing listens on 1
    assert _run(url, trained_registry, tmp_path) == 1
    captured = capsys.readouterr()
    assert "s3cret-pw" not in captured.err + captured.out
    assert "127.0.0.1" in captured.err
