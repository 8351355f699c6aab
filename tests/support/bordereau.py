"""Valid bordereaux drawn from the field spec, for the bordereau and validation tests.

Every value is drawn inside its spec range or level list and the cross-field
rules are then enforced, so each row is valid by construction;
tests/training/bordereau/test_drawn.py confirms it with an independent
implementation of the same spec (the API schema).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.spec.fields import CROSS_FIELD_RULES, MODEL_FIELDS, SET_SEPARATOR

CAUSES = ("ransomware", "data_breach", "vendor_outage", "other")


def valid_policies(n: int, seed: int) -> pd.DataFrame:
    """``n`` valid policy rows with native types (sets as "|"-joined strings)."""
    rng = np.random.default_rng(seed)
    frame: dict[str, object] = {
        "policy_id": [f"P{i:06d}" for i in range(n)],
        "exposure_years": rng.uniform(0.1, 1.5, n).round(3),
    }
    for f in MODEL_FIELDS:
        if f.kind == "int":
            frame[f.name] = rng.integers(int(f.minimum or 0), int(f.maximum or 0) + 1, n)
        elif f.kind == "number":
            frame[f.name] = rng.uniform(f.minimum or 0, f.maximum or 0, n).round(2)
        elif f.kind == "bool":
            frame[f.name] = rng.random(n) < 0.5
        elif f.kind in ("ordinal", "category"):
            frame[f.name] = rng.choice(list(f.values), n)
        else:
            held = rng.random((n, len(f.values))) < 0.4
            frame[f.name] = [
                SET_SEPARATOR.join(v for v, h in zip(f.values, row, strict=True) if h)
                for row in held
            ]
    for rule in CROSS_FIELD_RULES:
        bound = np.sum([frame[b] for b in rule.bound_fields], axis=0)
        frame[rule.field] = np.minimum(frame[rule.field], bound)  # type: ignore[call-overload]
    return pd.DataFrame(frame)


def valid_claims(policies: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` valid claims on random policies of ``policies``."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "claim_id": [f"C{i:06d}" for i in range(n)],
            "policy_id": rng.choice(policies["policy_id"].to_numpy(), n),
            "loss_usd": rng.lognormal(11.0, 1.8, n).round(2),
            "cause": rng.choice(list(CAUSES), n),
        }
    )


def write(frame: pd.DataFrame, path: Path) -> Path:
    """Write as CSV or Parquet by the file's suffix."""
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path
