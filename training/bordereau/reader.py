"""Policies and claims bordereaux (CONTRACT §2): read a CSV or Parquet file, check it, type it.

``load_bordereaux`` is what training calls, ``read_policies`` what scoring
calls; both raise :class:`BordereauError` carrying the whole
:class:`~training.bordereau.defects.ValidationReport` when any rule is broken, so no
model is ever fitted on a partly valid file.

Rows are numbered from 1 over data rows (the header is not a row); in a CSV
with one line per record, row N is line N + 1 and defects say so. Where a
CSV has blank lines (skipped) or quoted values spanning lines, only the row
is given. CSV booleans are ``true``/``false`` in any case, or ``1``/``0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from training.bordereau.defects import Defect, ValidationReport
from training.bordereau.rules import check_claims, check_policies
from training.bordereau.sheet import Sheet
from training.errors import TrainingInputError

_PARQUET_MAGIC = b"PAR1"
_CSV_SUFFIXES = (".csv", ".csv.gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_FORMAT_NAMES = {"csv": "CSV (UTF-8)", "parquet": "Parquet"}


class BordereauError(TrainingInputError):
    """A bordereau broke at least one rule; ``report`` lists every defect."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.format())
        self.report = report


@dataclass
class Bordereaux:
    """A valid, typed pair of bordereaux.

    ``policies``: policy_id, exposure_years (years), period_start if given,
    every model field (int64, float64, bool, str; sets canonical "|"-joined),
    then vendors, limit_usd and retention_usd (USD) if given.
    ``claims``: claim_id, policy_id, loss_usd (ground-up USD), cause.
    """

    policies: pd.DataFrame
    claims: pd.DataFrame
    report: ValidationReport


def _file_format(path: Path) -> str | None:
    with path.open("rb") as fh:
        magic = fh.read(len(_PARQUET_MAGIC))
    name = path.name.lower()
    if magic == _PARQUET_MAGIC or name.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    return "csv" if name.endswith(_CSV_SUFFIXES) else None


def _csv_first_data_line(path: Path, rows: int) -> int | None:
    """2 when every record is exactly one line after the header, else None (unknown)."""
    if path.name.lower().endswith(".gz"):
        return None
    newlines, last = 0, b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 24):
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    lines = newlines + (last != b"\n")
    return 2 if lines == rows + 1 else None


def open_sheet(path: str | Path, report: ValidationReport) -> Sheet | None:
    """Read one file into a :class:`Sheet`, or report why it cannot be read and return None.

    CSV cells are read as strings (nothing is guessed: "NA" is text, "" is
    empty); Parquet columns keep their native types. Column names are stripped.
    """
    path, name = Path(path), str(path)

    def unreadable(rule: str, kind: str = "unreadable_file") -> None:
        report.add(Defect(name, None, None, "", rule, kind))

    kind: str | None = None
    if not path.is_file():
        unreadable("no such file" if not path.exists() else "not a file", "missing_file")
        return None
    try:
        if path.stat().st_size == 0:
            unreadable("the file is empty", "empty_file")
            return None
        kind = _file_format(path)
        if kind is None:
            unreadable("neither CSV nor Parquet: name it .csv or .parquet", "unsupported_format")
            return None
        if kind == "parquet":
            frame, first_line = pd.read_parquet(path), None
        else:
            frame = pd.read_csv(path, engine="pyarrow", dtype=str, keep_default_na=False)
            first_line = _csv_first_data_line(path, len(frame))
    except Exception as exc:  # any reader failure is a defect of the file, never a traceback
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        unreadable(f"cannot be read as {_FORMAT_NAMES.get(kind or '', 'a file')}: {message}")
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    return Sheet(name, frame.reset_index(drop=True), report, first_line)


_NO_CLAIMS = pd.DataFrame(
    {
        "claim_id": pd.Series(dtype="str"),
        "policy_id": pd.Series(dtype="str"),
        "loss_usd": pd.Series(dtype=np.float64),
        "cause": pd.Series(dtype="str"),
    }
)


def summarise(policies: pd.DataFrame, claims: pd.DataFrame | None) -> str:
    """One line: policies, exposure-years, claims, total loss (USD)."""
    text = (
        f"valid: {len(policies):,} policies, {policies['exposure_years'].sum():,.2f} exposure-years"
    )
    if claims is not None:
        text += f"; {len(claims):,} claims, total loss USD {claims['loss_usd'].sum():,.0f}"
    return text


def read_policies(path: str | Path, *, report: ValidationReport | None = None) -> pd.DataFrame:
    """Read, check and type a policies file alone (e.g. one to score).

    Pass ``report`` to receive the warnings (extra columns ignored).
    Raises BordereauError listing every defect.
    """
    report = report if report is not None else ValidationReport()
    sheet = open_sheet(path, report)
    policies = check_policies(sheet)[0] if sheet is not None else None
    if policies is None or not report.ok:
        raise BordereauError(report)
    report.summary = summarise(policies, None)
    return policies


def validate_bordereaux(
    policies_path: str | Path, claims_path: str | Path | None, report: ValidationReport
) -> Bordereaux | None:
    """Check a policies file and (optionally) its claims file into ``report``.

    Returns the typed pair when both are valid, else None; never raises on bad data.
    """
    policy_sheet = open_sheet(policies_path, report)
    policies, ids = check_policies(policy_sheet) if policy_sheet is not None else (None, None)
    claims: pd.DataFrame | None = _NO_CLAIMS.copy()
    if claims_path is not None:
        claim_sheet = open_sheet(claims_path, report)
        claims = check_claims(claim_sheet, ids) if claim_sheet is not None else None
    if not report.ok or policies is None or claims is None:
        return None
    report.summary = summarise(policies, claims if claims_path is not None else None)
    return Bordereaux(policies, claims, report)


def load_bordereaux(policies_path: str | Path, claims_path: str | Path) -> Bordereaux:
    """Read, check and type a policies file and its claims file.

    Raises BordereauError (a TrainingInputError) listing every defect of both files.
    """
    report = ValidationReport()
    bordereaux = validate_bordereaux(policies_path, claims_path, report)
    if bordereaux is None:
        raise BordereauError(report)
    return bordereaux
