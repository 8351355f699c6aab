"""The rules of a policies and a claims bordereau (CONTRACT §2), checked on a Sheet.

Column lists, per-column checks through :class:`~training.bordereau.sheet.Sheet`,
the cross-field rules of the field spec, the optional policy terms, and the
links between the files (unique ids, claims for known policies). Every broken
rule goes into the report; nothing here raises on bad data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.spec.contract import CLAIM_CAUSES, LIMIT_USD_MAX, LIMIT_USD_MIN, MAX_EXPOSURE_YEARS
from models.spec.fields import (
    CROSS_FIELD_RULES,
    FIELDS_BY_NAME,
    MODEL_FIELDS,
    VENDOR_NAME_MAX_LENGTH,
)
from training.bordereau.defects import Defect
from training.bordereau.sheet import Sheet, is_member

POLICY_COLUMNS = ("policy_id", "exposure_years", *(f.name for f in MODEL_FIELDS))
OPTIONAL_POLICY_COLUMNS = ("period_start", "vendors", "limit_usd", "retention_usd")
CLAIM_COLUMNS = ("claim_id", "policy_id", "loss_usd", "cause")
LIMIT_USD_RANGE = (float(LIMIT_USD_MIN), float(LIMIT_USD_MAX))
_ABOVE_ZERO = float(np.nextafter(0.0, 1.0))  # "> 0" as an inclusive lower bound


def _repeated_header(column: str, columns: pd.Index) -> bool:
    """pandas renames a repeated header ``x`` to ``x.1``, ``x.2``..."""
    base, dot, suffix = column.rpartition(".")
    return bool(dot) and suffix.isdigit() and base in columns


def _check_columns(sheet: Sheet, required: tuple[str, ...], optional: tuple[str, ...]) -> bool:
    """Report missing required columns, warn about extra ones; False when a file has no rows."""
    for column in required:
        if column not in sheet.frame.columns:
            rule = "required column is missing"
            sheet.report.add(Defect(sheet.name, None, column, "", rule, "missing_column"))
    extra = [c for c in sheet.frame.columns if c not in required and c not in optional]
    for column in [c for c in extra if _repeated_header(c, sheet.frame.columns)]:
        rule = f"column {column.rsplit('.', 1)[0]} appears more than once in the header"
        sheet.report.add(Defect(sheet.name, None, None, "", rule, "duplicate_column"))
        extra.remove(column)
    if extra:
        sheet.report.warnings.append(f"{sheet.name}: extra columns ignored: {', '.join(extra)}")
    return len(sheet) > 0


def _check_cross_field_rules(sheet: Sheet, typed: dict[str, object]) -> None:
    """Flag rows breaking a rule of models.spec.fields; each defect names all the rule's fields."""
    for rule in CROSS_FIELD_RULES:
        names = (rule.field, *rule.bound_fields)
        if not all(n in typed for n in names):
            continue
        values = {n: np.asarray(typed[n], dtype=np.float64) for n in names}
        bound = np.sum([values[n] for n in rule.bound_fields], axis=0)
        broken = values[rule.field] > bound  # False where any value is NaN (already reported)

        def shown(i: int, names: tuple[str, ...] = names) -> str:
            return ", ".join(f"{n}={sheet.frame[n].iloc[i]}" for n in names)

        sheet.flag(broken, ", ".join(names), rule.message, "cross_field", shown)


def _check_policy_terms(sheet: Sheet, typed: dict[str, object]) -> None:
    """Optional limit_usd / retention_usd columns (read by scoring); empty = not given."""
    limit = retention = None
    if "limit_usd" in sheet.frame:
        low, high = LIMIT_USD_RANGE
        rule = "must be between 100,000 and 500,000,000 USD"
        limit = sheet.read_number("limit_usd", low, high, rule, required=False)
        typed["limit_usd"] = limit
    if "retention_usd" in sheet.frame:
        rule = "must be >= 0 USD"
        retention = sheet.read_number("retention_usd", 0.0, np.inf, rule, required=False)
        typed["retention_usd"] = retention
    if limit is not None and retention is not None:

        def shown(i: int) -> str:
            cells = sheet.frame.iloc[i]
            return f"retention_usd={cells['retention_usd']}, limit_usd={cells['limit_usd']}"

        rule = "retention_usd must be < limit_usd"
        sheet.flag(retention >= limit, "retention_usd, limit_usd", rule, "cross_field", shown)


def _read_model_field(sheet: Sheet, name: str) -> object:
    f = FIELDS_BY_NAME[name]
    if f.is_numeric:
        return sheet.read_field_number(f)
    if f.kind == "bool":
        return sheet.read_bool(name)[0]
    if f.kind == "set":
        return sheet.read_set(f)
    return sheet.read_choice(name, f.values, "unknown_value")


def check_policies(sheet: Sheet) -> tuple[pd.DataFrame | None, pd.Series | None]:
    """Check a policies sheet: (typed frame, or None if it has defects; the policy ids read)."""
    before = sheet.report.defect_count
    if not _check_columns(sheet, POLICY_COLUMNS, OPTIONAL_POLICY_COLUMNS):
        sheet.report.add(Defect(sheet.name, None, None, "", "has no policy rows", "no_rows"))
    typed: dict[str, object] = {}
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
    for f in MODEL_FIELDS:
        if f.name in sheet.frame:
            typed[f.name] = _read_model_field(sheet, f.name)
    _check_cross_field_rules(sheet, typed)
    if "vendors" in sheet.frame:
        limit = int(FIELDS_BY_NAME["vendors"].maximum or 0)
        typed["vendors"] = sheet.read_name_list("vendors", limit, VENDOR_NAME_MAX_LENGTH)
    _check_policy_terms(sheet, typed)
    if sheet.report.defect_count > before:
        return None, ids
    return _typed_frame(typed), ids


def _typed_frame(typed: dict[str, object]) -> pd.DataFrame:
    columns: dict[str, object] = {}
    for name, values in typed.items():
        f = FIELDS_BY_NAME.get(name)
        if f is not None and f.kind == "int":
            values = np.asarray(values).astype(np.int64)
        columns[name] = values
    return pd.DataFrame(columns)


def check_claims(sheet: Sheet, policy_ids: pd.Series | None) -> pd.DataFrame | None:
    """Check a claims sheet against the policy ids read (None: policies unreadable)."""
    before = sheet.report.defect_count
    _check_columns(sheet, CLAIM_COLUMNS, ())
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
