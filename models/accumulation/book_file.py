"""An insurer's book file (CONTRACT §7): read a CSV or Parquet file, check it, make a Book.

One row per policy: ``policy_id`` (unique), ``limit_usd`` (the annual
aggregate limit, 100,000-500,000,000 USD), ``retention_usd`` (per
occurrence, 0 <= r < limit), every exposure field of the field spec
(models/spec/fields.py, checked as a training policies file checks them:
models/tables/exposure_columns.py), ``vendors`` (names joined by "|", empty
= none) and optionally ``coverages`` (coverage parts of CONTRACT §5 joined
by "|", empty = all of them). Extra columns are ignored with a warning.

Every broken rule is collected first and the file is refused with all of
them, each naming file, row (1-based data row; the header is not a row; the
CSV line where it is known), column, value and rule, so an insurer fixes a
file in one pass. Here and not in training/: the service reads the same
files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from models.accumulation.book import Book
from models.spec.contract import COVERAGE_PARTS
from models.tables.defects import Defect, ValidationReport
from models.tables.exposure_columns import (
    EXPOSURE_COLUMNS,
    Typed,
    check_columns,
    read_exposure_fields,
    read_policy_terms,
    typed_frame,
)
from models.tables.opening import open_sheet
from models.tables.sheet import Sheet

BOOK_COLUMNS = ("policy_id", "limit_usd", "retention_usd", *EXPOSURE_COLUMNS, "vendors")
OPTIONAL_BOOK_COLUMNS = ("coverages",)


class BookFileError(ValueError):
    """A book file broke at least one rule; ``report`` lists every defect."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.format())
        self.report = report


def check_book(sheet: Sheet) -> pd.DataFrame | None:
    """The typed book frame of a sheet, or None when any rule is broken (all reported)."""
    before = sheet.report.defect_count
    if not check_columns(sheet, BOOK_COLUMNS, OPTIONAL_BOOK_COLUMNS):
        sheet.report.add(Defect(sheet.name, None, None, "", "has no policy rows", "no_rows"))
    typed: Typed = {}
    if "policy_id" in sheet.frame:
        typed["policy_id"] = ids = sheet.read_text("policy_id")
        sheet.flag_duplicates(ids, "policy_id")
    read_policy_terms(sheet, typed, required=True)
    read_exposure_fields(sheet, typed)
    if "coverages" in sheet.frame:
        typed["coverages"] = sheet.read_members("coverages", COVERAGE_PARTS)
    if sheet.report.defect_count > before:
        return None
    return typed_frame(typed)


def read_book_frame(path: str | Path, report: ValidationReport | None = None) -> pd.DataFrame:
    """The checked, typed rows of a book file; raises BookFileError naming every defect.

    Pass ``report`` to receive the warnings (extra columns ignored).
    """
    report = report if report is not None else ValidationReport()
    sheet = open_sheet(path, report)
    frame = check_book(sheet) if sheet is not None else None
    if frame is None or not report.ok:
        raise BookFileError(report)
    return frame


def read_book_file(path: str | Path, report: ValidationReport | None = None) -> Book:
    """The :class:`Book` of a book file (policies in file order)."""
    return Book.from_frame(read_book_frame(path, report))
