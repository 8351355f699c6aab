"""The rules of a policies and a claims bordereau (CONTRACT §2), checked on a Sheet.

Column lists, the checks every policies-like file shares
(models/tables/exposure_columns.py: exposure fields, cross-field rules,
vendors, optional policy terms), and the links between the files (unique
ids, claims for known policies). Every broken rule goes into the report;
nothing here raises on bad data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.spec.contract import CLAIM_CAUSES, MAX_EXPOSURE_YEARS
from models.tables.defects import Defect
from models.tables.exposure_columns import (
    EXPOSURE_COLUMNS,
    Typed,
    check_columns,
    read_exposure_fields,
    read_policy_terms,
    typed_frame,
)
from models.tables.sheet import Sheet, is_member

POLICY_COLUMNS = ("policy_id", "exposure_years", *EXPOSURE_COLUMNS)
OPTIONAL_POLICY_COLUMNS = ("period_start", "vendors", "limit_usd", "retention_usd")
CLAIM_COLUMNS = ("claim_id", "policy_id", "loss_usd", "cause")
_ABOVE_ZERO = float(np.nextafter(0.0, 1.0))  # "> 0" as an inclusive lower bound


def check_policies(sheet: Sheet) -> tuple[pd.DataFrame | None, pd.Series | None]:
    """Check a policies sheet: (typed frame, or None if it has defects; the policy ids read)."""
    before = sheet.report.defect_count
    if not check_columns(sheet, POLICY_COLUMNS, OPTIONAL_POLICY_COLUMNS):
        sheet.report.add(Defect(sheet.name, None, None, "", "has no policy rows", "no_rows"))
    typed: Typed = {}
    ids = None
    if "policy_id" in sheet.frame:
        ids = typed["policy_id"] = sheet.read_text("policy_id")
        sheet.flag_duplicates(ids, "policy_id")
    if "exposure_years" in sheet.frame:
        rule = f"must be > 0 and <= {MAX_EXPOSURE_YEARS} years"
        typed["exposure_years"] = sheet.read_number(
            "exposure_years", _ABOVE_ZERO, MAX_EXPOSURE_YEARS, rule
        )
    if "period_start" in sheet.frame:
        typed["period_start"] = sheet.read_date("period_start")
    read_exposure_fields(sheet, typed)
    read_policy_terms(sheet, typed, required=False)
    if sheet.report.defect_count > before:
        return None, ids
    return typed_frame(typed), ids


def check_claims(sheet: Sheet, policy_ids: pd.Series | None) -> pd.DataFrame | None:
    """Check a claims sheet against the policy ids read (None: policies unreadable)."""
    before = sheet.report.defect_count
    check_columns(sheet, CLAIM_COLUMNS, ())
    typed: dict[str, object] = {}
    if "claim_id" in sheet.frame:
        typed["claim_id"] = sheet.read_text("claim_id")
        sheet.flag_duplicates(typed["claim_id"], "claim_id")  # type: ignore[arg-type]
    if "policy_id" in sheet.frame:
        ids = typed["policy_id"] = sheet.read_text("policy_id")
        if policy_ids is not None:
            unknown = (ids != "").to_numpy(dtype=bool) & ~is_member(ids, policy_ids)
            sheet.flag(
                unknown, "policy_id", "must be a policy_id of the policies file", "unknown_policy"
            )
    if "loss_usd" in sheet.frame:
        rule = "must be > 0 (ground-up loss in USD)"
        typed["loss_usd"] = sheet.read_number(
            "loss_usd", _ABOVE_ZERO, np.inf, rule, range_kind="non_positive_loss"
        )
    if "cause" in sheet.frame:
        typed["cause"] = sheet.read_choice("cause", CLAIM_CAUSES, "unknown_cause")
    if sheet.report.defect_count > before:
        return None
    return pd.DataFrame({c: typed[c] for c in CLAIM_COLUMNS})
