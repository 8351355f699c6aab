"""Names of the holdout tables (what the reports plot) and of their per-model columns.

The tables are ``evaluate_holdout(...)["tables"]``; they are not stored in
the bundle. The scalar metrics, stored in metadata.json, are named in
models/versions/metadata.py.
"""

from __future__ import annotations

from typing import Final

LORENZ: Final = "lorenz"  # model -> 51 points of its Lorenz curve
SEVERITY_TAIL: Final = "severity_tail"  # the new model's fitted vs observed exceedances
ONE_WAY: Final = "one_way"  # field -> A/E rows by band


def deciles(model: str) -> str:
    """A/E of ``model`` in ten equal-exposure bands of its own predicted rate."""
    return f"deciles_{model}"


def double_lift(model: str, other: str) -> str:
    """A/E of both models in ten equal-exposure bands of ``model`` rate / ``other`` rate."""
    return f"double_lift_{model}_vs_{other}"


def expected_column(model: str) -> str:
    """The column of ``model``'s expected claims in an A/E table."""
    return f"expected_{model}"


def ae_column(model: str) -> str:
    """The column of actual / ``model``'s expected claims in an A/E table."""
    return f"ae_{model}"
