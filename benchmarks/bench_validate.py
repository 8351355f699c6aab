"""How fast bordereau validation is, against a bare ``pandas.read_csv`` of the same file.

    python benchmarks/bench_validate.py [--policies 1000000] [--seed 0] [--dir DIR]

Builds a valid policies CSV (a small frame drawn from the field spec, tiled and
perturbed with a seeded rng) and a claims CSV (5% of policies), then runs, each
in a fresh process so that peak RSS (resident memory) is its own:
validation of the pair, ``pandas.read_csv`` with its defaults, and the pyarrow
engine read. Prints seconds, rows/s, peak RSS and the ratios, first at a
quarter of the size and then at the full size, to show linear growth.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]

from models.spec.fields import CROSS_FIELD_RULES, MODEL_FIELDS, SET_SEPARATOR  # noqa: E402

SEED_ROWS = 2_000  # distinct drawn rows; the rest repeat them with perturbed numbers
CLAIM_SHARE = 0.05


def _seed_frame(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``n`` valid exposures, each value drawn inside its spec range or levels."""
    columns: dict[str, np.ndarray] = {}
    for f in MODEL_FIELDS:
        if f.kind == "int":
            columns[f.name] = rng.integers(int(f.minimum or 0), int(f.maximum or 0) + 1, n)
        elif f.kind == "number":
            columns[f.name] = rng.uniform(f.minimum or 0, f.maximum or 0, n).round(2)
        elif f.kind == "bool":
            columns[f.name] = np.where(rng.random(n) < 0.5, "true", "false")
        elif f.kind in ("ordinal", "category"):
            columns[f.name] = rng.choice(np.array(f.values), n)
        else:
            held = rng.random((n, len(f.values))) < 0.4
            columns[f.name] = np.array(
                [
                    SET_SEPARATOR.join(v for v, h in zip(f.values, row, strict=True) if h)
                    for row in held
                ]
            )
    return columns


def build_portfolio(n: int, seed: int, directory: Path) -> tuple[Path, Path]:
    """Write ``n`` valid policies and 5% as many claims as CSV; return both paths."""
    rng = np.random.default_rng(seed)
    seed_rows = _seed_frame(min(n, SEED_ROWS), rng)
    pick = rng.integers(0, len(seed_rows["population"]), n)
    columns: dict[str, object] = {
        "policy_id": pa.array([f"P{i:08d}" for i in range(n)]),
        "exposure_years": rng.uniform(0.05, 1.5, n).round(4),
    }
    for f in MODEL_FIELDS:
        values = seed_rows[f.name][pick]
        if f.kind in ("int", "number"):  # perturb by up to +-10%, clipped to the range
            jitter = values * rng.uniform(0.9, 1.1, n)
            values = np.clip(jitter, f.minimum, f.maximum)
            values = values.round() if f.kind == "int" else values.round(2)
            values = values.astype(np.int64) if f.kind == "int" else values
        columns[f.name] = values
    for rule in CROSS_FIELD_RULES:
        bound = np.sum([columns[b] for b in rule.bound_fields], axis=0)
        columns[rule.field] = np.minimum(columns[rule.field], bound)
    policies = directory / "policies.csv"
    pacsv.write_csv(pa.table(columns), policies)
    m = int(n * CLAIM_SHARE)
    claims = directory / "claims.csv"
    claim_table = {
        "claim_id": pa.array([f"C{i:08d}" for i in range(m)]),
        "policy_id": pa.array([f"P{i:08d}" for i in rng.integers(0, n, m)]),
        "loss_usd": rng.lognormal(11.5, 1.9, m).round(2),
        "cause": rng.choice(np.array(["ransomware", "data_breach", "other"]), m),
    }
    pacsv.write_csv(pa.table(claim_table), claims)
    return policies, claims


def _child(task: str, policies: str, claims: str) -> None:
    """Run one measured task in this (fresh) process and print its figures as JSON."""
    start = time.perf_counter()
    if task == "validate":
        from models.tables.defects import ValidationReport
        from training.bordereau.reader import validate_bordereaux

        report = ValidationReport()
        validate_bordereaux(policies, claims, report)
        if not report.ok:
            raise SystemExit(report.format())
    elif task == "read_csv":
        pd.read_csv(policies)
        pd.read_csv(claims)
    else:
        pd.read_csv(policies, engine="pyarrow")
        pd.read_csv(claims, engine="pyarrow")
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_rss_mib": _peak_rss_mib()}))


def _peak_rss_mib() -> float:
    """This process's peak resident memory (MiB).

    VmHWM rather than getrusage's ru_maxrss, which on Linux keeps the parent's
    peak across fork and exec.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _measure(task: str, policies: Path, claims: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", task, str(policies), str(claims)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def run(n: int, seed: int, directory: Path) -> None:
    start = time.perf_counter()
    policies, claims = build_portfolio(n, seed, directory)
    size_mib = (policies.stat().st_size + claims.stat().st_size) / 2**20
    print(
        f"{n:,} policies + {int(n * CLAIM_SHARE):,} claims: {size_mib:,.0f} MiB of CSV "
        f"written in {time.perf_counter() - start:.1f} s"
    )
    results = {
        task: _measure(task, policies, claims) for task in ("validate", "read_csv", "pyarrow")
    }
    for task, r in results.items():
        print(
            f"  {task:<9} {r['seconds']:7.2f} s  {n / r['seconds']:>12,.0f} policies/s  "
            f"peak RSS {r['peak_rss_mib']:,.0f} MiB"
        )
    v = results["validate"]
    for base in ("read_csv", "pyarrow"):
        b = results[base]
        print(
            f"  validate / {base}: time x{v['seconds'] / b['seconds']:.2f}, "
            f"peak RSS x{v['peak_rss_mib'] / b['peak_rss_mib']:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path, help="where to write the CSVs (default: a temp dir)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    for n in (args.policies // 4, args.policies):  # a quarter first: is growth linear?
        if args.dir:
            args.dir.mkdir(parents=True, exist_ok=True)
            run(n, args.seed, args.dir)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                run(n, args.seed, Path(tmp))


if __name__ == "__main__":
    main()
