"""Reading bordereaux: file formats, unreadable files, row numbering, typed output, capping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.spec.fields import MODEL_FIELDS
from models.tables.defects import ValidationReport
from tests.support.bordereau import valid_claims, valid_policies, write
from training.bordereau.reader import (
    BordereauError,
    load_bordereaux,
    read_policies,
    validate_bordereaux,
)
from training.errors import TrainingInputError


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    policies = valid_policies(30, seed=7)
    return (
        write(policies, tmp_path / "policies.csv"),
        write(valid_claims(policies, 12, seed=8), tmp_path / "claims.csv"),
    )


def _file_defect(policies: Path, claims: Path) -> tuple[str, str | None, str]:
    report = ValidationReport()
    assert validate_bordereaux(policies, claims, report) is None
    [defect] = report.defects
    assert defect.row is None
    return defect.kind, defect.column, defect.rule


def test_typed_frames(pair: tuple[Path, Path]) -> None:
    b = load_bordereaux(*pair)
    expected = {"int": "int64", "number": "float64", "bool": "bool"}
    for f in MODEL_FIELDS:
        assert str(b.policies[f.name].dtype) == expected.get(f.kind, "str"), f.name
    assert list(b.policies.columns) == [
        "policy_id",
        "exposure_years",
        *(f.name for f in MODEL_FIELDS),
    ]
    assert list(b.claims.columns) == ["claim_id", "policy_id", "loss_usd", "cause"]
    raw = pd.read_csv(pair[0])
    np.testing.assert_array_equal(b.policies["pii_records"], raw["pii_records"])
    np.testing.assert_allclose(b.policies["exposure_years"], raw["exposure_years"])


def test_summary_line_counts_what_was_written(pair: tuple[Path, Path]) -> None:
    b = load_bordereaux(*pair)
    policies, claims = pd.read_csv(pair[0]), pd.read_csv(pair[1])
    assert b.report.summary == (
        f"valid: 30 policies, {policies['exposure_years'].sum():,.2f} exposure-years; "
        f"12 claims, total loss USD {claims['loss_usd'].sum():,.0f}"
    )


def test_parquet_reads_the_same_as_csv(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    from_csv = load_bordereaux(*pair)
    p = write(pd.read_csv(pair[0]), tmp_path / "policies.parquet")
    c = write(pd.read_csv(pair[1]), tmp_path / "claims.parquet")
    from_parquet = load_bordereaux(p, c)
    pd.testing.assert_frame_equal(from_csv.policies, from_parquet.policies)
    pd.testing.assert_frame_equal(from_csv.claims, from_parquet.claims)


def test_parquet_defects_have_rows_but_no_lines(tmp_path: Path) -> None:
    policies = valid_policies(10, seed=2)
    policies.loc[6, "restore_test_months"] = 121  # native int64 column
    policies["prior_incidents_3y"] = policies["prior_incidents_3y"].astype(float)
    policies.loc[0, "prior_incidents_3y"] = 2.5  # a float column for an int field
    policies.loc[8, "security_fte"] = np.nan  # a null in a native float column
    policies["ot_device_count"] = policies["ot_device_count"] > 0  # booleans are not numbers
    policies["monitoring_24x7"] = policies["monitoring_24x7"].map({True: "true", False: "false"})
    policies.loc[2, "monitoring_24x7"] = "maybe"
    report = ValidationReport()
    validate_bordereaux(write(policies, tmp_path / "p.parquet"), None, report)
    assert [(d.row, d.line, d.column, d.kind) for d in report.defects] == [
        (9, None, "security_fte", "empty"),
        (1, None, "prior_incidents_3y", "not_whole"),
        *((row, None, "ot_device_count", "not_a_number") for row in range(1, 11)),
        (3, None, "monitoring_24x7", "bad_boolean"),
        (7, None, "restore_test_months", "out_of_range"),
    ]


def test_read_policies_hands_back_warnings(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    report = ValidationReport()
    policies = read_policies(
        write(pd.read_csv(pair[0]).assign(note="x"), tmp_path / "p.csv"), report=report
    )
    assert len(policies) == 30 and report.summary.startswith("valid: 30 policies, ")
    assert report.warnings == [f"{tmp_path / 'p.csv'}: extra columns ignored: note"]


def test_csv_text_forms_are_normalised(tmp_path: Path) -> None:
    policies = valid_policies(4, seed=5).astype(str)
    policies.loc[0, "monitoring_24x7"] = " TRUE "
    policies.loc[1, "monitoring_24x7"] = "0"
    policies.loc[0, "critical_services"] = "transit|water"
    policies.loc[1, "critical_services"] = ""
    policies.loc[2, "population"] = "2.5e4"  # a whole number, however written
    typed = read_policies(write(policies, tmp_path / "p.csv"))
    assert typed["monitoring_24x7"].tolist()[:2] == [True, False]
    assert typed["critical_services"].tolist()[:2] == ["water|transit", ""]
    assert typed.loc[2, "population"] == 25_000


def test_blank_lines_make_lines_unknown_but_rows_stay_exact(tmp_path: Path) -> None:
    policies = valid_policies(6, seed=4).astype(str)
    policies.loc[3, "population"] = "lots"
    text = policies.to_csv(index=False).splitlines()
    path = tmp_path / "p.csv"
    path.write_text("\n".join([*text[:2], "", *text[2:]]) + "\n")  # a blank line after row 1
    report = ValidationReport()
    validate_bordereaux(path, None, report)
    [defect] = report.defects
    assert (defect.row, defect.line) == (4, None)
    assert "row 4, column population" in defect.format()


def test_counts_are_exact_and_lines_capped(tmp_path: Path) -> None:
    policies = valid_policies(40, seed=6).astype(str)
    policies.loc[5:34, "email_security"] = "carrier_pigeon"  # 30 rows: data rows 6..35
    report = ValidationReport(max_examples=4)
    validate_bordereaux(write(policies, tmp_path / "p.csv"), None, report)
    [group] = report.groups
    assert group.count == 30
    assert [d.row for d in group.examples] == [6, 7, 8, 9]
    lines = report.format().splitlines()
    assert len(lines) == 6
    assert lines[4].endswith(
        "column email_security: 26 more rows: must be one of: none, filtering, filtering_dmarc"
    )
    assert lines[5] == f"invalid: 30 defects ({tmp_path / 'p.csv'}: 30)"


def test_missing_file(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    assert _file_defect(pair[0], tmp_path / "nope.csv") == ("missing_file", None, "no such file")


def test_empty_file(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    assert _file_defect(tmp_path / "empty.csv", pair[1])[0] == "empty_file"


def test_neither_csv_nor_parquet(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    xlsx = tmp_path / "policies.xlsx"
    xlsx.write_bytes(b"PK\x03\x04 not a table")
    assert _file_defect(xlsx, pair[1])[0] == "unsupported_format"


def test_unreadable_parquet(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    bad = tmp_path / "claims.parquet"
    bad.write_bytes(b"this is no parquet file")
    kind, _, rule = _file_defect(pair[0], bad)
    assert kind == "unreadable_file" and rule.startswith("cannot be read as Parquet: ")


def test_ragged_csv_is_unreadable(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    ragged = tmp_path / "claims.csv"
    ragged.write_text("claim_id,policy_id,loss_usd,cause\nC1,P000001,100\n")
    assert _file_defect(pair[0], ragged)[0] == "unreadable_file"


def test_csv_that_is_not_utf8_is_unreadable(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    latin1 = tmp_path / "claims.csv"
    latin1.write_bytes(
        "claim_id,policy_id,loss_usd,cause\nC1,P000001,100,d\xe9g\xe2t\n".encode("latin-1")
    )
    kind, _, rule = _file_defect(pair[0], latin1)
    assert kind == "unreadable_file" and rule.startswith("cannot be read as CSV (UTF-8): ")


def test_repeated_header_is_a_defect(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    text = (
        pair[1]
        .read_text()
        .replace("claim_id,policy_id,loss_usd", "claim_id,policy_id,policy_id", 1)
    )
    (tmp_path / "c.csv").write_text(text)
    report = ValidationReport()
    validate_bordereaux(pair[0], tmp_path / "c.csv", report)
    assert sorted((d.kind, d.column, d.rule) for d in report.defects) == [
        ("duplicate_column", None, "column policy_id appears more than once in the header"),
        ("missing_column", "loss_usd", "required column is missing"),
    ]


def test_policies_without_rows(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    header_only = tmp_path / "p.csv"
    header_only.write_text(pd.read_csv(pair[0]).head(0).to_csv(index=False))
    report = ValidationReport()
    validate_bordereaux(header_only, None, report)
    assert [d.kind for d in report.defects] == ["no_rows"]


def test_claims_without_rows_are_a_claim_free_portfolio(
    tmp_path: Path, pair: tuple[Path, Path]
) -> None:
    no_claims = tmp_path / "c.csv"
    no_claims.write_text("claim_id,policy_id,loss_usd,cause\n")
    b = load_bordereaux(pair[0], no_claims)
    assert len(b.claims) == 0 and b.report.summary.endswith("0 claims, total loss USD 0")


def test_extra_columns_are_warnings_only(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    policies = pd.read_csv(pair[0]).assign(broker="ACME", region="EU")
    b = load_bordereaux(write(policies, tmp_path / "p.csv"), pair[1])
    assert b.report.warnings == [f"{tmp_path / 'p.csv'}: extra columns ignored: broker, region"]
    assert "broker" not in b.policies


def test_errors_carry_the_report(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    with pytest.raises(BordereauError) as caught:
        load_bordereaux(pair[0], tmp_path / "missing.csv")
    assert isinstance(caught.value, TrainingInputError)
    assert caught.value.report.count_by_kind() == {"missing_file": 1}
    assert str(caught.value) == caught.value.report.format()
    with pytest.raises(BordereauError):
        read_policies(pair[1])  # a claims file is not a policies file


def test_gzipped_csv_reads_the_same(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    import gzip

    packed = tmp_path / "policies.csv.gz"
    packed.write_bytes(gzip.compress(pair[0].read_bytes()))
    pd.testing.assert_frame_equal(read_policies(packed), read_policies(pair[0]))


def test_a_parser_message_quoting_the_file_prints_no_control_bytes(
    tmp_path: Path, pair: tuple[Path, Path]
) -> None:
    """Before: a ragged row holding ESC sequences reached the terminal raw."""
    ragged = tmp_path / "claims.csv"
    ragged.write_text("claim_id,policy_id,loss_usd,cause\nC1,\x1b[2J\x1b]0;owned\x07,100\n")
    report = ValidationReport()
    validate_bordereaux(pair[0], ragged, report)
    printed = report.format()
    assert "\x1b" not in printed and "\x07" not in printed
    assert all(c.isprintable() or c in "\n\t" for c in printed)
