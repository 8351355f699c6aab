"""Policies and claims bordereaux (CONTRACT §2): read a CSV or Parquet file, check it, type it.

``load_bordereaux`` is what training calls, ``read_policies`` what scoring
calls; both raise :class:`BordereauError` carrying the whole
:class:`~training.validation.ValidationReport` when any rule is broken, so no
model is ever fitted on a partly valid file.

Rows are numbered from 1 over data rows (the header is not a row); in a CSV
with one line per record, row N is line N + 1 and defects say so. Where a
CSV has blank lines (skipped) or quoted values spanning lines, only the row
is given. CSV booleans are ``true``/``false`` in any case, or ``1``/``0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.fields import CROSS_FIELD_RULES, FIELDS_BY_NAME, MODEL_FIELDS, VENDOR_NAME_MAX_LENGTH
from training.errors import TrainingInputError
from training.validation import Defect, Sheet, ValidationReport, is_member

_PARQUET_MAGIC = b"PAR1"
_CSV_SUFFIXES = (".csv", ".csv.gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_FORMAT_NAMES = {"csv": "CSV (UTF-8)", "parquet": "Parquet"}

CLAIM_CAUSES = (
    "ransomware",
    "data_breach",
    "business_email_compromise",
    "ot_disruption",
    "vendor_outage",
    "privacy_regulatory",
    "other",
)
POLICY_COLUMNS = ("policy_id", "exposure_years", *(f.name for f in MODEL_FIELDS))
OPTIONAL_POLICY_COLUMNS = ("period_start", "vendors", "limit_usd", "retention_usd")
CLAIM_COLUMNS = ("claim_id", "policy_id", "loss_usd", "cause")
MAX_EXPOSURE_YEARS = 1.5
LIMIT_USD_RANGE = (100_000.0, 500_000_000.0)
_ABOVE_ZERO = float(np.nextafter(0.0, 1.0))  # "> 0" as an inclusive lower bound


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


def _file_format(path: Path) -> str | None:
    with path.open("rb") as fh:
        magic = fh.read(len(_PARQUET_MAGIC))
    name = path.name.lower()
    if magic == _PARQUET_MAGIC or name.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    return "csv" if name.endswith(_CSV_SUFFIXES) else None


def _csv_first_data_line(path: Path, rows: int) -> int | None:
    """2 when every record is exactly one line after the header, else None (unknown)."""
    if path.name.lower().endswith(".gz"):
        return None
    newlines, last = 0, b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 24):
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    lines = newlines + (last != b"\n")
    return 2 if lines == rows + 1 else None


def open_sheet(path: str | Path, report: ValidationReport) -> Sheet | None:
    """Read one file into a :class:`Sheet`, or report why it cannot be read and return None.

    CSV cells are read as strings (nothing is guessed: "NA" is text, "" is
    empty); Parquet columns keep their native types. Column names are stripped.
    """
    path, name = Path(path), str(path)

    def unreadable(rule: str, kind: str = "unreadable_file") -> None:
        report.add(Defect(name, None, None, "", rule, kind))

    kind: str | None = None
    if not path.is_file():
        unreadable("no such file" if not path.exists() else "not a file", "missing_file")
        return None
    try:
        if path.stat().st_size == 0:
            unreadable("the file is empty", "empty_file")
            return None
        kind = _file_format(path)
        if kind is None:
            unreadable("neither CSV nor Parquet: name it .csv or .parquet", "unsupported_format")
            return None
        if kind == "parquet":
            frame, first_line = pd.read_parquet(path), None
        else:
            frame = pd.read_csv(path, engine="pyarrow", dtype=str, keep_default_na=False)
            first_line = _csv_first_data_line(path, len(frame))
    except Exception as exc:  # any reader failure is a defect of the file, never a traceback
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        unreadable(f"cannot be read as {_FORMAT_NAMES.get(kind or '', 'a file')}: {message}")
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    return Sheet(name, frame.reset_index(drop=True), report, first_line)


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
    """Flag rows breaking a rule of models.fields; each defect names all the rule's fields."""
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
