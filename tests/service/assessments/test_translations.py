"""The self-assessment's catalogs: complete, up to date with the sources, compiled from the .po.

Oracles: the sources themselves (Babel's extraction with the project's
babel.cfg gives the msgids the page can ask for), the .po files (every msgid
translated, not fuzzy, the same placeholders) and the compiled .mo (the same
messages as its .po). A failure names the message and the command that fixes it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
TRANSLATIONS = ROOT / "service" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PO_FILES = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def _read_po(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _msgids(catalog: Catalog) -> set[object]:
    return {m.id for m in catalog if m.id}


def _key(text: object) -> object:
    """A message's id or string, plural forms as a tuple (read_mo gives lists)."""
    return tuple(text) if isinstance(text, (list, tuple)) else text


def _extracted() -> set[object]:
    """The msgids ``make messages`` would write, extracted from the sources now."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=())
    return {message for _file, _line, message, _comments, _context in found}


def test_there_is_a_simplified_chinese_catalog() -> None:
    assert [p.parts[-3] for p in PO_FILES] == ["zh_Hans_CN"]


def test_the_template_is_up_to_date_with_the_sources() -> None:
    template = _msgids(_read_po(TRANSLATIONS / "messages.pot"))
    extracted = _extracted()
    assert extracted - template == set(), "texts not in messages.pot: run `make messages`"
    assert template - extracted == set(), "stale texts in messages.pot: run `make messages`"


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.parts[-3])
def test_every_message_has_a_translation(po: Path) -> None:
    template = _read_po(TRANSLATIONS / "messages.pot")
    catalog = _read_po(po)
    assert _msgids(catalog) == _msgids(template), f"{po}: out of step with the template"
    untranslated = []
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s.strip() for s in forms):
            untranslated.append(message.id)
    assert untranslated == [], f"{po}: untranslated or fuzzy: {untranslated}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == [], f"{po}: placeholders differ from the msgid: {problems}"


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.parts[-3])
def test_the_compiled_catalog_is_the_po(po: Path) -> None:
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run `make translations`"
    with mo.open("rb") as handle:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
    source = {_key(m.id): _key(m.string) for m in _read_po(po) if m.id}
    assert compiled == source, f"{mo} is older than its .po: run `make translations`"


def test_a_start_without_compiled_catalogs_says_so(tmp_path: Path) -> None:
    from service.assessments.language import uncompiled_catalogs

    po = tmp_path / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n', encoding="utf-8")
    assert uncompiled_catalogs(tmp_path) == [po]
    po.with_suffix(".mo").write_bytes(b"")
    assert uncompiled_catalogs(tmp_path) == []
    assert uncompiled_catalogs(TRANSLATIONS) == [], "run `make translations`"
