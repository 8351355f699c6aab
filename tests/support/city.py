"""Valid exposures of a large smart city and of a smaller one, used by the service tests."""

from __future__ import annotations

from typing import Any


def city_exposure() -> dict[str, Any]:
    """Every model field of CONTRACT §1 with a plausible value (a fresh dict each call)."""
    return {
        "population": 850_000,
        "annual_revenue_usd": 4.2e9,
        "employee_count": 12_000,
        "critical_services": ["water", "transit", "emergency_dispatch"],
        "security_fte": 18.0,
        "prior_incidents_3y": 2,
        "iot_device_count": 60_000,
        "ot_device_count": 3_500,
        "internet_exposed_devices": 140,
        "default_credentials_pct": 12.5,
        "unsupported_device_pct": 9.0,
        "device_patch_days": 90,
        "it_ot_segmentation": "vlan",
        "ot_remote_access": "vpn",
        "vendor_count": 320,
        "critical_vendor_count": 40,
        "vendors_with_remote_access": 55,
        "vendor_access_control": "partial",
        "vendor_assessed_pct": 60.0,
        "sbom_coverage_pct": 15.0,
        "max_provider_concentration_pct": 45.0,
        "pii_records": 1_300_000,
        "sensitive_data": ["health", "precise_location"],
        "public_face_recognition": False,
        "encryption_at_rest_pct": 70.0,
        "data_retention_days": 90,
        "cross_border_transfer": "safeguarded",
        "privacy_regime": "ccpa",
        "dpia_coverage_pct": 40.0,
        "mfa_remote": "all",
        "mfa_privileged": "partial",
        "edr_coverage_pct": 85.0,
        "monitoring_24x7": True,
        "backup_isolation": "online",
        "restore_test_months": 14,
        "critical_patch_days": 21,
        "eol_software_pct": 6.0,
        "email_security": "filtering",
        "phishing_sims_per_year": 4,
        "ir_plan_exercise_months": 18,
    }


def town_exposure() -> dict[str, Any]:
    """The same answers for a city of 120,000 residents, its size measures in proportion.

    For the tests that bind a quote: the shipped model refers it (risk score ~94),
    while it declines the large city above (~99.6, its truth's percentile of loss cost
    in the synthetic world: budgets over $1B sit in the top 1%), and a declined
    quote cannot be bound.
    """
    return {
        **city_exposure(),
        "population": 120_000,
        "annual_revenue_usd": 3.0e8,
        "employee_count": 2_500,
        "security_fte": 5.0,
        "iot_device_count": 9_000,
        "ot_device_count": 500,
        "internet_exposed_devices": 20,
        "vendor_count": 80,
        "critical_vendor_count": 10,
        "vendors_with_remote_access": 12,
        "pii_records": 180_000,
    }


def quote_body(exposure: dict[str, Any] | None = None, **policy: Any) -> dict[str, Any]:
    """A quote request for ``exposure`` (default: the large city); ``policy`` overrides
    the default terms."""
    terms: dict[str, Any] = {"limit_usd": 5_000_000, "retention_usd": 100_000}
    terms.update(policy)
    return {"exposure": exposure or city_exposure(), "policy": terms}
