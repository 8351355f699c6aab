"""How many cities of the shipped model's training portfolio name each vendor.

The self-assessment tells a city how many cities of the reference portfolio
share each of its vendors (models/underwriting/vendor_risk.py). The bundle's
reference sample holds model fields only, so the counts are taken here, from
the synthetic world the default bundle is trained on (training/default_model.py:
``DEFAULT_POLICIES`` cities, ``DEFAULT_SEED``), and written to
models/underwriting/reference_vendors.json. The vendor lists depend only on
the cities' answers and the world's vendor stream (portfolio.generate_portfolio's
streams 0 and 2), so this draws those two and nothing else (2.5 s for 100,000
cities, against a full portfolio with claims):

    python -m training.world.vendor_shares > models/underwriting/reference_vendors.json

tests/models/underwriting/test_assessment_vendors.py checks the file against
this function.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

import numpy as np

from models.spec.fields import SET_SEPARATOR
from training.default_model import DEFAULT_POLICIES, DEFAULT_SEED
from training.world.exposure import sample_cities
from training.world.vendors import sample_vendor_lists


def vendor_shares(policies: int = DEFAULT_POLICIES, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """{"portfolio", "cities", "vendors": {name: cities naming it}}, most named first."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    cities = sample_cities(policies, streams[0])
    lists = sample_vendor_lists(cities["critical_vendor_count"].to_numpy(), streams[2])
    counts = Counter(
        name for cell in lists for name in set(filter(None, cell.split(SET_SEPARATOR)))
    )
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {
        "portfolio": f"python -m training synth --policies {policies} --seed {seed} "
        "(the shipped bundle's training portfolio)",
        "cities": policies,
        "vendors": dict(ranked),
    }


def main() -> int:
    json.dump(vendor_shares(), sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
