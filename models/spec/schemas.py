"""Marshmallow schemas of an exposure, generated from the field spec.

``ExposureSchema`` is a complete exposure (a quote): every model field is
required and ``vendors`` is optional. ``PartialExposureSchema`` is the city
self-assessment: any field may be omitted or null ("don't know"), the same
rules apply to what is given, and a cross-field rule is checked only when all
of its fields are given. No field is written by hand here: each comes from
models.spec.fields.FIELDS, so the API, the training files and docs/fields.md agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from models.spec.fields import CROSS_FIELD_RULES, FIELDS, VENDOR_NAME_MAX_LENGTH, Field


class WholeNumber(fields.Integer):
    """A JSON integer: refuses booleans and text ("12"), and refuses to truncate 2.5 to 2."""

    default_error_messages = {"whole": "Must be a whole number."}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, (bool, str)):
            raise self.make_error("invalid")
        if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
            raise self.make_error("whole")
        return super()._deserialize(value, attr, data, **kwargs)


class FiniteNumber(fields.Float):
    """A JSON number: refuses booleans, text ("1e6"), NaN and Infinity."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_nan=False, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, (bool, str)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """A JSON true or false: refuses 1, 0 and text such as "yes"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _distinct(members: list[str]) -> None:
    if len(set(members)) != len(members):
        raise ValidationError("Members must be distinct.")


def _range(f: Field) -> list[validate.Validator]:
    if f.minimum is None and f.maximum is None:
        return []
    return [validate.Range(min=f.minimum, max=f.maximum)]


def marshmallow_field(f: Field, *, required: bool) -> fields.Field:
    """The marshmallow field of one spec field (partial: optional and nullable)."""
    opts: dict[str, Any] = {"required": required, "allow_none": not required}
    if f.kind == "int":
        return WholeNumber(validate=_range(f), **opts)
    if f.kind == "number":
        return FiniteNumber(validate=_range(f), **opts)
    if f.kind == "bool":
        return StrictBoolean(**opts)
    if f.kind in ("ordinal", "category"):
        return fields.String(validate=validate.OneOf(f.values), **opts)
    if f.kind == "set":
        member = fields.String(validate=validate.OneOf(f.values))
        return fields.List(member, validate=_distinct, **opts)
    if f.kind == "list":
        name = fields.String(validate=validate.Length(min=1, max=VENDOR_NAME_MAX_LENGTH))
        length = validate.Length(max=int(f.maximum or 0))
        return fields.List(name, validate=length, required=False, allow_none=not required)
    raise ValueError(f"field {f.name}: unknown kind {f.kind!r}")


def check_cross_field_rules(data: Mapping[str, Any]) -> None:
    """Raise one error per broken rule, keyed by the bounded field, naming all fields.

    A rule is checked only when every one of its fields has a value.
    """
    errors: dict[str, list[str]] = {}
    for rule in CROSS_FIELD_RULES:
        names = (rule.field, *rule.bound_fields)
        if any(data.get(n) is None for n in names):
            continue
        bound = sum(data[n] for n in rule.bound_fields)
        if data[rule.field] > bound:
            got = ", ".join(f"{n}={data[n]}" for n in names)
            errors.setdefault(rule.field, []).append(f"{rule.message} (got {got}).")
    if errors:
        raise ValidationError(errors)


class _ExposureRules(Schema):
    @validates_schema(skip_on_field_errors=False)
    def _cross_field_rules(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        check_cross_field_rules(data)


def _generate(name: str, doc: str, *, partial: bool) -> type[Schema]:
    declared = {
        f.name: marshmallow_field(f, required=f.model_feature and not partial) for f in FIELDS
    }
    schema = _ExposureRules.from_dict(declared, name=name)
    schema.__doc__, schema.__module__, schema.__qualname__ = doc, __name__, name
    return schema


ExposureSchema = _generate(
    "ExposureSchema",
    "A complete exposure: every model field required, vendors optional.",
    partial=False,
)
PartialExposureSchema = _generate(
    "PartialExposureSchema", "A self-assessment: any field may be omitted or null.", partial=True
)
