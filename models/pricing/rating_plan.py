"""The rating plan: every actuarial number of the premium, in a versioned YAML file.

This module holds the plan's frozen data and the names it is checked
against; models/pricing/rating_plan_reader.py reads and validates plan files
into it. Actuaries edit models/rating_plans/<version>.yaml;
:func:`~models.pricing.rating_plan_reader.load_rating_plan` validates it
completely and raises :class:`RatingPlanError` listing every problem, each
naming its key (``loads.expense_ratio: ...``). A quote stores
``plan.version`` and ``plan.to_dict()`` so that it can be explained and
reproduced after the plan changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from models.pricing.decision import DecisionRules
from models.spec.fields import FIELDS_BY_NAME

FINES_PART = "regulatory_fines"
PRIVACY_REGIMES: tuple[str, ...] = FIELDS_BY_NAME["privacy_regime"].values
RISK_MEASURES = ("tvar", "var")


class RatingPlanError(ValueError):
    """A rating plan file that breaks a rule; ``problems`` name key and rule."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source, self.problems = source, problems
        super().__init__(
            f"{source}: invalid rating plan\n" + "\n".join(f"  - {p}" for p in problems)
        )


@dataclass(frozen=True)
class Loads:
    """Premium loadings: ratios of gross premium, risk load share, minimum (USD)."""

    expense_ratio: float
    profit_margin: float
    risk_measure: str  # "tvar" (mean of the worst 1 - p periods) or "var" (1-in-1/(1-p))
    risk_probability: float
    risk_load_share: float  # risk load = share x (risk measure - expected loss)
    minimum_premium_usd: float
    # capital load = cost_of_capital x the city's marginal TVaR 99.5% on the
    # insurer's book (CONTRACT §7 delta_aep_tvar_200_usd) x the period in years
    cost_of_capital: float = 0.0


@dataclass(frozen=True)
class FinesCap:
    """Legal maximum fine: max (``higher``) or min (``lower``) of a fixed amount and a revenue share."""

    fixed_usd: float
    revenue_pct: float
    combine: str

    def cap_usd(self, annual_revenue_usd: float) -> float:
        share = self.revenue_pct / 100.0 * annual_revenue_usd
        return (
            max(self.fixed_usd, share) if self.combine == "higher" else min(self.fixed_usd, share)
        )


@dataclass(frozen=True)
class RatingPlan:
    """A validated rating plan; see models/rating_plans/*.yaml for the meaning of each number."""

    version: str
    effective_from: str
    description: str
    loads: Loads
    # cause -> coverage part -> share of that cause's ground-up loss; every
    # cause of CLAIM_CAUSES and every part of COVERAGE_PARTS present (0 = none)
    cause_coverage_shares: Mapping[str, Mapping[str, float]]
    fines_caps: Mapping[str, FinesCap]
    decision: DecisionRules

    @cached_property
    def derived(self) -> dict[Any, Any]:
        """What pricing derives from the plan's numbers, kept per key by its user (premium.py).

        A plan never changes, so a quote need not rebuild, say, the share arrays
        of the parts it bought from ``cause_coverage_shares`` (issue 13).
        """
        return {}

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain data, in the file's layout (``read_rating_plan`` reads it back)."""
        ld = self.loads
        return {
            "version": self.version,
            "effective_from": self.effective_from,
            "description": self.description,
            "loads": {
                "expense_ratio": ld.expense_ratio,
                "profit_margin": ld.profit_margin,
                "minimum_premium_usd": ld.minimum_premium_usd,
                # only when set, so a plan without it hashes as it always did
                **({"cost_of_capital": ld.cost_of_capital} if ld.cost_of_capital else {}),
            },
            "risk_load": {
                "measure": ld.risk_measure,
                "probability": ld.risk_probability,
                "share": ld.risk_load_share,
            },
            # the file's layout: a part a cause never reaches is left out (reads back as 0)
            "cause_coverages": {
                cause: {part: share for part, share in shares.items() if share > 0}
                for cause, shares in self.cause_coverage_shares.items()
            },
            "fines_caps": {
                r: {"fixed_usd": c.fixed_usd, "revenue_pct": c.revenue_pct, "combine": c.combine}
                for r, c in self.fines_caps.items()
            },
            "decision": self.decision.to_dict(),
        }

    def content_sha256(self) -> str:
        """SHA-256 of the plan's numbers and rules (canonical JSON of ``to_dict``).

        Stored in every quote beside the version, so a plan file edited in
        place instead of versioned shows up as a different hash.
        """
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()
