"""The one exposure field spec (CONTRACT §1).

Every exposure field is defined here once. The API schemas, the bordereau
validation, the model features and their monotone constraints, the
self-assessment form and docs/fields.md are all generated from FIELDS.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

Kind = Literal["int", "number", "bool", "ordinal", "category", "set", "list"]
Group = Literal["profile", "iot_ot", "supply_chain", "privacy", "controls"]

GROUP_TITLES: dict[str, str] = {
    "profile": "City profile",
    "iot_ot": "Smart-city IoT and OT",
    "supply_chain": "Supply chain",
    "privacy": "Privacy and personal data",
    "controls": "Security controls",
}


@dataclass(frozen=True)
class Field:
    """One exposure field.

    ``direction`` is the effect of a larger value (or a later ordinal level,
    or one more set member, or True) on expected loss: +1 raises, -1 lowers,
    0 has no imposed direction. ``values`` lists ordinal levels in order,
    category choices, or set members. ``target`` is what "better" looks like
    for an actionable field: a number for int/number fields, a value for
    bool/category fields, None for ordinals (better = the next level).
    """

    name: str
    kind: Kind
    group: Group
    label: str
    question: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[str, ...] = ()
    direction: int = 0
    actionable: bool = False
    target: float | bool | str | None = None
    action: str = ""
    model_feature: bool = True

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("int", "number")

    def better_value(self, current: object) -> object | None:
        """The suggested answer one step better than ``current``, or None.

        Ordinals move one level in the risk-reducing direction; numbers move
        to the realistic ``target`` when that is better than ``current``;
        booleans and categories move to ``target`` when they differ.
        """
        if not self.actionable:
            return None
        if self.kind == "ordinal":
            i = self.values.index(str(current))
            j = i - self.direction
            return self.values[j] if 0 <= j < len(self.values) else None
        if self.is_numeric:
            assert isinstance(self.target, (int, float))
            value = float(current)  # type: ignore[arg-type]
            improves = (self.target - value) * self.direction < 0
            if not improves:
                return None
            return int(self.target) if self.kind == "int" else float(self.target)
        return self.target if current != self.target else None


@dataclass(frozen=True)
class AtMostSumRule:
    """Cross-field rule: ``field`` <= the sum of ``bound_fields``."""

    field: str
    bound_fields: tuple[str, ...]

    @property
    def message(self) -> str:
        return f"{self.field} must be <= {' + '.join(self.bound_fields)}"


def _f(name: str, kind: Kind, group: Group, label: str, question: str, **kw: object) -> Field:
    return Field(name, kind, group, label, question, **kw)  # type: ignore[arg-type]


_MFA = ("none", "partial", "all", "phishing_resistant")

FIELDS: tuple[Field, ...] = (
    # --- City profile ---------------------------------------------------
    _f("population", "int", "profile", "Residents served",
       "How many residents does the city serve?", unit="residents",
       minimum=1_000, maximum=50_000_000, direction=1),
    _f("annual_revenue_usd", "number", "profile", "Annual budget",
       "What is the city's total annual budget (revenue)?", unit="USD per year",
       minimum=1e6, maximum=1e12, direction=1),
    _f("employee_count", "int", "profile", "Staff with city accounts",
       "How many staff have a city email or network account?", unit="people",
       minimum=10, maximum=2_000_000, direction=1),
    _f("critical_services", "set", "profile", "Critical services run",
       "Which critical services does the city run itself?",
       values=("water", "wastewater", "emergency_dispatch", "electricity", "transit",
               "traffic_control", "health"), direction=1),
    _f("security_fte", "number", "profile", "Security staff",
       "How many full-time staff work on cyber security?", unit="FTE",
       minimum=0, maximum=5_000, direction=-1),
    _f("prior_incidents_3y", "int", "profile", "Past incidents",
       "How many cyber incidents costing over $25,000 (or with a ransom demand) "
       "did the city have in the last 3 years?", unit="incidents",
       minimum=0, maximum=100, direction=1),
    # --- Smart-city IoT and OT ------------------------------------------
    _f("iot_device_count", "int", "iot_ot", "Connected IoT devices",
       "How many connected IoT devices does the city run (cameras, meters, "
       "streetlights, parking and air sensors)?", unit="devices",
       minimum=0, maximum=100_000_000, direction=1),
    _f("ot_device_count", "int", "iot_ot", "OT controllers",
       "How many operational-technology controllers does the city run (water "
       "PLCs, traffic signal controllers, SCADA)?", unit="devices",
       minimum=0, maximum=10_000_000, direction=1),
    _f("internet_exposed_devices", "int", "iot_ot", "Internet-exposed devices",
       "How many devices can be reached directly from the internet (found by an "
       "external scan)?", unit="devices", minimum=0, maximum=110_000_000,
       direction=1, actionable=True, target=0,
       action="Take devices off the public internet: put them behind a VPN or gateway"),
    _f("default_credentials_pct", "number", "iot_ot", "Default passwords on devices",
       "What share of devices still use a factory-default or shared password?",
       unit="%", minimum=0, maximum=100, direction=1, actionable=True, target=0,
       action="Replace every factory-default and shared device password"),
    _f("unsupported_device_pct", "number", "iot_ot", "Unsupported devices",
       "What share of devices are past their vendor's support period?", unit="%",
       minimum=0, maximum=100, direction=1, actionable=True, target=5,
       action="Replace or isolate devices that no longer get security updates"),
    _f("device_patch_days", "int", "iot_ot", "Device patch time",
       "How many days does it usually take to patch a device firmware flaw?",
       unit="days", minimum=0, maximum=3_650, direction=1, actionable=True, target=30,
       action="Patch device firmware within 30 days"),
    _f("it_ot_segmentation", "ordinal", "iot_ot", "IT/OT network separation",
       "How well are control (OT) networks separated from office IT?",
       values=("flat", "vlan", "firewalled", "zoned"), direction=-1, actionable=True,
       action="Separate OT networks from office IT with firewalls and zones"),
    _f("ot_remote_access", "ordinal", "iot_ot", "Remote access to OT",
       "How do staff and vendors reach control systems remotely?",
       values=("none", "jump_host_mfa", "vpn", "direct"), direction=1, actionable=True,
       action="Route all remote OT access through an MFA-protected jump host"),
    # --- Supply chain ---------------------------------------------------
    _f("vendor_count", "int", "supply_chain", "Technology vendors",
       "How many technology vendors and service providers does the city use?",
       unit="vendors", minimum=0, maximum=100_000, direction=1),
    _f("critical_vendor_count", "int", "supply_chain", "Critical vendors",
       "How many of them could stop a city service if hacked or offline?",
       unit="vendors", minimum=0, maximum=100_000, direction=1),
    _f("vendors_with_remote_access", "int", "supply_chain", "Vendors with remote access",
       "How many vendors can connect remotely into city systems?", unit="vendors",
       minimum=0, maximum=100_000, direction=1),
    _f("vendor_access_control", "ordinal", "supply_chain", "Vendor login control",
       "How do vendor staff log in to city systems?",
       values=("individual_mfa", "partial", "shared_credentials"), direction=1,
       actionable=True,
       action="Give every vendor engineer a personal MFA login, enabled only when approved"),
    _f("vendor_assessed_pct", "number", "supply_chain", "Vendors assessed",
       "What share of critical vendors had a security review in the last 12 months?",
       unit="%", minimum=0, maximum=100, direction=-1, actionable=True, target=100,
       action="Review the security of every critical vendor each year"),
    _f("sbom_coverage_pct", "number", "supply_chain", "SBOM coverage",
       "For what share of critical software and firmware do suppliers give you a "
       "software bill of materials (SBOM)?", unit="%", minimum=0, maximum=100,
       direction=-1, actionable=True, target=80,
       action="Require an SBOM from suppliers of critical software and firmware"),
    _f("max_provider_concentration_pct", "number", "supply_chain",
       "Reliance on one provider",
       "What share of critical services depend on a single cloud or IT provider?",
       unit="%", minimum=0, maximum=100, direction=1),
    # --- Privacy and personal data --------------------------------------
    _f("pii_records", "int", "privacy", "Personal records held",
       "How many different people's personal records does the city hold?",
       unit="records", minimum=0, maximum=2_000_000_000, direction=1),
    _f("sensitive_data", "set", "privacy", "Sensitive data held",
       "Which kinds of sensitive personal data does the city hold?",
       values=("biometric", "health", "precise_location", "minors", "government_id",
               "financial"), direction=1),
    _f("public_face_recognition", "bool", "privacy", "Face recognition in public",
       "Does the city run face recognition on public cameras?", direction=1,
       actionable=True, target=False,
       action="Stop face recognition on public cameras, or limit it to named investigations"),
    _f("encryption_at_rest_pct", "number", "privacy", "Data encrypted at rest",
       "What share of stores of sensitive data are encrypted (including laptops "
       "and backups)?", unit="%", minimum=0, maximum=100, direction=-1,
       actionable=True, target=100,
       action="Encrypt every store of sensitive data, including laptops and backups"),
    _f("data_retention_days", "int", "privacy", "Camera and sensor data kept",
       "How long is camera and sensor footage kept before automatic deletion?",
       unit="days", minimum=0, maximum=36_500, direction=1, actionable=True, target=30,
       action="Delete camera and sensor footage automatically after 30 days"),
    _f("cross_border_transfer", "ordinal", "privacy", "Personal data sent abroad",
       "Does personal data go abroad, and with what legal safeguards?",
       values=("none", "safeguarded", "unsafeguarded"), direction=1, actionable=True,
       action="Put legal safeguards in place for personal data sent abroad"),
    _f("privacy_regime", "category", "privacy", "Privacy law",
       "Which privacy law mainly applies to the city?",
       values=("gdpr", "pipl", "ccpa", "lgpd", "other"), direction=0),
    _f("dpia_coverage_pct", "number", "privacy", "Impact assessments done",
       "What share of high-risk processing (e.g. cameras) has a data-protection "
       "impact assessment?", unit="%", minimum=0, maximum=100, direction=-1,
       actionable=True, target=100,
       action="Complete a data-protection impact assessment for all high-risk processing"),
    # --- Security controls ----------------------------------------------
    _f("mfa_remote", "ordinal", "controls", "MFA for remote access",
       "Is multi-factor authentication required for remote access?", values=_MFA,
       direction=-1, actionable=True,
       action="Require MFA (ideally phishing-resistant) for all remote access"),
    _f("mfa_privileged", "ordinal", "controls", "MFA for admin accounts",
       "Is multi-factor authentication required for every admin account?", values=_MFA,
       direction=-1, actionable=True,
       action="Require MFA (ideally phishing-resistant) for every admin account"),
    _f("edr_coverage_pct", "number", "controls", "EDR coverage",
       "What share of computers and servers run endpoint detection and response (EDR)?",
       unit="%", minimum=0, maximum=100, direction=-1, actionable=True, target=98,
       action="Deploy EDR on at least 98% of computers and servers"),
    _f("monitoring_24x7", "bool", "controls", "24/7 monitoring",
       "Does someone watch security alerts around the clock?", direction=-1,
       actionable=True, target=True,
       action="Have security alerts watched 24/7 (in-house or a managed service)"),
    _f("backup_isolation", "ordinal", "controls", "Backup isolation",
       "Is at least one backup copy offline or immutable?",
       values=("none", "online", "offline_or_immutable"), direction=-1, actionable=True,
       action="Keep one backup copy offline or immutable"),
    _f("restore_test_months", "int", "controls", "Last full restore test",
       "How many months since backups were last fully restored in a test? "
       "(120 = never)", unit="months", minimum=0, maximum=120, direction=1,
       actionable=True, target=6,
       action="Test a full restore from backup at least every 6 months"),
    _f("critical_patch_days", "int", "controls", "Critical patch time",
       "How many days does it take to patch a critical internet-facing flaw?",
       unit="days", minimum=0, maximum=3_650, direction=1, actionable=True, target=7,
       action="Patch critical internet-facing flaws within 7 days"),
    _f("eol_software_pct", "number", "controls", "End-of-life software",
       "What share of systems run software past its end of life?", unit="%",
       minimum=0, maximum=100, direction=1, actionable=True, target=2,
       action="Retire or isolate end-of-life software"),
    _f("email_security", "ordinal", "controls", "Email security",
       "How is incoming email protected?",
       values=("none", "filtering", "filtering_dmarc"), direction=-1, actionable=True,
       action="Filter email and enforce DMARC on city domains"),
    _f("phishing_sims_per_year", "int", "controls", "Phishing exercises",
       "How many phishing simulations do staff get each year?", unit="per year",
       minimum=0, maximum=52, direction=-1, actionable=True, target=12,
       action="Run a phishing simulation for staff every month"),
    _f("ir_plan_exercise_months", "int", "controls", "Incident plan rehearsal",
       "How many months since the incident response plan was last rehearsed? "
       "(120 = no plan)", unit="months", minimum=0, maximum=120, direction=1,
       actionable=True, target=12,
       action="Rehearse the incident response plan in a tabletop exercise every year"),
    # --- Accumulation only (not a model feature) ------------------------
    _f("vendors", "list", "supply_chain", "Named vendors",
       "Which technology vendors does the city rely on (names)?",
       maximum=500, model_feature=False),
)

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
MODEL_FIELDS: tuple[Field, ...] = tuple(f for f in FIELDS if f.model_feature)
REQUIRED_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in MODEL_FIELDS)

CROSS_FIELD_RULES: tuple[AtMostSumRule, ...] = (
    AtMostSumRule("internet_exposed_devices", ("iot_device_count", "ot_device_count")),
    AtMostSumRule("critical_vendor_count", ("vendor_count",)),
    AtMostSumRule("vendors_with_remote_access", ("vendor_count",)),
)

SET_SEPARATOR = "|"
VENDOR_NAME_MAX_LENGTH = 200


def spec_hash() -> str:
    """SHA-256 of everything in the spec that changes what a model means.

    Labels, questions and actions are left out: rewording a question does
    not invalidate a trained model; changing a range, level or direction does.
    """
    canonical = {
        "fields": [
            [f.name, f.kind, f.minimum, f.maximum, list(f.values), f.direction, f.model_feature]
            for f in FIELDS
        ],
        "rules": [[r.field, list(r.bound_fields)] for r in CROSS_FIELD_RULES],
    }
    blob = json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()
