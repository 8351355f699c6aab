"""The synthetic world, part 1: which cities there are and how they answer.

A city is drawn from three latent traits, then every exposure field follows
from them with noise, so answers are correlated the way they are in real
questionnaires (docs/synthetic-portfolio.md):

* size ``z = ln(population / 10,000)``: population is a truncated Pareto
  (most policies are small towns, a few are large cities); budget, staff,
  devices, vendors and records scale with it;
* security maturity ``m`` ~ N(0.3 z, 1): one team that does MFA, EDR, backups
  and patching well tends to do all of them well;
* smart-city ambition ``s`` ~ N(0.3 z, 1): more IoT, cameras and location data.

Prior incidents are drawn last, from the world's claim rate (portfolio.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from models.spec.fields import FIELDS_BY_NAME, SET_SEPARATOR

POPULATION_MIN, POPULATION_MAX = 1_000, 20_000_000
#: Pareto tail index of city size: ~11% of policies above 10k residents,
#: ~1.3% above 100k, ~0.13% above 1M (most policies are small towns).
POPULATION_PARETO_ALPHA = 0.95
PRIVACY_REGIME_SHARES = {"gdpr": 0.22, "pipl": 0.08, "ccpa": 0.15, "lgpd": 0.07, "other": 0.48}


def _lognormal(rng: np.random.Generator, n: int, sd: float) -> np.ndarray:
    return np.exp(rng.normal(0.0, sd, n))


def _pct(x: np.ndarray) -> np.ndarray:
    """A 0-100 percentage with one decimal, as a city would report it."""
    return np.round(np.clip(100.0 * x, 0.0, 100.0), 1)


def _ordinal(latent: np.ndarray, cuts: tuple[float, ...], field: str) -> np.ndarray:
    """Map a latent score to the field's ordered levels at the given cut points."""
    levels = np.array(FIELDS_BY_NAME[field].values, dtype=object)
    return levels[np.searchsorted(np.array(cuts), latent)]


def _set_column(members: np.ndarray, field: str) -> np.ndarray:
    """Boolean member matrix (rows x spec members) -> ``|``-joined canonical sets."""
    values = FIELDS_BY_NAME[field].values
    table = np.array(
        [SET_SEPARATOR.join(v for j, v in enumerate(values) if code >> j & 1)
         for code in range(2 ** len(values))],
        dtype=object,
    )  # fmt: skip
    codes = (members.astype(np.int64) << np.arange(len(values))).sum(axis=1)
    return np.asarray(table[codes])


def _int(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip(np.rint(x), lo, hi).astype(np.int64)


_Columns = dict[str, np.ndarray]  # exposure field -> one value per city


@dataclass(frozen=True)
class _Traits:
    """The latent traits of ``n`` cities (module docstring) and their privacy regime."""

    population: np.ndarray
    z: np.ndarray  # size: ln(population / 10,000)
    m: np.ndarray  # security maturity
    s: np.ndarray  # smart-city ambition
    regime: np.ndarray

    @property
    def n(self) -> int:
        return len(self.population)


def _answer_noise(t: _Traits, rng: np.random.Generator) -> Callable[..., np.ndarray]:
    """``e(sd)``: idiosyncratic noise of one answer per city (a fresh draw per call)."""

    def e(sd: float = 1.0) -> np.ndarray:
        return rng.normal(0.0, sd, t.n)

    return e


def _draw_traits(n: int, rng: np.random.Generator) -> _Traits:
    """Size (truncated Pareto population), maturity, ambition and privacy regime."""
    u = rng.random(n)
    tail = (POPULATION_MIN / POPULATION_MAX) ** POPULATION_PARETO_ALPHA
    pop = POPULATION_MIN * (1.0 - u * (1.0 - tail)) ** (-1.0 / POPULATION_PARETO_ALPHA)
    population = _int(pop, POPULATION_MIN, POPULATION_MAX)
    z = np.log(population / 1e4)
    m = 0.3 * z + rng.normal(0.0, 1.0, n)
    s = 0.3 * z + rng.normal(0.0, 1.0, n)
    regimes = list(PRIVACY_REGIME_SHARES)
    regime = np.array(regimes, dtype=object)[
        rng.choice(len(regimes), n, p=list(PRIVACY_REGIME_SHARES.values()))
    ]
    return _Traits(population, z, m, s, regime)


def _organisation(t: _Traits, rng: np.random.Generator) -> tuple[_Columns, np.ndarray]:
    """Population, budget, staff, critical services, security team; services run per city."""
    n, population, z = t.n, t.population, t.z
    e = _answer_noise(t, rng)
    # Budget ~ $1,800 per resident, a little more per head in big cities.
    budget = population * 1800.0 * np.exp(0.06 * z) * _lognormal(rng, n, 0.35)
    budget = np.clip(np.round(budget, -3), 1e6, 1e12)
    employees = _int(population * 0.009 * np.exp(0.05 * z) * _lognormal(rng, n, 0.35), 10, 2e6)
    service_p = {
        "water": expit(0.6 + 0.3 * z),
        "wastewater": expit(0.3 + 0.3 * z),
        "emergency_dispatch": expit(-0.8 + 0.6 * z),
        "electricity": np.full(n, 0.12),
        "transit": expit(-2.2 + 0.8 * z),
        "traffic_control": expit(-0.6 + 0.9 * z),
        "health": expit(-2.8 + 0.6 * z),
    }
    services = np.column_stack([rng.random(n) < p for p in service_p.values()])
    fte = employees * 0.006 * np.exp(0.6 * t.m + e(0.4)) - 0.3
    columns = {
        "population": population,
        "annual_revenue_usd": budget,
        "employee_count": employees,
        "critical_services": _set_column(services, "critical_services"),
        "security_fte": np.clip(np.round(fte, 1), 0.0, 5000.0),
    }
    return columns, services.sum(axis=1)


def _device_counts(t: _Traits, n_services: np.ndarray, rng: np.random.Generator) -> _Columns:
    """IoT and OT devices (OT grows with the critical services run), those internet-exposed."""
    e = _answer_noise(t, rng)
    iot = _int(t.population * 0.03 * np.exp(0.9 * t.s + e(0.5)), 0, 1e8)
    ot = _int(t.population * 0.0015 * (0.5 + n_services) * np.exp(e(0.5)), 0, 1e7)
    exposed_share = expit(-4.5 - 0.7 * t.m + e(0.8))
    exposed = np.minimum(_int((iot + ot) * exposed_share, 0, 1.1e8), iot + ot)
    return {"iot_device_count": iot, "ot_device_count": ot, "internet_exposed_devices": exposed}


def _vendor_counts(t: _Traits, rng: np.random.Generator) -> _Columns:
    """Vendors (growing with size), the critical ones, those with remote access."""
    vendor_count = _int(6.0 * (t.population / 1e3) ** 0.55 * _lognormal(rng, t.n, 0.4), 1, 1e5)
    critical = np.minimum(rng.binomial(vendor_count, 0.15), vendor_count)
    remote = np.minimum(rng.binomial(vendor_count, 0.08 * np.exp(-0.3 * t.m)), vendor_count)
    return {
        "vendor_count": vendor_count,
        "critical_vendor_count": critical,
        "vendors_with_remote_access": remote,
    }


def _data_held(t: _Traits, rng: np.random.Generator) -> _Columns:
    """Personal records and the sensitive kinds among them."""
    z, s = t.z, t.s
    pii = _int(t.population * 1.5 * _lognormal(rng, t.n, 0.6), 0, 2e9)
    sensitive_p = {
        "biometric": expit(-3.0 + 0.4 * z + 0.7 * s),
        "health": expit(-1.0 + 0.5 * z),
        "precise_location": expit(-1.5 + 0.4 * z + 0.9 * s),
        "minors": expit(-0.2 + 0.3 * z),
        "government_id": expit(0.0 + 0.3 * z),
        "financial": expit(1.0 + 0.3 * z),
    }
    sensitive = np.column_stack([rng.random(t.n) < p for p in sensitive_p.values()])
    return {"pii_records": pii, "sensitive_data": _set_column(sensitive, "sensitive_data")}


def _device_practice(t: _Traits, rng: np.random.Generator) -> _Columns:
    """Default credentials, unsupported devices, patching, segmentation, OT remote access."""
    m, z = t.m, t.z
    e = _answer_noise(t, rng)

    return {
        "default_credentials_pct": _pct(expit(-1.0 - 0.9 * m + e(0.6))),
        "unsupported_device_pct": _pct(expit(-1.2 - 0.6 * m + e(0.6))),
        "device_patch_days": _int(np.exp(4.2 - 0.5 * m + e(0.6)), 0, 3650),
        "it_ot_segmentation": _ordinal(
            0.9 * m + 0.3 * z + e(), (-0.8, 0.3, 1.4), "it_ot_segmentation"
        ),
        "ot_remote_access": _ordinal(-0.8 * m + e(), (-0.9, 0.2, 1.3), "ot_remote_access"),
    }


def _vendor_practice(t: _Traits, rng: np.random.Generator) -> _Columns:
    """Vendor access control, assessments, SBOMs, provider concentration."""
    m, z = t.m, t.z
    e = _answer_noise(t, rng)

    return {
        "vendor_access_control": _ordinal(-0.8 * m + e(), (-0.4, 0.9), "vendor_access_control"),
        "vendor_assessed_pct": _pct(expit(-0.8 + 0.9 * m + e(0.8))),
        "sbom_coverage_pct": _pct(expit(-2.2 + 0.7 * m + e(0.8))),
        "max_provider_concentration_pct": _pct(expit(0.8 - 0.4 * z + e(0.8))),
    }


def _privacy_practice(t: _Traits, rng: np.random.Generator) -> _Columns:
    """Face recognition, encryption, retention, transfers, regime, DPIAs."""
    m, z, s, regime = t.m, t.z, t.s, t.regime
    gdpr = regime == "gdpr"
    e = _answer_noise(t, rng)

    return {
        "public_face_recognition": rng.random(t.n)
        < expit(-4.0 + 0.5 * z + 0.8 * s + 2.0 * (regime == "pipl")),
        "encryption_at_rest_pct": _pct(expit(0.2 + 1.0 * m + e(0.6))),
        "data_retention_days": _int(np.exp(4.0 - 0.3 * m - 0.5 * gdpr + e(0.8)), 0, 36500),
        "cross_border_transfer": _ordinal(0.3 * s + e(), (1.0, 2.0), "cross_border_transfer"),
        "privacy_regime": regime,
        "dpia_coverage_pct": _pct(expit(-1.2 + 0.8 * m + 1.5 * gdpr + e(0.6))),
    }


def _security_controls(t: _Traits, rng: np.random.Generator) -> _Columns:
    """MFA, EDR, monitoring, backups, patching, email security, training, IR exercises."""
    m, z = t.m, t.z
    e = _answer_noise(t, rng)

    return {
        "mfa_remote": _ordinal(0.9 * m + e(0.8), (-1.0, -0.1, 1.5), "mfa_remote"),
        "mfa_privileged": _ordinal(0.9 * m + e(0.8), (-0.7, 0.2, 1.8), "mfa_privileged"),
        "edr_coverage_pct": _pct(expit(0.3 + 1.1 * m + e(0.7))),
        "monitoring_24x7": rng.random(t.n) < expit(-1.8 + 0.9 * m + 0.4 * z),
        "backup_isolation": _ordinal(0.8 * m + e(), (-1.6, -0.1), "backup_isolation"),
        "restore_test_months": _int(np.exp(2.3 - 0.6 * m + e(0.7)), 0, 120),
        "critical_patch_days": _int(np.exp(3.0 - 0.6 * m + e(0.6)), 0, 3650),
        "eol_software_pct": _pct(expit(-2.0 - 0.7 * m + e(0.6))),
        "email_security": _ordinal(0.8 * m + e(), (-1.5, 0.2), "email_security"),
        "phishing_sims_per_year": _int(np.exp(0.6 + 0.8 * m + e(0.7)) - 1.0, 0, 52),
        "ir_plan_exercise_months": _int(np.exp(3.3 - 0.8 * m + e(0.7)), 0, 120),
    }


def sample_cities(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Exposure frame of ``n`` cities: every model field except prior_incidents_3y.

    The steps draw from ``rng`` in this order, which a seed's portfolio
    depends on: traits, then the counts (organisation, devices, vendors,
    data), then the answers about practice (devices, vendors, privacy,
    controls). Columns follow the field spec.
    """
    traits = _draw_traits(n, rng)
    organisation, n_services = _organisation(traits, rng)
    devices = _device_counts(traits, n_services, rng)
    vendors = _vendor_counts(traits, rng)
    data = _data_held(traits, rng)
    device_practice = _device_practice(traits, rng)
    vendor_practice = _vendor_practice(traits, rng)
    privacy_practice = _privacy_practice(traits, rng)
    controls = _security_controls(traits, rng)
    frame = {
        **organisation,
        **devices,
        **device_practice,
        **vendors,
        **vendor_practice,
        **data,
        **privacy_practice,
        **controls,
    }
    return pd.DataFrame(frame)
