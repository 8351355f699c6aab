"""The self-assessment's languages: English and Simplified Chinese (CONTRACT §10).

The language of a page is chosen by ``?lang=`` (``en`` or ``zh-CN``; ``zh``,
``zh-Hans`` and ``zh_CN`` mean the same), then by the browser's
``Accept-Language`` in its order of preference, then English. Flask-Babel
serves the gettext catalogs of service/translations/ (.po in the repository,
.mo compiled by ``make translations``, never at run time). Only the web page
is translated: the JSON API answers in English whatever the request asks, so
integrations read one fixed set of messages (README, "City self-assessment").
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, request
from flask_babel import Babel, get_locale

log = logging.getLogger(__name__)

#: Babel locale -> the BCP 47 tag of <html lang> and ``?lang=``.
LANGUAGES: dict[str, str] = {"en": "en", "zh_Hans_CN": "zh-CN"}
DEFAULT_LOCALE = "en"
#: Language names as their own readers write them (the switch is never translated).
NATIVE_NAMES: dict[str, str] = {"en": "English", "zh_Hans_CN": "简体中文"}


def locale_of_tag(tag: str) -> str | None:
    """The supported locale a language tag asks for (``zh-CN`` -> ``zh_Hans_CN``), or None.

    The catalog folder is named by the CLDR identifier (service/translations/zh_Hans_CN):
    Babel has no locale "zh_CN" of its own and reads it as zh_Hans_CN.

    Traditional Chinese (zh-TW, zh-HK, zh-Hant) is not Simplified: it falls
    through to the reader's next preference rather than being served zh-CN.
    """
    parts = tag.strip().replace("_", "-").lower().split("-")
    if parts[0] == "en":
        return "en"
    if parts[0] == "zh" and not ({"tw", "hk", "mo", "hant"} & set(parts[1:])):
        return "zh_Hans_CN"
    return None


def select_locale() -> str:
    """``?lang=``, then Accept-Language (best first), then English."""
    asked = request.args.get("lang")
    if asked:
        chosen = locale_of_tag(asked)
        if chosen is not None:
            return chosen
    for tag, _quality in request.accept_languages:  # werkzeug sorts by quality
        chosen = locale_of_tag(tag)
        if chosen is not None:
            return chosen
    return DEFAULT_LOCALE


def current_locale() -> str:
    """The locale of this request as a key of LANGUAGES."""
    locale = get_locale()
    return "zh_Hans_CN" if locale is not None and locale.language == "zh" else DEFAULT_LOCALE


def html_lang() -> str:
    """The <html lang> of this request: ``en`` or ``zh-CN``."""
    return LANGUAGES.get(current_locale(), "en")


def uncompiled_catalogs(translations: Path) -> list[Path]:
    """The .po catalogs whose .mo is missing or older: those languages would show English."""
    return [
        po
        for po in sorted(translations.glob("*/LC_MESSAGES/*.po"))
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]


def init_app(app: Flask) -> None:
    """Flask-Babel with service/translations and the selection above.

    A catalog that was not compiled is not compiled here (the build does it,
    ``make translations``): the start says so, as the page would fall back to English.
    """
    Babel(app, locale_selector=select_locale, default_locale=DEFAULT_LOCALE)
    for po in uncompiled_catalogs(Path(app.root_path) / "translations"):
        log.warning("translations: %s is not compiled (run `make translations`)", po)
