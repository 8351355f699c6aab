"""The columns every policies-like file shares: the header, the exposure fields, the terms.

A training policies file (CONTRACT §2), a file to score (§3) and an insurer's
book file (§7) all carry one row per city with every exposure field of the
field spec, optional vendors, and a limit and retention; these checks are
written once here so that each file names a broken cell the same way. Every
broken rule goes into the sheet's report; nothing here raises on bad data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.spec.contract import LIMIT_USD_MAX, LIMIT_USD_MIN
from models.spec.fields import (
    CROSS_FIELD_RULES,
    FIELDS_BY_NAME,
    MODEL_FIELDS,
    VENDOR_NAME_MAX_LENGTH,
)
from models.tables.defects import Defect
from models.tables.sheet import Sheet

LIMIT_USD_RANGE = (float(LIMIT_USD_MIN), float(LIMIT_USD_MAX))
EXPOSURE_COLUMNS = tuple(f.name for f in MODEL_FIELDS)

#: A column name -> its values as read (arrays or Series), filled in column by column.
Typed = dict[str, object]


def _repeated_header(column: str, columns: pd.Index) -> bool:
    """pandas renames a repeated header ``x`` to ``x.1``, ``x.2``..."""
    base, dot, suffix = column.rpartition(".")
    return bool(dot) and suffix.isdigit() and base in columns


def check_columns(sheet: Sheet, required: tuple[str, ...], optional: tuple[str, ...]) -> bool:
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


def _check_cross_field_rules(sheet: Sheet, typed: Typed) -> None:
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


def _read_model_field(sheet: Sheet, name: str) -> object:
    f = FIELDS_BY_NAME[name]
    if f.is_numeric:
        return sheet.read_field_number(f)
    if f.kind == "bool":
        return sheet.read_bool(name)[0]
    if f.kind == "set":
        return sheet.read_set(f)
    return sheet.read_choice(name, f.values, "unknown_value")


def read_exposure_fields(sheet: Sheet, typed: Typed) -> None:
    """Every exposure field present, the cross-field rules, and ``vendors`` if present."""
    for f in MODEL_FIELDS:
        if f.name in sheet.frame:
            typed[f.name] = _read_model_field(sheet, f.name)
    _check_cross_field_rules(sheet, typed)
    if "vendors" in sheet.frame:
        limit = int(FIELDS_BY_NAME["vendors"].maximum or 0)
        typed["vendors"] = sheet.read_name_list("vendors", limit, VENDOR_NAME_MAX_LENGTH)


def read_policy_terms(sheet: Sheet, typed: Typed, *, required: bool) -> None:
    """limit_usd (100,000-500,000,000) and retention_usd (0 <= r < limit), USD.

    ``required`` False: an empty cell means "not given" (a file to score).
    """
    limit = retention = None
    if "limit_usd" in sheet.frame:
        low, high = LIMIT_USD_RANGE
        rule = "must be between 100,000 and 500,000,000 USD"
        limit = sheet.read_number("limit_usd", low, high, rule, required=required)
        typed["limit_usd"] = limit
    if "retention_usd" in sheet.frame:
        rule = "must be >= 0 USD"
        retention = sheet.read_number("retention_usd", 0.0, np.inf, rule, required=required)
        typed["retention_usd"] = retention
    if limit is not None and retention is not None:

        def shown(i: int) -> str:
            cells = sheet.frame.iloc[i]
            return f"retention_usd={cells['retention_usd']}, limit_usd={cells['limit_usd']}"

        rule = "retention_usd must be < limit_usd"
        sheet.flag(retention >= limit, "retention_usd, limit_usd", rule, "cross_field", shown)


def typed_frame(typed: Typed) -> pd.DataFrame:
    """The checked columns as a frame: int fields as int64, the rest as read."""
    columns: dict[str, object] = {}
    for name, values in typed.items():
        f = FIELDS_BY_NAME.get(name)
        if f is not None and f.kind == "int":
            values = np.asarray(values).astype(np.int64)
        columns[name] = values
    return pd.DataFrame(columns)
