"""Sanity of the one field spec, and docs/fields.md generated from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from models.spec.field_docs import render
from models.spec.fields import (
    CROSS_FIELD_RULES,
    FIELDS,
    FIELDS_BY_NAME,
    GROUP_TITLES,
    MODEL_FIELDS,
    Field,
    spec_hash,
)

ROOT = Path(__file__).resolve().parents[3]


def test_forty_model_fields_plus_vendors() -> None:
    assert len(MODEL_FIELDS) == 40
    assert [f.name for f in FIELDS if not f.model_feature] == ["vendors"]
    assert len(FIELDS_BY_NAME) == len(FIELDS)  # names are unique


@pytest.mark.parametrize("f", FIELDS, ids=lambda f: f.name)
def test_field_is_complete(f: Field) -> None:
    assert f.label and f.question.endswith(("?", ")")) and f.group in GROUP_TITLES
    if f.is_numeric:
        assert f.unit, "numeric fields say their unit"
        assert f.minimum is not None and f.maximum is not None and f.minimum < f.maximum
    if f.kind in ("ordinal", "category", "set"):
        assert len(f.values) >= 2 and len(set(f.values)) == len(f.values)
    if f.kind == "ordinal":
        assert f.direction in (-1, 1), "an ordered choice has a direction"
    if f.actionable:
        assert f.action, "an actionable field says what to do"
        worst = _worst_value(f)
        assert f.better_value(worst) is not None, "the worst answer has a better one"


def _worst_value(f: Field) -> object:
    if f.kind == "ordinal":
        return f.values[-1] if f.direction > 0 else f.values[0]
    if f.kind == "bool":
        return not f.target
    assert f.minimum is not None and f.maximum is not None
    return f.maximum if f.direction > 0 else f.minimum


def test_actionable_targets_lie_inside_the_range() -> None:
    for f in FIELDS:
        if f.actionable and f.is_numeric:
            assert isinstance(f.target, (int, float))
            assert f.minimum is not None and f.maximum is not None
            assert f.minimum <= f.target <= f.maximum, f.name


def test_cross_field_rules_name_int_fields_of_the_spec() -> None:
    for rule in CROSS_FIELD_RULES:
        for name in (rule.field, *rule.bound_fields):
            assert FIELDS_BY_NAME[name].kind == "int"
        assert rule.message == f"{rule.field} must be <= {' + '.join(rule.bound_fields)}"


def test_spec_hash_is_stable_and_ignores_wording() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", spec_hash())
    assert spec_hash() == spec_hash()
    # The hash of the spec as committed: a change here means every model needs retraining.
    assert spec_hash() == "de71ddd70e59a81c80f0ca5dd3e79251959aebeac2d511e0afc01e9de7373f9a"


def test_committed_field_reference_matches_the_spec() -> None:
    committed = (ROOT / "docs" / "fields.md").read_text()
    assert committed == render(), "docs/fields.md is stale: run `make docs`"


def test_field_reference_lists_every_field_in_its_group() -> None:
    text = render()
    for title in GROUP_TITLES.values():
        assert f"\n## {title}\n" in text
    for f in FIELDS:
        assert text.count(f"| `{f.name}` |") == 1
    assert spec_hash() in text and "make docs" in text.splitlines()[2]
    # Ordinal levels appear in spec order.
    row = next(line for line in text.splitlines() if line.startswith("| `backup_isolation`"))
    assert row.index("`none`") < row.index("`online`") < row.index("`offline_or_immutable`")
