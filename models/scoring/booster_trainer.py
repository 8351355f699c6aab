"""Where a booster is fitted: in this process, or (training/distributed) on a cluster.

``fit_frequency`` and ``fit_severity`` make every other choice themselves
(the starts, the offsets, the parameters, the claimless causes, the sigmas);
a ``BoosterTrainer`` only builds the training matrices and runs XGBoost's
fits on them (early-stopped, or for a given number of rounds), so a
distributed fit cannot drift from the single-process one in anything but the
fit itself.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import xgboost as xgb

from models.scoring.booster_params import BoosterParams


class BoosterTrainer(Protocol):
    def matrix(
        self, x: np.ndarray, label: np.ndarray, margin: np.ndarray | None, names: list[str]
    ) -> Any:
        """The training (or validation) matrix of rows ``x`` (offset ``margin``, log scale)."""
        ...

    def train(
        self, xgb_params: dict[str, object], dtrain: Any, dvalid: Any, params: BoosterParams
    ) -> tuple[xgb.Booster, int]:
        """Fit with early stopping on ``dvalid``: the booster cut at its best round, that round."""
        ...

    def train_curve(
        self, xgb_params: dict[str, object], dtrain: Any, dheld: Any, params: BoosterParams
    ) -> tuple[xgb.Booster, np.ndarray]:
        """Fit with early stopping on ``dheld``: the whole booster and its held-out metric by round."""
        ...

    def train_rounds(self, xgb_params: dict[str, object], dtrain: Any, rounds: int) -> xgb.Booster:
        """Fit exactly ``rounds`` rounds (the number chosen beforehand), no early stopping."""
        ...


class LocalTrainer:
    """XGBoost in this process."""

    def matrix(
        self, x: np.ndarray, label: np.ndarray, margin: np.ndarray | None, names: list[str]
    ) -> xgb.DMatrix:
        return xgb.DMatrix(x, label=label, base_margin=margin, feature_names=names)

    def train(
        self,
        xgb_params: dict[str, object],
        dtrain: xgb.DMatrix,
        dvalid: xgb.DMatrix,
        params: BoosterParams,
    ) -> tuple[xgb.Booster, int]:
        booster, _ = self.train_curve(xgb_params, dtrain, dvalid, params)
        return cut_at_best(booster)

    def train_curve(
        self,
        xgb_params: dict[str, object],
        dtrain: xgb.DMatrix,
        dheld: xgb.DMatrix,
        params: BoosterParams,
    ) -> tuple[xgb.Booster, np.ndarray]:
        history: dict[str, dict[str, list[float]]] = {}
        booster = xgb.train(
            xgb_params,
            dtrain,
            num_boost_round=params.max_rounds,
            evals=[(dheld, "held")],
            early_stopping_rounds=params.early_stopping_rounds,
            evals_result=history,
            verbose_eval=False,
        )
        return booster, held_curve(history, xgb_params)

    def train_rounds(
        self, xgb_params: dict[str, object], dtrain: xgb.DMatrix, rounds: int
    ) -> xgb.Booster:
        return xgb.train(xgb_params, dtrain, num_boost_round=rounds, verbose_eval=False)


def cut_at_best(booster: xgb.Booster) -> tuple[xgb.Booster, int]:
    """An early-stopped booster cut at its best round, and that round.

    Cutting makes the saved trees exactly the ones used to predict.
    """
    best = int(booster.best_iteration)
    return booster[: best + 1], best


def held_curve(history: dict[str, Any], xgb_params: dict[str, object]) -> np.ndarray:
    """The held-out metric by round from XGBoost's evaluation history (one process or dask)."""
    return np.asarray(history["held"][str(xgb_params["eval_metric"])], dtype=np.float64)


LOCAL_TRAINER = LocalTrainer()
