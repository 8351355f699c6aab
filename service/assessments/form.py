"""The self-assessment form, generated from the field spec, and what it posts.

Every model field is one question, grouped into the five areas of
models.spec.fields.GROUP_TITLES; inputs are named with the exposure field names
(CONTRACT §5). "Don't know" is possible everywhere and always means the same:
the field is left out and filled from similar cities. An empty number box is
"don't know"; yes/no questions and choice lists have an explicit "Don't know"
(the default). A set question (e.g. sensitive data) needs three states: no
box ticked is "don't know", the "None of these" box is the empty set, and
ticked members are the set; "None of these" with members is an error.
Numbers may be typed as people write them: "850,000", "12.5%", "$4.2 billion"
is not accepted (words are not numbers), "4200000000" is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from models.spec.fields import CROSS_FIELD_RULES, FIELDS_BY_NAME, GROUP_TITLES, MODEL_FIELDS, Field
from models.spec.schemas import PartialExposureSchema

NONE_OF_THESE = "none"  # the set option meaning "none of these" (no member is named "none")

_MFA = {
    "none": "No",
    "partial": "For some accounts only",
    "all": "Yes, for all of them",
    "phishing_resistant": "Yes, phishing-resistant (security keys or passkeys)",
}
#: Plain-language labels of the spec's enum and set values (presentation only).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "critical_services": {
        "water": "Drinking water",
        "wastewater": "Wastewater",
        "emergency_dispatch": "Emergency dispatch (911 / 112)",
        "electricity": "Electricity",
        "transit": "Public transit",
        "traffic_control": "Traffic signals",
        "health": "Health services or hospitals",
    },
    "it_ot_segmentation": {
        "flat": "Not separated (one network)",
        "vlan": "Separate VLANs only",
        "firewalled": "Firewalls between office IT and OT",
        "zoned": "Firewalled zones with controlled conduits (e.g. IEC 62443)",
    },
    "ot_remote_access": {
        "none": "No remote access",
        "jump_host_mfa": "Only through a jump host with MFA",
        "vpn": "Through a VPN",
        "direct": "Directly (remote desktop or vendor tools open to the internet)",
    },
    "vendor_access_control": {
        "individual_mfa": "Each person has their own login with MFA",
        "partial": "Mixed: some personal logins, some shared",
        "shared_credentials": "Shared logins or passwords",
    },
    "sensitive_data": {
        "biometric": "Biometric (faces, fingerprints)",
        "health": "Health",
        "precise_location": "Precise location (plates, transit cards, phones)",
        "minors": "Children's data",
        "government_id": "Government ID numbers",
        "financial": "Financial (bank, card, tax)",
    },
    "cross_border_transfer": {
        "none": "No, it stays in the country",
        "safeguarded": "Yes, with legal safeguards (e.g. standard contract clauses)",
        "unsafeguarded": "Yes, without legal safeguards",
    },
    "privacy_regime": {
        "gdpr": "GDPR (EU / EEA / UK)",
        "pipl": "PIPL (China)",
        "ccpa": "CCPA (California)",
        "lgpd": "LGPD (Brazil)",
        "other": "Another law",
    },
    "mfa_remote": _MFA,
    "mfa_privileged": _MFA,
    "backup_isolation": {
        "none": "We have no backups",
        "online": "No, every copy is online (reachable from the network)",
        "offline_or_immutable": "Yes, offline or immutable",
    },
    "email_security": {
        "none": "No filtering",
        "filtering": "Spam and malware filtering",
        "filtering_dmarc": "Filtering, and DMARC enforced on our domains",
    },
}
BOOL_LABELS = {"yes": "Yes", "no": "No"}
#: How each spec unit reads in a hint ("Number of residents, from 1,000 to ...").
UNIT_WORDS = {
    "residents": "Number of residents",
    "USD per year": "US dollars a year (digits, e.g. 450,000,000)",
    "people": "Number of people",
    "FTE": "Full-time equivalents (two half-time people = 1)",
    "incidents": "Number of incidents",
    "devices": "Number of devices",
    "%": "Percent",
    "days": "Days",
    "vendors": "Number of vendors",
    "records": "Number of people whose records you hold",
    "months": "Months",
    "per year": "Times a year",
}


@dataclass
class Question:
    """One form question: the spec field, what was typed, and any error messages."""

    spec: Field
    raw: str | list[str] = ""
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def options(self) -> list[tuple[str, str]]:
        labels = VALUE_LABELS.get(self.name, {})
        if self.spec.kind == "bool":
            return list(BOOL_LABELS.items())
        return [(v, labels.get(v, v.replace("_", " "))) for v in self.spec.values]

    @property
    def hint(self) -> str:
        """Unit and allowed range of a number question, in words."""
        f = self.spec
        if not f.is_numeric:
            return ""
        unit = UNIT_WORDS.get(f.unit, f.unit)
        low, high = f"{f.minimum or 0:,.0f}", f"{f.maximum or 0:,.0f}"
        return f"{unit}, from {low} to {high}."


def value_label(name: str, value: Any, assumed: bool = False) -> str:
    """A field value as people read it (labels, thousands separators, units).

    An ``assumed`` number (filled from similar cities, not answered) is shown
    rounded to two significant figures after "about": its precision is not real.
    """
    f = FIELDS_BY_NAME[name]
    if value is None:
        return "don't know"
    if f.kind == "bool":
        return "Yes" if value else "No"
    if f.kind == "set":
        labels = VALUE_LABELS.get(name, {})
        return ", ".join(labels.get(v, v) for v in value) or "None"
    if f.kind in ("ordinal", "category"):
        return VALUE_LABELS.get(name, {}).get(str(value), str(value))
    number = float(value)
    if assumed and number != 0:
        number = float(f"{number:.2g}") if abs(number) >= 10 else float(round(number))
    text = f"{number:,.0f}" if number.is_integer() or abs(number) >= 100 else f"{number:,.1f}"
    text = f"about {text}" if assumed and number != 0 else text
    if f.unit == "%":
        return f"{text}%"
    if f.unit == "USD per year":
        return f"{text.replace('about ', 'about $') if 'about' in text else '$' + text} a year"
    return f"{text} {f.unit}".strip()


def empty_form() -> list[tuple[str, list[Question]]]:
    """(area title, questions) in the spec's order; every answer "don't know"."""
    areas = []
    for group, title in GROUP_TITLES.items():
        areas.append((title, [Question(f) for f in MODEL_FIELDS if f.group == group]))
    return areas


def _number(text: str) -> float:
    cleaned = text.strip().replace(",", "").replace("_", "").replace(" ", "")
    cleaned = cleaned.removeprefix("$").removesuffix("%")
    return float(cleaned)


def _parse_one(q: Question, form: MultiDict[str, str]) -> Any:
    """The answer of one question (None = don't know); errors go to ``q.errors``."""
    f = q.spec
    if f.kind == "set":
        chosen = form.getlist(f.name)
        q.raw = chosen
        if not chosen:
            return None
        if NONE_OF_THESE in chosen:
            if len(chosen) > 1:
                q.errors.append('Tick "None of these" or some of the options, not both.')
            return []
        return chosen
    text = form.get(f.name, "").strip()
    q.raw = text
    if text == "":
        return None
    if f.kind == "bool":
        if text not in BOOL_LABELS:
            q.errors.append("Choose Yes, No or Don't know.")
        return text == "yes"
    if f.is_numeric:
        try:
            number = _number(text)
        except ValueError:
            q.errors.append("Enter a number in digits (e.g. 1,200), or leave it empty.")
            return None
        if f.kind == "int" and number.is_integer():
            return int(number)
        return number
    return text


def parse_answers(
    form: MultiDict[str, str],
) -> tuple[list[tuple[str, list[Question]]], dict[str, Any] | None]:
    """The form (with what was typed and errors) and the validated answers, or None."""
    areas = empty_form()
    questions = {q.name: q for _, qs in areas for q in qs}
    data = {name: _parse_one(q, form) for name, q in questions.items()}
    # Validate what did parse too, so every bad answer is marked in one round.
    # "Don't know" (None) is left out: the answers hold only what the city knows.
    checkable = {
        name: v for name, v in data.items() if v is not None and not questions[name].errors
    }
    try:
        answers: dict[str, Any] = PartialExposureSchema().load(checkable)
    except ValidationError as exc:
        _attach(questions, exc.normalized_messages())
        answers = {}
    if any(q.errors for q in questions.values()):
        return areas, None
    return areas, answers


def _plain(q: Question, message: str) -> str:
    """Marshmallow's and the cross-field rules' messages in the form's words."""
    f = q.spec
    if f.is_numeric and message.startswith("Must be greater than or equal to"):
        return f"Enter a number from {f.minimum or 0:,.0f} to {f.maximum or 0:,.0f}."
    rule = next((r for r in CROSS_FIELD_RULES if r.field == f.name), None)
    if rule is not None and rule.message in message:
        bounds = " plus ".join(f'"{FIELDS_BY_NAME[b].label}"' for b in rule.bound_fields)
        return f"This cannot be more than {bounds} (your answers below or above)."
    return message


def _attach(questions: Mapping[str, Question], messages: Mapping[str, Any]) -> None:
    for name, texts in messages.items():
        target = questions.get(name)
        flat = texts if isinstance(texts, list) else [str(texts)]
        if isinstance(texts, Mapping):  # a set member: {0: ["Must be one of ..."]}
            flat = [str(m) for ms in texts.values() for m in ms]
        if target is not None:
            target.errors.extend(_plain(target, str(t)) for t in flat)
