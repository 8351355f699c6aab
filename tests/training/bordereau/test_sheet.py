"""One test per kind of defect: each names file, row (and CSV line), column, value and rule."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from models.tables.defects import Defect, ValidationReport
from tests.support.bordereau import valid_claims, valid_policies, write
from training.bordereau.reader import validate_bordereaux

ROW = 4  # 0-based frame index of the edited row: data row 5, CSV line 6


def _files(tmp_path: Path, suffix: str = ".csv") -> tuple[pd.DataFrame, pd.DataFrame]:
    policies = valid_policies(12, seed=3).astype(str)
    claims = valid_claims(valid_policies(12, seed=3), 8, seed=4).astype(str)
    return policies, claims


def _check(
    tmp_path: Path, policies: pd.DataFrame, claims: pd.DataFrame | None, suffix: str = ".csv"
) -> ValidationReport:
    report = ValidationReport()
    p = write(policies, tmp_path / f"policies{suffix}")
    c = write(claims, tmp_path / f"claims{suffix}") if claims is not None else None
    validate_bordereaux(p, c, report)
    return report


def _only(report: ValidationReport, kind: str) -> Defect:
    """The single defect of the report, which must be of ``kind``."""
    assert [(g.kind, g.count) for g in report.groups] == [(kind, 1)], report.format()
    return report.defects[0]


def _edit_policy(tmp_path: Path, column: str, value: str, kind: str) -> Defect:
    policies, claims = _files(tmp_path)
    policies.loc[ROW, column] = value
    defect = _only(_check(tmp_path, policies, claims), kind)
    assert (defect.file, defect.row, defect.line) == (str(tmp_path / "policies.csv"), 5, 6)
    assert (defect.column, defect.value) == (column, value)
    return defect


def test_missing_column(tmp_path: Path) -> None:
    policies, claims = _files(tmp_path)
    defect = _only(_check(tmp_path, policies.drop(columns="population"), claims), "missing_column")
    assert (defect.row, defect.column, defect.rule) == (
        None,
        "population",
        "required column is missing",
    )
    assert "column population: required column is missing" in defect.format()


def test_empty_required_value(tmp_path: Path) -> None:
    assert _edit_policy(tmp_path, "population", "", "empty").rule == "a value is required"


def test_text_in_a_number(tmp_path: Path) -> None:
    defect = _edit_policy(tmp_path, "security_fte", "12k", "not_a_number")
    assert defect.rule == "must be a number"
    assert defect.format().endswith(
        "row 5 (line 6), column security_fte, value '12k': must be a number"
    )


@pytest.mark.parametrize("text", ["nan", "inf", "1,000", "true"])
def test_non_finite_and_formatted_numbers_are_not_numbers(tmp_path: Path, text: str) -> None:
    _edit_policy(tmp_path, "annual_revenue_usd", text, "not_a_number")


def test_non_integer_in_an_int_field(tmp_path: Path) -> None:
    assert _edit_policy(tmp_path, "prior_incidents_3y", "2.5", "not_whole").rule == (
        "must be a whole number"
    )


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("default_credentials_pct", "100.5", "must be between 0 and 100 %"),
        ("population", "999", "must be between 1,000 and 50,000,000 residents"),
        ("exposure_years", "0", "must be > 0 and <= 1.5 years"),
        ("exposure_years", "1.51", "must be > 0 and <= 1.5 years"),
    ],
)
def test_out_of_range(tmp_path: Path, column: str, value: str, rule: str) -> None:
    assert _edit_policy(tmp_path, column, value, "out_of_range").rule == rule


def test_unknown_enum_value_lists_the_allowed_ones(tmp_path: Path) -> None:
    defect = _edit_policy(tmp_path, "it_ot_segmentation", "airgap", "unknown_value")
    assert defect.rule == "must be one of: flat, vlan, firewalled, zoned"


def test_unknown_set_member(tmp_path: Path) -> None:
    defect = _edit_policy(tmp_path, "critical_services", "water|airport", "unknown_member")
    assert defect.rule.startswith("members must be from: water, wastewater,")


def test_repeated_set_member(tmp_path: Path) -> None:
    _edit_policy(tmp_path, "sensitive_data", "health|health", "repeated_member")


@pytest.mark.parametrize("text", ["yes", "2", "t"])
def test_bad_boolean(tmp_path: Path, text: str) -> None:
    defect = _edit_policy(tmp_path, "monitoring_24x7", text, "bad_boolean")
    assert defect.rule == "must be true or false (or 1 or 0)"


def test_cross_field_rule_names_every_field(tmp_path: Path) -> None:
    policies, claims = _files(tmp_path)
    policies.loc[ROW, ["iot_device_count", "ot_device_count", "internet_exposed_devices"]] = [
        "10",
        "20",
        "31",
    ]
    defect = _only(_check(tmp_path, policies, claims), "cross_field")
    assert defect.column == "internet_exposed_devices, iot_device_count, ot_device_count"
    assert defect.value == "internet_exposed_devices=31, iot_device_count=10, ot_device_count=20"
    assert defect.rule == "internet_exposed_devices must be <= iot_device_count + ot_device_count"
    assert defect.row == 5


def test_cross_field_rule_holds_at_equality(tmp_path: Path) -> None:
    policies, claims = _files(tmp_path)
    policies.loc[ROW, ["vendor_count", "critical_vendor_count"]] = ["7", "7"]
    policies.loc[ROW, "vendors_with_remote_access"] = "7"
    assert _check(tmp_path, policies, claims).ok


def test_duplicate_policy_id_names_the_first_row(tmp_path: Path) -> None:
    policies, claims = _files(tmp_path)
    policies.loc[ROW, "policy_id"] = policies.loc[1, "policy_id"]
    defect = _only(_check(tmp_path, policies, claims), "duplicate_id")
    assert (defect.row, defect.column) == (5, "policy_id")
    assert defect.value == f"{policies.loc[1, 'policy_id']} (first in row 2)"


def test_bad_date(tmp_path: Path) -> None:
    policies, claims = _files(tmp_path)
    policies["period_start"] = "2025-07-01"
    policies.loc[ROW, "period_start"] = "2025-13-01"
    defect = _only(_check(tmp_path, policies, claims), "bad_date")
    assert (defect.row, defect.value) == (5, "2025-13-01")


def _edit_claim(tmp_path: Path, column: str, value: str, kind: str) -> Defect:
    policies, claims = _files(tmp_path)
    claims.loc[2, column] = value
    defect = _only(_check(tmp_path, policies, claims), kind)
    assert (defect.file, defect.row, defect.line) == (str(tmp_path / "claims.csv"), 3, 4)
    assert (defect.column, defect.value) == (column, value)
    return defect


def test_claim_for_an_unknown_policy(tmp_path: Path) -> None:
    defect = _edit_claim(tmp_path, "policy_id", "P999999", "unknown_policy")
    assert defect.rule == "must be a policy_id of the policies file"


@pytest.mark.parametrize("loss", ["0", "-250.5"])
def test_non_positive_loss(tmp_path: Path, loss: str) -> None:
    assert _edit_claim(tmp_path, "loss_usd", loss, "non_positive_loss").rule.startswith(
        "must be > 0"
    )


def test_text_in_a_loss(tmp_path: Path) -> None:
    _edit_claim(tmp_path, "loss_usd", "USD 5,000", "not_a_number")


def test_unknown_cause(tmp_path: Path) -> None:
    defect = _edit_claim(tmp_path, "cause", "meteor", "unknown_cause")
    assert defect.rule.startswith("must be one of: ransomware, data_breach,")


def test_duplicate_claim_id(tmp_path: Path) -> None:
    policies, claims = _files(tmp_path)
    claims.loc[5, "claim_id"] = claims.loc[0, "claim_id"]
    defect = _only(_check(tmp_path, policies, claims), "duplicate_id")
    assert (defect.row, defect.column, defect.value) == (6, "claim_id", "C000000 (first in row 1)")


def test_vendor_list_limits(tmp_path: Path) -> None:
    policies, claims = _files(tmp_path)
    policies["vendors"] = "Siemens|Cisco"
    policies.loc[1, "vendors"] = "|".join(f"v{i}" for i in range(501))
    policies.loc[2, "vendors"] = "Siemens|" + "x" * 201
    policies.loc[3, "vendors"] = ""  # no named vendors is fine
    report = _check(tmp_path, policies, claims)
    assert sorted((d.kind, d.row) for d in report.defects) == [("bad_name", 3), ("too_long", 2)]


def test_limit_and_retention_columns(tmp_path: Path) -> None:
    policies, claims = _files(tmp_path)
    policies["limit_usd"] = "1000000"
    policies["retention_usd"] = "25000"
    policies.loc[1, "limit_usd"] = "50000"
    policies.loc[2, "retention_usd"] = "1000000"
    policies.loc[3, ["limit_usd", "retention_usd"]] = ["", ""]  # not given: scoring's defaults
    report = _check(tmp_path, policies, claims)
    assert sorted((d.kind, d.row, d.column) for d in report.defects) == [
        ("cross_field", 3, "retention_usd, limit_usd"),
        ("out_of_range", 2, "limit_usd"),
    ]


def test_every_defect_is_reported_not_just_the_first(tmp_path: Path) -> None:
    policies, claims = _files(tmp_path)
    policies.loc[0, "population"] = "many"
    policies.loc[3, "mfa_remote"] = "sometimes"
    policies.loc[9, "edr_coverage_pct"] = "-1"
    claims.loc[1, "cause"] = "aliens"
    report = _check(tmp_path, policies, claims)
    assert sorted((Path(d.file).stem, d.row, d.kind) for d in report.defects) == [
        ("claims", 2, "unknown_cause"),
        ("policies", 1, "not_a_number"),
        ("policies", 4, "unknown_value"),
        ("policies", 10, "out_of_range"),
    ]
    assert (
        report.format().splitlines()[-1]
        == "invalid: 4 defects ("
        + ", ".join([f"{tmp_path / 'policies.csv'}: 3", f"{tmp_path / 'claims.csv'}: 1"])
        + ")"
    )
