"""The one QuoteEngine seam: the model's engine and the test fake both implement it.

mypy proves the model's engine in service/engine/protocol.py itself (part of
the project's mypy run); the fake lives under tests/, so this test runs mypy
on it. At run time the slot's factory check (runtime_checkable) accepts both.
"""

from __future__ import annotations

from pathlib import Path

from mypy import api as mypy_api

from models.underwriting.quote_engine import load_quote_engine
from service.engine.protocol import QuoteEngine
from tests.support import fake_engine
from tests.support.fake_engine import FakeQuoteEngine

REPO = Path(__file__).resolve().parents[3]


def test_both_engines_implement_the_seam_at_run_time() -> None:
    model, fake = load_quote_engine(), FakeQuoteEngine()
    assert isinstance(model, QuoteEngine) and isinstance(fake, QuoteEngine)
    assert model.reference_exposures is not None and model.self_assessor() is not None
    assert fake.reference_exposures is None and fake.self_assessor() is None


def test_mypy_checks_the_fake_against_the_protocol() -> None:
    # FakeQuoteEngine subclasses the Protocol: a missing or mistyped member fails here.
    config = str(REPO / "pyproject.toml")
    stdout, stderr, status = mypy_api.run(["--config-file", config, fake_engine.__file__])
    assert status == 0, stdout + stderr
