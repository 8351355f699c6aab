"""``python -m training compare``: the recommendation follows the rule, the numbers the metrics.

These train bundles (tests/support/portfolio.py) and score them with
``ModelBundle.predict_losses``; the report itself is tested from arrays in
tests/training/reports/test_compare_report.py.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from models.scoring.booster_params import BoosterParams
from models.versions.registry import Registry
from tests.support.portfolio import TEST_SEED, write_portfolio
from training.bordereau.reader import load_bordereaux
from training.cli import main
from training.evaluation import metrics
from training.pipeline import train_bundle


@pytest.fixture(scope="module")
def two_bundles(trained_registry, portfolio_dir, tmp_path_factory):
    """(registry, good version, worse version, book directory).

    The worse bundle is trained on shuffled labels: each claim is given to a
    random policy, so its claim rates carry no information about the risk.
    """
    root = tmp_path_factory.mktemp("compare_bundles")
    good = trained_registry.active_version()
    shutil.copytree(trained_registry.root / good, root / good)
    registry = Registry(root)
    registry.promote(good)
    data = tmp_path_factory.mktemp("shuffled")
    shutil.copy(portfolio_dir / "policies.csv", data / "policies.csv")
    original = load_bordereaux(portfolio_dir / "policies.csv", portfolio_dir / "claims.csv")
    claims, ids = original.claims, original.policies
    rng = np.random.default_rng(5)
    claims["policy_id"] = ids["policy_id"].to_numpy()[rng.integers(0, len(ids), len(claims))]
    claims.to_csv(data / "claims.csv", index=False)
    params = BoosterParams(max_rounds=15, early_stopping_rounds=5, eta=0.15, nthread=1)
    worse = train_bundle(
        data / "policies.csv", data / "claims.csv", registry, seed=TEST_SEED, params=params
    )
    book = tmp_path_factory.mktemp("book")
    write_portfolio(book, n=2000, seed=TEST_SEED + 100)  # a book neither bundle has seen
    return registry, good, worse, book


def _compare_argv(registry, challenger, champion, book, out):
    return [
        "compare",
        "--challenger",
        challenger,
        "--champion",
        champion,
        "--policies",
        str(book / "policies.csv"),
        "--claims",
        str(book / "claims.csv"),
        "--models-dir",
        str(registry.root),
        "--out",
        str(out),
    ]


def _compare(registry, challenger, champion, book, out, capsys):
    code = main(_compare_argv(registry, challenger, champion, book, out))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out.strip().splitlines(), json.loads((out / "compare.json").read_text())


def test_better_challenger_is_promoted_and_worse_one_is_not(two_bundles, tmp_path, capsys):
    registry, good, worse, book = two_bundles
    lines, report = _compare(registry, good, worse, book, tmp_path / "a", capsys)
    assert lines[-1] == "promote: challenger beats champion on deviance and Gini"
    assert report["recommendation"]["decision"] == "promote"
    # double lift, A/E by cause, the two cause mixes, premium change
    assert (tmp_path / "a" / "compare.html").read_text().count("data:image/png;base64") == 5
    lines, report = _compare(registry, worse, good, book, tmp_path / "b", capsys)
    assert lines[-1].startswith("keep champion:")
    assert report["recommendation"]["decision"] == "keep"


def test_json_numbers_equal_the_metric_functions(two_bundles, tmp_path, capsys):
    registry, good, worse, book = two_bundles
    _, report = _compare(registry, good, worse, book, tmp_path, capsys)
    b = load_bordereaux(book / "policies.csv", book / "claims.csv")
    exposure = b.policies["exposure_years"].to_numpy()
    owner = b.policies["policy_id"].reset_index(drop=True)
    counts = np.bincount(owner.searchsorted(b.claims["policy_id"]), minlength=len(owner)).astype(
        float
    )
    rates = {}
    for role, version in (("challenger", good), ("champion", worse)):
        rate = registry.load(version).predict_losses(b.policies).claim_rate_per_year
        rates[role] = rate
        m = report["metrics"][role]
        assert m["poisson_deviance"] == pytest.approx(
            metrics.poisson_deviance(counts, rate * exposure), rel=1e-12
        )
        assert m["gini"] == pytest.approx(
            metrics.lorenz_curve(counts, rate, exposure)[2], rel=1e-12
        )
        assert m["ae_overall"] == pytest.approx(counts.sum() / (rate * exposure).sum())
    groups = metrics.exposure_groups(rates["challenger"] / rates["champion"], exposure)
    table = metrics.ae_table(
        groups,
        counts,
        {role: rates[role] * exposure for role in ("challenger", "champion")},
    )
    assert len(report["double_lift"]) == len(table) == 10
    for reported, direct in zip(report["double_lift"], table, strict=True):
        assert reported == pytest.approx(direct, rel=1e-12)
    assert report["book"]["claims"] == len(b.claims)
    change = report["premium_change"]
    assert change["policies"] == len(b.policies)
    assert 0.0 <= change["share_up_more_than_10pct"] + change["share_down_more_than_10pct"] <= 1
    assert change["ratio_quantiles"]["q05"] <= change["ratio_quantiles"]["q95"]


def test_unknown_version_names_the_versions_that_exist(two_bundles, tmp_path, capsys):
    registry, good, worse, book = two_bundles
    code = main(_compare_argv(registry, "2030-01-01T00-00-00Z-deadbeef", good, book, tmp_path))
    err = capsys.readouterr().err
    assert code == 1
    assert "--challenger 2030-01-01T00-00-00Z-deadbeef: no such bundle version" in err
    assert good in err and worse in err


def test_a_book_either_bundle_was_trained_on_is_flagged_in_sample(
    two_bundles, portfolio_dir, tmp_path, capsys
):
    registry, good, worse, _ = two_bundles
    # both were trained on these policies (the worse one on a copy with shuffled claims)
    code = main(_compare_argv(registry, good, worse, portfolio_dir, tmp_path))
    err = capsys.readouterr().err
    assert code == 0
    for role in ("challenger", "champion"):
        assert (
            f"warning: the policies file is the {role}'s training data; the comparison is "
            f"in-sample and favours the {role}"
        ) in err


def test_the_same_version_twice_is_refused(two_bundles, tmp_path, capsys):
    registry, good, _, book = two_bundles
    assert main(_compare_argv(registry, good, good, book, tmp_path)) == 1
    assert f"challenger and champion are the same version {good}" in capsys.readouterr().err


def test_a_book_gives_each_claim_its_owner_and_its_cause():
    from models.spec.contract import CLAIM_CAUSES
    from tests.support.portfolio import make_portfolio
    from training.evaluation.champion import book_from_bordereaux

    p = make_portfolio(300, 9)
    book = book_from_bordereaux(p.policies, p.claims)
    h = book.holdout
    assert [CLAIM_CAUSES[c] for c in h.claim_cause] == p.claims["cause"].tolist()
    assert h.claim_owner.tolist() == p.claim_owner.tolist()
    assert h.cause_counts().sum(axis=1).tolist() == h.claim_counts.tolist()
