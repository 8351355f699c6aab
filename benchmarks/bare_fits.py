"""The fits that make the trained boosters, and nothing else: bench_train.py's bare baseline.

Imports numpy, XGBoost, threadpoolctl and the signed start's module only
(models/scoring/frequency.py, which pulls the feature spec and with it
pandas: ~0.3 s the bare program pays that a truly bare one would not).
"""

from __future__ import annotations

import numpy as np
import xgboost as xgb


def fit_all(arrays: dict, spec: dict) -> None:
    """The signed start, the seven frequency boosters and the severity booster (as the CLI)."""
    from threadpoolctl import threadpool_limits

    from models.scoring.frequency import fit_start
    from models.scoring.glm_inputs import GlmInputs

    train = (arrays["x_train"], arrays["counts_train"], arrays["exposure_train"])
    valid = (arrays["x_valid"], arrays["counts_valid"], arrays["exposure_valid"])
    inputs, _ = GlmInputs.fit_transform(train[0])
    with threadpool_limits(1, user_api="blas"):
        start = fit_start(inputs, train, valid)
    fits = []
    for k in range(train[1].shape[1]):
        dm = [
            xgb.DMatrix(x, label=y[:, k], base_margin=np.log(e) + start.log_rates(x)[:, k],
                        feature_names=spec["names"])
            for x, y, e in (train, valid)
        ]  # fmt: skip
        fits.append((spec["frequency"], *dm))
    dm = [
        xgb.DMatrix(arrays[f"severity_{part}_x"], label=arrays[f"severity_{part}_y"],
                    feature_names=spec["severity_names"])
        for part in ("train", "valid")
    ]  # fmt: skip
    fits.append((spec["severity"], *dm))
    for p, dtrain, dvalid in fits:
        xgb.train(p, dtrain, num_boost_round=spec["rounds"], evals=[(dvalid, "valid")],
                  early_stopping_rounds=spec["patience"], verbose_eval=False)  # fmt: skip
