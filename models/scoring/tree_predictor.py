"""XGBoost's own trees walked in compiled loops: margins and Saabas contributions without a DMatrix.

A quote asks the boosters for four things (the frequency margins, the
severity margins and both boosters' ``approx_contribs``); each XGBoost call
is mostly a fixed cost (a DMatrix, the predictor's set-up, thread hand-off),
about 0.5-1 ms for one row of these shallow trees (a few dozen trees of depth
<= 6). This module reads each booster's trees once from its own JSON dump
(``Booster.save_raw("json")``) into flat node arrays and walks each row
down each tree in a loop compiled by numba (a quote's ~1,000 steps took
~0.2 ms as numpy steps of a level at a time, most of it per-call overhead;
issue 13).

What XGBoost computes, and what is reproduced here:

- margin = base margin + the leaf values of the trees, added in float32 one
  tree after the other in tree order (XGBoost's CPU predictor initialises
  the output with the base margin and adds each tree's leaf in turn), so
  margins equal XGBoost's bit for bit; a row's margin never depends on the
  other rows of the call, so a batch item equals its single quote exactly.
  A row goes left when ``value < split_condition`` (float32), a missing
  value (NaN) follows ``default_left``.
- Saabas contributions (``pred_contribs=True, approx_contribs=True``): each
  node's mean value is the cover-weighted mean of its children's (leaf: its
  value; float32 as XGBoost's FillNodeMeanValues); walking a row down a
  tree, each step adds (mean of the child - mean of the node) to the split
  feature; the bias column is the base margin plus each tree's root mean.
  The steps are summed in float64 in a fixed order per row (tree by tree,
  root to leaf), so they equal XGBoost's float32 sums to float32 precision
  and a batch row equals its single row exactly.

Only what the bundle uses is supported (numerical splits, one output group,
one tree per round, objectives ``count:poisson`` and ``reg:squarederror``);
``compile_forest`` raises UnsupportedBooster for anything else and the
callers then ask XGBoost. Above FAST_PATH_MAX_ROWS rows XGBoost's own
multi-row predictor is as fast, so large frames (training, the score verb)
go to XGBoost.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
import xgboost as xgb

#: Rows up to which the compiled walk is used; beyond, XGBoost's predictor,
#: multi-threaded (a batch of 1,000 cities is 7,000 severity rows, still walked).
FAST_PATH_MAX_ROWS = 8192
#: Objectives whose margin is the sum of the trees plus a transformed base score.
_LOG_LINK = frozenset({"count:poisson"})
_IDENTITY_LINK = frozenset({"reg:squarederror"})


class UnsupportedBooster(ValueError):
    """A booster the walk does not reproduce (categorical splits, several groups...)."""


@dataclass(frozen=True)
class Forest:
    """The trees of one or more boosters (groups) as flat node arrays.

    Node ids are global (tree offset + the node's id in its tree); a leaf's
    children are itself, which is how the walk knows it has arrived. Trees
    are in each booster's order, the boosters one after the other.
    """

    feature: np.ndarray  # (nodes,) int64 split feature (0 at leaves)
    threshold: np.ndarray  # (nodes,) float32 split condition
    left: np.ndarray  # (nodes,) int64
    right: np.ndarray  # (nodes,) int64
    default_left: np.ndarray  # (nodes,) bool
    mean_value: np.ndarray  # (nodes,) float32: the leaf value, or the Saabas node mean
    roots: np.ndarray  # (trees,) int64 global id of each tree's root
    group: np.ndarray  # (trees,) int64 booster index of each tree
    base_margin: np.ndarray  # (groups,) float32
    feature_count: int

    @property
    def groups(self) -> int:
        return len(self.base_margin)


def _base_margin(learner: dict) -> np.float32:
    objective = learner["objective"]["name"]
    raw = learner["learner_model_param"]["base_score"]
    # XGBoost 3 writes a vector "[1.0896851E1]", older versions a scalar string
    values = json.loads(raw) if raw.startswith("[") else [float(raw)]
    if len(values) != 1:
        raise UnsupportedBooster(f"{len(values)} base scores (several outputs)")
    base = np.float32(values[0])
    if objective in _LOG_LINK:
        return np.float32(np.log(base))
    if objective in _IDENTITY_LINK:
        return base
    raise UnsupportedBooster(f"objective {objective!r}")


def _node_means(tree: dict) -> np.ndarray:
    """Saabas node means in float32, children before parents (XGBoost's FillNodeMeanValues)."""
    left, right = tree["left_children"], tree["right_children"]
    value = np.asarray(tree["split_conditions"], dtype=np.float32)
    hess = np.asarray(tree["sum_hessian"], dtype=np.float32)
    means = value.copy()

    def fill(node: int) -> np.float32:
        if left[node] == -1:
            return means[node]
        total = fill(left[node]) * hess[left[node]]
        total = np.float32(total + fill(right[node]) * hess[right[node]])
        means[node] = np.float32(total / hess[node])
        return means[node]

    fill(0)
    return means


def _booster_trees(booster: xgb.Booster) -> tuple[list[dict], np.float32, int]:
    learner = json.loads(booster.save_raw("json"))["learner"]
    model = learner["gradient_booster"]["model"]
    if learner["gradient_booster"]["name"] != "gbtree":
        raise UnsupportedBooster(f"booster {learner['gradient_booster']['name']!r}")
    trees = model["trees"]
    if any(info != 0 for info in model["tree_info"]):
        raise UnsupportedBooster("several output groups")
    for tree in trees:
        if any(tree["split_type"]) or tree["categories"]:
            raise UnsupportedBooster("categorical splits")
    features = int(learner["learner_model_param"]["num_feature"])
    return trees, _base_margin(learner), features


def compile_forest(boosters: Sequence[xgb.Booster]) -> Forest:
    """The trees of ``boosters`` (one group each, same features) as one Forest."""
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("f", "t", "l", "r", "d", "m")}
    roots, group, bases, feature_counts = [], [], [], set()
    offset = 0
    for g, booster in enumerate(boosters):
        trees, base, features = _booster_trees(booster)
        bases.append(base)
        feature_counts.add(features)
        for tree in trees:
            left = np.asarray(tree["left_children"], dtype=np.int64)
            right = np.asarray(tree["right_children"], dtype=np.int64)
            own = np.arange(len(left), dtype=np.int64)
            leaf = left == -1
            parts["f"].append(np.where(leaf, 0, np.asarray(tree["split_indices"], np.int64)))
            parts["t"].append(np.asarray(tree["split_conditions"], dtype=np.float32))
            parts["l"].append(offset + np.where(leaf, own, left))
            parts["r"].append(offset + np.where(leaf, own, right))
            parts["d"].append(np.asarray(tree["default_left"], dtype=bool))
            parts["m"].append(_node_means(tree))
            roots.append(offset)
            group.append(g)
            offset += len(left)
    if len(feature_counts) > 1:
        raise UnsupportedBooster(f"boosters on different feature counts {sorted(feature_counts)}")

    def joined(key: str, dtype: type) -> np.ndarray:
        return np.concatenate(parts[key]) if parts[key] else np.zeros(0, dtype=dtype)

    return Forest(
        feature=joined("f", np.int64),
        threshold=joined("t", np.float32),
        left=joined("l", np.int64),
        right=joined("r", np.int64),
        default_left=joined("d", bool),
        mean_value=joined("m", np.float32),
        roots=np.asarray(roots, dtype=np.int64),
        group=np.asarray(group, dtype=np.int64),
        base_margin=np.asarray(bases, dtype=np.float32),
        feature_count=feature_counts.pop() if feature_counts else 0,
    )


def _rows(forest: Forest, features: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(features, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != forest.feature_count:
        raise ValueError(
            f"feature matrix must have {forest.feature_count} columns, got shape {x.shape}"
        )
    return x


@numba.njit(cache=True, nogil=True)
def _leaf_step(node: int, row: np.ndarray, forest: tuple) -> int:  # type: ignore[type-arg]
    """The child a row takes at ``node``: left when value < split (float32), NaN by default_left."""
    feature, threshold, left, right, default_left = forest
    value = row[feature[node]]
    if math.isnan(value):
        return left[node] if default_left[node] else right[node]
    return left[node] if value < threshold[node] else right[node]


#: The rows and the forest's arrays (_nodes, in order), the walks' first arguments.
_WALK_ARGS = (
    "float32[:, :], int64[:], float32[:], int64[:], int64[:], boolean[:], float32[:],"
    " int64[:], int64[:]"
)


@numba.njit(
    f"float32[:, :]({_WALK_ARGS}, float32[:])",
    cache=True,
    nogil=True,
)
def _margins(
    x: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    default_left: np.ndarray,
    mean: np.ndarray,
    roots: np.ndarray,
    group: np.ndarray,
    base: np.ndarray,
) -> np.ndarray:
    """Each row's base margin plus its leaf of every tree, added in float32 in tree order."""
    nodes = (feature, threshold, left, right, default_left)
    out = np.empty((x.shape[0], base.shape[0]), dtype=np.float32)
    for r in range(x.shape[0]):
        row = x[r]
        out[r] = base
        for t in range(roots.shape[0]):
            node = roots[t]
            while left[node] != node:  # a leaf is its own child
                node = _leaf_step(node, row, nodes)
            out[r, group[t]] += mean[node]
    return out


@numba.njit(
    f"float64[:, :, :]({_WALK_ARGS}, int64)",
    cache=True,
    nogil=True,
)
def _steps(
    x: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    default_left: np.ndarray,
    mean: np.ndarray,
    roots: np.ndarray,
    group: np.ndarray,
    groups: int,
) -> np.ndarray:
    """Saabas steps: (mean of the child - mean of the node) in float32, summed per feature in float64."""
    nodes = (feature, threshold, left, right, default_left)
    out = np.zeros((x.shape[0], groups, x.shape[1] + 1))
    for r in range(x.shape[0]):
        row = x[r]
        for t in range(roots.shape[0]):
            node = roots[t]
            while left[node] != node:
                child = _leaf_step(node, row, nodes)
                out[r, group[t], feature[node]] += np.float64(mean[child] - mean[node])
                node = child
    return out


_Nodes = tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]


def _nodes(forest: Forest) -> _Nodes:
    """The arrays the compiled walks read, in their argument order."""
    return (
        forest.feature, forest.threshold, forest.left, forest.right, forest.default_left,
        forest.mean_value, forest.roots, forest.group,
    )  # fmt: skip


def margins(forest: Forest, features: np.ndarray) -> np.ndarray:
    """(rows, groups) float32 margins, equal to XGBoost's ``predict_type="margin"``."""
    x = _rows(forest, features)
    return _margins(x, *_nodes(forest), forest.base_margin)


def contributions(forest: Forest, features: np.ndarray) -> np.ndarray:
    """(rows, groups, features + 1) Saabas contributions, bias last (XGBoost's approx_contribs)."""
    x = _rows(forest, features)
    out = _steps(x, *_nodes(forest), forest.groups)
    root_means = np.bincount(
        forest.group, weights=forest.mean_value[forest.roots].astype(np.float64),
        minlength=forest.groups,
    )  # fmt: skip
    out[:, :, forest.feature_count] = forest.base_margin.astype(np.float64) + root_means
    return out


def group_margins(
    boosters: Sequence[xgb.Booster], forest: Forest | None, features: np.ndarray
) -> np.ndarray:
    """(rows, boosters) float64 margins: the compiled walk for small inputs, else XGBoost."""
    if forest is not None and len(features) <= FAST_PATH_MAX_ROWS:
        return margins(forest, features).astype(np.float64)
    return np.column_stack(
        [
            np.asarray(b.inplace_predict(features, predict_type="margin"), np.float64)
            for b in boosters
        ]
    ).reshape(len(features), len(boosters))


def group_contributions(
    boosters: Sequence[xgb.Booster], forest: Forest | None, features: np.ndarray
) -> np.ndarray:
    """(rows, boosters, features + 1) Saabas contributions, bias last: the walk or XGBoost."""
    if forest is not None and len(features) <= FAST_PATH_MAX_ROWS:
        return contributions(forest, features)
    out = []
    for booster in boosters:
        # nthread=1: a DMatrix of a few rows built with every core costs ms in thread start-up
        matrix = xgb.DMatrix(features, feature_names=booster.feature_names, nthread=1)
        pred = booster.predict(matrix, pred_contribs=True, approx_contribs=True)
        out.append(np.asarray(pred, np.float64))
    return np.stack(out, axis=1)


def try_compile(boosters: Sequence[xgb.Booster]) -> Forest | None:
    """The Forest of ``boosters``, or None when the walk cannot reproduce them."""
    try:
        return compile_forest(boosters)
    except UnsupportedBooster:
        return None
