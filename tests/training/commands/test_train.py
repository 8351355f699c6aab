"""``python -m training train``: stages on stderr, version last, nothing written on bad input."""

from __future__ import annotations

import json
import re

import pandas as pd

from models.spec.contract import CLAIM_CAUSES
from models.versions.bundle import FREQUENCY_FILES, SEVERITY_FILE
from models.versions.registry import VERSION_PATTERN, Registry
from training.cli import main
from training.fitting.boosters import split_policies

FAST = ["--max-rounds", "40", "--nthread", "1", "--seed", "5"]


def _train(portfolio, models_dir, *extra):
    return main(
        [
            "train",
            "--policies",
            str(portfolio / "policies.csv"),
            "--claims",
            str(portfolio / "claims.csv"),
            "--models-dir",
            str(models_dir),
            *FAST,
            *extra,
        ]
    )


def test_train_reports_stages_prints_the_version_last_and_promotes(portfolio_dir, tmp_path, capsys):
    assert (
        _train(
            portfolio_dir, tmp_path / "a", "--promote", "--truth", str(portfolio_dir / "truth.csv")
        )
        == 0
    )
    out, err = capsys.readouterr()
    version = out.strip().splitlines()[-1]
    assert VERSION_PATTERN.match(version)
    for stage in ("validate", "split", "fit", "baseline", "evaluate", "report", "write", "promote"):
        assert f"[train] {stage}:" in err
    registry = Registry(tmp_path / "a")
    assert registry.active_version() == version
    metrics = registry.load().metadata["metrics"]
    assert 0.0 < metrics["explainable_deviance_captured_xgboost"] <= 1.1
    # drawn by the plot worker (training/reports/plots.py): the comparison with the GLM
    # (no active bundle), then the new model's own checks, each an embedded PNG
    report = (tmp_path / "a" / version / "report.html").read_text()
    assert re.findall(r"<figure><img alt='([^']*)' src='data:image/png;base64,", report) == [
        "Lorenz curve",
        "A/E by decile of the predicted rate",
        "Double lift against the GLM",
        "A/E by cause",
        "Cause mix by decile, XGBoost",
        "Cause mix by decile, GLM",
        "Tail QQ plots",
        "Tail mean-excess plots",
        "Severity tail check",
        "One-way A/E",
    ]
    assert metrics["poisson_deviance_xgboost"] < metrics["poisson_deviance_null"]
    # same data and seed: byte-identical boosters (a second, unpromoted version)
    assert _train(portfolio_dir, tmp_path / "b") == 0
    capsys.readouterr()
    other = Registry(tmp_path / "b")
    assert other.active_version() is None
    assert len(FREQUENCY_FILES) == len(CLAIM_CAUSES)
    for name in (*FREQUENCY_FILES, SEVERITY_FILE):
        first = (tmp_path / "a" / version / name).read_bytes()
        assert (tmp_path / "b" / other.versions()[0] / name).read_bytes() == first
    meta = json.loads((tmp_path / "b" / other.versions()[0] / "metadata.json").read_text())
    assert "explainable_deviance_captured_xgboost" not in meta["metrics"]


def test_a_file_that_fails_validation_writes_nothing(portfolio_dir, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    policies = pd.read_csv(portfolio_dir / "policies.csv", dtype=str, keep_default_na=False)
    policies.loc[3, "edr_coverage_pct"] = "140"
    policies.to_csv(bad / "policies.csv", index=False)
    (bad / "claims.csv").write_bytes((portfolio_dir / "claims.csv").read_bytes())
    assert _train(bad, tmp_path / "models") == 1
    out, err = capsys.readouterr()
    assert "row 4" in err and "edr_coverage_pct" in err and "140" in err
    assert out == ""
    assert not (tmp_path / "models").exists()


def test_too_few_claims_is_a_clear_error_and_writes_nothing(portfolio_dir, tmp_path, capsys):
    few = tmp_path / "few"
    few.mkdir()
    (few / "policies.csv").write_bytes((portfolio_dir / "policies.csv").read_bytes())
    claims = pd.read_csv(portfolio_dir / "claims.csv", dtype=str, keep_default_na=False)
    claims.iloc[:40].to_csv(few / "claims.csv", index=False)
    assert _train(few, tmp_path / "models") == 1
    err = capsys.readouterr().err
    assert "too few claims to fit the severity model" in err
    assert "Traceback" not in err
    assert Registry(tmp_path / "models").versions() == []
    assert not (tmp_path / "models").exists() or list((tmp_path / "models").iterdir()) == []


def test_a_truth_file_missing_a_holdout_policy_is_a_clear_error_and_writes_nothing(
    portfolio_dir, tmp_path, capsys
):
    truth = pd.read_csv(portfolio_dir / "truth.csv", dtype={"policy_id": str})
    first_holdout = split_policies(len(truth), seed=5).holdout[0]  # FAST trains with seed 5
    truth.drop(index=first_holdout).to_csv(tmp_path / "truth.csv", index=False)
    code = _train(portfolio_dir, tmp_path / "models", "--truth", str(tmp_path / "truth.csv"))
    err = capsys.readouterr().err
    assert code == 1
    assert f"no truth row for policy_id {truth['policy_id'].iloc[first_holdout]!r}" in err
    assert not (tmp_path / "models").exists() or list((tmp_path / "models").iterdir()) == []


def test_arguments_that_would_fail_at_the_end_are_refused_before_fitting(
    portfolio_dir, tmp_path, capsys
):
    """Before: a file as --models-dir failed after 49 s of fitting; a binary --truth
    and seeds -5 / 20 digits were tracebacks."""
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    binary = tmp_path / "truth.csv"
    binary.write_bytes(bytes(range(256)) * 8)
    cases = [
        (["--models-dir", str(a_file)], "is a file, not a directory"),
        (["--models-dir", str(a_file / "sub")], "is a file, not a directory"),
        (["--truth", str(binary)], "cannot be read as a truth CSV"),
        (["--seed", "-5"], "--seed must be an integer from 0"),
        (["--seed", "12345678901234567890"], "--seed must be an integer from 0"),
    ]
    for extra, message in cases:
        models = tmp_path / "models"
        argv = ["train", "--policies", str(portfolio_dir / "policies.csv"),
                "--claims", str(portfolio_dir / "claims.csv"), "--models-dir", str(models),
                *FAST, *extra]  # fmt: skip
        assert main(argv) == 1, extra
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and "[train]" not in err, (extra, err)
        assert not models.exists()
