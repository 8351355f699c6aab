"""The contract's fixed vocabularies and bounds (shared/CONTRACT.md), in one home.

Exposure fields have their own spec (fields.py); these are the other names
and limits the outside relies on: claim causes (§2), coverage parts and the
policy terms' bounds (§5), the bordereau's exposure bound (§2). Training
validation, the API schemas and pricing all read them from here.
"""

from __future__ import annotations

#: Causes of a claim (§2), in the order of the truth file and every per-cause table.
CLAIM_CAUSES: tuple[str, ...] = (
    "ransomware",
    "data_breach",
    "business_email_compromise",
    "ot_disruption",
    "vendor_outage",
    "privacy_regulatory",
    "other",
)

#: Coverage parts a policy may buy (§5), in the documented order quotes echo.
COVERAGE_PARTS: tuple[str, ...] = (
    "breach_response",
    "business_interruption",
    "dependent_business_interruption",
    "cyber_extortion",
    "data_restoration",
    "privacy_liability",
    "network_security_liability",
    "regulatory_fines",
    "media_liability",
)

#: The policy's aggregate limit (USD), inclusive bounds (§5).
LIMIT_USD_MIN, LIMIT_USD_MAX = 100_000, 500_000_000
#: The policy period (days), inclusive bounds (§5); default a year.
PERIOD_DAYS_MIN, PERIOD_DAYS_MAX = 1, 1_096
#: A policy-period row of the policies file covers at most this many years (§2).
MAX_EXPOSURE_YEARS = 1.5
