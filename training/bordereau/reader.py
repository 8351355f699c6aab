"""Policies and claims bordereaux (CONTRACT §2): read a CSV or Parquet file, check it, type it.

``load_bordereaux`` is what training calls, ``read_policies`` what scoring
calls; both raise :class:`BordereauError` carrying the whole
:class:`~models.tables.defects.ValidationReport` when any rule is broken, so no
model is ever fitted on a partly valid file.

Files are opened by models/tables/opening.py: rows numbered from 1 over data
rows, with the CSV line where it is known. CSV booleans are ``true``/``false``
in any case, or ``1``/``0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.tables.defects import ValidationReport
from models.tables.opening import open_sheet
from training.bordereau.rules import check_claims, check_policies
from training.errors import TrainingInputError


class BordereauError(TrainingInputError):
    """A bordereau broke at least one rule; ``report`` lists every defect."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.format())
        self.report = report


@dataclass
class Bordereaux:
    """A valid, typed pair of bordereaux.

    ``policies``: policy_id, exposure_years (years), period_start if given,
    every model field (int64, float64, bool, str; sets canonical "|"-joined),
    then vendors, limit_usd and retention_usd (USD) if given.
    ``claims``: claim_id, policy_id, loss_usd (ground-up USD), cause.
    """

    policies: pd.DataFrame
    claims: pd.DataFrame
    report: ValidationReport


_NO_CLAIMS = pd.DataFrame(
    {
        "claim_id": pd.Series(dtype="str"),
        "policy_id": pd.Series(dtype="str"),
        "loss_usd": pd.Series(dtype=np.float64),
        "cause": pd.Series(dtype="str"),
    }
)


def summarise(policies: pd.DataFrame, claims: pd.DataFrame | None) -> str:
    """One line: policies, exposure-years, claims, total loss (USD)."""
    text = (
        f"valid: {len(policies):,} policies, {policies['exposure_years'].sum():,.2f} exposure-years"
    )
    if claims is not None:
        text += f"; {len(claims):,} claims, total loss USD {claims['loss_usd'].sum():,.0f}"
    return text


def read_policies(path: str | Path, *, report: ValidationReport | None = None) -> pd.DataFrame:
    """Read, check and type a policies file alone (e.g. one to score).

    Pass ``report`` to receive the warnings (extra columns ignored).
    Raises BordereauError listing every defect.
    """
    report = report if report is not None else ValidationReport()
    sheet = open_sheet(path, report)
    policies = check_policies(sheet)[0] if sheet is not None else None
    if policies is None or not report.ok:
        raise BordereauError(report)
    report.summary = summarise(policies, None)
    return policies


def validate_bordereaux(
    policies_path: str | Path, claims_path: str | Path | None, report: ValidationReport
) -> Bordereaux | None:
    """Check a policies file and (optionally) its claims file into ``report``.

    Returns the typed pair when both are valid, else None; never raises on bad data.
    """
    policy_sheet = open_sheet(policies_path, report)
    policies, ids = check_policies(policy_sheet) if policy_sheet is not None else (None, None)
    claims: pd.DataFrame | None = _NO_CLAIMS.copy()
    if claims_path is not None:
        claim_sheet = open_sheet(claims_path, report)
        claims = check_claims(claim_sheet, ids) if claim_sheet is not None else None
    if not report.ok or policies is None or claims is None:
        return None
    report.summary = summarise(policies, claims if claims_path is not None else None)
    return Bordereaux(policies, claims, report)


def load_bordereaux(policies_path: str | Path, claims_path: str | Path) -> Bordereaux:
    """Read, check and type a policies file and its claims file.

    Raises BordereauError (a TrainingInputError) listing every defect of both files.
    """
    report = ValidationReport()
    bordereaux = validate_bordereaux(policies_path, claims_path, report)
    if bordereaux is None:
        raise BordereauError(report)
    return bordereaux
