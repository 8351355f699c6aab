"""GET/POST /assess: the city self-assessment web page (server-rendered, no JavaScript).

The form posts to the same URL; invalid answers re-render the form with each
message next to its question and status 422; a valid post renders the result
above the pre-filled form, so a city can change answers and see the effect.
Nothing is stored: the answers live in the page the browser holds. Every
response carries a strict policy: no script at all, styles only from this
app's own stylesheet, no framing, no referrer.

The page is in the reader's language (service/assessments/language.py:
``?lang=``, then Accept-Language; ``Content-Language`` and ``Vary`` say so).
The language switch is a submit button of the form, so it carries the
answers: before a result is shown it only re-renders them in the other
language; with a result it shows that result again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _

from models.spec.fields import FIELDS_BY_NAME
from service.assessments.cause_mix import cause_mix, through
from service.assessments.charts import drivers_chart, peer_plot
from service.assessments.form import empty_form, parse_answers
from service.assessments.labels import spec_text, value_label
from service.assessments.language import LANGUAGES, NATIVE_NAMES, current_locale, html_lang
from service.assessments.numbers import number, percent, usd
from service.assessments.views import assess
from service.http.errors import ApiError

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

blp = Blueprint(
    "assess_page",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assess/static",
)


@blp.after_request
def _security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def _page(status: int = 200, **context: Any) -> Response:
    context.setdefault("areas", empty_form())
    css = url_for("assess_page.static", filename="assess.css")
    lang = html_lang()
    html = render_template(
        "assess.html",
        css=css,
        usd=usd,
        number=number,
        percent=percent,
        html_lang=lang,
        lang=lang,
        languages=[
            (tag, NATIVE_NAMES[loc], loc == current_locale()) for loc, tag in LANGUAGES.items()
        ],
        **context,
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Language"] = lang
    response.vary.add("Accept-Language")
    return response


@blp.get("/assess")
def form() -> Response:
    """The empty questionnaire."""
    return _page()


@blp.post("/assess")
def result() -> Response:
    """Score the posted answers; 422 with messages beside the questions if any is invalid.

    The language switch posts the form too (so the answers stay): before any
    result was shown it only re-renders the answers in the other language.
    """
    areas, answers = parse_answers(request.form)
    if "switch_language" in request.form and "result_shown" not in request.form:
        for _title, questions in areas:
            for q in questions:
                q.errors.clear()
        return _page(200, areas=areas)
    if answers is None:
        bad = [q for _, qs in areas for q in qs if q.errors]
        return _page(422, areas=areas, invalid=bad)
    try:
        outcome = assess(answers, channel="web")
    except ApiError as exc:
        return _page(exc.status, areas=areas, unavailable=exc.message)
    return _page(200, areas=areas, result=_view(outcome))


def _drivers_svg(drivers: list[dict[str, Any]], testid: str) -> Any:
    """One drivers chart in the page's language (None when there is no driver)."""
    if not drivers:
        return None
    shown = [
        value_label(d["field"], d["value"], assumed=not d["answered"])
        + ("" if d["answered"] else _(" (assumed)"))
        for d in drivers
    ]
    labelled = [{**d, "label": spec_text(FIELDS_BY_NAME[d["field"]].label)} for d in drivers]
    return drivers_chart(labelled, shown, [through(d["cause"]) for d in drivers], testid)


def _split(outcome: dict[str, Any], key: str, actionable: bool) -> list[dict[str, Any]]:
    """The assessment's own split, or (an assessor without one) its drivers split by the spec."""
    if key in outcome:
        return list(outcome[key])
    return [d for d in outcome["drivers"] if FIELDS_BY_NAME[d["field"]].actionable is actionable]


def _view(outcome: dict[str, Any]) -> dict[str, Any]:
    """What the result template shows, formatted for people."""
    group = outcome["peer_group"]
    recommendations = [
        {
            **r,
            "label": spec_text(FIELDS_BY_NAME[r["field"]].label),
            "action": spec_text(r["action"]),
            "current_text": value_label(r["field"], r["current_value"], assumed=r["estimate"]),
            "value_text": value_label(r["field"], r["value"]),
        }
        for r in outcome["recommendations"]
    ]
    return {
        **outcome,
        "recommendations": recommendations,
        "peer_svg": peer_plot(
            group["expected_annual_loss_quantiles_usd"],
            outcome["expected_annual_ground_up_loss_usd"],
            outcome["peer_percentile"],
        ),
        # What the city can act on first; its size and context in a chart of their own.
        "drivers_svg": _drivers_svg(
            _split(outcome, "actionable_drivers", True), "actionable-chart"
        ),
        "baseline_svg": _drivers_svg(_split(outcome, "baseline_drivers", False), "baseline-chart"),
        "cause_mix": cause_mix(outcome["causes"]),
        "peer_basis": {
            "population": _("population"),
            "annual_revenue_usd": _("annual budget"),
            "employee_count": _("number of staff"),
        }.get(group["basis"]),
        "answered_count": len(outcome["answered_fields"]),
        "question_count": len(outcome["answered_fields"]) + len(outcome["unanswered_fields"]),
        "single_figure": outcome["premium_range_usd"]["low"]
        == outcome["premium_range_usd"]["high"],
    }
