"""Underwriting decision rules: quote, refer to an underwriter, or decline.

The rules live in the rating plan (``decision:``) and are declarative:
score thresholds, the limit appetite, and named hazards, each hazard a list
of conditions over exposure fields that must all hold. Conditions are checked
against the field spec (models.spec.fields) when the plan loads, so a typo or an
impossible value is a load error, never a silent rule that cannot fire.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS, SET_SEPARATOR

Decision = Literal["quote", "refer", "decline"]
ACTIONS = ("refer", "decline")
_SEVERITY = {"quote": 0, "refer": 1, "decline": 2}
_ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
# Which operators make sense for which kind of field.
OPERATORS_BY_KIND: dict[str, tuple[str, ...]] = {
    "int": tuple(_ORDER_OPS),
    "number": tuple(_ORDER_OPS),
    "ordinal": tuple(_ORDER_OPS),  # compared by level order
    "category": ("==", "!="),
    "bool": ("==", "!="),
    "set": ("contains", "not_contains"),
}


@dataclass(frozen=True)
class Condition:
    """``field op value`` over one exposure field, e.g. ``mfa_remote == none``."""

    field: str
    op: str
    value: Any

    def holds(self, exposure: Mapping[str, Any]) -> bool:
        """True when the exposure meets the condition; a missing field never does."""
        if self.field not in exposure or exposure[self.field] is None:
            return False
        actual = exposure[self.field]
        spec = FIELDS_BY_NAME[self.field]
        if spec.kind == "set":
            # a record carries a list; the frame/CSV form joins members with "|"
            members = actual.split(SET_SEPARATOR) if isinstance(actual, str) else actual
            present = self.value in set(members)
            return present if self.op == "contains" else not present
        if spec.kind == "ordinal":
            actual, expected = spec.values.index(str(actual)), spec.values.index(self.value)
            return _ORDER_OPS[self.op](actual, expected)
        return _ORDER_OPS[self.op](actual, self.value)

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "value": self.value}


@dataclass(frozen=True)
class HazardRule:
    """A named hazard: when every condition holds, ``action`` with ``code``."""

    code: str
    action: str
    message: str
    conditions: tuple[Condition, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "action": self.action,
            "message": self.message,
            "when": [c.to_dict() for c in self.conditions],
        }


@dataclass(frozen=True)
class DecisionReason:
    """Why a quote was referred or declined: machine-readable code, readable message."""

    code: str
    action: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "action": self.action, "message": self.message}


@dataclass(frozen=True)
class DecisionRules:
    """Score thresholds (risk_score 0-100), limit appetite (USD), named hazards,
    and the highest rate on line (gross premium / limit) quoted without an underwriter."""

    refer_score: float
    decline_score: float
    max_limit_usd: float
    hazards: tuple[HazardRule, ...] = field(default_factory=tuple)
    max_rate_on_line: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "refer_score": self.refer_score,
            "decline_score": self.decline_score,
            "max_limit_usd": self.max_limit_usd,
            "max_rate_on_line": self.max_rate_on_line,
            "hazards": [h.to_dict() for h in self.hazards],
        }


def decide(
    rules: DecisionRules,
    risk_score: float,
    limit_usd: float,
    exposure: Mapping[str, Any],
    premium_usd: float,
) -> tuple[Decision, tuple[DecisionReason, ...]]:
    """The decision (the most severe action of any rule that fires) and every reason."""
    reasons: list[DecisionReason] = []
    if risk_score >= rules.decline_score:
        reasons.append(
            DecisionReason(
                "risk_score_above_decline_threshold",
                "decline",
                f"Risk score {risk_score:.0f} is at or above the decline threshold "
                f"{rules.decline_score:g}.",
            )
        )
    elif risk_score >= rules.refer_score:
        reasons.append(
            DecisionReason(
                "risk_score_above_refer_threshold",
                "refer",
                f"Risk score {risk_score:.0f} is at or above the referral threshold "
                f"{rules.refer_score:g}.",
            )
        )
    if limit_usd > rules.max_limit_usd:
        reasons.append(
            DecisionReason(
                "limit_above_appetite",
                "refer",
                f"Limit ${limit_usd:,.0f} is above the ${rules.max_limit_usd:,.0f} that can be "
                "quoted without an underwriter.",
            )
        )
    rate_on_line = premium_usd / limit_usd
    if rate_on_line > rules.max_rate_on_line:
        reasons.append(
            DecisionReason(
                "rate_on_line_above_appetite",
                "refer",
                f"The premium is {100 * rate_on_line:.0f}% of the limit, above the "
                f"{100 * rules.max_rate_on_line:g}% quoted without an underwriter: the limit "
                "is likely to be used up; a higher retention or limit may fit better.",
            )
        )
    for hazard in rules.hazards:
        if all(c.holds(exposure) for c in hazard.conditions):
            reasons.append(DecisionReason(hazard.code, hazard.action, hazard.message))
    worst = max((r.action for r in reasons), key=_SEVERITY.__getitem__, default="quote")
    return worst, tuple(reasons)  # type: ignore[return-value]


def condition_problems(raw: Any, path: str) -> tuple[Condition | None, list[str]]:
    """Parse one condition mapping; the problems name ``path`` and the rule broken."""
    if not isinstance(raw, Mapping):
        return None, [f"{path}: must be a mapping with field, op and value"]
    problems = [f"{path}.{k}: unknown key" for k in raw if k not in ("field", "op", "value")]
    problems += [
        f"{path}.{k}: required key is missing" for k in ("field", "op", "value") if k not in raw
    ]
    if problems:
        return None, problems
    name, op, value = raw["field"], raw["op"], raw["value"]
    model_fields = {f.name for f in MODEL_FIELDS}
    if name not in model_fields:
        return None, [f"{path}.field: unknown exposure field {name!r} (see models.spec.fields)"]
    spec = FIELDS_BY_NAME[name]
    allowed = OPERATORS_BY_KIND[spec.kind]
    if op not in allowed:
        return None, [
            f"{path}.op: {op!r} is not allowed for {spec.kind} field {name}; use one of {list(allowed)}"
        ]
    if spec.kind in ("int", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, [f"{path}.value: must be a number for {name}"]
        low, high = spec.minimum, spec.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            return None, [f"{path}.value: {value} is outside {name}'s range [{low}, {high}]"]
    elif spec.kind == "bool":
        if not isinstance(value, bool):
            return None, [f"{path}.value: must be true or false for {name}"]
    elif value not in spec.values:
        return None, [
            f"{path}.value: {value!r} is not a value of {name}; use one of {list(spec.values)}"
        ]
    return Condition(name, op, value), []
