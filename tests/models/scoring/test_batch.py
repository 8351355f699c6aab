"""Batch scoring by cause: the columns, causes that add up to the totals, each policy's layer
recomputed from the spliced severity, the standard layer, chunks, halves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.pricing.spliced import spliced_lev, spliced_mean
from models.scoring import batch
from models.scoring.batch import (
    STANDARD_LIMIT_USD,
    STANDARD_RETENTION_USD,
    by_halves,
    layer_column,
    score_policies,
)
from models.spec.contract import CLAIM_CAUSES
from tests.support.portfolio import make_portfolio

TOTALS = (
    "claim_rate_per_year",
    "expected_annual_ground_up_loss_usd",
    "expected_loss_usd",
)
ROWS = 300


@pytest.fixture(scope="module")
def bundle(trained_registry):
    return trained_registry.load()


@pytest.fixture(scope="module")
def policies() -> pd.DataFrame:
    """Policies with a layer of their own, some cells empty (the standard layer there)."""
    frame = make_portfolio(ROWS, 99).policies
    rng = np.random.default_rng(5)
    frame["limit_usd"] = rng.choice([np.nan, 2e6, 5e6, 25e6], ROWS)
    frame["retention_usd"] = rng.choice([np.nan, 1e4, 2.5e5, 1e6], ROWS)
    return frame


@pytest.fixture(scope="module")
def scored(bundle, policies) -> pd.DataFrame:
    return score_policies(bundle, policies)


def test_the_score_table_has_the_totals_then_three_columns_a_cause(scored, policies):
    expected = [
        "policy_id",
        "claim_rate_per_year",
        "expected_claim_count",
        "expected_annual_ground_up_loss_usd",
        "expected_loss_usd",
        "risk_score",
    ]
    for cause in CLAIM_CAUSES:
        expected += [f"{total}_{cause}" for total in TOTALS]
    assert list(scored.columns) == expected
    assert len(scored) == ROWS and list(scored["policy_id"]) == list(policies["policy_id"])
    assert np.all(np.isfinite(scored.drop(columns="policy_id").to_numpy()))


@pytest.mark.parametrize("total", TOTALS)
def test_the_causes_add_up_to_the_totals(scored, total):
    by_cause = scored[[f"{total}_{cause}" for cause in CLAIM_CAUSES]].to_numpy()
    np.testing.assert_allclose(by_cause.sum(axis=1), scored[total], rtol=1e-12)
    assert np.all(by_cause >= 0) and np.all(by_cause.sum(axis=1) > 0)


def test_each_figure_is_recomputed_from_the_rates_and_the_spliced_severity(
    bundle, policies, scored
):
    """Oracle: per policy and cause, the layer as LEV(d + L) - LEV(d) of the spliced loss
    (a different path through models/pricing/spliced.py than the layer the batch uses)."""
    losses = bundle.predict_losses(policies)
    exposure = policies["exposure_years"].to_numpy()
    retention = policies["retention_usd"].fillna(STANDARD_RETENTION_USD).to_numpy()
    limit = policies["limit_usd"].fillna(STANDARD_LIMIT_USD).to_numpy()
    t = losses.tails
    layer = np.empty((ROWS, len(CLAIM_CAUSES)))
    mean = np.empty_like(layer)
    for c in range(len(CLAIM_CAUSES)):
        args = (losses.mu[:, c], losses.sigma[c], t.z_u[c], t.xi[c], t.b[c])
        layer[:, c] = spliced_lev(retention + limit, *args) - spliced_lev(retention, *args)
        mean[:, c] = spliced_mean(*args)
    rate = losses.rate
    for c, cause in enumerate(CLAIM_CAUSES):
        np.testing.assert_array_equal(scored[f"claim_rate_per_year_{cause}"], rate[:, c])
        np.testing.assert_allclose(
            scored[f"expected_annual_ground_up_loss_usd_{cause}"],
            rate[:, c] * mean[:, c],
            rtol=1e-12,
        )
        np.testing.assert_allclose(
            scored[f"expected_loss_usd_{cause}"], exposure * rate[:, c] * layer[:, c], rtol=1e-9
        )
    # expected_loss_usd = claim count x sum_c rate_c x layer_c (all causes' rates sum to the total)
    np.testing.assert_allclose(
        scored["expected_loss_usd"], exposure * (rate * layer).sum(axis=1), rtol=1e-9
    )
    np.testing.assert_allclose(
        scored["expected_claim_count"], rate.sum(axis=1) * exposure, rtol=1e-12
    )
    annual = (rate * mean).sum(axis=1)
    revenue = policies["annual_revenue_usd"].to_numpy(dtype=np.float64)
    np.testing.assert_allclose(scored["risk_score"], bundle.risk_score(annual, revenue), atol=1e-9)
    # the layers differ from policy to policy, so this is not one layer checked 300 times
    assert len(np.unique(retention + limit)) > 5


def test_without_layer_columns_every_policy_is_in_the_standard_layer(bundle, policies, scored):
    bare = score_policies(bundle, policies.drop(columns=["limit_usd", "retention_usd"]))
    standard = policies.assign(limit_usd=STANDARD_LIMIT_USD, retention_usd=STANDARD_RETENTION_USD)
    pd.testing.assert_frame_equal(bare, score_policies(bundle, standard))
    assert (STANDARD_LIMIT_USD, STANDARD_RETENTION_USD) == (1_000_000.0, 50_000.0)
    # where a cell is empty the policy is in the standard layer, elsewhere in its own
    empty = policies["limit_usd"].isna() & policies["retention_usd"].isna()
    own = policies["limit_usd"].notna() & policies["retention_usd"].notna()
    assert empty.sum() > 5 and own.sum() > 5
    np.testing.assert_array_equal(
        scored.loc[empty, "expected_loss_usd"], bare.loc[empty, "expected_loss_usd"]
    )
    assert np.all(scored.loc[own, "expected_loss_usd"] != bare.loc[own, "expected_loss_usd"])
    # the layer does not touch the ground-up figures
    np.testing.assert_array_equal(
        scored["expected_annual_ground_up_loss_usd"], bare["expected_annual_ground_up_loss_usd"]
    )


def test_chunks_give_the_answer_of_one_chunk(bundle, policies, scored, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_ROWS", 7)  # 300 = 42 chunks of 7 and one of 6
    calls = []
    original = bundle.predict_losses
    monkeypatch.setattr(
        type(bundle),
        "predict_losses",
        lambda self, x: calls.append(len(x)) or original(x),
    )
    chunked = score_policies(bundle, policies)
    assert calls == [7] * 42 + [6]
    pd.testing.assert_frame_equal(chunked, scored, check_exact=False, rtol=1e-12, atol=0)


def test_layer_column_fills_empty_cells_and_is_the_default_when_absent() -> None:
    frame = pd.DataFrame({"limit_usd": pd.array([2e6, None, 5e6], dtype="Float64")})
    np.testing.assert_array_equal(layer_column(frame, "limit_usd", 1e6), [2e6, 1e6, 5e6])
    assert layer_column(frame, "retention_usd", 5e4) == 5e4


@pytest.mark.parametrize(("rows", "parts"), [(99_999, 1), (100_000, 2), (100_001, 2)])
def test_by_halves_covers_every_row_once(rows: int, parts: int) -> None:
    """Oracle: the slices partition 0:rows; halves from 100,000 rows on."""
    seen = np.zeros(rows, dtype=np.int64)
    calls: list[slice] = []

    def work(part: slice) -> None:
        calls.append(part)
        seen[part] += 1

    by_halves(rows, work)
    assert len(calls) == parts
    assert np.all(seen == 1)
