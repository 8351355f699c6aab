"""A report table as data, and its two renderings: HTML (report.html) and Markdown (model card).

The reports build ``Table`` values once (training/reports/report_tables.py)
and print them either way, so the HTML report and the model card cannot
disagree on a figure or its words.
"""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """A titled table: a header row, rows of already formatted cells, and a reading note."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"{self.title}: a row of {len(row)} cells for {self.columns}")


def html_table(table: Table, level: int = 3) -> str:
    """<hN>title</hN><table> with a header row, then the note as a paragraph."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in table.rows
    )
    note = f"<p class='note'>{html.escape(table.note)}</p>" if table.note else ""
    return (
        f"<h{level}>{html.escape(table.title)}</h{level}><table><tr>{head}</tr>{body}</table>{note}"
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table(table: Table, level: int = 3) -> list[str]:
    """The lines of a Markdown table under a heading, the note below it."""
    lines = [
        f"{'#' * level} {table.title}",
        "",
        "| " + " | ".join(_cell(c) for c in table.columns) + " |",
        "|" + "---|" * len(table.columns),
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    if table.note:
        lines += ["", table.note]
    return [*lines, ""]
