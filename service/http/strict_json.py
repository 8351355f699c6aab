"""Strict JSON request bodies.

Python's json module accepts ``NaN``, ``Infinity`` and ``1e400`` (read as
infinity) and silently keeps the last of two duplicate keys; a pricing API
must refuse all of them. Malformed JSON is a 400, never a 500: over-long
integers, deep nesting and bad UTF-8 are caught too.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Request
from marshmallow import Schema
from webargs import core
from webargs.flaskparser import FlaskParser

from service.http.errors import ApiError


class StrictJSONError(ValueError):
    """The body is not strict JSON; the message says why and where."""


def _reject_constant(name: str) -> Any:
    raise StrictJSONError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise StrictJSONError(f"number {text[:32]} is out of range")
    return value


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise StrictJSONError(f"duplicate key {key[:64]!r}")
        out[key] = value
    return out


def loads_strict(data: bytes | str) -> Any:
    """Parse JSON, refusing NaN/Infinity, overflowing numbers and duplicate keys."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_no_duplicate_keys,
        )
    except StrictJSONError:
        raise
    except RecursionError as exc:
        raise StrictJSONError("nesting is too deep") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        # JSONDecodeError says line and column; int-size limits raise ValueError.
        raise StrictJSONError(str(exc)[:200]) from exc


class StrictJSONParser(FlaskParser):
    """webargs parser reading every JSON body strictly, whatever its Content-Type."""

    def load_json(self, req: Request, schema: Schema) -> Any:
        data = req.get_data(cache=True)  # raises 413 over MAX_CONTENT_LENGTH
        if not data.strip():
            return core.missing
        try:
            return loads_strict(data)
        except StrictJSONError as exc:
            raise ApiError(400, f"Request body is not valid JSON: {exc}.") from exc
