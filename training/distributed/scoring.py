"""``score --dask``: each worker reads, checks and scores its partitions of the policies file.

What runs where:

- the client opens the file lazily (training/distributed/partitions.py), names
  the bundle (directory and version, resolved to the active one here) and
  merges what the workers return;
- each worker loads the bundle once (``_worker_bundle``: a per-process cache
  keyed by the bundle's directory, version and the model code's scoring
  function, so the booster files are read once per worker, not once per
  partition), checks a partition with the single-process rules, scores it
  with ``models.scoring.batch.score_policies`` (the `score` verb's own
  arithmetic, so the scores are those of one process) and writes it as
  ``part-NNNNN`` into a temporary folder beside ``--out``, and returns its
  ids cut into hash buckets, which one task per bucket checks for ids
  repeated across partitions (training/distributed/repeated_ids.py);
- the client then streams the parts, in file order, into one output file
  (``.csv``: parts appended, one header; ``.parquet``: one row group per
  part) under a temporary name and renames it: the same table, rows and
  columns as ``score`` without ``--dask``. On any defect, failure or timeout
  the parts are removed and ``--out`` is left as it was.

Workers and the client must see the same filesystem (the policies file, the
models directory and the folder of ``--out``).
"""

from __future__ import annotations

import functools
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from models.scoring.batch import score_policies
from models.tables.defects import ValidationReport
from models.versions.bundle import BundleError, ModelBundle
from models.versions.registry import Registry
from training.distributed.cluster import COLLECTIVE_TIMEOUT_S, dask_client
from training.distributed.partitions import check_partition, raise_if_defects, read_partitioned
from training.distributed.repeated_ids import (
    checked_partitions,
    file_report,
    id_buckets,
    partition_ids,
)
from training.errors import TrainingInputError


@dataclass(frozen=True)
class BundleRef:
    """Where a worker finds the bundle: an absolute models directory and a version name."""

    models_dir: str
    version: str


@dataclass(frozen=True)
class PartResult:
    """What one partition's task returns: its rows and its report (rows within the partition)."""

    rows: int
    report: ValidationReport


@functools.lru_cache(maxsize=4)
def _worker_bundle(ref: BundleRef) -> ModelBundle:
    """The bundle, loaded (and hash-verified) once per worker process.

    XGBoost gets the worker's own thread count: its default (every core)
    would oversubscribe a machine that runs several workers.
    """
    from distributed import get_worker

    return Registry(ref.models_dir).load(ref.version, nthread=get_worker().state.nthreads)


def part_path(parts_dir: Path, index: int, suffix: str) -> Path:
    return parts_dir / f"part-{index:05d}{suffix}"


def score_partition(
    part: pd.DataFrame,
    index: int,
    source: str,
    ref: BundleRef,
    parts_dir: str,
    suffix: str,
    buckets: int,
) -> tuple[PartResult, tuple[pd.DataFrame, ...]]:
    """Check and score one partition on a worker, write its part file (none on defects).

    Returns its result and its ids in ``buckets`` hash buckets, for the check
    across partitions.
    """
    ids = id_buckets(partition_ids(part), buckets)
    policies, report = check_partition(part, source)
    if policies is None or not report.ok:
        return PartResult(len(part), report), ids
    scores = score_policies(_worker_bundle(ref), policies)
    target = part_path(Path(parts_dir), index, suffix)
    if suffix == ".csv":
        options = pa_csv.WriteOptions(include_header=index == 0)
        pa_csv.write_csv(pa.Table.from_pandas(scores, preserve_index=False), target, options)
    else:
        scores.to_parquet(target, index=False)
    return PartResult(len(part), report), ids


def join_parts(parts_dir: Path, count: int, out: Path) -> None:
    """The part files, in order, as one file at ``out`` (temporary name, then renamed)."""
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        if out.suffix.lower() == ".csv":
            with tmp.open("wb") as sink:
                for index in range(count):
                    with part_path(parts_dir, index, ".csv").open("rb") as source:
                        shutil.copyfileobj(source, sink, 1 << 24)
        else:
            writer: pq.ParquetWriter | None = None
            for index in range(count):
                table = pq.read_table(part_path(parts_dir, index, ".parquet"))
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
            if writer is not None:
                writer.close()
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def score_on_cluster(
    address: str,
    policies_path: str,
    out: Path,
    models_dir: str | None,
    version: str | None,
    timeout_s: float = COLLECTIVE_TIMEOUT_S,
) -> tuple[int, str]:
    """Score ``policies_path`` into ``out`` on the cluster; (rows scored, bundle version)."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise TrainingInputError(f"--out {out}: name the output .csv or .parquet")
    registry = Registry(models_dir)
    try:  # a missing or broken bundle fails here, once, before any worker starts
        bundle_version = registry.load(version).version
    except BundleError as exc:
        raise TrainingInputError(str(exc)) from exc
    ref = BundleRef(str(registry.root.resolve()), bundle_version)
    frame = read_partitioned(policies_path)
    parts_dir = out.parent / f".{out.name}.parts-{uuid.uuid4().hex[:12]}"
    parts_dir.mkdir()  # no parents: a missing folder of --out is an error, as without --dask
    try:
        with dask_client(address) as client:
            results, found, buckets = checked_partitions(
                client, address, frame.to_delayed(), score_partition,
                (str(policies_path), ref, str(parts_dir), suffix), timeout_s,
            )  # fmt: skip
        lengths = [r.rows for r in results]
        reports = [r.report for r in results]
        report = file_report(reports, lengths, found, buckets, str(policies_path))
        raise_if_defects(report)
        join_parts(parts_dir, len(results), out)
    finally:
        shutil.rmtree(parts_dir, ignore_errors=True)
    return sum(r.rows for r in results), bundle_version
