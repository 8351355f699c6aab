"""Features from the spec: the quote path equals the batch path, and every
monotone constraint agrees with the directions of the fields behind it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.scoring import features
from models.scoring.features import (
    DERIVED_FEATURES,
    FEATURE_NAMES,
    FEATURES,
    MONOTONE_CONSTRAINTS,
    build_features,
    features_from_records,
)
from models.spec.exposure import records_to_frame
from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS
from tests.support.city import city_exposure


def _cities() -> list[dict]:
    base = city_exposure()
    other = dict(base, critical_services=[], sensitive_data=["minors", "biometric"])
    other.update(mfa_remote="none", privacy_regime="gdpr", public_face_recognition=True)
    return [base, other]


@pytest.mark.parametrize("copies", [1, 40])  # below and above the small-batch fast path
def test_records_path_equals_frame_path(copies: int) -> None:
    records = _cities() * copies
    np.testing.assert_array_equal(
        features_from_records(records), build_features(records_to_frame(records))
    )


def test_threaded_batch_equals_the_serial_one(monkeypatch: pytest.MonkeyPatch) -> None:
    small = records_to_frame(_cities() * 40)
    repeats = -(-features._PARALLEL_ROWS // len(small))
    big = pd.concat([small] * repeats, ignore_index=True)
    monkeypatch.setattr(features.os, "cpu_count", lambda: 2)  # threads even on one core
    threaded = build_features(big)
    monkeypatch.setattr(features, "_PARALLEL_ROWS", len(big) + 1)
    serial = build_features(big)
    np.testing.assert_array_equal(threaded, serial)
    np.testing.assert_array_equal(threaded, np.tile(build_features(small), (repeats, 1)))


def test_encoding_of_each_kind() -> None:
    x = features_from_records(_cities())
    col = {name: i for i, name in enumerate(FEATURE_NAMES)}
    assert x.shape == (2, len(FEATURES))
    assert x[1, col["mfa_remote"]] == 0  # "none" is level 0
    assert x[1, col["privacy_regime=gdpr"]] == 1 and x[1, col["privacy_regime=ccpa"]] == 0
    assert x[1, col["sensitive_data_count"]] == 2
    assert x[1, col["sensitive_data:minors"]] == 1 and x[1, col["sensitive_data:health"]] == 0
    assert x[1, col["critical_services_count"]] == 0
    assert x[1, col["public_face_recognition"]] == 1


def test_constraints_follow_field_directions() -> None:
    for feature, constraint in zip(FEATURES, MONOTONE_CONSTRAINTS, strict=True):
        if len(feature.fields) == 1:
            assert constraint == FIELDS_BY_NAME[feature.fields[0]].direction


@pytest.mark.parametrize("derived", DERIVED_FEATURES, ids=lambda d: d.name)
def test_derived_feature_moves_with_each_source_field_as_its_constraint_says(derived) -> None:
    """Finite differences: raising a source field with direction +1 must not move
    the feature against its constraint (and the opposite for direction -1)."""
    rng = np.random.default_rng(5)
    columns = {f.name: rng.uniform(1, 90, 200) for f in MODEL_FIELDS if f.is_numeric}
    base = derived.formula(columns)
    for name in derived.fields:
        bumped = dict(columns, **{name: columns[name] + 1.0})
        change = derived.formula(bumped) - base
        expected_sign = derived.constraint * FIELDS_BY_NAME[name].direction
        assert np.all(change * expected_sign > 0), name


def _random_exposures(n: int, seed: int) -> list[dict]:
    """``n`` exposures with every field drawn across its range (seeded), sets of any size."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        record = {}
        for f in MODEL_FIELDS:
            low, high = f.minimum or 0, f.maximum or 0
            if f.kind == "int":
                record[f.name] = int(np.exp(rng.uniform(np.log1p(low), np.log1p(high)))) - 1
                record[f.name] = max(int(low), min(int(high), record[f.name]))
            elif f.kind == "number":
                record[f.name] = float(rng.uniform(low, high))
            elif f.kind == "bool":
                record[f.name] = bool(rng.random() < 0.5)
            elif f.kind in ("ordinal", "category"):
                record[f.name] = str(rng.choice(f.values))
            else:
                record[f.name] = [str(v) for v in f.values if rng.random() < 0.4]
        out.append(record)
    return out


def test_a_single_records_row_equals_its_row_in_a_batch_and_the_frame_path() -> None:
    """The one-row path (plain Python) against the columnar one and the frame path, bit for bit."""
    records = _random_exposures(300, seed=17)
    batch = features_from_records(records)
    frame = build_features(records_to_frame(records))
    np.testing.assert_array_equal(batch, frame)
    for i, record in enumerate(records):
        np.testing.assert_array_equal(features_from_records([record])[0], batch[i])
    assert len(np.unique(batch[:, FEATURE_NAMES.index("critical_services_count")])) > 3
