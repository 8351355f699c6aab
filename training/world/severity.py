"""The synthetic world, part 2b: the severity of one ground-up loss by cause.

One loss of a cause is lognormal: ``mu = BASE_MU[cause] + effects`` (ln USD)
and ``sigma = SIGMA[cause]``. Each cause scales with its own size measure
(budget, records, OT devices); every effect of a directed field goes the way
the spec says. docs/synthetic-portfolio.md says which published figure each
parameter reproduces.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.spec.contract import CLAIM_CAUSES
from training.world.answers import (
    REF_BUDGET_USD,
    REF_RECORDS,
    by_category,
    count,
    flag,
    level,
    num,
)

#: ln(median USD) of one loss of each cause for the reference city.
BASE_MU: dict[str, float] = {
    "ransomware": 13.00,
    "data_breach": 11.50,
    "business_email_compromise": 11.05,
    "ot_disruption": 11.45,
    "vendor_outage": 11.15,
    "privacy_regulatory": 11.15,
    "other": 11.40,
}
#: Lognormal sigma of one loss given the city (severity spread, target 3).
SIGMA: dict[str, float] = {
    "ransomware": 1.55,
    "data_breach": 1.25,
    "business_email_compromise": 1.10,
    "ot_disruption": 1.35,
    "vendor_outage": 1.25,
    "privacy_regulatory": 1.30,
    "other": 1.35,
}
#: Log-log elasticity of breach cost on records held (target 6: 0.4-0.8).
RECORDS_ELASTICITY = 0.55
#: Extra severity elasticity above a $200M budget (ILF tail, target 11).
LARGE_ESTATE_ELASTICITY = 0.25
LARGE_ESTATE_USD = 2e8
#: Regulator's reach on a city, on ln(severity) of privacy claims: GDPR lets
#: states exempt public bodies (Art. 83(7)), PIPL fines reach 5% of turnover,
#: CCPA binds businesses (city vendors), not the city itself.
REGIME_SEVERITY = {"gdpr": -0.3, "pipl": 0.7, "ccpa": -0.6, "lgpd": 0.0, "other": -0.2}


def severity_mu(f: pd.DataFrame) -> dict[str, np.ndarray]:
    """ln(median ground-up loss, USD) of each cause for every row of the frame."""
    budget = np.log(num(f, "annual_revenue_usd") / REF_BUDGET_USD)
    records = np.log((num(f, "pii_records") + 100.0) / REF_RECORDS)
    n_services, n_sensitive = count(f, "critical_services"), count(f, "sensitive_data")
    monitoring, face = flag(f, "monitoring_24x7"), flag(f, "public_face_recognition")
    # Months since the incident plan was rehearsed (120 = no plan) slow the response.
    ir = np.minimum(num(f, "ir_plan_exercise_months"), 120.0) / 120.0
    enc = num(f, "encryption_at_rest_pct") / 100
    seg = level(f, "it_ot_segmentation")
    regime = by_category(f, "privacy_regime", REGIME_SEVERITY)
    # Large estates (budget > $200M) lose disproportionately more: many services
    # interrupted at once (NetDiligence: large-firm BI ~50x SME BI).
    big = LARGE_ESTATE_ELASTICITY * np.maximum(
        np.log(num(f, "annual_revenue_usd") / LARGE_ESTATE_USD), 0.0
    )
    out = {
        # Ransomware recovery: backups decide whether the city rebuilds or restores.
        "ransomware": 0.50 * budget
        + big
        + 0.06 * n_services
        - 0.25 * level(f, "backup_isolation")
        + 0.15 * np.log1p(num(f, "restore_test_months")) / np.log(121.0)
        + 0.15 * ir
        - 0.10 * monitoring
        - 0.15 * num(f, "edr_coverage_pct") / 100
        - 0.05 * seg,
        "data_breach": RECORDS_ELASTICITY * records
        + 0.08 * n_sensitive
        - 0.30 * enc
        + 0.10 * ir
        - 0.05 * monitoring
        + 0.10 * face,
        "business_email_compromise": 0.35 * budget - 0.05 * monitoring + 0.05 * ir,
        "ot_disruption": 0.40 * budget
        + big
        + 0.15 * np.log((num(f, "ot_device_count") + 1.0) / 100.0)
        + 0.10 * n_services
        - 0.08 * seg
        + 0.15 * ir,
        "vendor_outage": 0.60 * budget
        + big
        + 0.80 * num(f, "max_provider_concentration_pct") / 100
        + 0.05 * n_services
        + 0.10 * ir,
        "privacy_regulatory": 0.35 * records
        + 0.25 * budget
        + regime
        + 0.10 * n_sensitive
        + 0.20 * face
        + 0.15 * level(f, "cross_border_transfer")
        - 0.15 * num(f, "dpia_coverage_pct") / 100,
        "other": 0.65 * budget + big + 0.10 * ir,
    }
    return {c: BASE_MU[c] + out[c] for c in CLAIM_CAUSES}
