"""POLISURE_EVENT_CATALOG: a malformed or missing catalog refuses the start, naming every problem."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from models.accumulation.catalog import EventCatalogError
from service.book.catalog import load_active_catalog, shipped_catalog_path
from tests.support.apps import make_app

BROKEN = """\
version: "7.1"
description: broken on purpose
events:
  - id: outage
    family: vendor_outage
    annual_rate: -1
    footprint: {vendor: Acme Cloud, hit_probability: 1.5}
    loss: {share_of_limit: 0.1}
"""


def test_a_malformed_catalog_refuses_the_start_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "7.1.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(EventCatalogError) as caught:
        make_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", POLISURE_EVENT_CATALOG=str(path))
    problems = "\n".join(caught.value.problems)
    assert len(caught.value.problems) == 2, problems
    assert "annual_rate" in problems
    assert "hit_probability" in problems


def test_a_missing_catalog_file_refuses_the_start(tmp_path: Path) -> None:
    with pytest.raises(EventCatalogError, match="cannot read"):
        make_app(
            f"sqlite:///{tmp_path / 'db.sqlite3'}",
            POLISURE_EVENT_CATALOG=str(tmp_path / "nope.yaml"),
        )


def test_the_default_is_the_shipped_catalog_with_its_file_hash() -> None:
    active = load_active_catalog(None)
    assert active.version == "2026.1"
    assert active.path == shipped_catalog_path()
    assert active.sha256 == hashlib.sha256(shipped_catalog_path().read_bytes()).hexdigest()
