"""How the self-assessment shows the spec's fields and values to people, in their language.

The spec's English texts (questions, labels, actions, units) are msgids
(service/assessments/spec_messages.py) translated by :func:`spec_text`; the
plain-language labels of enum and set values and the unit words of the hints
are marked here with ``_l`` (lazy: looked up in the page's language when shown);
:func:`value_label` writes an answer as a reader reads it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models.spec.fields import FIELDS_BY_NAME
from service.assessments.numbers import number, usd
from service.assessments.spec_messages import msgid

_MFA = {
    "none": _l("No"),
    "partial": _l("For some accounts only"),
    "all": _l("Yes, for all of them"),
    "phishing_resistant": _l("Yes, phishing-resistant (security keys or passkeys)"),
}
#: Plain-language labels of the spec's enum and set values (presentation only).
VALUE_LABELS: dict[str, dict[str, Any]] = {
    "critical_services": {
        "water": _l("Drinking water"),
        "wastewater": _l("Wastewater"),
        "emergency_dispatch": _l("Emergency dispatch (911 / 112)"),
        "electricity": _l("Electricity"),
        "transit": _l("Public transit"),
        "traffic_control": _l("Traffic signals"),
        "health": _l("Health services or hospitals"),
    },
    "it_ot_segmentation": {
        "flat": _l("Not separated (one network)"),
        "vlan": _l("Separate VLANs only"),
        "firewalled": _l("Firewalls between office IT and OT"),
        "zoned": _l("Firewalled zones with controlled conduits (e.g. IEC 62443)"),
    },
    "ot_remote_access": {
        "none": _l("No remote access"),
        "jump_host_mfa": _l("Only through a jump host with MFA"),
        "vpn": _l("Through a VPN"),
        "direct": _l("Directly (remote desktop or vendor tools open to the internet)"),
    },
    "vendor_access_control": {
        "individual_mfa": _l("Each person has their own login with MFA"),
        "partial": _l("Mixed: some personal logins, some shared"),
        "shared_credentials": _l("Shared logins or passwords"),
    },
    "sensitive_data": {
        "biometric": _l("Biometric (faces, fingerprints)"),
        "health": _l("Health"),
        "precise_location": _l("Precise location (plates, transit cards, phones)"),
        "minors": _l("Children's data"),
        "government_id": _l("Government ID numbers"),
        "financial": _l("Financial (bank, card, tax)"),
    },
    "cross_border_transfer": {
        "none": _l("No, it stays in the country"),
        "safeguarded": _l("Yes, with legal safeguards (e.g. standard contract clauses)"),
        "unsafeguarded": _l("Yes, without legal safeguards"),
    },
    "privacy_regime": {
        "gdpr": _l("GDPR (EU / EEA / UK)"),
        "pipl": _l("PIPL (China)"),
        "ccpa": _l("CCPA (California)"),
        "lgpd": _l("LGPD (Brazil)"),
        "other": _l("Another law"),
    },
    "mfa_remote": _MFA,
    "mfa_privileged": _MFA,
    "backup_isolation": {
        "none": _l("We have no backups"),
        "online": _l("No, every copy is online (reachable from the network)"),
        "offline_or_immutable": _l("Yes, offline or immutable"),
    },
    "email_security": {
        "none": _l("No filtering"),
        "filtering": _l("Spam and malware filtering"),
        "filtering_dmarc": _l("Filtering, and DMARC enforced on our domains"),
    },
}
BOOL_LABELS = {"yes": _l("Yes"), "no": _l("No")}
#: How each spec unit reads in a hint ("Number of residents, from 1,000 to ...").
UNIT_WORDS = {
    "residents": _l("Number of residents"),
    "USD per year": _l("US dollars a year (digits, e.g. 450,000,000)"),
    "people": _l("Number of people"),
    "FTE": _l("Full-time equivalents (two half-time people = 1)"),
    "incidents": _l("Number of incidents"),
    "devices": _l("Number of devices"),
    "%": _l("Percent"),
    "days": _l("Days"),
    "vendors": _l("Number of vendors"),
    "records": _l("Number of people whose records you hold"),
    "months": _l("Months"),
    "per year": _l("Times a year"),
}


def spec_text(text: str) -> str:
    """A text of the field spec (question, label, action, unit) in the page's language.

    Its msgid has "%" doubled (service.assessments.spec_messages.msgid); formatting with
    no values turns "%%" back into "%".
    """
    return _(msgid(text)) % {} if text else ""


def _rounded(number_value: float) -> float:
    """An assumed number to two significant figures: its precision is not real."""
    if abs(number_value) >= 10:
        return float(f"{number_value:.2g}")
    return float(round(number_value))


def value_label(name: str, value: Any, assumed: bool = False) -> str:
    """A field value as people read it (labels, thousands separators, units).

    An ``assumed`` number (filled from similar cities, not answered) is shown
    rounded to two significant figures after "about": its precision is not real.
    """
    f = FIELDS_BY_NAME[name]
    if value is None:
        return _("don't know")
    if f.kind == "bool":
        return _("Yes") if value else _("No")
    if f.kind == "set":
        labels = VALUE_LABELS.get(name, {})
        return _(", ").join(str(labels.get(v, v)) for v in value) or _("None")
    if f.kind in ("ordinal", "category"):
        return str(VALUE_LABELS.get(name, {}).get(str(value), str(value)))
    amount = float(value)
    about = assumed and amount != 0
    if about:
        amount = _rounded(amount)
    if f.unit == "USD per year":  # "about" goes with the amount: "每年约 5.1 亿美元"
        money = _("about %(value)s", value=usd(amount)) if about else usd(amount)
        return _("%(amount)s a year", amount=money)
    digits = 0 if amount.is_integer() or abs(amount) >= 100 else 1
    shown = number(amount, digits)
    text = (
        f"{shown}%"
        if f.unit == "%"
        else _("%(number)s %(unit)s", number=shown, unit=spec_text(f.unit))
    )
    return _("about %(value)s", value=text) if about else text
