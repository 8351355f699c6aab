"""Policies in force as a book: the frame of ``training accumulate``'s book file.

One shape serves three uses, so they cannot drift apart: the Book the
service simulates, the CSV that ``GET /v1/book/export`` returns (CONTRACT
§7: ``policy_id``, ``limit_usd``, ``retention_usd``, every exposure field,
``vendors`` and ``coverages`` joined by ``|``), and the one-policy book of a
city being quoted. The service's Book is ``Book.from_frame`` of the very
frame it exports, so the command line run on the export sees the same
columns and values and reproduces the service's figures.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from models.accumulation.book import Book
from models.spec.exposure import records_to_frame
from models.spec.fields import MODEL_FIELDS, SET_SEPARATOR

BOOK_FILE_COLUMNS: tuple[str, ...] = (
    "policy_id",
    "limit_usd",
    "retention_usd",
    *(f.name for f in MODEL_FIELDS),
    "vendors",
    "coverages",
)


@dataclass(frozen=True)
class BookEntry:
    """One policy as the book's simulation reads it (USD amounts; names as given)."""

    policy_id: str
    limit_usd: float
    retention_usd: float
    exposure: Mapping[str, Any]  # every model field (vendors are read from ``vendors``)
    vendors: tuple[str, ...]
    coverages: tuple[str, ...]


def policy_id_of_quote(quote_id: str) -> str:
    """ "p_" + the quote id's hex part: the same random draws before and after binding."""
    return "p_" + quote_id.removeprefix("q_")


def quote_entry(quote_id: str, exposure: Mapping[str, Any], policy: Mapping[str, Any]) -> BookEntry:
    """The entry a quote would become if it were bound (its candidate policy)."""
    return BookEntry(
        policy_id_of_quote(quote_id),
        float(policy["limit_usd"]),
        float(policy["retention_usd"]),
        {f.name: exposure[f.name] for f in MODEL_FIELDS},
        tuple(exposure.get("vendors") or ()),
        tuple(policy["coverages"]),
    )


def book_frame(entries: Sequence[BookEntry]) -> pd.DataFrame:
    """The book file's frame, one row per entry in the given order."""
    exposure = records_to_frame(e.exposure for e in entries)
    frame = pd.DataFrame(
        {
            "policy_id": pd.Series([e.policy_id for e in entries], dtype=object),
            "limit_usd": pd.Series([e.limit_usd for e in entries], dtype="float64"),
            "retention_usd": pd.Series([e.retention_usd for e in entries], dtype="float64"),
        }
    )
    frame = pd.concat([frame, exposure], axis=1)
    frame["vendors"] = pd.Series([_joined(e.vendors) for e in entries], dtype=object)
    frame["coverages"] = pd.Series([_joined(e.coverages) for e in entries], dtype=object)
    return frame[list(BOOK_FILE_COLUMNS)]


def book_of(entries: Sequence[BookEntry]) -> Book:
    """The Book the engine simulates: ``Book.from_frame`` of the exported frame."""
    return Book.from_frame(book_frame(entries))


def book_csv(entries: Sequence[BookEntry]) -> str:
    """The book file as CSV text (floats written so that they read back exactly)."""
    out = io.StringIO()
    book_frame(entries).to_csv(out, index=False, lineterminator="\n")
    return out.getvalue()


def _joined(names: Iterable[str]) -> str:
    return SET_SEPARATOR.join(names)
