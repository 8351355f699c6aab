"""The synthetic world, part 3: which named vendors each city relies on.

The ``vendors`` field is not a model feature; it feeds accumulation (one
vendor event hitting many insureds, loss-figures §4). The pool is fictional
but shaped like the market: a dozen dominant platforms (cloud, office suite,
public-safety software, ERP, an MSP tool) that many cities share, then a long
tail of local integrators. Popularity follows Zipf's law, so the leading
vendor appears on a large share of policies and later accumulation analysis
finds real concentration.
"""

from __future__ import annotations

import numpy as np

from models.spec.fields import SET_SEPARATOR

DOMINANT_VENDORS: tuple[str, ...] = (
    "Nimbus Cloud",
    "OfficeSphere 365",
    "CivicERP",
    "Beacon Public Safety",
    "GridWorks SCADA",
    "Meridian MSP Tools",
    "TollGate Payments",
    "ParkSmart",
    "Atlas GIS",
    "SignalCore Traffic",
    "AquaLogic Utility Billing",
    "Sentinel Video",
)
_PREFIXES = ("Harbor", "Summit", "Prairie", "Cascade", "Liberty", "Keystone", "Redwood",
             "Granite", "Lakeshore", "Pioneer", "Bayview", "Ironbridge", "Maple", "Crescent",
             "Riverbend", "Union")  # fmt: skip
_SUFFIXES = ("IT Services", "Networks", "Systems", "Data", "Software", "Integrators",
             "Technologies", "Solutions", "Telecom", "Security", "Consulting", "Controls",
             "Analytics", "Hosting")  # fmt: skip
VENDOR_POOL: tuple[str, ...] = DOMINANT_VENDORS + tuple(
    f"{p} {s}" for p in _PREFIXES for s in _SUFFIXES
)
#: Zipf exponent of vendor popularity: the top vendor is named by ~40% of
#: cities that name three or more vendors.
ZIPF_EXPONENT = 1.1
#: At most this many named vendors per city (the list the application asks for).
MAX_NAMED_VENDORS = 40
_CHUNK = 20_000


def sample_vendor_lists(critical_vendor_count: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``|``-joined vendor names per city, one name per critical vendor (capped).

    Names are drawn without replacement with Zipf weights (Gumbel top-k trick)
    and listed in pool order, so the same choice always prints the same way.
    """
    n = len(critical_vendor_count)
    k = np.minimum(critical_vendor_count, MAX_NAMED_VENDORS).astype(np.int64)
    log_w = -ZIPF_EXPONENT * np.log(np.arange(1, len(VENDOR_POOL) + 1))
    names = np.array(VENDOR_POOL, dtype=object)
    out = np.empty(n, dtype=object)
    for start in range(0, n, _CHUNK):  # bounded memory: chunk x pool keys at a time
        stop = min(start + _CHUNK, n)
        keys = log_w + rng.gumbel(size=(stop - start, len(VENDOR_POOL)))
        rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
        chosen = rank < k[start:stop, None]
        rows, cols = np.nonzero(chosen)  # row-major: pool order within each city
        bounds = np.searchsorted(rows, np.arange(stop - start + 1))
        picked = names[cols]
        out[start:stop] = [
            SET_SEPARATOR.join(picked[bounds[i] : bounds[i + 1]]) for i in range(stop - start)
        ]
    return out
