"""``train --dask``: the boosters fitted with ``xgboost.dask`` on the cluster, the rest on the client.

What runs where: the workers read and check the policies file partition by
partition (training/distributed/bordereaux.py) and the client collects the
typed policies; the client checks the claims, splits (seeded), fits each
cause's signed log-linear start, the tails, the balance and the GLM
baseline, and evaluates, exactly as one process does (those are small: one
row per policy and 70 columns, or one per claim). The XGBoost fits, the
bulk of the time, run on the workers: each cause's
``count:poisson`` booster (the exposure offset plus the start as
``base_margin`` of a ``DaskDMatrix``, the spec's monotone constraints, early
stopping on the validation policies) and the severity booster.

Same seed, same worker count, same bundle: the rows are cut into one
partition per worker in row order and each partition is placed on the
worker of its rank in the sorted worker list, so the quantile sketch and the
histogram sums see the same data in the same places every run. Against one
process the boosters differ slightly (XGBoost merges per-worker sketches);
the README states the tolerance and tests/training/distributed holds it.

``frequency`` and ``severity`` are models/scoring's ``fit_frequency`` and
``fit_severity`` with this class as their ``BoosterTrainer``
(models/scoring/booster_trainer.py): only the matrices (a DaskDMatrix) and
the fit (``xgboost.dask.train``) differ from one process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xgboost as xgb

from models.scoring.booster_params import BoosterParams
from models.scoring.booster_trainer import cut_at_best, held_curve
from models.scoring.frequency import FrequencyModel, Policies, fit_frequency
from models.scoring.severity import SeverityModel, fit_severity
from training.bordereau.reader import Bordereaux
from training.distributed.bordereaux import load_on_cluster
from training.distributed.cluster import COLLECTIVE_TIMEOUT_S, cluster_failure, parse_address
from training.fitting.boosters import Claims

if TYPE_CHECKING:
    from distributed import Client


@dataclass(frozen=True)
class DaskBoosterFits:
    """Fits the boosters of ``fit_models`` on a cluster (``address`` names it in errors)."""

    client: Client
    address: str
    timeout_s: float = COLLECTIVE_TIMEOUT_S

    def _placed(self, *columns: np.ndarray) -> list[Any]:
        """Each array as a dask array of one row-ordered partition per worker, pinned by rank."""
        import dask.array as da

        workers = sorted(self.client.scheduler_info()["workers"])
        bounds = np.linspace(0, len(columns[0]), len(workers) + 1).astype(int)
        placed = []
        for column in columns:
            pieces = []
            for rank, worker in enumerate(workers):
                piece = np.ascontiguousarray(column[bounds[rank] : bounds[rank + 1]])
                future = self.client.scatter(piece, workers=[worker], hash=False)
                pieces.append(da.from_delayed(future, shape=piece.shape, dtype=piece.dtype))
            placed.append(da.concatenate(pieces, axis=0))
        return placed

    def matrix(
        self, x: np.ndarray, label: np.ndarray, margin: np.ndarray | None, names: list[str]
    ) -> Any:
        import xgboost.dask as dxgb

        try:  # placing the rows: a worker that left fails the run, naming the scheduler
            if margin is None:
                data, y = self._placed(x, label)
                return dxgb.DaskDMatrix(self.client, data, y, feature_names=names)
            data, y, m = self._placed(x, label, margin)
            return dxgb.DaskDMatrix(self.client, data, y, base_margin=m, feature_names=names)
        except Exception as exc:
            raise cluster_failure(parse_address(self.address), exc) from exc

    def train(
        self, xgb_params: dict[str, object], dtrain: Any, dvalid: Any, params: BoosterParams
    ) -> tuple[xgb.Booster, int]:
        """The early-stopped fit on the cluster: the booster cut at its best round."""
        booster, _ = self.train_curve(xgb_params, dtrain, dvalid, params)
        return cut_at_best(booster)

    def train_curve(
        self, xgb_params: dict[str, object], dtrain: Any, dheld: Any, params: BoosterParams
    ) -> tuple[xgb.Booster, np.ndarray]:
        """The early-stopped fit on the cluster, uncut, and its held-out metric by round."""
        out = self._train(
            xgb_params, dtrain, params.max_rounds,
            evals=[(dheld, "held")], early_stopping_rounds=params.early_stopping_rounds,
        )  # fmt: skip
        return out["booster"], held_curve(out["history"], xgb_params)

    def train_rounds(self, xgb_params: dict[str, object], dtrain: Any, rounds: int) -> xgb.Booster:
        """Exactly ``rounds`` rounds on the cluster."""
        return self._train(xgb_params, dtrain, rounds)["booster"]

    def _train(
        self, xgb_params: dict[str, object], dtrain: Any, rounds: int, **fit: Any
    ) -> dict[str, Any]:
        import xgboost.dask as dxgb
        from xgboost.collective import Config

        spread = dict(xgb_params)
        spread.pop("nthread")  # each worker uses its own threads
        try:
            return dxgb.train(
                self.client, spread, dtrain, num_boost_round=rounds, verbose_eval=False,
                coll_cfg=Config(timeout=int(self.timeout_s)), **fit,
            )  # fmt: skip
        except Exception as exc:  # a dead worker, a timeout: the run fails, naming the scheduler
            raise cluster_failure(parse_address(self.address), exc) from exc

    def bordereaux(self, policies_path: str | Path, claims_path: str | Path) -> Bordereaux:
        """The bordereaux checked partition-wise on the workers (training/distributed/bordereaux.py)."""
        return load_on_cluster(
            self.client, self.address, policies_path, claims_path, self.timeout_s
        )

    def frequency(
        self, train: Policies, valid: Policies, params: BoosterParams, seed: int
    ) -> FrequencyModel:
        """``fit_frequency`` with its boosters fitted on the cluster."""
        return fit_frequency(train, valid, params, seed, trainer=self)

    def severity(
        self, train: Claims, valid: Claims, params: BoosterParams, seed: int
    ) -> SeverityModel:
        """``fit_severity`` with its booster fitted on the cluster."""
        return fit_severity(train, valid, params, seed, trainer=self)
