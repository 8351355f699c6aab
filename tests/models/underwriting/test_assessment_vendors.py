"""The self-assessment's vendors, concentration fix and drivers split.

Oracles: ``python -m training accumulate`` on the city's one-city book file
(the command actuaries run, a separate path through file reading and the
SPoF table), the synthetic world's own portfolio generator (the reference
counts), re-assessment (a fix saves exactly what it states) and
``drivers_for`` over every field (the split keeps each driver's numbers).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from models.accumulation.catalog import EVENT_CATALOGS_DIR, load_event_catalog
from models.accumulation.metrics import loss_at
from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS
from models.underwriting.assessment import (
    CONCENTRATION_FIX,
    REFERENCE_POLICY,
    TOP_DRIVERS,
    CityAssessor,
)
from models.underwriting.book_model import BookModel
from models.underwriting.quote_engine import QuoteEngine, load_quote_engine
from models.underwriting.vendor_risk import (
    REFERENCE_VENDORS_FILE,
    load_vendor_sharing,
    one_city_frame,
    vendor_risk,
)
from training.world.portfolio import generate_portfolio
from training.world.vendor_shares import vendor_shares

ROOT = Path(__file__).resolve().parents[3]
CATALOG = EVENT_CATALOGS_DIR / "2026.1.yaml"
YEARS, SEED = 20_000, 7
VENDORS = ["Nimbus", "CivicERP", "OfficeSphere 365", "Harbor Networks", "nimbus cloud"]
ANSWERS = {"population": 250_000, "mfa_remote": "partial", "max_provider_concentration_pct": 90.0}


@pytest.fixture(scope="module")
def engine(trained_registry) -> QuoteEngine:  # type: ignore[no-untyped-def]
    return load_quote_engine(str(trained_registry.root))


@pytest.fixture(scope="module")
def shipped() -> CityAssessor:
    """The shipped bundle: its boosters use the provider concentration, the test bundle's may not."""
    return CityAssessor(load_quote_engine(None))


def test_reference_counts_are_the_shipped_model_s_training_portfolio() -> None:
    assert json.loads(REFERENCE_VENDORS_FILE.read_text(encoding="utf-8")) == vendor_shares(), (
        "stale: python -m training.world.vendor_shares > models/underwriting/reference_vendors.json"
    )


def test_reference_counts_draw_the_world_s_own_vendor_lists() -> None:
    policies = generate_portfolio(1_500, 5).policies
    named = Counter(n for cell in policies["vendors"] for n in set(filter(None, cell.split("|"))))
    assert vendor_shares(1_500, 5)["vendors"] == dict(named)


def test_systemic_figures_are_training_accumulate_on_the_one_city_book(
    engine: QuoteEngine, tmp_path: Path, trained_registry
) -> None:  # type: ignore[no-untyped-def]
    result = CityAssessor(engine).assess(ANSWERS)
    city = {**ANSWERS, **result["assumed_values"]}
    assert set(city) >= {f.name for f in MODEL_FIELDS}
    catalog = load_event_catalog(CATALOG)
    ours = vendor_risk(
        BookModel(engine), city, VENDORS, REFERENCE_POLICY, catalog, years=YEARS, seed=SEED
    )
    book = tmp_path / "book.csv"
    one_city_frame(city, VENDORS, REFERENCE_POLICY).to_csv(book, index=False)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "training", "accumulate", "--book", str(book)]
    command += ["--catalog", str(CATALOG), "--models-dir", str(trained_registry.root)]
    command += ["--years", str(YEARS), "--seed", str(SEED), "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert ours["aal_usd"] == pytest.approx(summary["aal_usd"], rel=1e-12)
    spof = {row["vendor"]: row for row in summary["spof"]}
    # "nimbus cloud" is "Nimbus" (an alias, then folded): one row, under the first spelling
    assert [v["vendor"] for v in ours["vendors"]].count("Nimbus") == 1
    assert "nimbus cloud" not in [v["vendor"] for v in ours["vendors"]]
    assert {v["catalog_vendor"] for v in ours["vendors"]} == set(spof)
    for row in ours["vendors"]:
        theirs = spof[row["catalog_vendor"]]
        assert row["aal_usd"] == pytest.approx(theirs["aal_usd"], rel=1e-12, abs=1e-9)
        assert row["loss_1_in_200_usd"] == pytest.approx(theirs["loss_1_in_200_usd"], abs=1e-6)
    nimbus = next(v for v in ours["vendors"] if v["vendor"] == "Nimbus")
    assert nimbus["events"] == 2 and nimbus["aal_usd"] > 0 and nimbus["loss_1_in_100_usd"] > 0
    # the 1-in-100 figure: the same years, read at rank N / 100 of the vendor's year losses
    ylt = np.loadtxt(out / "ylt.csv", delimiter=",", skiprows=1)[:, 1]
    assert ours["aal_usd"] == pytest.approx(ylt.mean(), rel=1e-9)
    assert nimbus["loss_1_in_100_usd"] <= nimbus["loss_1_in_200_usd"] <= loss_at(ylt, 200.0)
    harbor = next(v for v in ours["vendors"] if v["vendor"] == "Harbor Networks")
    assert harbor["events"] == 0 and harbor["aal_usd"] == 0.0  # no catalog event: none modelled
    sharing = load_vendor_sharing()
    assert harbor["reference_cities"] == sharing.by_vendor["Harbor Networks"]
    assert nimbus["reference_cities"] == sharing.by_vendor["Nimbus Cloud"]


def test_the_concentration_fix_saves_exactly_what_it_states(shipped: CityAssessor) -> None:
    result = shipped.assess(ANSWERS)
    fix = next(r for r in result["recommendations"] if r["field"] == CONCENTRATION_FIX.field)
    assert fix["value"] == CONCENTRATION_FIX.value and fix["action"] == CONCENTRATION_FIX.action
    again = shipped.assess({**ANSWERS, CONCENTRATION_FIX.field: fix["value"]})
    change = again["expected_loss_usd"] - result["expected_loss_usd"]
    assert fix["expected_loss_change_usd"] == pytest.approx(change, rel=1e-9)
    assert fix["premium_change_usd"] == pytest.approx(
        again["premium_usd"] - result["premium_usd"], rel=1e-9
    )
    below = shipped.assess({**ANSWERS, CONCENTRATION_FIX.field: 40.0})
    assert CONCENTRATION_FIX.field not in [r["field"] for r in below["recommendations"]]


def test_drivers_split_into_what_a_city_can_act_on_and_its_baseline(
    shipped: CityAssessor,
) -> None:
    result = shipped.assess(ANSWERS)
    acts, base = result["actionable_drivers"], result["baseline_drivers"]
    assert 0 < len(acts) <= TOP_DRIVERS and 0 < len(base) <= TOP_DRIVERS
    for d in acts:
        assert d["actionable"] and (
            FIELDS_BY_NAME[d["field"]].actionable or d["field"] == CONCENTRATION_FIX.field
        )
    assert all(not d["actionable"] for d in base)
    assert {"population", "employee_count", "annual_revenue_usd"} & {d["field"] for d in base}
    for part in (acts, base):
        sizes = [abs(d["log_effect"]) for d in part]
        assert sizes == sorted(sizes, reverse=True)
    # the overall top drivers are the largest of the two lists, numbers unchanged
    merged = sorted(acts + base, key=lambda d: -abs(d["log_effect"]))[: len(result["drivers"])]
    assert merged == result["drivers"]
