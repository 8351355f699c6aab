"""A policies file read by the workers, partition by partition, and checked partition-wise.

``dask.dataframe.read_csv`` (cells as strings, nothing guessed, as
models/tables/opening.py reads them) or ``read_parquet`` splits the file in
blocks of ``BLOCKSIZE`` bytes (CSV) or row groups (Parquet); each partition is
checked by the single-process rules (training/bordereau/rules.py) on a worker.
A defect names the file, the row within the file (the partition's first row
plus its row in the partition) and the column; a CSV line is not given, since
no worker reads the whole file to know whether records span lines.

A policy id repeated inside a partition is reported by its check; one
repeated across partitions by training/distributed/repeated_ids.py.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from models.tables.defects import Defect, DefectGroup, ValidationReport
from models.tables.sheet import Sheet
from training.bordereau.reader import BordereauError
from training.bordereau.rules import check_policies

if TYPE_CHECKING:
    import dask.dataframe as dd

#: Bytes of CSV per partition: about 58,000 policies of the synthetic portfolio. Small
#: enough that a file spreads evenly over the workers (a 277 MiB file in 64 MiB blocks
#: is 5 tasks: 3 on one of 2 workers, 2 on the other), large enough for seconds a task.
BLOCKSIZE = 16 * 2**20


def read_partitioned(path: str | Path, blocksize: int | None = None) -> dd.DataFrame:
    """The file as a lazy dask frame; the file-level defects (missing, unreadable) raised.

    ``blocksize``: CSV bytes per partition (default: ``BLOCKSIZE``, read at call time).
    """
    import dask.dataframe as dd

    path = Path(path)
    report = ValidationReport()
    name = str(path)
    if not path.is_file() or path.stat().st_size == 0:
        rule = "no such file" if not path.exists() else "not a file or empty"
        report.add(Defect(name, None, None, "", rule, "missing_file"))
        raise BordereauError(report)
    lower = path.name.lower()
    try:
        if lower.endswith((".parquet", ".pq")):
            return dd.read_parquet(str(path), split_row_groups=True)
        if lower.endswith(".csv"):
            # pyarrow's parser, as models/tables/opening.py: 4x pandas' C parser on
            # string cells (300,000 rows: 1.1 s against 4.3 s, one process)
            return dd.read_csv(
                str(path),
                dtype=str,
                keep_default_na=False,
                engine="pyarrow",
                blocksize=blocksize or BLOCKSIZE,
            )
    except Exception as exc:  # any reader failure is a defect of the file, never a traceback
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        report.add(Defect(name, None, None, "", f"cannot be read: {message}", "unreadable_file"))
        raise BordereauError(report) from exc
    report.add(
        Defect(name, None, None, "", "with --dask, name it .csv or .parquet", "unsupported_format")
    )
    raise BordereauError(report)


def check_partition(
    part: pd.DataFrame, source: str
) -> tuple[pd.DataFrame | None, ValidationReport]:
    """The typed policies of one partition (None if it has defects) and its own report.

    Rows in the report count from 1 within the partition; ``merge_reports`` shifts them.
    """
    frame = part.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    report = ValidationReport()
    policies = check_policies(Sheet(source, frame, report, None))[0]
    return policies, report


def merge_reports(reports: list[ValidationReport], lengths: list[int]) -> ValidationReport:
    """One report of the whole file: rows shifted by each partition's first row.

    A defect of the whole file or a column (no row) is found by every
    partition; it is kept and counted once.
    """
    merged = ValidationReport()
    seen_whole: set[tuple[str | None, str]] = set()
    offset = 0
    for report, length in zip(reports, lengths, strict=True):
        for warning in report.warnings:
            if warning not in merged.warnings:
                merged.warnings.append(warning)
        for group in report.groups:
            _merge_group(merged, group, offset, seen_whole)
        offset += length
    return merged


def _merge_group(
    merged: ValidationReport,
    group: DefectGroup,
    offset: int,
    seen_whole: set[tuple[str | None, str]],
) -> None:
    if all(d.row is None for d in group.examples):
        if (group.column, group.rule) in seen_whole:
            return
        seen_whole.add((group.column, group.rule))
    shifted = [
        d if d.row is None else dataclasses.replace(d, row=d.row + offset) for d in group.examples
    ]
    merged.add_group(group.file, group.column, group.rule, group.kind, group.count, shifted)


def raise_if_defects(report: ValidationReport) -> None:
    """BordereauError listing every defect of the merged report; else nothing."""
    if not report.ok:
        raise BordereauError(report)
