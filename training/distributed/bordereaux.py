"""``train --dask``: the policies bordereau read and checked partition by partition on the workers.

The workers read and check the policies file as ``score --dask`` does
(training/distributed/partitions.py), and ids repeated across partitions
are found by hash bucket (training/distributed/repeated_ids.py). The typed
partitions are then collected on the client, which needs every policy for
the split, the log-linear starts, the tails and the evaluation. The claims
file (one row per claim, a few percent of the policies' rows) is checked on
the client against the policy ids the workers read, by the single-process
rules. The same defects as one process, named by file, row and column (no
CSV line of the policies file); the typed policies equal one process's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from models.tables.defects import ValidationReport
from models.tables.opening import open_sheet
from training.bordereau.reader import BordereauError, Bordereaux, summarise
from training.bordereau.rules import check_claims
from training.distributed.partitions import check_partition, read_partitioned
from training.distributed.repeated_ids import (
    checked_partitions,
    file_report,
    id_buckets,
    partition_ids,
)

if TYPE_CHECKING:
    from distributed import Client


@dataclass(frozen=True)
class CheckedPart:
    """One partition's rows, report (rows within it), typed policies (None on defects) and ids."""

    rows: int
    report: ValidationReport
    policies: pd.DataFrame | None
    ids: pd.Series | None  # None without a policy_id column (the claims are then not matched)


def check_policy_partition(
    part: pd.DataFrame, index: int, source: str, buckets: int
) -> tuple[CheckedPart, tuple[pd.DataFrame, ...]]:
    """Check one partition on a worker: its result, and its ids in hash buckets."""
    ids = partition_ids(part)
    policies, report = check_partition(part, source)
    return CheckedPart(len(part), report, policies, ids), id_buckets(ids, buckets)


def load_on_cluster(
    client: Client, address: str, policies_path: str | Path, claims_path: str | Path,
    timeout_s: float,
) -> Bordereaux:  # fmt: skip
    """The typed bordereaux, or BordereauError listing every defect of both files."""
    source = str(policies_path)
    report = ValidationReport()
    parts: list[CheckedPart] = []
    try:
        pieces = read_partitioned(policies_path).to_delayed()
    except BordereauError as exc:  # missing or unreadable: the claims are still checked
        report = exc.report
    else:
        parts, found, buckets = checked_partitions(
            client, address, pieces, check_policy_partition, (source,), timeout_s
        )
        lengths = [p.rows for p in parts]
        report = file_report([p.report for p in parts], lengths, found, buckets, source)
    # as one process: without the policies' ids, the claims are checked on their own
    ids = None
    if parts and all(p.ids is not None for p in parts):
        ids = pd.concat([p.ids for p in parts], ignore_index=True)
    claim_sheet = open_sheet(claims_path, report)
    claims = check_claims(claim_sheet, ids) if claim_sheet is not None else None
    if not report.ok or claims is None or not parts or any(p.policies is None for p in parts):
        raise BordereauError(report)
    policies = pd.concat([p.policies for p in parts], ignore_index=True)
    report.summary = summarise(policies, claims)
    return Bordereaux(policies, claims, report)
