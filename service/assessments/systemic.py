"""The vendors' systemic loss of an assessment, on the service's active catalog and book settings.

The domain work is models.underwriting.vendor_risk.vendor_risk; this module
only gathers what the service holds: the engine's book model (the same one
the insurers' books run on), the active event catalog
(service/book/catalog.py, POLISURE_EVENT_CATALOG), and the simulated years
and seed of a book (POLISURE_BOOK_YEARS, POLISURE_BOOK_SEED), so a city's
figures are the ones ``training accumulate`` gives for it as a one-city book.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from models.spec.fields import MODEL_FIELDS
from models.underwriting.assessment import REFERENCE_POLICY
from models.underwriting.vendor_risk import vendor_risk
from service.book.catalog import active_catalog
from service.engine.protocol import QuoteEngine


def systemic_loss(
    engine: QuoteEngine, answers: Mapping[str, Any], assessment: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The ``systemic`` part of an assessment, or None when no vendor is named.

    The city is the answers plus the assessment's ``assumed_values`` (the
    completion every other figure is for). An assessor that does not report
    its assumed values (no model: the test engine) has no city to simulate.
    """
    vendors = list(answers.get("vendors") or ())
    if not vendors or "assumed_values" not in assessment:
        return None
    known = {f.name: answers[f.name] for f in MODEL_FIELDS if answers.get(f.name) is not None}
    exposure = {**known, **assessment["assumed_values"]}
    return vendor_risk(
        engine.book_model(),
        exposure,
        vendors,
        REFERENCE_POLICY,
        active_catalog().catalog,
        years=int(current_app.config["POLISURE_BOOK_YEARS"]),
        seed=int(current_app.config["POLISURE_BOOK_SEED"]),
    )
