"""Time ``python -m training synth`` for 100,000 policies (budget: < 30 s).

    .venv/bin/python benchmarks/bench_synth.py [--policies N] [--seed S]

Runs the real command line into a temporary directory and prints the wall
time, the budget ratio and the file sizes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "training", "synth", "--policies", str(args.policies),
               "--seed", str(args.seed), "--out", tmp]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(cmd, cwd=root, check=True, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
        sizes = {p.name: p.stat().st_size / 1e6 for p in sorted(Path(tmp).iterdir())}
    print(f"synth {args.policies:,} policies: {elapsed:.1f} s "
          f"({elapsed / BUDGET_S:.0%} of the {BUDGET_S:.0f} s budget)")  # fmt: skip
    for name, mb in sizes.items():
        print(f"  {name}: {mb:.1f} MB")
    return 0 if elapsed < BUDGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
