"""Reading rating plans: files, the shipped versions, validation of every rule.

The reader walks the plain data of a plan file once and collects every
problem (missing key, unknown key, wrong type, number out of range, a cause's
coverage shares that do not sum to 1, a hazard condition that does not fit
the field spec)
before it raises, so that an actuary fixes a file in one round. The plan it
builds is the frozen data of models/pricing/rating_plan.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from models.pricing.decision import ACTIONS, DecisionRules, HazardRule, condition_problems
from models.pricing.rating_plan import (
    PRIVACY_REGIMES,
    RISK_MEASURES,
    FinesCap,
    Loads,
    RatingPlan,
    RatingPlanError,
)
from models.spec.contract import CLAIM_CAUSES, COVERAGE_PARTS
from models.versioned_files import load_versioned_yaml

RATING_PLANS_DIR = Path(__file__).resolve().parents[1] / "rating_plans"
DEFAULT_RATING_PLAN_VERSION = "2026.2"
_SHARE_SUM_TOLERANCE = 1e-9  # how far a cause's shares may sum from 1 (decimal rounding)


def read_rating_plan(data: Any, source: str = "rating plan") -> RatingPlan:
    """Validate plain data (a plan file's layout, or ``RatingPlan.to_dict()``).

    Raises :class:`RatingPlanError` with every problem, each naming ``source``.
    """
    return PlanReader(source).read(data)


def load_rating_plan(path: str | Path) -> RatingPlan:
    """Read and validate one rating plan YAML file."""
    return load_versioned_yaml(path, read_rating_plan, RatingPlanError)


@lru_cache(maxsize=16)
def shipped_rating_plan(version: str = DEFAULT_RATING_PLAN_VERSION) -> RatingPlan:
    """A plan shipped in models/rating_plans/ (cached: plans are immutable)."""
    path = RATING_PLANS_DIR / f"{version}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in RATING_PLANS_DIR.glob("*.yaml"))
        raise RatingPlanError(str(path), [f"no rating plan version {version!r}; shipped: {known}"])
    return load_rating_plan(path)


class PlanReader:
    """Walks the raw data once, collecting every problem with its key path."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def section(self, data: Any, key: str, allowed: tuple[str, ...] | None) -> dict[str, Any]:
        value = data.get(key) if isinstance(data, Mapping) else None
        if not isinstance(value, Mapping):
            self.problems.append(
                f"{key}: required mapping is missing"
                if value is None
                else f"{key}: must be a mapping"
            )
            return {}
        if allowed is not None:
            self.problems += [f"{key}.{k}: unknown key" for k in value if k not in allowed]
        return dict(value)

    def number(
        self,
        data: Mapping[str, Any],
        path: str,
        low: float,
        high: float,
        *,
        open_high: bool = False,
    ) -> float:
        key = path.rsplit(".", 1)[-1]
        if key not in data:
            self.problems.append(f"{path}: required key is missing")
            return math.nan
        value = data[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            self.problems.append(f"{path}: must be a number (got {value!r})")
            return math.nan
        if value < low or value > high or (open_high and value == high):
            bracket = ")" if open_high else "]"
            self.problems.append(f"{path}: must be in [{low:g}, {high:g}{bracket} (got {value!r})")
        return float(value)

    def text(self, data: Mapping[str, Any], path: str, choices: tuple[str, ...] = ()) -> str:
        key = path.rsplit(".", 1)[-1]
        if key not in data:
            self.problems.append(f"{path}: required key is missing")
            return ""
        value = data[key]
        if isinstance(value, str) and value and (not choices or value in choices):
            return value
        rule = f"one of {list(choices)}" if choices else "a non-empty string"
        self.problems.append(f"{path}: must be {rule} (got {value!r})")
        return ""

    def read(self, data: Any) -> RatingPlan:
        top = (
            "version",
            "effective_from",
            "description",
            "loads",
            "risk_load",
            "cause_coverages",
            "fines_caps",
            "decision",
        )
        if not isinstance(data, Mapping):
            raise RatingPlanError(
                self.source, ["the file must hold a mapping of the plan's sections"]
            )
        self.problems += [
            # plans up to 2026.1 had one share table for every loss
            "coverages: replaced by cause_coverages (a share table per claim cause) in 2026.2"
            if k == "coverages"
            else f"{k}: unknown key"
            for k in data
            if k not in top
        ]
        version = self.text(data, "version")
        # YAML reads an unquoted 2026-01-01 as a date; keep the ISO text either way
        effective = str(data["effective_from"]) if "effective_from" in data else ""
        if not effective:
            self.problems.append("effective_from: required key is missing")
        loads = self.read_loads(data)
        shares = self.read_cause_coverages(data)
        caps = self.read_fines_caps(data)
        decision = self.read_decision(data)
        if self.problems:
            raise RatingPlanError(self.source, self.problems)
        desc = str(data.get("description", ""))
        # read-only views: one cached plan object serves every quote of a worker
        return RatingPlan(
            version,
            effective,
            desc,
            loads,
            MappingProxyType({c: MappingProxyType(s) for c, s in shares.items()}),
            MappingProxyType(caps),
            decision,
        )

    def read_loads(self, data: Mapping[str, Any]) -> Loads:
        ld = self.section(
            data,
            "loads",
            ("expense_ratio", "profit_margin", "minimum_premium_usd", "cost_of_capital"),
        )
        rl = self.section(data, "risk_load", ("measure", "probability", "share"))
        expense = self.number(ld, "loads.expense_ratio", 0.0, 1.0, open_high=True)
        profit = self.number(ld, "loads.profit_margin", 0.0, 1.0, open_high=True)
        if expense + profit >= 1.0:
            self.problems.append("loads: expense_ratio + profit_margin must be < 1")
        minimum = self.number(ld, "loads.minimum_premium_usd", 0.0, 1e9)
        measure = self.text(rl, "risk_load.measure", RISK_MEASURES)
        probability = self.number(rl, "risk_load.probability", 0.5, 1.0, open_high=True)
        # share < 1 keeps the premium concave in the limit (see models/pricing/premium.py)
        share = self.number(rl, "risk_load.share", 0.0, 1.0, open_high=True)
        # optional: 0 (no capital load) unless the plan prices the book's capital
        capital = (
            self.number(ld, "loads.cost_of_capital", 0.0, 1.0, open_high=True)
            if "cost_of_capital" in ld
            else 0.0
        )
        return Loads(expense, profit, measure, probability, share, minimum, capital)

    def read_cause_coverages(self, data: Mapping[str, Any]) -> dict[str, dict[str, float]]:
        """cause -> part -> share, every cause and part present (a part left out reads as 0)."""
        raw = data.get("cause_coverages") if isinstance(data, Mapping) else None
        if not isinstance(raw, Mapping):
            self.section(data, "cause_coverages", None)  # names the missing or mistyped section
            return {}
        self.problems += [
            f"cause_coverages.{c}: unknown claim cause (causes: {list(CLAIM_CAUSES)})"
            for c in raw
            if c not in CLAIM_CAUSES
        ]
        table: dict[str, dict[str, float]] = {}
        for cause in CLAIM_CAUSES:
            path = f"cause_coverages.{cause}"
            entry = raw.get(cause)
            if not isinstance(entry, Mapping) or not entry:
                self.problems.append(
                    f"{path}: required mapping is missing"
                    if entry is None
                    else f"{path}: must be a non-empty mapping of coverage part to share"
                )
                continue
            self.problems += [
                f"{path}.{p}: unknown coverage part (parts: {list(COVERAGE_PARTS)})"
                for p in entry
                if p not in COVERAGE_PARTS
            ]
            shares = {
                p: self.number(entry, f"{path}.{p}", 0.0, 1.0) if p in entry else 0.0
                for p in COVERAGE_PARTS
            }
            total = sum(shares.values())
            if math.isfinite(total) and abs(total - 1.0) > _SHARE_SUM_TOLERANCE:
                self.problems.append(f"{path}: shares must sum to 1 (they sum to {total:.12g})")
            table[cause] = shares
        return table

    def read_fines_caps(self, data: Mapping[str, Any]) -> dict[str, FinesCap]:
        raw = self.section(data, "fines_caps", PRIVACY_REGIMES)
        caps: dict[str, FinesCap] = {}
        for regime in (r for r in PRIVACY_REGIMES if r in raw):
            path = f"fines_caps.{regime}"
            entry = raw[regime]
            if not isinstance(entry, Mapping):
                self.problems.append(
                    f"{path}: must be a mapping with fixed_usd, revenue_pct, combine"
                )
                continue
            self.problems += [
                f"{path}.{k}: unknown key"
                for k in entry
                if k not in ("fixed_usd", "revenue_pct", "combine")
            ]
            fixed = self.number(entry, f"{path}.fixed_usd", 0.0, 1e12)
            pct = self.number(entry, f"{path}.revenue_pct", 0.0, 100.0)
            combine = entry.get("combine")
            if combine not in ("higher", "lower"):
                self.problems.append(
                    f"{path}.combine: must be 'higher' or 'lower' (got {combine!r})"
                )
            if fixed == 0 and pct == 0:
                self.problems.append(
                    f"{path}: a cap of 0 would remove the fines cover; leave the part out instead"
                )
            caps[regime] = FinesCap(fixed, pct, str(combine))
        return caps

    def read_decision(self, data: Mapping[str, Any]) -> DecisionRules:
        dec = self.section(
            data,
            "decision",
            ("refer_score", "decline_score", "max_limit_usd", "max_rate_on_line", "hazards"),
        )
        refer = self.number(dec, "decision.refer_score", 0.0, 100.0)
        decline = self.number(dec, "decision.decline_score", 0.0, 100.0)
        if refer > decline:
            self.problems.append("decision: refer_score must be <= decline_score")
        max_limit = self.number(dec, "decision.max_limit_usd", 1.0, 1e12)
        max_rol = self.number(dec, "decision.max_rate_on_line", 0.001, 10.0)
        hazards: list[HazardRule] = []
        raw_hazards = dec.get("hazards", [])
        if not isinstance(raw_hazards, list):
            self.problems.append("decision.hazards: must be a list")
            raw_hazards = []
        codes: set[str] = set()
        for i, raw in enumerate(raw_hazards):
            hazard = self.read_hazard(raw, f"decision.hazards[{i}]")
            if hazard is not None:
                if hazard.code in codes:
                    self.problems.append(
                        f"decision.hazards[{i}].code: duplicate code {hazard.code!r}"
                    )
                codes.add(hazard.code)
                hazards.append(hazard)
        return DecisionRules(refer, decline, max_limit, tuple(hazards), max_rol)

    def read_hazard(self, raw: Any, path: str) -> HazardRule | None:
        keys = ("code", "action", "message", "when")
        if not isinstance(raw, Mapping):
            self.problems.append(f"{path}: must be a mapping with {list(keys)}")
            return None
        before = len(self.problems)
        self.problems += [f"{path}.{k}: unknown key" for k in raw if k not in keys]
        self.problems += [f"{path}.{k}: required key is missing" for k in keys if k not in raw]
        code, action, message, when = (raw.get(k) for k in keys)
        if "code" in raw and not (isinstance(code, str) and code.isidentifier()):
            self.problems.append(f"{path}.code: must be a snake_case identifier (got {code!r})")
        if "action" in raw and action not in ACTIONS:
            self.problems.append(f"{path}.action: must be one of {list(ACTIONS)} (got {action!r})")
        if "when" in raw and not (isinstance(when, list) and when):
            self.problems.append(f"{path}.when: must be a non-empty list of conditions")
            when = []
        conditions = []
        for j, c in enumerate(when or []):
            condition, problems = condition_problems(c, f"{path}.when[{j}]")
            self.problems += problems
            if condition is not None:
                conditions.append(condition)
        if len(self.problems) > before:
            return None
        return HazardRule(str(code), str(action), str(message), tuple(conditions))
