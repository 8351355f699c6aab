"""Cell checks of a bordereau table against the field spec, vectorised per column.

A :class:`Sheet` is one table as its reader gave it: a CSV as strings, a
Parquet file with native types (bool, int, float, string). Each ``read_*``
method checks one column with whole-column numpy/pyarrow operations, adds
every broken cell to the :class:`ValidationReport`, and returns the typed
values (NaN or "" where a cell is broken). Values are stripped of surrounding
spaces first. The only Python loops run over distinct set values and over the
few example defects kept per (file, column, rule).

For one cell the first broken rule wins: empty, then not a number / boolean /
date, then not a whole number, then out of range.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from models.spec.fields import SET_SEPARATOR, Field
from models.tables.defects import Defect, ValidationReport

_TRUE = ("true", "1")
_FALSE = ("false", "0")
_MAX_SHOWN_CHARS = 60


def text_cells(column: pd.Series) -> pd.Series:
    """The column as stripped strings; a missing cell (Parquet null) becomes ""."""
    text = column.astype("str")
    return text.where(column.notna(), "").str.strip()


def _to_float(text: pd.Series) -> np.ndarray:
    """Parse strings to float64; NaN where a cell is not a number or is empty."""
    try:  # pyarrow parses a clean column ~15x faster than pandas
        return pc.cast(pa.array(text.array), pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def is_member(text: pd.Series, values: Iterable[str] | pd.Series) -> np.ndarray:
    """Boolean mask: which strings of ``text`` are in ``values`` (hashed by pyarrow).

    pandas' isin on pyarrow strings builds a Python list of the column; this does not.
    """
    value_set = pa.array(
        values.array if isinstance(values, pd.Series) else list(values), pa.string()
    )
    found = pc.is_in(pa.array(text.array), value_set=value_set)
    return found.to_numpy(zero_copy_only=False).astype(bool)


def shown_value(value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return text if len(text) <= _MAX_SHOWN_CHARS else text[: _MAX_SHOWN_CHARS - 3] + "..."


def _number_text(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,}"


@dataclass
class Sheet:
    """One table under check: the name shown in defects, its raw frame, the report.

    ``first_data_line`` is the file line of data row 1 (2 for a CSV with a header
    and one line per record), or None when lines mean nothing (Parquet) or are
    not reliable (blank lines or multi-line quoted values were found).
    """

    name: str
    frame: pd.DataFrame
    report: ValidationReport
    first_data_line: int | None = None

    def __len__(self) -> int:
        return len(self.frame)

    def flag(
        self,
        mask: np.ndarray,
        column: str,
        rule: str,
        kind: str,
        shown: Callable[[int], str] | None = None,
    ) -> None:
        """Report every row where ``mask`` is true; only the first few keep their details.

        ``shown(i)`` gives the value to print for 0-based row ``i`` (default: the cell).
        """
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            return
        cells = self.frame[column] if shown is None else None
        examples = [
            Defect(
                self.name,
                int(r) + 1,
                column,
                shown_value(cells.iloc[r]) if cells is not None else shown(int(r)),  # type: ignore[misc]
                rule,
                kind,
                None if self.first_data_line is None else int(r) + self.first_data_line,
            )
            for r in rows[: self.report.max_examples]
        ]
        self.report.add_group(self.name, column, rule, kind, int(rows.size), examples)

    # --- one column each ---------------------------------------------------

    def read_number(
        self,
        column: str,
        low: float,
        high: float,
        rule: str,
        *,
        whole: bool = False,
        required: bool = True,
        range_kind: str = "out_of_range",
    ) -> np.ndarray:
        """Float64 values; NaN where empty, not a number, not whole or outside [low, high]."""
        raw = self.frame[column]
        if pd.api.types.is_bool_dtype(raw):
            values = np.full(len(raw), np.nan)
            empty = raw.isna().to_numpy()
            bad = ~empty
        elif pd.api.types.is_numeric_dtype(raw):
            values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
            empty = np.isnan(values)
            bad = np.isinf(values)
        else:
            text = text_cells(raw)
            empty = (text == "").to_numpy(dtype=bool)
            values = _to_float(text)
            bad = ~empty & ~np.isfinite(values)
        if required:
            self.flag(empty, column, "a value is required", "empty")
        self.flag(bad, column, "must be a number", "not_a_number")
        ok = ~empty & ~bad
        if whole:
            fractional = ok & (values != np.floor(np.where(ok, values, 0.0)))
            self.flag(fractional, column, "must be a whole number", "not_whole")
            ok &= ~fractional
        outside = ok & ((values < low) | (values > high))
        self.flag(outside, column, rule, range_kind)
        ok &= ~outside
        return np.where(ok, values, np.nan)

    def read_field_number(self, f: Field) -> np.ndarray:
        """An int or number field of the spec, checked against its range."""
        low, high = float(f.minimum or 0), float(f.maximum or 0)
        unit = f" {f.unit}" if f.unit else ""
        rule = f"must be between {_number_text(low)} and {_number_text(high)}{unit}"
        return self.read_number(f.name, low, high, rule, whole=f.kind == "int")

    def read_bool(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(values, valid): true/false/1/0 in any case in a CSV; bool (or 0/1) in Parquet."""
        raw = self.frame[column]
        if pd.api.types.is_bool_dtype(raw) and not raw.isna().any():
            return raw.to_numpy(dtype=bool), np.ones(len(raw), dtype=bool)
        text = text_cells(raw).str.lower()
        empty = (text == "").to_numpy(dtype=bool)
        is_true = is_member(text, _TRUE)
        is_false = is_member(text, _FALSE)
        self.flag(empty, column, "a value is required", "empty")
        bad = ~empty & ~is_true & ~is_false
        self.flag(bad, column, "must be true or false (or 1 or 0)", "bad_boolean")
        return is_true, is_true | is_false

    def read_text(self, column: str, *, required: bool = True) -> pd.Series:
        """Stripped strings (identifiers, dates); "" where empty."""
        text = text_cells(self.frame[column])
        if required:
            self.flag((text == "").to_numpy(dtype=bool), column, "a value is required", "empty")
        return text

    def read_choice(self, column: str, allowed: tuple[str, ...], kind: str) -> pd.Series:
        """One of ``allowed`` (exact spelling); "" where empty or unknown."""
        text = self.read_text(column)
        known = is_member(text, allowed)
        unknown = ~known & (text != "").to_numpy(dtype=bool)
        self.flag(unknown, column, f"must be one of: {', '.join(allowed)}", kind)
        return text.where(known, "")

    def read_set(self, f: Field) -> pd.Series:
        """Members joined by "|" -> the canonical set in spec order; "" also where broken."""
        return self.read_members(f.name, f.values)

    def read_members(self, column: str, allowed: tuple[str, ...]) -> pd.Series:
        """Distinct members of ``allowed`` joined by "|" -> joined in ``allowed``'s order.

        "" where empty (the empty set) and where broken (reported).
        """
        text = text_cells(self.frame[column])
        codes, distinct = pd.factorize(text)
        canonical = np.empty(len(distinct), dtype=object)
        unknown = np.zeros(len(distinct), dtype=bool)
        repeated = np.zeros(len(distinct), dtype=bool)
        for i, joined in enumerate(distinct):  # distinct sets: at most 2^7 when valid
            members = [m.strip() for m in joined.split(SET_SEPARATOR)] if joined else []
            unknown[i] = not set(members) <= set(allowed)
            repeated[i] = len(set(members)) != len(members)
            canonical[i] = SET_SEPARATOR.join(v for v in allowed if v in members)
        rule = f"members must be from: {', '.join(allowed)}"
        self.flag(unknown[codes], column, rule, "unknown_member")
        self.flag(
            repeated[codes] & ~unknown[codes], column, "members must be distinct", "repeated_member"
        )
        broken = (unknown | repeated)[codes]
        return pd.Series(np.where(broken, "", canonical[codes]), dtype="str")

    def read_name_list(self, column: str, max_names: int, max_chars: int) -> pd.Series:
        """Names joined by "|" (empty = none): at most ``max_names``, each 1..max_chars long."""
        text = text_cells(self.frame[column])
        names = pc.split_pattern(pa.array(text.array), SET_SEPARATOR)
        nonempty = (text != "").to_numpy(dtype=bool)
        count = np.where(nonempty, pc.list_value_length(names).to_numpy(zero_copy_only=False), 0)
        self.flag(count > max_names, column, f"must list at most {max_names} names", "too_long")
        lengths = pc.utf8_length(pc.utf8_trim_whitespace(pc.list_flatten(names))).to_numpy()
        parent = pc.list_parent_indices(names).to_numpy()
        bad_name = np.zeros(len(text), dtype=bool)
        bad_name[parent[(lengths < 1) | (lengths > max_chars)]] = True
        rule = f"each name must have 1 to {max_chars} characters"
        self.flag(bad_name & nonempty & (count <= max_names), column, rule, "bad_name")
        return text

    def read_date(self, column: str) -> pd.Series:
        """An optional ISO date (YYYY-MM-DD); NaT where empty or broken."""
        raw = self.frame[column]
        if pd.api.types.is_datetime64_any_dtype(raw):
            return raw
        text = text_cells(raw)
        dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        bad = dates.isna().to_numpy() & (text != "").to_numpy(dtype=bool)
        self.flag(bad, column, "must be an ISO date (YYYY-MM-DD)", "bad_date")
        return dates

    def flag_duplicates(self, ids: pd.Series, column: str) -> None:
        """Report every repeat of an identifier after its first row (empty ids aside)."""
        codes, _ = pd.factorize(ids)
        if len(codes) == 0:
            return
        _, first_index = np.unique(codes, return_index=True)
        first_row = np.empty(len(first_index), dtype=np.int64)
        first_row[codes[first_index]] = first_index
        repeat = (first_row[codes] != np.arange(len(codes))) & (ids != "").to_numpy(dtype=bool)

        def shown(i: int) -> str:
            return f"{shown_value(ids.iloc[i])} (first in row {first_row[codes[i]] + 1})"

        self.flag(repeat, column, "must be unique", "duplicate_id", shown)
