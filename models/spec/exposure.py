"""Exposure records <-> the exposure frame every model function reads.

An exposure *record* is what the API carries: a dict with Python values, sets
as lists of member names. The exposure *frame* is a pandas DataFrame with one
column per model field; a set is stored as its members joined by ``|`` in the
spec's order (the CSV form of CONTRACT §1), so that records, CSV files and
Parquet files all meet in one shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS, SET_SEPARATOR


def canonical_set(members: Iterable[str], field_name: str) -> str:
    """Join set members in the spec's order, e.g. ``water|transit``."""
    chosen = set(members)
    order = FIELDS_BY_NAME[field_name].values
    return SET_SEPARATOR.join(v for v in order if v in chosen)


def parse_set(text: str) -> list[str]:
    """Split a ``|``-joined set; the empty string is the empty set."""
    return [m for m in str(text).split(SET_SEPARATOR) if m] if text else []


def records_to_frame(records: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Build the exposure frame from already-validated exposure records."""
    columns: dict[str, list[object]] = {f.name: [] for f in MODEL_FIELDS}
    for record in records:
        for f in MODEL_FIELDS:
            value = record[f.name]
            if f.kind == "set":
                value = canonical_set(value, f.name)  # type: ignore[arg-type]
            columns[f.name].append(value)
    return pd.DataFrame(columns)


def frame_to_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Inverse of :func:`records_to_frame` (sets back to lists)."""
    out: list[dict[str, object]] = []
    for row in frame[[f.name for f in MODEL_FIELDS]].to_dict(orient="records"):
        record: dict[str, object] = {}
        for f in MODEL_FIELDS:
            value = row[f.name]
            if f.kind == "set":
                value = parse_set(value)
            elif f.kind == "int":
                value = int(value)
            elif f.kind == "number":
                value = float(value)
            elif f.kind == "bool":
                value = bool(value)
            record[f.name] = value
        out.append(record)
    return out
