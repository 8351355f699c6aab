"""``train --dask``: the boosters fitted with ``xgboost.dask`` on the cluster, the rest on the client.

What runs where: the client reads and checks the bordereaux, splits them
(seeded), fits each cause's signed log-linear start, the tails, the balance
and the GLM baseline, and evaluates, exactly as one process does (those are
small: one row per policy and 70 columns, or one per claim). Only the
XGBoost fits, the bulk of the time, run on the workers: each cause's
``count:poisson`` booster (the exposure offset plus the start as
``base_margin`` of a ``DaskDMatrix``, the spec's monotone constraints, early
stopping on the validation policies) and the severity booster.

Same seed, same worker count, same bundle: the rows are cut into one
partition per worker in row order and each partition is placed on the
worker of its rank in the sorted worker list, so the quantile sketch and the
histogram sums see the same data in the same places every run. Against one
process the boosters differ slightly (XGBoost merges per-worker sketches);
the README states the tolerance and tests/training/distributed holds it.

``frequency`` and ``severity`` follow models/scoring's ``fit_frequency`` and
``fit_severity`` step for step except the XGBoost call (a DaskDMatrix and
``xgboost.dask.train``). The better seam is a trainer argument of those two
functions; models/scoring is being rewritten elsewhere now, so it waits
for that change, and until then a change to either fit must be made here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import xgboost as xgb
from threadpoolctl import threadpool_limits

from models.pricing.cause_losses import CAUSE_COUNT
from models.scoring.booster_params import BoosterParams
from models.scoring.features import FEATURE_NAMES
from models.scoring.frequency import (
    FrequencyModel,
    Policies,
    fit_start,
    frequency_xgb_params,
)
from models.scoring.glm_inputs import GlmInputs
from models.scoring.severity import (
    MIN_TRAINING_CLAIMS,
    MIN_VALIDATION_CLAIMS,
    NO_TAIL,
    SEVERITY_FEATURE_NAMES,
    InsufficientClaimsError,
    SeverityModel,
    cause_sigmas,
    severity_xgb_params,
    with_cause,
)
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

    def _matrix(
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

    def _train(
        self, xgb_params: dict[str, object], dtrain: Any, dvalid: Any, params: BoosterParams
    ) -> tuple[xgb.Booster, int]:
        """``train_early_stopped`` on the cluster: the booster cut at its best round."""
        import xgboost.dask as dxgb
        from xgboost.collective import Config

        spread = dict(xgb_params)
        spread.pop("nthread")  # each worker uses its own threads
        try:
            out = dxgb.train(
                self.client, spread, dtrain,
                num_boost_round=params.max_rounds,
                evals=[(dvalid, "valid")],
                early_stopping_rounds=params.early_stopping_rounds,
                verbose_eval=False,
                coll_cfg=Config(timeout=int(self.timeout_s)),
            )  # fmt: skip
        except Exception as exc:  # a dead worker, a timeout: the run fails, naming the scheduler
            raise cluster_failure(parse_address(self.address), exc) from exc
        booster = out["booster"]
        best = int(booster.best_iteration)
        return booster[: best + 1], best

    def frequency(
        self, train: Policies, valid: Policies, params: BoosterParams, seed: int
    ) -> FrequencyModel:
        """``models.scoring.frequency.fit_frequency`` with its boosters fitted on the cluster."""
        inputs, _ = GlmInputs.fit_transform(train[0])
        with threadpool_limits(1, user_api="blas"):
            start = fit_start(inputs, train, valid)
        margins = [np.log(part[2])[:, None] + start.log_rates(part[0]) for part in (train, valid)]
        names = list(FEATURE_NAMES)
        xgb_params = frequency_xgb_params(params, seed)
        boosters, best = [], []
        for k in range(CAUSE_COUNT):
            if train[1][:, k].sum() == 0:  # as one process: no trees for a claimless cause
                local = xgb.DMatrix(train[0], label=train[1][:, k], base_margin=margins[0][:, k],
                                    feature_names=names)  # fmt: skip
                boosters.append(xgb.train(xgb_params, local, num_boost_round=0))
                best.append(-1)
                continue
            dtrain, dvalid = (
                self._matrix(part[0], part[1][:, k], m[:, k], names)
                for part, m in zip((train, valid), margins, strict=True)
            )
            booster, iteration = self._train(xgb_params, dtrain, dvalid, params)
            boosters.append(booster)
            best.append(iteration)
        return FrequencyModel(start, tuple(boosters), tuple(best), np.ones(CAUSE_COUNT))

    def severity(
        self, train: Claims, valid: Claims, params: BoosterParams, seed: int
    ) -> SeverityModel:
        """``models.scoring.severity.fit_severity`` with its booster fitted on the cluster."""
        (x_train, loss_train, cause_train), (x_valid, loss_valid, cause_valid) = train, valid
        if len(loss_train) < MIN_TRAINING_CLAIMS or len(loss_valid) < MIN_VALIDATION_CLAIMS:
            raise InsufficientClaimsError(
                f"too few claims to fit the severity model: {len(loss_train)} training and "
                f"{len(loss_valid)} validation claims; at least {MIN_TRAINING_CLAIMS} and "
                f"{MIN_VALIDATION_CLAIMS} are needed"
            )
        # loss_usd > 0 is a rule of the checked claims file (training/bordereau/rules.py)
        y_train, y_valid = np.log(loss_train), np.log(loss_valid)
        names = list(SEVERITY_FEATURE_NAMES)
        dtrain = self._matrix(with_cause(x_train, cause_train), y_train, None, names)
        dvalid = self._matrix(with_cause(x_valid, cause_valid), y_valid, None, names)
        xgb_params = severity_xgb_params(params, seed, float(np.mean(y_train)))
        booster, best = self._train(xgb_params, dtrain, dvalid, params)
        model = SeverityModel(booster, np.ones(CAUSE_COUNT), np.zeros(CAUSE_COUNT), NO_TAIL, best)
        fit_train = model.raw_claim_mu(x_train, cause_train)
        fit_valid = model.raw_claim_mu(x_valid, cause_valid)
        sigma = cause_sigmas(y_train - fit_train, cause_train, y_valid - fit_valid)
        return SeverityModel(booster, sigma, np.zeros(CAUSE_COUNT), NO_TAIL, best)
