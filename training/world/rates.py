"""The synthetic world, part 2: claim rates by cause, and the whole truth.

``truth_parameters(frame)`` is the whole model (rates here, severities in
severity.py): from an exposure frame it returns, per policy and per claim
cause, the annual claim rate and the lognormal (mu, sigma) of one ground-up
loss in USD. It is a pure function of the exposure fields, so evaluation
code can compute the truth for any city.

Each cause has an exposure base (the thing attackers or accidents scale with)
and multiplicative effects of the fields; every effect of a directed field
goes the way the spec says (tests perturb each field to check). Non-linear
parts are bounded so no single control cuts expected loss by more than ~35%
(loss-figures target 10). Which published figure each parameter reproduces:
docs/synthetic-portfolio.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.spec.contract import CLAIM_CAUSES
from training.world.answers import (
    REF_BUDGET_USD,
    REF_EMPLOYEES,
    REF_RECORDS,
    by_category,
    count,
    flag,
    level,
    num,
    saturating,
)
from training.world.severity import RECORDS_ELASTICITY, SIGMA, severity_mu

__all__ = ["RECORDS_ELASTICITY", "log_rates", "severity_mu", "truth_parameters"]

#: Annual claim rate of each cause for the reference city with average controls
#: (calibrates the book's frequency, target 1, and the cause mix).
BASE_RATE: dict[str, float] = {
    "ransomware": 0.0074,
    "data_breach": 0.0098,
    "business_email_compromise": 0.0242,
    "ot_disruption": 0.0011,
    "vendor_outage": 0.0016,
    "privacy_regulatory": 0.0020,
    "other": 0.0083,
}
REGIME_RATE = {"gdpr": 0.3, "pipl": 0.2, "ccpa": -0.3, "lgpd": 0.1, "other": -0.2}
# IT/OT segmentation flat, vlan, firewalled, zoned: how far an exposed device
# lets an attacker move (exposed devices matter most on flat networks).
SEGMENT_REACH = np.array([1.0, 0.7, 0.45, 0.3])


@dataclass(frozen=True)
class _Drivers:
    """Terms of the exposure frame that several causes' log rates share, one per policy."""

    emp: np.ndarray  # ln(staff / reference)
    budget: np.ndarray  # ln(budget / reference)
    records: np.ndarray  # ln((records + 100) / reference)
    n_services: np.ndarray
    n_sensitive: np.ndarray
    mfa_remote: np.ndarray
    mfa_priv: np.ndarray
    seg: np.ndarray
    ot_access: np.ndarray
    vendor_access: np.ndarray
    cross: np.ndarray
    email: np.ndarray
    face: np.ndarray
    sims: np.ndarray  # phishing simulations a year / 12, capped at 1
    enc: np.ndarray
    dpia: np.ndarray
    default_pw: np.ndarray
    retention: np.ndarray
    prior: np.ndarray  # past incidents predict future ones (repeat targeting)
    exposure_hit: np.ndarray  # exposed devices x default passwords x flat network, bounded
    in_house: np.ndarray  # the security team's effect
    devices: np.ndarray
    patch: np.ndarray
    eol: np.ndarray


def _drivers(f: pd.DataFrame) -> _Drivers:
    seg = level(f, "it_ot_segmentation")
    default_pw = num(f, "default_credentials_pct") / 100
    reach = (
        num(f, "internet_exposed_devices") * (0.25 + default_pw) * SEGMENT_REACH[seg.astype(int)]
    )
    fte_per_1k = 1000.0 * num(f, "security_fte") / num(f, "employee_count")
    return _Drivers(
        emp=np.log(num(f, "employee_count") / REF_EMPLOYEES),
        budget=np.log(num(f, "annual_revenue_usd") / REF_BUDGET_USD),
        records=np.log((num(f, "pii_records") + 100.0) / REF_RECORDS),
        n_services=count(f, "critical_services"),
        n_sensitive=count(f, "sensitive_data"),
        mfa_remote=level(f, "mfa_remote"),
        mfa_priv=level(f, "mfa_privileged"),
        seg=seg,
        ot_access=level(f, "ot_remote_access"),
        vendor_access=level(f, "vendor_access_control"),
        cross=level(f, "cross_border_transfer"),
        email=level(f, "email_security"),
        face=flag(f, "public_face_recognition"),
        sims=np.minimum(num(f, "phishing_sims_per_year"), 12.0) / 12.0,
        enc=num(f, "encryption_at_rest_pct") / 100,
        dpia=num(f, "dpia_coverage_pct") / 100,
        default_pw=default_pw,
        retention=np.log1p(num(f, "data_retention_days") / 30.0),
        # saturating at 8 past incidents
        prior=0.5 * np.log1p(0.25 * np.minimum(num(f, "prior_incidents_3y"), 8.0)),
        exposure_hit=saturating(reach, 20.0),
        in_house=-0.20 * saturating(fte_per_1k, 5.0),
        devices=0.04 * np.log1p(num(f, "iot_device_count") / 100.0),
        patch=0.06 * np.log1p(num(f, "critical_patch_days") / 7.0),
        eol=num(f, "eol_software_pct") / 100,
    )


def _ransomware(f: pd.DataFrame, d: _Drivers) -> np.ndarray:
    return (
        0.45 * d.emp
        + 0.20 * d.budget
        + d.devices
        + np.log1p(0.6 * d.exposure_hit)
        - 0.10 * d.mfa_remote
        - 0.08 * d.mfa_priv
        - 0.30 * num(f, "edr_coverage_pct") / 100
        - 0.15 * flag(f, "monitoring_24x7")
        + d.patch
        + 0.25 * d.eol
        - 0.08 * d.email
        - 0.10 * d.sims
        + 0.08 * d.vendor_access
        + 0.05 * np.log1p(num(f, "vendors_with_remote_access"))
        + d.in_house
        + d.prior
    )


def _data_breach(f: pd.DataFrame, d: _Drivers) -> np.ndarray:
    return (
        0.40 * d.records
        + 0.15 * d.emp
        + 0.06 * d.n_sensitive
        + 0.20 * d.face
        + 0.06 * d.retention
        + 0.12 * d.cross
        - 0.25 * d.enc
        - 0.10 * d.dpia
        - 0.06 * d.mfa_priv
        + 0.10 * d.eol
        + 0.05 * d.vendor_access
        + d.patch / 2
        + d.in_house / 2
        + d.prior
    )


def _business_email_compromise(f: pd.DataFrame, d: _Drivers) -> np.ndarray:
    return (
        0.45 * d.emp
        + 0.15 * d.budget
        - 0.18 * d.email
        - 0.08 * d.mfa_remote
        - 0.20 * d.sims
        + d.in_house / 2
        + d.prior
    )


def _ot_disruption(f: pd.DataFrame, d: _Drivers) -> np.ndarray:
    no_mfa_direct_ot = (d.mfa_remote == 0) & (d.ot_access == 3)  # the step up (target: issue 2)
    return (
        0.30 * np.log((num(f, "ot_device_count") + 1.0) / 100.0)
        + 0.10 * d.n_services
        + np.log1p(0.8 * d.exposure_hit)
        + 0.10 * d.default_pw
        + 0.25 * num(f, "unsupported_device_pct") / 100
        + 0.05 * np.log1p(num(f, "device_patch_days") / 30.0)
        + d.devices
        - 0.08 * d.seg
        + 0.10 * d.ot_access
        + 0.50 * no_mfa_direct_ot
        + d.in_house / 2
    )


def _vendor_outage(f: pd.DataFrame, d: _Drivers) -> np.ndarray:
    return (
        0.30 * np.log1p(num(f, "critical_vendor_count"))
        + 0.05 * np.log1p(num(f, "vendor_count"))
        + 0.25 * d.budget
        + 0.60 * num(f, "max_provider_concentration_pct") / 100
        + 0.08 * d.vendor_access
        + 0.04 * np.log1p(num(f, "vendors_with_remote_access"))
        - 0.20 * num(f, "vendor_assessed_pct") / 100
        - 0.10 * num(f, "sbom_coverage_pct") / 100
    )


def _privacy_regulatory(f: pd.DataFrame, d: _Drivers) -> np.ndarray:
    return (
        0.30 * d.records
        + 0.20 * d.budget
        + 0.10 * d.n_sensitive
        + 0.30 * d.face
        + 0.15 * d.cross
        + 0.08 * d.retention
        - 0.20 * d.dpia
        - 0.10 * d.enc
        + by_category(f, "privacy_regime", REGIME_RATE)
    )


def _other(f: pd.DataFrame, d: _Drivers) -> np.ndarray:
    pop = np.log(num(f, "population") / 5e4)
    return 0.40 * d.budget + 0.30 * pop + 0.05 * d.n_services + d.prior


#: ln(rate / BASE_RATE) of each cause: the effects of the exposure fields.
_LOG_RELATIVITY: dict[str, Callable[[pd.DataFrame, _Drivers], np.ndarray]] = {
    "ransomware": _ransomware,
    "data_breach": _data_breach,
    "business_email_compromise": _business_email_compromise,
    "ot_disruption": _ot_disruption,
    "vendor_outage": _vendor_outage,
    "privacy_regulatory": _privacy_regulatory,
    "other": _other,
}


def log_rates(f: pd.DataFrame) -> dict[str, np.ndarray]:
    """ln(annual claim rate) of each cause for every row of the exposure frame."""
    drivers = _drivers(f)
    return {c: np.log(BASE_RATE[c]) + _LOG_RELATIVITY[c](f, drivers) for c in CLAIM_CAUSES}


def truth_parameters(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-policy truth: claim_rate_per_year and rate_/sev_mu_/sev_sigma_<cause>.

    Columns as in truth.csv (``policy_id`` first when the frame has one).
    Rates are claims per policy-year; mu and sigma are those of ln(loss USD).
    """
    rates = {c: np.exp(v) for c, v in log_rates(frame).items()}
    mus = severity_mu(frame)
    n = len(frame)
    columns: dict[str, np.ndarray] = {}
    if "policy_id" in frame.columns:
        columns["policy_id"] = frame["policy_id"].to_numpy()
    columns["claim_rate_per_year"] = np.sum([rates[c] for c in CLAIM_CAUSES], axis=0)
    for c in CLAIM_CAUSES:
        columns[f"rate_{c}"] = rates[c]
        columns[f"sev_mu_{c}"] = mus[c]
        columns[f"sev_sigma_{c}"] = np.full(n, SIGMA[c])
    return pd.DataFrame(columns, index=frame.index)
