"""docs/fields.md, generated from the field spec: ``python -m models.spec.field_docs``.

The committed docs/fields.md must equal this module's output for the current
spec (tests/models/spec/test_fields.py checks it); regenerate with ``make docs``.
"""

from __future__ import annotations

import sys

from models.spec.fields import (
    CROSS_FIELD_RULES,
    FIELDS,
    GROUP_TITLES,
    VENDOR_NAME_MAX_LENGTH,
    Field,
)
from models.spec.fields import spec_hash as compute_spec_hash

_KIND_NAMES = {
    "int": "integer",
    "number": "number",
    "bool": "boolean",
    "ordinal": "ordered choice",
    "category": "choice",
    "set": "set of choices",
    "list": "list of names",
}


def _number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,}"


def _values(f: Field) -> str:
    if f.kind == "list":
        return f"up to {_number(f.maximum or 0)} names, each <= {VENDOR_NAME_MAX_LENGTH} characters"
    if f.values:
        listed = ", ".join(f"`{v}`" for v in f.values)
        return f"{listed} (in this order)" if f.kind == "ordinal" else listed
    if f.kind == "bool":
        return "`true`, `false`"
    text = f"{_number(f.minimum or 0)} - {_number(f.maximum or 0)}"
    bounds = [r for r in CROSS_FIELD_RULES if r.field == f.name]
    return "; ".join([text, *(f"<= {' + '.join(r.bound_fields)}" for r in bounds)])


def _effect(f: Field) -> str:
    if f.direction == 0:
        return "no imposed direction" if f.model_feature else "not a model input"
    word = "raises" if f.direction > 0 else "lowers"
    subject = {
        "ordinal": "each later level",
        "set": "each member held",
        "bool": "`true`",
    }.get(f.kind, "a larger value")
    return f"{subject} {word} risk"


def _better(f: Field) -> str:
    if not f.actionable:
        return "no"
    if f.kind == "ordinal":
        best = f.values[0] if f.direction > 0 else f.values[-1]
        suggestion = f"one level toward `{best}`"
    elif f.kind == "bool":
        suggestion = f"`{str(f.target).lower()}`"
    else:
        bound = "at most" if f.direction > 0 else "at least"
        unit = f.unit if f.unit == "%" else f" {f.unit}"
        suggestion = f"{bound} {_number(float(f.target or 0))}{unit}"
    return f"yes: {suggestion}. {f.action}"


def _row(f: Field) -> str:
    cells = [f"`{f.name}`", _KIND_NAMES[f.kind], f.unit or "-", _values(f)]
    cells += [_effect(f), f.question, _better(f)]
    return "| " + " | ".join(cells) + " |"


def render() -> str:
    """The whole of docs/fields.md as text."""
    lines = [
        "# Exposure field reference",
        "",
        "Generated from models/spec/fields.py by `make docs` "
        "(`python -m models.spec.field_docs > docs/fields.md`). Do not edit by hand: "
        "tests/models/spec/test_fields.py fails when this file differs from the spec.",
        "",
        f"Spec hash: `{compute_spec_hash()}` (changes when a range, level, direction "
        "or rule changes; a model trained under another hash needs retraining).",
        "",
        "Percentages are 0-100. In CSV files a set is its members joined by `\\|` "
        "(empty = empty set) and a boolean is `true`/`false` (or `1`/`0`); in JSON a "
        "set is an array of distinct members. Ordered choices are listed in order; "
        "the effect column says which way risk moves along that order. "
        '"Better" is the suggestion the self-assessment makes to a city.',
    ]
    header = "| field | type | unit | range / allowed values | effect on risk | question | city can act: better value |"
    for group, title in GROUP_TITLES.items():
        members = [f for f in FIELDS if f.group == group]
        lines += ["", f"## {title}", "", header, "|---|---|---|---|---|---|---|"]
        lines += [_row(f) for f in members]
    lines += ["", "## Cross-field rules", ""]
    lines += [f"- `{r.message}`" for r in CROSS_FIELD_RULES]
    lines += [
        "",
        "Breaking one is a validation error that names every field in the rule.",
        "All fields except `vendors` are required in training files and quotes; "
        "the self-assessment accepts any subset.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
