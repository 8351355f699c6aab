"""``python -m training accumulate``: its files equal the engine's figures, byte for byte on a rerun.

The oracle is the engine itself on the same book read back with book_file:
summary.json must be BookRun.summary() of BookModel.analyse (the function
``GET /v1/book/accumulation`` serves), ept.csv the summary's EP curves under
their ORD codes, and ylt.csv the year losses whose mean is the AAL.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.accumulation.book_file import read_book_file
from models.accumulation.catalog import shipped_event_catalog
from models.accumulation.metrics import EP_TYPES, RETURN_PERIODS
from models.accumulation.run import run_book
from models.underwriting.quote_engine import load_quote_engine
from tests.support.book import write_book
from training.accumulation_output import OUTPUT_FILES
from training.cli import main

YEARS = 2000
SEED = 7


def _accumulate(book: Path, out: Path, *extra: str) -> int:
    return main(["accumulate", "--book", str(book), "--years", str(YEARS), "--seed", str(SEED),
                 "--out", str(out), *extra])  # fmt: skip


@pytest.fixture(scope="module")
def book_file(tmp_path_factory):
    return write_book(tmp_path_factory.mktemp("book"), n=60, seed=5)


@pytest.fixture(scope="module")
def with_attritional(book_file, trained_registry, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "first"
    assert _accumulate(book_file, out, "--models-dir", str(trained_registry.root)) == 0
    return out


def _json(value: object) -> object:
    return json.loads(json.dumps(value))


def test_summary_is_the_engines_summary_of_the_same_book(with_attritional, book_file,
                                                          trained_registry):  # fmt: skip
    assert sorted(p.name for p in with_attritional.iterdir()) == sorted(OUTPUT_FILES)
    summary = json.loads((with_attritional / "summary.json").read_text())
    engine = load_quote_engine(str(trained_registry.root))
    run = engine.book_model().analyse(
        read_book_file(book_file), shipped_event_catalog(), YEARS, SEED
    )
    assert summary == _json(run.summary())
    assert list(summary) == ["aal_usd", "ep", "spof", "catalog_version", "years", "seed"]
    assert (summary["years"], summary["seed"], summary["catalog_version"]) == (
        YEARS,
        SEED,
        "2026.1",
    )
    assert list(summary["ep"]["aep"]) == list(RETURN_PERIODS)


def test_ept_and_ylt_hold_the_summarys_figures(with_attritional):
    summary = json.loads((with_attritional / "summary.json").read_text())
    ept = pd.read_csv(with_attritional / "ept.csv")
    assert list(ept.columns) == ["SummaryId", "EPCalc", "EPType", "ReturnPeriod", "Loss"]
    assert len(ept) == len(EP_TYPES) * len(RETURN_PERIODS)
    assert set(ept["EPCalc"]) == {2} and set(ept["SummaryId"]) == {1}
    for name, code in EP_TYPES.items():
        rows = ept[ept["EPType"] == code]
        by_period = dict(zip(rows["ReturnPeriod"], rows["Loss"], strict=True))
        assert by_period == {float(rp): summary["ep"][name][rp] for rp in RETURN_PERIODS}
    ylt = pd.read_csv(with_attritional / "ylt.csv")
    assert list(ylt.columns) == ["year", "loss"]
    assert ylt["year"].tolist() == list(range(1, YEARS + 1))
    np.testing.assert_allclose(ylt["loss"].mean(), summary["aal_usd"], rtol=1e-12)
    # the ORD ranking: with 2,000 years the 1-in-200 AEP is the 10th largest year
    tenth = np.sort(ylt["loss"].to_numpy())[::-1][9]
    assert summary["ep"]["aep"]["200"] == pytest.approx(tenth, rel=1e-12)
    assert all(summary["ep"]["aep"][rp] >= summary["ep"]["oep"][rp] for rp in RETURN_PERIODS)


def test_the_same_inputs_write_the_same_bytes(with_attritional, book_file, trained_registry,
                                              tmp_path, capsys):  # fmt: skip
    again = tmp_path / "again"
    assert _accumulate(book_file, again, "--models-dir", str(trained_registry.root)) == 0
    assert capsys.readouterr().out.splitlines()[-1] == str(again)
    for name in OUTPUT_FILES:
        assert (again / name).read_bytes() == (with_attritional / name).read_bytes(), name
    # a rerun into the same folder replaces it whole
    assert _accumulate(book_file, again, "--models-dir", str(trained_registry.root)) == 0
    assert sorted(p.name for p in again.iterdir()) == sorted(OUTPUT_FILES)
    assert [p.name for p in tmp_path.iterdir()] == ["again"]  # no temporary folder left


def test_the_report_is_self_contained_and_shows_the_figures(with_attritional):
    report = (with_attritional / "report.html").read_text()
    summary = json.loads((with_attritional / "summary.json").read_text())
    assert report.count("src='data:image/png;base64,") >= 3
    assert "http://" not in report and "https://" not in report
    for figure in (
        summary["aal_usd"],
        summary["ep"]["aep"]["200"],
        summary["ep"]["aep_tvar"]["200"],
    ):
        assert f"<td>{figure:,.0f}</td>" in report
    assert "<td>60</td>" in report  # policies
    assert f"<td>{summary['spof'][0]['vendor']}</td>" in report
    assert "Largest simulated years" in report and "Euler co-TVaR" in report


def test_no_attritional_runs_the_catalog_alone_without_a_bundle(book_file, tmp_path):
    out = tmp_path / "events"
    empty_models = tmp_path / "no-bundles"
    empty_models.mkdir()
    assert _accumulate(book_file, out, "--no-attritional", "--models-dir", str(empty_models)) == 0
    summary = json.loads((out / "summary.json").read_text())
    run = run_book(read_book_file(book_file), shipped_event_catalog(), YEARS, SEED, None)
    assert summary == _json(run.summary())
    assert run.table.attritional_loss.sum() == 0.0
    assert "left out (--no-attritional)" in (out / "report.html").read_text()


def test_without_a_bundle_the_run_with_attritional_claims_is_refused(book_file, tmp_path, capsys):
    empty_models = tmp_path / "no-bundles"
    empty_models.mkdir()
    assert _accumulate(book_file, tmp_path / "out", "--models-dir", str(empty_models)) == 1
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


BAD_CATALOG = """\
version: "broken"
events:
  - id: nimbus_outage
    family: vendor_outage
    annual_rate: -0.2
    footprint: {vendor: Nimbus Cloud, hit_probability: 1.5}
    loss: {share_of_limit: 0.1}
"""


def test_a_malformed_book_and_catalog_are_refused_with_every_problem(book_file, tmp_path, capsys):
    frame = pd.read_csv(book_file, dtype=str, keep_default_na=False)
    frame.loc[3, "limit_usd"] = "600000000"
    frame.loc[9, "policy_id"] = frame.loc[0, "policy_id"]
    bad_book = tmp_path / "bad_book.csv"
    frame.to_csv(bad_book, index=False)
    catalog = tmp_path / "broken.yaml"
    catalog.write_text(BAD_CATALOG)
    out = tmp_path / "out"
    assert _accumulate(bad_book, out, "--catalog", str(catalog), "--no-attritional") == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{bad_book}, row 4 (line 5), column limit_usd, value '600000000'" in err
    assert f"{bad_book}, row 10 (line 11), column policy_id" in err and "must be unique" in err
    assert f"{catalog}: invalid event catalog" in err
    assert "events[0].annual_rate" in err and "events[0].footprint.hit_probability" in err
    assert not out.exists()


def test_an_out_folder_with_other_files_is_left_alone(book_file, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert _accumulate(book_file, out, "--no-attritional") == 1
    assert "--out holds other files (notes.txt)" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert main(["accumulate", "--book", str(book_file), "--years", "0"]) == 1
