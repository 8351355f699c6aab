"""The API schemas generated from the spec: each rule, and errors that name field and rule."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError

from models.spec.fields import FIELDS, MODEL_FIELDS
from models.spec.schemas import ExposureSchema, PartialExposureSchema


def valid_exposure() -> dict[str, Any]:
    """A complete, valid exposure: each field at a legal value picked from the spec."""
    record: dict[str, Any] = {}
    for f in MODEL_FIELDS:
        if f.kind == "int":
            record[f.name] = int(f.minimum or 0) + 1
        elif f.kind == "number":
            record[f.name] = float(f.minimum or 0) + 0.5
        elif f.kind == "bool":
            record[f.name] = False
        elif f.kind == "set":
            record[f.name] = list(f.values[:2])
        else:
            record[f.name] = f.values[0]
    return record


def errors(schema: Any, data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        schema.load(data)
    return caught.value.messages  # type: ignore[return-value]


def test_valid_exposure_loads_unchanged() -> None:
    record = valid_exposure()
    assert ExposureSchema().load(record) == record
    with_vendors = {**record, "vendors": ["Siemens", "Cisco"]}
    assert ExposureSchema().load(with_vendors) == with_vendors


def test_every_model_field_is_required() -> None:
    messages = errors(ExposureSchema(), {})
    assert set(messages) == {f.name for f in MODEL_FIELDS}
    assert all(m == ["Missing data for required field."] for m in messages.values())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("population", 2500.5, "Must be a whole number."),
        ("population", True, "Not a valid integer."),
        ("population", "many", "Not a valid integer."),
        (
            "population",
            999,
            "Must be greater than or equal to 1000 and less than or equal to 50000000.",
        ),
        ("security_fte", True, "Not a valid number."),
        (
            "security_fte",
            float("nan"),
            "Special numeric values (nan or infinity) are not permitted.",
        ),
        (
            "security_fte",
            float("inf"),
            "Special numeric values (nan or infinity) are not permitted.",
        ),
        (
            "edr_coverage_pct",
            100.01,
            "Must be greater than or equal to 0 and less than or equal to 100.",
        ),
        ("mfa_remote", "sometimes", "Must be one of: none, partial, all, phishing_resistant."),
        ("privacy_regime", "hipaa", "Must be one of: gdpr, pipl, ccpa, lgpd, other."),
        ("critical_services", ["water", "water"], "Members must be distinct."),
        ("critical_services", "water", "Not a valid list."),
        ("monitoring_24x7", "perhaps", "Not a valid boolean."),
        ("vendors", ["x"] * 501, "Longer than maximum length 500."),
    ],
)
def test_field_rules(field: str, value: object, message: str) -> None:
    messages = errors(ExposureSchema(), {**valid_exposure(), field: value})
    assert messages == {field: [message]}


def test_unknown_set_member_is_named_by_position() -> None:
    messages = errors(ExposureSchema(), {**valid_exposure(), "sensitive_data": ["health", "dna"]})
    assert messages == {
        "sensitive_data": {
            1: [
                "Must be one of: biometric, health, precise_location, minors, government_id, financial."
            ]
        }
    }


def test_vendor_names_have_a_length_limit() -> None:
    messages = errors(ExposureSchema(), {**valid_exposure(), "vendors": ["ok", "", "x" * 201]})
    assert messages == {
        "vendors": {
            1: ["Length must be between 1 and 200."],
            2: ["Length must be between 1 and 200."],
        }
    }


def test_cross_field_rules_name_every_field() -> None:
    data = {**valid_exposure(), "iot_device_count": 10, "ot_device_count": 5}
    data |= {"internet_exposed_devices": 16, "vendor_count": 3, "critical_vendor_count": 4}
    assert errors(ExposureSchema(), data) == {
        "internet_exposed_devices": [
            "internet_exposed_devices must be <= iot_device_count + ot_device_count "
            "(got internet_exposed_devices=16, iot_device_count=10, ot_device_count=5)."
        ],
        "critical_vendor_count": [
            "critical_vendor_count must be <= vendor_count "
            "(got critical_vendor_count=4, vendor_count=3)."
        ],
    }
    data |= {"internet_exposed_devices": 15, "critical_vendor_count": 3}  # equality is allowed
    assert ExposureSchema().load(data)["internet_exposed_devices"] == 15


def test_unknown_fields_are_rejected() -> None:
    assert errors(ExposureSchema(), {**valid_exposure(), "colour": "blue"}) == {
        "colour": ["Unknown field."]
    }


def test_partial_accepts_nothing_and_null() -> None:
    assert PartialExposureSchema().load({}) == {}
    assert PartialExposureSchema().load({"population": None, "mfa_remote": "all"}) == {
        "population": None,
        "mfa_remote": "all",
    }


def test_partial_applies_the_same_field_rules() -> None:
    assert errors(
        PartialExposureSchema(), {"phishing_sims_per_year": 53, "backup_isolation": "tape"}
    ) == {
        "phishing_sims_per_year": [
            "Must be greater than or equal to 0 and less than or equal to 52."
        ],
        "backup_isolation": ["Must be one of: none, online, offline_or_immutable."],
    }


def test_partial_checks_a_cross_field_rule_only_when_all_its_fields_are_given() -> None:
    partial = PartialExposureSchema()
    assert partial.load({"internet_exposed_devices": 50, "iot_device_count": 10}) == {
        "internet_exposed_devices": 50,
        "iot_device_count": 10,
    }
    assert set(errors(partial, {"critical_vendor_count": 9, "vendor_count": 2})) == {
        "critical_vendor_count"
    }


def test_schemas_cover_the_spec_exactly() -> None:
    for schema in (ExposureSchema(), PartialExposureSchema()):
        assert list(schema.fields) == [f.name for f in FIELDS]
    assert ExposureSchema.__name__ == "ExposureSchema"
    assert PartialExposureSchema.__name__ == "PartialExposureSchema"
