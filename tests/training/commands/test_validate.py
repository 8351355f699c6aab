"""``python -m training validate``: exit status, the summary line, defects listed, no traceback."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.support.bordereau import valid_claims, valid_policies, write
from training.commands import validate

ROOT = Path(__file__).resolve().parents[3]


def main(argv: list[str]) -> int:
    """The validate verb as ``python -m training validate`` runs it, in process."""
    assert argv[0] == "validate"
    parser = argparse.ArgumentParser()
    validate.add_arguments(parser)
    return validate.main(parser.parse_args(argv[1:]))


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    policies = valid_policies(25, seed=11)
    return (
        write(policies, tmp_path / "policies.csv"),
        write(valid_claims(policies, 9, seed=12), tmp_path / "claims.csv"),
    )


def test_clean_pair_exits_0_with_one_summary_line(
    pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--policies", str(pair[0]), "--claims", str(pair[1])]) == 0
    out = capsys.readouterr()
    assert out.out.count("\n") == 1 and out.out.startswith("valid: 25 policies, ")
    assert "; 9 claims, total loss USD " in out.out and out.err == ""


def test_defects_exit_1_and_are_listed(
    tmp_path: Path, pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    claims = pd.read_csv(pair[1]).astype(str)
    claims.loc[0, "loss_usd"] = "0"
    claims.loc[3, "policy_id"] = "NOPE"
    bad = write(claims.assign(adjuster="x"), tmp_path / "bad.csv")
    assert main(["validate", "--policies", str(pair[0]), "--claims", str(bad)]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        f"{bad}, row 4 (line 5), column policy_id, value 'NOPE': must be a policy_id of the policies file",
        f"{bad}, row 1 (line 2), column loss_usd, value '0': must be > 0 (ground-up loss in USD)",
        f"invalid: 2 defects ({bad}: 2)",
    ]
    assert out.err == f"warning: {bad}: extra columns ignored: adjuster\n"


def test_max_lines_caps_the_listing(
    tmp_path: Path, pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    policies = pd.read_csv(pair[0]).astype(str)
    policies["privacy_regime"] = "hipaa"
    bad = write(policies, tmp_path / "p.csv")
    assert main(["validate", "--policies", str(bad), "--max-lines", "2"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and ": 23 more rows: must be one of: gdpr," in lines[2]


def test_missing_file_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "training",
            "validate",
            "--policies",
            str(tmp_path / "x.csv"),
            "--claims",
            str(tmp_path / "y.parquet"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'x.csv'}: no such file",
        f"{tmp_path / 'y.parquet'}: no such file",
        "invalid: 2 defects (" + f"{tmp_path / 'x.csv'}: 1, {tmp_path / 'y.parquet'}: 1)",
    ]


def test_synthetic_portfolio_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("training.commands.synth", reason="the synthetic portfolio generator")
    from training.cli import main as training_main

    args = ["synth", "--policies", "300", "--seed", "5", "--out", str(tmp_path)]
    assert training_main(args) == 0
    capsys.readouterr()
    policies, claims = tmp_path / "policies.csv", tmp_path / "claims.csv"
    assert main(["validate", "--policies", str(policies), "--claims", str(claims)]) == 0
    assert capsys.readouterr().out.startswith("valid: 300 policies, ")
