"""Two real model versions for the registry API and hot-reload tests, and broken copies.

Version A is the session's trained bundle (tests/support/portfolio.py, seed
11); version B is trained on the same tiny portfolio with seed 12 through the
same pipeline, so the two price the test city differently (an oracle for
"which version priced this quote"). Broken bundles are copies of a good one,
damaged the three ways promotion must refuse: a file altered after writing
(SHA-256 mismatch), a file missing, and a consistent bundle built for another
field spec (metadata and manifest rewritten together).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from models.underwriting.quote_engine import load_quote_engine
from models.versions.bundle import FREQUENCY_FILES, MANIFEST_FILE, METADATA_FILE, SEVERITY_FILE
from models.versions.registry import Registry
from service.quotes.schemas import QuoteRequestSchema
from tests.support.city import quote_body
from tests.support.portfolio import TEST_SEED, small_params

#: A valid version name for a damaged copy (the registry lists it like any other).
BROKEN_VERSION = "2031-01-01T00-00-00Z-0badc0de"
DAMAGES = ("altered", "incomplete", "other_spec")


@dataclass(frozen=True)
class TwoVersions:
    root: Path  # a models directory holding A (active) and B; copy it, never change it
    a: str
    b: str


@pytest.fixture(scope="session")
def two_versions(
    tmp_path_factory: pytest.TempPathFactory, trained_registry: Any, portfolio_dir: Path
) -> TwoVersions:
    from training.pipeline import train_bundle

    registry = Registry(tmp_path_factory.mktemp("two-versions"))
    a = trained_registry.active_version()
    shutil.copytree(trained_registry.root / a, registry.root / a)
    registry.promote(a)
    b = train_bundle(
        portfolio_dir / "policies.csv",
        portfolio_dir / "claims.csv",
        registry,
        seed=TEST_SEED + 1,
        params=small_params(),
        truth_path=portfolio_dir / "truth.csv",
    )
    assert registry.versions() == sorted([a, b]) and registry.active_version() == a
    return TwoVersions(registry.root, a, b)


def premiums_by_version(versions: TwoVersions) -> dict[str, float]:
    """The premium of the test city under each version, priced in this process (the oracle)."""
    body = QuoteRequestSchema().load(quote_body())
    return {
        v: load_quote_engine(str(versions.root), v).quote(body["exposure"], body["policy"])[
            "premium_usd"
        ]
        for v in (versions.a, versions.b)
    }


def copy_models(source: TwoVersions, target: Path) -> Registry:
    """A private, writable copy of the two-version models directory."""
    shutil.copytree(source.root, target)
    return Registry(target)


def _rehash(directory: Path, name: str) -> None:
    digest = hashlib.sha256((directory / name).read_bytes()).hexdigest()
    lines = [
        f"{digest}  {name}" if line.endswith(f"  {name}") else line
        for line in (directory / MANIFEST_FILE).read_text().splitlines()
    ]
    (directory / MANIFEST_FILE).write_text("\n".join(lines) + "\n")


def add_broken_copy(registry: Registry, source: str, damage: str) -> str:
    """Copy version ``source`` to BROKEN_VERSION and damage it; returns that version."""
    target = registry.root / BROKEN_VERSION
    shutil.copytree(registry.root / source, target)
    if damage == "altered":
        blob = bytearray((target / FREQUENCY_FILES[0]).read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        (target / FREQUENCY_FILES[0]).write_bytes(bytes(blob))
    elif damage == "incomplete":
        (target / SEVERITY_FILE).unlink()
    elif damage == "other_spec":
        metadata = json.loads((target / METADATA_FILE).read_text())
        metadata["spec_hash"] = "0" * 64
        (target / METADATA_FILE).write_text(json.dumps(metadata))
        _rehash(target, METADATA_FILE)
    else:
        raise ValueError(f"damage {damage!r}: must be one of {', '.join(DAMAGES)}")
    return BROKEN_VERSION


#: What the refusal says for each damage (models/versions/bundle.py's messages).
REFUSAL_REASONS = {
    "altered": f"{FREQUENCY_FILES[0]} fails its SHA-256 check",
    "incomplete": "severity.ubj is missing",
    "other_spec": "another field spec",
}
