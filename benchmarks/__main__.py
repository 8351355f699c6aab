"""``python -m benchmarks [NAME ...]``: run the benchmarks one after another.

Each benchmark also runs on its own (``python -m benchmarks.bench_NAME --help``,
from the repository root) with options for sizes and durations. They import
the installed project (``make venv``) and, for a few, the test helpers of
tests/support/. They run one at a time so that none competes with another
for the two cores.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = ("synth", "validate", "pricing", "train", "score", "service", "assess", "quality")


def main(argv: list[str]) -> int:
    names = argv or list(ORDER)
    unknown = sorted(set(names) - set(ORDER))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {list(ORDER)}", file=sys.stderr)
        return 2
    status = 0
    for name in names:
        print(f"\n=== bench_{name} ===", flush=True)
        command = [sys.executable, "-m", f"benchmarks.bench_{name}"]
        done = subprocess.run(command, cwd=ROOT, check=False)
        status = status or done.returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
