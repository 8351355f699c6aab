"""Opening a CSV or Parquet file as a :class:`~models.tables.sheet.Sheet`, or saying why not.

Rows are numbered from 1 over data rows (the header is not a row); in a CSV
with one line per record, row N is line N + 1 and defects say so. Where a
CSV has blank lines (skipped) or quoted values spanning lines, only the row
is given. An unreadable file is a defect of the report, never an exception.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from models.tables.defects import Defect, ValidationReport
from models.tables.sheet import Sheet

_PARQUET_MAGIC = b"PAR1"
_CSV_SUFFIXES = (".csv", ".csv.gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_FORMAT_NAMES = {"csv": "CSV (UTF-8)", "parquet": "Parquet"}


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
