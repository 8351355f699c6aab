"""Reading a book file: the Book it gives, and every defect named by file, row and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.accumulation.book_file import BookFileError, read_book_file
from models.spec.contract import COVERAGE_PARTS
from models.tables.defects import ValidationReport
from tests.support.book import book_frame


def _write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_valid_file_is_its_book_in_file_order(tmp_path, suffix):
    frame = book_frame(20, seed=3)
    frame["coverages"] = ""
    frame.loc[1, "coverages"] = "regulatory_fines|breach_response"
    book = read_book_file(_write(frame, tmp_path / f"book{suffix}"))
    assert book.policy_ids == tuple(frame["policy_id"])
    np.testing.assert_array_equal(book.limit_usd, frame["limit_usd"])
    np.testing.assert_array_equal(book.retention_usd, frame["retention_usd"])
    assert book.vendors[0] == tuple(frame.loc[0, "vendors"].split("|"))
    # coverages come back in the contract's order; empty means all of them
    assert book.coverages is not None
    assert book.coverages[1] == ("breach_response", "regulatory_fines")
    assert book.coverages[0] == ()
    np.testing.assert_array_equal(book.field("population"), frame["population"])


def test_extra_columns_are_a_warning_not_a_defect(tmp_path):
    frame = book_frame(5, seed=3)
    frame["broker"] = "x"
    report = ValidationReport()
    read_book_file(_write(frame, tmp_path / "book.csv"), report)
    assert report.warnings == [f"{tmp_path / 'book.csv'}: extra columns ignored: broker"]


def _broken(tmp_path: Path) -> tuple[list[str], str]:
    """A book with one defect of each rule: the lines of the refusal, the repeated id."""
    frame = book_frame(12, seed=3).astype(str)
    frame = frame.drop(columns=["mfa_remote"])
    frame.loc[2, "policy_id"] = frame.loc[1, "policy_id"]  # row 3 repeats row 2
    frame.loc[3, "limit_usd"] = "50000"  # row 4 below 100,000
    frame.loc[4, "retention_usd"] = frame.loc[4, "limit_usd"]  # row 5 retention = limit
    frame.loc[5, "retention_usd"] = "-1"  # row 6
    frame.loc[6, "population"] = "12"  # row 7 below 1,000
    frame["coverages"] = ""
    frame.loc[7, "coverages"] = "breach_response|flood"  # row 8
    path = _write(frame, tmp_path / "book.csv")
    with pytest.raises(BookFileError) as caught:
        read_book_file(path)
    return str(caught.value).splitlines(), frame.loc[1, "policy_id"]


def test_every_defect_is_named_with_file_row_and_column(tmp_path):
    lines, repeated = _broken(tmp_path)
    name = str(tmp_path / "book.csv")
    expected = [
        f"{name}, column mfa_remote: required column is missing",
        f"{name}, row 3 (line 4), column policy_id, value '{repeated} (first in row 2)': "
        "must be unique",
        f"{name}, row 4 (line 5), column limit_usd, value '50000': "
        "must be between 100,000 and 500,000,000 USD",
        f"{name}, row 6 (line 7), column retention_usd, value '-1': must be >= 0 USD",
        f"{name}, row 7 (line 8), column population, value '12': "
        "must be between 1,000 and 50,000,000 residents",
        f"{name}, row 8 (line 9), column coverages, value 'breach_response|flood': "
        "members must be from: " + ", ".join(COVERAGE_PARTS),
        "invalid: 7 defects (" + name + ": 7)",
    ]
    retention_line = [line for line in lines if "retention_usd must be < limit_usd" in line]
    assert len(retention_line) == 1
    assert retention_line[0].startswith(f"{name}, row 5 (line 6), column retention_usd, limit_usd")
    assert [line for line in lines if line not in retention_line] == expected


def test_an_unreadable_or_empty_file_is_named(tmp_path):
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(BookFileError, match=r"nowhere.csv: no such file"):
        read_book_file(missing)
    header_only = book_frame(3, seed=3).iloc[:0]
    with pytest.raises(BookFileError, match=r"book.csv: has no policy rows"):
        read_book_file(_write(header_only, tmp_path / "book.csv"))
