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

Every text is a gettext message in the page's language (service/translations;
the spec's texts and the values' labels: service/assessments/labels.py), and
every error message of a number names the allowed range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from models.spec.fields import (
    CROSS_FIELD_RULES,
    FIELDS,
    FIELDS_BY_NAME,
    GROUP_TITLES,
    VENDOR_NAME_MAX_LENGTH,
    Field,
)
from models.spec.schemas import PartialExposureSchema
from service.assessments.labels import BOOL_LABELS, UNIT_WORDS, VALUE_LABELS, spec_text
from service.assessments.numbers import number
from service.quotes.schemas import vendor_name_problems

NONE_OF_THESE = "none"  # the set option meaning "none of these" (no member is named "none")


def allowed_range(f: Field) -> tuple[str, str]:
    """The lowest and highest answer of a number field, written for the reader."""
    return number(f.minimum or 0), number(f.maximum or 0)


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
    def question(self) -> str:
        return spec_text(self.spec.question)

    @property
    def label(self) -> str:
        return spec_text(self.spec.label)

    @property
    def options(self) -> list[tuple[str, str]]:
        labels = VALUE_LABELS.get(self.name, {})
        if self.spec.kind == "bool":
            return [(k, str(v)) for k, v in BOOL_LABELS.items()]
        return [(v, str(labels.get(v, v.replace("_", " ")))) for v in self.spec.values]

    @property
    def hint(self) -> str:
        """Unit and allowed range of a number question (or the vendors' rules), in words."""
        f = self.spec
        if f.kind == "list":
            return _(
                "One name per line, at most %(count)s names. We use them only to show the "
                "risk you share with other cities. Leave empty if you don't know.",
                count=number(f.maximum or 0),
            )
        if not f.is_numeric:
            return ""
        unit = str(UNIT_WORDS.get(f.unit, f.unit))
        low, high = allowed_range(f)
        return _("%(unit)s, from %(low)s to %(high)s.", unit=unit, low=low, high=high)


def empty_form() -> list[tuple[str, list[Question]]]:
    """(area title, questions) in the spec's order; every answer "don't know"."""
    areas = []
    for group, title in GROUP_TITLES.items():
        # FIELDS, not MODEL_FIELDS: the named vendors are a question too (accumulation only).
        areas.append((spec_text(title), [Question(f) for f in FIELDS if f.group == group]))
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
                q.errors.append(_('Tick "None of these" or some of the options, not both.'))
            return []
        return chosen
    text = form.get(f.name, "").strip()
    q.raw = text
    if text == "":
        return None
    if f.kind == "list":  # one vendor name per line; blank lines are not names
        names = [line.strip() for line in text.splitlines() if line.strip()]
        if vendor_name_problems(names):
            q.errors.append(_vendors_rule(f))
        return names
    if f.kind == "bool":
        if text not in BOOL_LABELS:
            q.errors.append(_("Choose Yes, No or Don't know."))
        return text == "yes"
    if f.is_numeric:
        try:
            number_value = _number(text)
        except ValueError:
            low, high = allowed_range(f)
            q.errors.append(
                _(
                    "Enter a number from %(low)s to %(high)s in digits (e.g. 1,200), "
                    "or leave it empty.",
                    low=low,
                    high=high,
                )
            )
            return None
        if f.kind == "int" and number_value.is_integer():
            return int(number_value)
        return number_value
    return text


def parse_answers(
    form: MultiDict[str, str],
) -> tuple[list[tuple[str, list[Question]]], dict[str, Any] | None]:
    """The form (with what was typed and errors) and the validated answers, or None."""
    areas = empty_form()
    questions = {q.name: q for _title, qs in areas for q in qs}
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
    """Marshmallow's and the cross-field rules' messages in the form's words and language.

    The schema's messages are English API messages; the page says the same
    thing in the reader's language, and a number's message names its range.
    """
    f = q.spec
    rule = next((r for r in CROSS_FIELD_RULES if r.field == f.name), None)
    if rule is not None and rule.message in message:
        bounds = _(" plus ").join(
            _('"%(label)s"', label=spec_text(FIELDS_BY_NAME[b].label)) for b in rule.bound_fields
        )
        return _(
            "This cannot be more than %(bounds)s (your answers below or above).", bounds=bounds
        )
    if f.is_numeric:
        low, high = allowed_range(f)
        if f.kind == "int" and "whole" in message:
            return _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
        return _("Enter a number from %(low)s to %(high)s.", low=low, high=high)
    if f.kind == "list":
        return _vendors_rule(f)
    if f.kind in ("ordinal", "category", "set", "bool"):
        return _("Choose one of the answers in the list.")
    return _("This answer is not valid.")


def _vendors_rule(f: Field) -> str:
    return _(
        "Write one vendor name per line: at most %(count)s names of at most %(length)s "
        'characters, none containing "|".',
        count=number(f.maximum or 0),
        length=number(VENDOR_NAME_MAX_LENGTH),
    )


def _attach(questions: Mapping[str, Question], messages: Mapping[str, Any]) -> None:
    for name, texts in messages.items():
        target = questions.get(name)
        flat = texts if isinstance(texts, list) else [str(texts)]
        if isinstance(texts, Mapping):  # a set member: {0: ["Must be one of ..."]}
            flat = [str(m) for ms in texts.values() for m in ms]
        if target is not None:  # one message per rule, even when several names break it
            plain = (_plain(target, str(t)) for t in flat)
            target.errors.extend(m for m in dict.fromkeys(plain) if m not in target.errors)
