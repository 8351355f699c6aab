"""/assess in English and Simplified Chinese (CONTRACT §10): choice, completeness, numbers.

Oracles: the catalog itself (no English msgid may show on the Chinese page;
the Chinese texts the page shows are the .po's msgstrs), the field spec (an
error names the spec's range) and CLDR through Babel (万 and 亿 grouping).
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from models.spec.fields import FIELDS_BY_NAME
from service.assessments.numbers import usd, usd_short

PO = Path(__file__).resolve().parents[3] / "service/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
FORM = MultiDict(
    [
        ("population", "250,000"),
        ("employee_count", "3,200"),
        ("critical_services", "water"),
        ("mfa_remote", "partial"),
        ("backup_isolation", "online"),
        ("monitoring_24x7", "no"),
        ("edr_coverage_pct", "70%"),
    ]
)


def _text(html: str) -> str:
    """What a reader sees: no tags, no title attributes, entities decoded, spaces folded."""
    body = re.sub(r"<(script|style|title)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _english_sentences() -> list[str]:
    """The catalog's English texts without placeholders, long enough to be unambiguous."""
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    return [
        m.id.replace("%%", "%")
        for m in catalog
        if isinstance(m.id, str) and len(m.id) >= 12 and "%(" not in m.id and "<" not in m.id
    ]


def _lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', html)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(
    ("query", "headers", "lang"),
    [
        ("", {}, "en"),
        ("", ZH, "zh-CN"),
        ("", {"Accept-Language": "zh-Hans"}, "zh-CN"),
        ("", {"Accept-Language": "zh-TW,en;q=0.5"}, "en"),  # Traditional is not served zh-CN
        ("", {"Accept-Language": "fr-FR,zh;q=0.8"}, "zh-CN"),  # the first supported preference
        ("?lang=en", ZH, "en"),  # ?lang= wins over the browser
        ("?lang=zh-CN", {"Accept-Language": "en"}, "zh-CN"),
        ("?lang=klingon", ZH, "zh-CN"),  # an unknown ?lang= falls back to the browser's
    ],
)
def test_language_is_lang_then_accept_language_then_english(
    client: FlaskClient, query: str, headers: dict[str, str], lang: str
) -> None:
    response = client.get(f"/assess{query}", headers=headers)
    assert response.status_code == 200
    assert _lang(response.get_data(as_text=True)) == lang
    assert response.headers["Content-Language"] == lang
    assert "Accept-Language" in response.headers["Vary"]


def test_the_chinese_form_and_result_show_no_english_text(client: FlaskClient) -> None:
    english = _english_sentences()
    assert len(english) > 150  # the oracle is the whole catalog, not a sample
    form = client.get("/assess", headers=ZH).get_data(as_text=True)
    result = client.post("/assess?lang=zh-CN", data=FORM)
    assert result.status_code == 200
    for page in (form, result.get_data(as_text=True)):
        seen = _text(page)
        left = [e for e in english if e in seen]
        assert left == [], f"untranslated on the Chinese page: {left}"
        assert "风险评分" in seen or "城市网络风险自评估" in seen
    result_text = _text(result.get_data(as_text=True))
    assert "贵市的网络风险" in result_text and "您可以改进的方面" in result_text
    assert "您的基准风险从何而来" in result_text  # size and context apart from the fixes
    assert re.search(r"(约 )?[\d,.]+ (万|亿)?美元", result_text)


def test_a_chinese_error_names_the_allowed_range(client: FlaskClient) -> None:
    response = client.post(
        "/assess?lang=zh-CN", data={"population": "12", "edr_coverage_pct": "很多"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    population = FIELDS_BY_NAME["population"]
    low, high = f"{population.minimum:,.0f}", f"{population.maximum:,.0f}"
    assert f"请输入 {low} 至 {high} 之间的数。" in html
    assert "请用阿拉伯数字输入 0 至 100 之间的数" in html
    assert "有 2 个回答需要修正" in _text(html)
    english = client.post("/assess?lang=en", data={"population": "12"}).get_data(as_text=True)
    assert f"Enter a number from {low} to {high}." in english


def test_the_language_switch_keeps_the_answers(client: FlaskClient) -> None:
    page = client.get("/assess?lang=en").get_data(as_text=True)
    switch = re.search(r'<button[^>]*name="switch_language" value="zh-CN"[^>]*>', page)
    assert switch is not None and 'form="assess-form"' in switch.group(0)
    action = re.search(r'formaction="([^"]+)"', switch.group(0))
    assert action is not None and action.group(1) == "/assess?lang=zh-CN"
    # Before any result: the same answers, in Chinese, no result computed.
    answered = MultiDict([*FORM.items(multi=True), ("switch_language", "zh-CN")])
    switched = client.post(action.group(1), data=answered).get_data(as_text=True)
    assert _lang(switched) == "zh-CN" and 'value="250,000"' in switched
    assert 'data-testid="risk-score"' not in switched
    assert re.search(r'value="partial" selected', switched)
    # With a result on the page the switch shows that result in the other language.
    shown = MultiDict([*answered.items(multi=True), ("result_shown", "1")])
    again = client.post("/assess?lang=zh-CN", data=shown).get_data(as_text=True)
    assert 'data-testid="risk-score"' in again and "贵市的网络风险" in again


def test_the_json_api_answers_in_english_whatever_the_browser_asks(client: FlaskClient) -> None:
    body = {"exposure": {"population": 12}}
    plain = client.post("/v1/assessments", json=body)
    chinese = client.post("/v1/assessments", json=body, headers=ZH)
    assert plain.status_code == chinese.status_code == 422
    assert chinese.json["error"]["fields"] == plain.json["error"]["fields"]
    assert chinese.json["error"]["message"] == plain.json["error"]["message"]


@pytest.mark.parametrize(
    ("amount", "english", "chinese"),
    [
        (1_418.0, "$1,418", "1,418 美元"),
        (-1_418.0, "-$1,418", "-1,418 美元"),
        (123_000.0, "$123,000", "12.3 万美元"),
        (123_456.0, "$123,456", "约 12.3 万美元"),
        (490_000_000.0, "$490,000,000", "4.9 亿美元"),
        (487_654_321.0, "$487,654,321", "约 4.88 亿美元"),
        (5_000_000.0, "$5,000,000", "500 万美元"),
    ],
)
def test_money_is_written_in_the_reader_s_convention(
    app: Flask, amount: float, english: str, chinese: str
) -> None:
    with app.test_request_context("/assess?lang=en"):
        assert usd(amount) == english
    with app.test_request_context("/assess?lang=zh-CN"):
        assert usd(amount) == chinese


def test_axis_ticks_are_short_in_both_languages(app: Flask) -> None:
    with app.test_request_context("/assess?lang=en"):
        assert [usd_short(v) for v in (1e3, 1e5, 4.5e6)] == ["$1,000", "$100K", "$4.5M"]
    with app.test_request_context("/assess?lang=zh-CN"):
        assert [usd_short(v) for v in (1e3, 1e5, 4.9e8)] == ["1,000美元", "10万美元", "4.9亿美元"]
