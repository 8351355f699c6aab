"""The fits that make the trained boosters, and nothing else: bench_train.py's bare baseline.

Imports numpy, XGBoost, threadpoolctl and the two starts' modules only
(models/scoring/frequency.py and severity.py, which pull the feature spec and with it
pandas: ~0.3 s the bare program pays that a truly bare one would not).
"""

from __future__ import annotations

import numpy as np
import xgboost as xgb


def fit_all(arrays: dict, spec: dict) -> None:
    """The signed starts, the seven frequency boosters and the severity's (as the CLI)."""
    from threadpoolctl import threadpool_limits

    from models.scoring.frequency import fit_start
    from models.scoring.glm_inputs import GlmInputs

    train = (arrays["x_train"], arrays["counts_train"], arrays["exposure_train"])
    valid = (arrays["x_valid"], arrays["counts_valid"], arrays["exposure_valid"])
    inputs, _ = GlmInputs.fit_transform(train[0])
    with threadpool_limits(1, user_api="blas"):
        start = fit_start(inputs, train, spec["seed"])
    fits = []
    for k in range(train[1].shape[1]):
        dm = [
            xgb.DMatrix(x, label=y[:, k], base_margin=np.log(e) + start.log_rates(x)[:, k],
                        feature_names=spec["names"])
            for x, y, e in (train, valid)
        ]  # fmt: skip
        fits.append((spec["frequency"], *dm))
    for p, dtrain, dvalid in fits:
        xgb.train(p, dtrain, num_boost_round=spec["rounds"], evals=[(dvalid, "valid")],
                  early_stopping_rounds=spec["patience"], verbose_eval=False)  # fmt: skip
    _fit_severity(arrays, spec)


def _fit_severity(arrays: dict, spec: dict) -> None:
    """models/scoring/severity.fit_severity's boosters: start, fold curves, the chosen rounds."""
    from models.scoring.severity import SIGMA_FOLDS, fit_start

    rows, y = arrays["severity_train_x"], arrays["severity_train_y"]
    claims = {
        part: (arrays[f"severity_{part}_x"][:, : -spec["causes"]],
               np.exp(arrays[f"severity_{part}_y"]),
               np.argmax(arrays[f"severity_{part}_x"][:, -spec["causes"]:], axis=1))
        for part in ("train", "valid")
    }  # fmt: skip
    start = fit_start(claims["train"], claims["valid"])
    margin = start.claim_mu(claims["train"][0], claims["train"][2])
    fold = np.empty(len(y), dtype=np.int64)
    fold[np.random.default_rng(spec["seed"]).permutation(len(y))] = np.arange(len(y)) % SIGMA_FOLDS
    curves = []
    for k in range(SIGMA_FOLDS):
        fit, held = fold != k, fold == k
        dfit, dheld = (
            xgb.DMatrix(rows[m], label=y[m], base_margin=margin[m],
                        feature_names=spec["severity_names"])
            for m in (fit, held)
        )  # fmt: skip
        history: dict = {}
        xgb.train(spec["severity"], dfit, num_boost_round=spec["rounds"], evals=[(dheld, "held")],
                  early_stopping_rounds=spec["patience"], evals_result=history,
                  verbose_eval=False)  # fmt: skip
        curves.append(np.asarray(history["held"]["rmse"]) ** 2 * held.sum())
    shortest = min(len(c) for c in curves)
    rounds = int(np.argmin(sum(c[:shortest] for c in curves))) + 1
    dtrain = xgb.DMatrix(rows, label=y, base_margin=margin, feature_names=spec["severity_names"])
    xgb.train(spec["severity"], dtrain, num_boost_round=rounds, verbose_eval=False)
