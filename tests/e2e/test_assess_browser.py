"""The /assess page in headless Chromium, filled in as a city IT person would, in English and Chinese.

The app runs on a free 127.0.0.1 port (werkzeug in a thread) with a real
model bundle: the project's active one (models/bundles or
POLISURE_MODELS_DIR) when there is one, else the small bundle trained from
tests/support/portfolio.py. Screenshots of
the form and the result (desktop, phone, print) and the printed PDF are saved
under test-artifacts/assess/ for people to look at (the Chinese and English result at
phone and desktop width and both printed PDFs: test-artifacts/assess/zh-*, en-*). The browser is the system
Chromium (/usr/bin/chromium); nothing is downloaded.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.underwriting.quote_engine import QuoteEngine, load_quote_engine
from models.versions.registry import Registry, resolve_models_dir
from tests.support.apps import make_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "assess"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="system Chromium /usr/bin/chromium absent"),
]


def _engine(request: pytest.FixtureRequest) -> QuoteEngine:
    """The project's active bundle when there is one (the realistic pages), else the test one."""
    root = resolve_models_dir()
    if Registry(root).active_version() is not None:
        return load_quote_engine(str(root))
    return load_quote_engine(str(request.getfixturevalue("trained_registry").root))


@pytest.fixture(scope="module")
def base_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from werkzeug.serving import make_server

    engine = _engine(request)
    database = tmp_path_factory.mktemp("assess-e2e") / "polisure.sqlite3"
    app = make_app(f"sqlite:///{database}", POLISURE_QUOTE_ENGINE=engine)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["polisure.db"].dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _fill_like_a_city(page) -> None:  # type: ignore[no-untyped-def]
    """Some answers known, many left as "don't know", typed the way people type."""
    page.fill("input[name=population]", "250,000")
    page.fill("input[name=employee_count]", "3,200")
    page.check("input[name=critical_services][value=water]")
    page.check("input[name=critical_services][value=traffic_control]")
    page.fill("input[name=iot_device_count]", "12000")
    page.fill("input[name=internet_exposed_devices]", "25")
    page.select_option("select[name=ot_remote_access]", "vpn")
    page.check("input[name=sensitive_data][value=none]")
    page.select_option("select[name=mfa_remote]", "partial")
    page.select_option("select[name=backup_isolation]", "online")
    page.check("input[name=monitoring_24x7][value=no]")
    page.fill("input[name=edr_coverage_pct]", "70%")
    page.fill("input[name=restore_test_months]", "24")


def test_city_fills_the_form_and_gets_score_chart_and_fixes(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    desktop = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desktop.new_page()
    page.goto(f"{base_url}/assess")
    page.screenshot(path=str(ARTIFACTS / "form-desktop.png"), full_page=True)
    _fill_like_a_city(page)
    with page.expect_navigation():
        page.click("button[type=submit]")

    score = page.get_by_test_id("risk-score")
    assert score.is_visible()
    assert re.fullmatch(r"\d{1,3} / 100 Grade [A-E]", " ".join(score.inner_text().split()))
    chart = page.get_by_test_id("drivers-chart")
    assert chart.is_visible() and chart.locator("rect").count() >= 1
    causes = page.get_by_test_id("cause-mix")  # CONTRACT §6: one row per claim cause
    assert causes.is_visible() and causes.locator("tbody tr").count() == 7
    recs = page.get_by_test_id("recommendation")
    assert recs.count() >= 3 and recs.first.is_visible()
    assert re.search(r"Saves about \$[\d,]+ a year in expected losses", recs.first.inner_text())
    assert "(assumed)" in page.inner_text("body")  # open questions are said to be assumed
    # the answers stay in the form, ready to change
    assert page.input_value("input[name=population]") == "250,000"
    page.screenshot(path=str(ARTIFACTS / "result-desktop.png"), full_page=True)

    page.emulate_media(media="print")
    page.set_viewport_size({"width": 703, "height": 1032})  # A4 less 12 mm margins, at 96 dpi
    assert not page.locator("form").is_visible()
    page.screenshot(path=str(ARTIFACTS / "result-print.png"), full_page=True)
    pdf = page.pdf(path=str(ARTIFACTS / "report.pdf"), format="A4")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, f"the printed report has {pages} pages"
    desktop.close()


def test_on_a_phone_the_page_fits_and_bad_answers_are_marked(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.goto(f"{base_url}/assess")
    page.screenshot(path=str(ARTIFACTS / "form-phone.png"), full_page=True)
    page.fill("input[name=population]", "12")  # below the spec's 1,000 minimum
    with page.expect_navigation():
        page.click("button[type=submit]")
    error = page.locator("#q-population .error")
    assert error.is_visible() and "1000" in error.inner_text().replace(",", "")
    page.screenshot(path=str(ARTIFACTS / "form-error-phone.png"))
    _fill_like_a_city(page)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.get_by_test_id("risk-score").is_visible()
    # nothing wider than the phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "result-phone.png"), full_page=True)
    phone.close()


CJK = re.compile(r"[\u4e00-\u9fff]")


def _fill_with_vendors(page) -> None:  # type: ignore[no-untyped-def]
    _fill_like_a_city(page)
    page.fill("textarea[name=vendors]", "Nimbus\nCivicERP\nHarbor Networks")


def _result_in(browser, base_url: str, lang: str, width: int):  # type: ignore[no-untyped-def]
    """A context of ``width`` px whose browser asks for ``lang``; the filled result page."""
    phone = width < 500
    context = browser.new_context(
        viewport={"width": width, "height": 844 if phone else 900},
        is_mobile=phone,
        has_touch=phone,
        locale=lang,
        extra_http_headers={"Accept-Language": f"{lang},en;q=0.3"},
    )
    page = context.new_page()
    page.goto(f"{base_url}/assess")
    _fill_with_vendors(page)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return context, page


def _one_page_pdf(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 703, "height": 1032})  # A4 less 12 mm margins, at 96 dpi
    page.screenshot(path=str(path.with_suffix(".png")), full_page=True)
    pdf = page.pdf(path=str(path), format="A4")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, f"{path.name} has {pages} pages"


def test_a_chinese_browser_gets_the_chinese_page_and_errors(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, name in ((1280, "desktop"), (390, "phone")):
        context, page = _result_in(browser, base_url, "zh-CN", width)
        assert page.get_attribute("html", "lang") == "zh-CN"
        body = page.inner_text("body")
        assert "贵市的网络风险" in body and len(CJK.findall(body)) > 500
        score = " ".join(page.get_by_test_id("risk-score").inner_text().split())
        assert re.fullmatch(r"\d{1,3} / 100 等级 [A-E]", score)
        assert page.get_by_test_id("drivers-chart").locator("rect").count() >= 1
        assert page.get_by_test_id("recommendation").count() >= 3
        vendors = page.get_by_test_id("vendor-risk")
        assert vendors.is_visible() and vendors.locator("tbody tr").count() == 3
        assert re.search(r"每年可减少预期损失 [约 \d,.]+ ?(万|亿)?美元", body)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(ARTIFACTS / f"zh-result-{name}.png"), full_page=True)
        if name == "desktop":
            _one_page_pdf(page, ARTIFACTS / "zh-report.pdf")
        context.close()

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  extra_http_headers={"Accept-Language": "zh-CN"})  # fmt: skip
    page = context.new_page()
    page.goto(f"{base_url}/assess")
    page.screenshot(path=str(ARTIFACTS / "zh-form-phone.png"), full_page=True)
    page.fill("input[name=population]", "12")
    with page.expect_navigation():
        page.click("button[type=submit]")
    error = page.locator("#q-population .error").inner_text()
    assert error == "请输入 1,000 至 50,000,000 之间的数。"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "zh-form-error-phone.png"))
    context.close()


def test_lang_en_and_the_switch_keep_the_answers(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, extra_http_headers={"Accept-Language": "zh-CN"}
    )
    page = context.new_page()
    page.goto(f"{base_url}/assess?lang=en")
    assert page.get_attribute("html", "lang") == "en"
    assert "City cyber risk self-assessment" in page.inner_text("h1")
    page.fill("input[name=population]", "250,000")
    with page.expect_navigation():
        page.get_by_test_id("language-zh-CN").click()  # the switch posts the answers
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.input_value("input[name=population]") == "250,000"
    _fill_with_vendors(page)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "贵市的网络风险" in page.inner_text("body")
    with page.expect_navigation():
        page.get_by_test_id("language-en").click()
    assert page.get_attribute("html", "lang") == "en"
    assert "Your city's cyber risk" in page.inner_text("body")
    assert page.input_value("textarea[name=vendors]").split() == [
        "Nimbus",
        "CivicERP",
        "Harbor",
        "Networks",
    ]
    context.close()
    for width, name in ((1280, "desktop"), (390, "phone")):
        context, page = _result_in(browser, base_url, "en", width)
        assert page.get_attribute("html", "lang") == "en"
        # no Chinese but the switch's own name for it ("简体中文")
        assert not CJK.search(page.inner_text("article.result") + page.inner_text("form"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(ARTIFACTS / f"en-result-{name}.png"), full_page=True)
        if name == "desktop":
            _one_page_pdf(page, ARTIFACTS / "en-report.pdf")
        context.close()
