"""XGBoost's own trees walked in numpy: margins and Saabas contributions without a DMatrix.

A quote asks the boosters for four things (the frequency margins, the
severity margins and both boosters' ``approx_contribs``); each XGBoost call
is mostly a fixed cost (a DMatrix, the predictor's set-up, thread hand-off),
about 0.5-1 ms for one row of these shallow trees (a few dozen trees of depth
<= 6). This module reads each booster's trees once from its own JSON dump
(``Booster.save_raw("json")``) into flat node arrays and walks every row
down every tree at once, one numpy step per tree level.

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
  The steps are summed in float64 in a fixed order per row (bincount), so
  they equal XGBoost's float32 sums to float32 precision and a batch row
  equals its single row exactly.

Only what the bundle uses is supported (numerical splits, one output group,
one tree per round, objectives ``count:poisson`` and ``reg:squarederror``);
``compile_forest`` raises UnsupportedBooster for anything else and the
callers then ask XGBoost. Above FAST_PATH_MAX_ROWS rows XGBoost's own
multi-row predictor is as fast, so large frames (training, the score verb)
go to XGBoost.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import xgboost as xgb

#: Rows up to which the numpy walk is used; beyond, XGBoost's predictor (a
#: batch of 1,000 cities is 7,000 severity rows, still on the walk).
FAST_PATH_MAX_ROWS = 8192
#: Where a Forest keeps each thread's last walk (see ``_walk``).
_LAST_WALK = "_last_walk"
#: Objectives whose margin is the sum of the trees plus a transformed base score.
_LOG_LINK = frozenset({"count:poisson"})
_IDENTITY_LINK = frozenset({"reg:squarederror"})


class UnsupportedBooster(ValueError):
    """A booster the numpy walk does not reproduce (categorical splits, several groups...)."""


@dataclass(frozen=True)
class Forest:
    """The trees of one or more boosters (groups) as flat node arrays.

    Node ids are global (tree offset + the node's id in its tree); a leaf's
    children are itself, so a walk that reached it stays there. ``slot`` is
    where each tree's leaf goes in the (rows, groups, slots) layout whose
    float32 cumulative sum along the slots is XGBoost's per-group margin.
    """

    feature: np.ndarray  # (nodes,) int64 split feature (0 at leaves)
    threshold: np.ndarray  # (nodes,) float32 split condition
    left: np.ndarray  # (nodes,) int64
    right: np.ndarray  # (nodes,) int64
    default_left: np.ndarray  # (nodes,) bool
    mean_value: np.ndarray  # (nodes,) float32: the leaf value, or the Saabas node mean
    roots: np.ndarray  # (trees,) int64 global id of each tree's root
    group: np.ndarray  # (trees,) int64 booster index of each tree
    slot: np.ndarray  # (trees,) int64 position of the tree within its group, 1-based
    base_margin: np.ndarray  # (groups,) float32
    depth: int  # the deepest leaf's depth (0: no split anywhere)
    feature_count: int
    # For rows without NaN or infinity: the threshold with +inf at leaves (a finite value
    # stays at its leaf), and whether every split's right child is its left child + 1
    # (XGBoost numbers them so): a level then needs no default branch and one child
    # lookup, a quarter less time (tests/models/scoring/test_tree_predictor.py).
    step_threshold: np.ndarray  # (nodes,) float32
    adjacent_children: bool

    @property
    def groups(self) -> int:
        return len(self.base_margin)

    def __getstate__(self) -> dict[str, object]:
        # the last walks (a thread-local, see _walk) stay with the process
        return {k: v for k, v in self.__dict__.items() if k != _LAST_WALK}

    @property
    def slots(self) -> int:
        """1 (the base margin) + the most trees of any group."""
        counts = np.bincount(self.group, minlength=self.groups)
        return 1 + int(counts.max(initial=0))


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


def _depth(tree: dict) -> int:
    left, right = tree["left_children"], tree["right_children"]
    deepest, stack = 0, [(0, 0)]
    while stack:
        node, d = stack.pop()
        if left[node] == -1:
            deepest = max(deepest, d)
        else:
            stack += [(left[node], d + 1), (right[node], d + 1)]
    return deepest


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
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("f", "t", "s", "l", "r", "d", "m")}
    roots, group, slot, bases, feature_counts = [], [], [], [], set()
    depth, offset, adjacent = 0, 0, True
    for g, booster in enumerate(boosters):
        trees, base, features = _booster_trees(booster)
        bases.append(base)
        feature_counts.add(features)
        for position, tree in enumerate(trees, start=1):
            left = np.asarray(tree["left_children"], dtype=np.int64)
            right = np.asarray(tree["right_children"], dtype=np.int64)
            own = np.arange(len(left), dtype=np.int64)
            leaf = left == -1
            parts["f"].append(np.where(leaf, 0, np.asarray(tree["split_indices"], np.int64)))
            parts["t"].append(np.asarray(tree["split_conditions"], dtype=np.float32))
            parts["s"].append(np.where(leaf, np.inf, parts["t"][-1]).astype(np.float32))
            adjacent = adjacent and bool(np.all(right[~leaf] == left[~leaf] + 1))
            parts["l"].append(offset + np.where(leaf, own, left))
            parts["r"].append(offset + np.where(leaf, own, right))
            parts["d"].append(np.asarray(tree["default_left"], dtype=bool))
            parts["m"].append(_node_means(tree))
            roots.append(offset)
            group.append(g)
            slot.append(position)
            depth = max(depth, _depth(tree))
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
        slot=np.asarray(slot, dtype=np.int64),
        base_margin=np.asarray(bases, dtype=np.float32),
        depth=depth,
        feature_count=feature_counts.pop() if feature_counts else 0,
        step_threshold=joined("s", np.float32),
        adjacent_children=adjacent,
    )


def _rows(forest: Forest, features: np.ndarray) -> np.ndarray:
    x = np.asarray(features, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != forest.feature_count:
        raise ValueError(
            f"feature matrix must have {forest.feature_count} columns, got shape {x.shape}"
        )
    return x


def _walk(forest: Forest, x: np.ndarray) -> list[np.ndarray]:
    """The node of every (row, tree) at each level: depth + 1 arrays of (rows, trees).

    A quote walks the same rows twice, for the margins (its score) and then
    for the contributions (its drivers): the last walk of each forest is kept
    with the bytes of its rows, per thread, and given again for the same bytes
    (half of a quote's walks). The path is never written to.
    """
    local = forest.__dict__.get(_LAST_WALK)
    if local is None:  # two threads may both make one: the loser's walk is done again, no more
        local = threading.local()
        object.__setattr__(forest, _LAST_WALK, local)
    key = (x.shape, x.tobytes())
    last = getattr(local, "walk", None)
    if last is not None and last[0] == key:
        return last[1]
    path = _walk_rows(forest, x)
    local.walk = (key, path)  # each request thread its own: another's walk in between is no miss
    return path


def _walk_rows(forest: Forest, x: np.ndarray) -> list[np.ndarray]:
    node = np.broadcast_to(forest.roots, (len(x), len(forest.roots)))
    row = np.arange(len(x))[:, np.newaxis]
    path = [node]
    if forest.adjacent_children and bool(np.isfinite(x).all()):
        # no default branch to take: right (left + 1) exactly when the value is not below
        for _ in range(forest.depth):
            value = x[row, forest.feature[node]]
            node = forest.left[node] + (value >= forest.step_threshold[node])
            path.append(node)
        return path
    for _ in range(forest.depth):
        value = x[row, forest.feature[node]]
        go_left = np.where(
            np.isnan(value), forest.default_left[node], value < forest.threshold[node]
        )
        node = np.where(go_left, forest.left[node], forest.right[node])
        path.append(node)
    return path


def margins(forest: Forest, features: np.ndarray) -> np.ndarray:
    """(rows, groups) float32 margins, equal to XGBoost's ``predict_type="margin"``."""
    x = _rows(forest, features)
    n = len(x)
    stacked = np.zeros((n, forest.groups, forest.slots), dtype=np.float32)
    stacked[:, :, 0] = forest.base_margin
    if len(forest.roots):
        leaves = forest.mean_value[_walk(forest, x)[-1]]  # a leaf's mean is its value
        stacked[:, forest.group, forest.slot] = leaves
    # float32, one tree after the other: XGBoost's order; the zero padding adds nothing
    return np.cumsum(stacked, axis=2, dtype=np.float32)[:, :, -1]


def contributions(forest: Forest, features: np.ndarray) -> np.ndarray:
    """(rows, groups, features + 1) Saabas contributions, bias last (XGBoost's approx_contribs)."""
    x = _rows(forest, features)
    n, f = len(x), forest.feature_count
    width = f + 1
    bias = np.zeros((n, forest.groups), dtype=np.float64)
    bias += forest.base_margin.astype(np.float64)
    out: np.ndarray = np.zeros((n, forest.groups, width), dtype=np.float64)
    if len(forest.roots):
        path = _walk(forest, x)
        root_means = np.bincount(
            forest.group, weights=forest.mean_value[forest.roots].astype(np.float64),
            minlength=forest.groups,
        )  # fmt: skip
        bias += root_means
        steps = []
        cells = []
        cell_of_row = (np.arange(n)[:, np.newaxis] * forest.groups + forest.group) * width
        for parent, child in pairwise(path):
            delta = forest.mean_value[child] - forest.mean_value[parent]  # float32, as XGBoost
            steps.append(delta.astype(np.float64))
            cells.append(cell_of_row + forest.feature[parent])
        # row-major per level: each cell's sum runs in the same order whatever the other rows
        flat_cells = np.stack(cells, axis=-1).ravel()
        flat_steps = np.stack(steps, axis=-1).ravel()
        out = np.bincount(flat_cells, weights=flat_steps, minlength=n * forest.groups * width)
        out = out.reshape(n, forest.groups, width)
    out[:, :, f] += bias
    return out


def group_margins(
    boosters: Sequence[xgb.Booster], forest: Forest | None, features: np.ndarray
) -> np.ndarray:
    """(rows, boosters) float64 margins: the numpy walk for small inputs, else XGBoost."""
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
