"""Policy ids repeated across partitions of ``score --dask``, found on the cluster by hash bucket.

Each partition's check (training/distributed/partitions.py) sees only its own
rows, so an id in two partitions passes both. The scoring task therefore also
returns its partition's ids cut into ``buckets`` by a stable hash of the id;
one task per bucket then reads that bucket of every partition and returns
only the repeats. No process holds every id (a bucket task holds about
1/``buckets`` of them) and the client receives only the defects.

The defects are those one process gives: every occurrence after an id's
first, each "first in row N" with N the id's first row in the file. The
partitions' own duplicate checks are dropped from their reports
(``without_partition_repeats``): they name the first row within the
partition, not within the file, and this pass finds their repeats too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models.tables.defects import Defect, ValidationReport
from models.tables.sheet import shown_value, text_cells
from training.distributed.cluster import gather_all
from training.distributed.partitions import merge_reports

if TYPE_CHECKING:
    from distributed import Client

#: At most this many bucket tasks: each holds ~1/32 of the ids, and the graph
#: gains partitions x buckets small selection tasks (5,000 for a 40 GiB file).
MAX_BUCKETS = 32


def bucket_count(partitions: int) -> int:
    """Buckets for a file of ``partitions`` partitions (0: one partition checks itself)."""
    return 0 if partitions < 2 else min(partitions, MAX_BUCKETS)


def partition_ids(part: pd.DataFrame) -> pd.Series | None:
    """A raw partition's policy ids as the check reads them (stripped); None without the column.

    The partition's check reports a missing column.
    """
    for column in part.columns:
        if str(column).strip() == "policy_id":
            return text_cells(part[column]).reset_index(drop=True)
    return None


def id_buckets(ids: pd.Series | None, buckets: int) -> tuple[pd.DataFrame, ...]:
    """A partition's non-empty ids with their 0-based rows, cut into ``buckets`` by hash."""
    if buckets == 0:
        return ()
    if ids is None:
        ids = pd.Series([], dtype=object)
    frame = pd.DataFrame({"policy_id": ids.to_numpy(dtype=object), "row": np.arange(len(ids))})
    frame = frame[frame["policy_id"] != ""]
    # pandas' hash of the string itself: the same id lands in the same bucket on every worker
    key = pd.util.hash_pandas_object(frame["policy_id"], index=False).to_numpy() % buckets
    return tuple(frame[key == b].reset_index(drop=True) for b in range(buckets))


@dataclass(frozen=True)
class Repeat:
    """An occurrence of an id after its first in the file, and that first occurrence."""

    policy_id: str
    partition: int
    row: int  # 0-based, within ``partition``
    first_partition: int
    first_row: int


def bucket_repeats(*parts: pd.DataFrame) -> list[Repeat]:
    """Every repeat of the ids of one bucket (``parts[p]``: the bucket of partition p)."""
    frame = pd.concat([p.assign(partition=i) for i, p in enumerate(parts)], ignore_index=True)
    # partitions in file order, rows ascending inside each: "first" is first in the file
    later = frame[frame.duplicated("policy_id", keep="first")]
    origin = frame.drop_duplicates("policy_id")
    pairs = later.merge(origin, on="policy_id", suffixes=("", "_first"))
    numbers = pairs[["partition", "row", "partition_first", "row_first"]].to_numpy(np.int64)
    return [
        Repeat(str(i), *(int(n) for n in row))
        for i, row in zip(pairs["policy_id"], numbers, strict=True)
    ]


def add_repeats(
    report: ValidationReport, repeats: list[Repeat], lengths: list[int], source: str
) -> None:
    """The repeats as ``policy_id`` defects of the whole file (1-based rows), like one process's."""
    if not repeats:
        return
    offsets = np.concatenate([[0], np.cumsum(lengths)])

    def file_row(partition: int, row: int) -> int:
        return int(offsets[partition]) + row + 1

    found = sorted(repeats, key=lambda r: file_row(r.partition, r.row))
    examples = [
        Defect(
            source,
            file_row(r.partition, r.row),
            "policy_id",
            f"{shown_value(r.policy_id)} (first in row {file_row(r.first_partition, r.first_row)})",
            "must be unique",
            "duplicate_id",
        )
        for r in found[: report.max_examples]
    ]
    report.add_group(source, "policy_id", "must be unique", "duplicate_id", len(found), examples)


def without_partition_repeats(report: ValidationReport) -> ValidationReport:
    """A partition's report without its own ``policy_id`` duplicates (found again above)."""
    kept = [g for g in report.groups if (g.column, g.kind) != ("policy_id", "duplicate_id")]
    return dataclasses.replace(report, groups=kept)


def checked_partitions(
    client: Client,
    address: str,
    pieces: list[Any],
    task: Callable[..., tuple[Any, tuple[pd.DataFrame, ...]]],
    args: tuple[Any, ...],
    timeout_s: float,
) -> tuple[list[Any], list[Repeat], int]:
    """``task(piece, index, *args, buckets)`` on every partition, and the repeat check over them.

    ``task`` returns (its result, its ids in ``buckets`` hash buckets); the
    buckets stay on the workers. Returns the results in file order, every
    repeat found across the file, and the bucket count (0 for one partition).
    """
    import dask

    buckets = bucket_count(len(pieces))
    done = [
        dask.delayed(task, pure=False, nout=2)(piece, i, *args, buckets)
        for i, piece in enumerate(pieces)
    ]
    repeats = [  # bucket b of every partition, checked together
        dask.delayed(bucket_repeats, pure=False)(*[ids[b] for _, ids in done])
        for b in range(buckets)
    ]
    out = gather_all(client, client.compute([r for r, _ in done] + repeats), address, timeout_s)
    found = [r for bucket in out[len(pieces) :] for r in bucket]
    return out[: len(pieces)], found, buckets


def file_report(
    reports: list[ValidationReport],
    lengths: list[int],
    repeats: list[Repeat],
    buckets: int,
    source: str,
) -> ValidationReport:
    """One report of the whole file: the partitions' reports merged, the repeats added."""
    own = [without_partition_repeats(r) if buckets else r for r in reports]
    report = merge_reports(own, lengths)
    add_repeats(report, repeats, lengths, source)
    return report
