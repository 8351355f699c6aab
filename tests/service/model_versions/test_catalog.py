"""The model catalog: figures read from metadata.json, problems reported rather than raised.

Oracle: the shipped bundle's own metadata.json, read as plain JSON.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from models.versions.bundle import METADATA_FILE
from models.versions.metadata import FORMAT_VERSION
from models.versions.registry import DEFAULT_MODELS_DIR, Registry
from service.model_versions import catalog

VERSION = (
    (Path(__file__).resolve().parents[3] / "models" / "bundles" / "ACTIVE").read_text().strip()
)


@pytest.fixture()
def registry(tmp_path: Path) -> Registry:
    shutil.copytree(DEFAULT_MODELS_DIR / VERSION, tmp_path / VERSION)
    return Registry(tmp_path)


def test_summary_and_detail_are_the_files_figures(registry: Registry) -> None:
    raw = json.loads((registry.path(VERSION) / METADATA_FILE).read_text())
    summary = catalog.summary(registry, VERSION, VERSION)
    assert summary["created_at"] == raw["created_at"] and summary["active"] is True
    assert summary["metrics"] == {k: float(raw["metrics"][k]) for k in catalog.HEADLINE_METRICS}
    detail = catalog.detail(registry, VERSION, None)
    assert detail["metrics"] == {k: float(v) for k, v in raw["metrics"].items()}
    assert detail["training_data"] == raw["data"]
    assert (detail["spec_hash"], detail["seed"]) == (raw["spec_hash"], raw["seed"])
    assert "problem" not in detail and detail["model_card"].startswith("# Model card")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "metadata.json unreadable: JSONDecodeError"),
        ("[1]", "metadata.json is not a JSON object"),
        # a bundle of the format before this one (here: before the per-cause models)
        (
            json.dumps({"format": FORMAT_VERSION - 1}),
            f"metadata.json has format {FORMAT_VERSION - 1}; this code reads format {FORMAT_VERSION}",
        ),
    ],
)
def test_a_metadata_file_that_cannot_be_read_is_a_problem_not_an_error(
    registry: Registry, text: str, problem: str
) -> None:
    (registry.path(VERSION) / METADATA_FILE).write_text(text)
    detail = catalog.detail(registry, VERSION, None)
    assert detail["problem"].startswith(problem)  # (the format's message goes on: what to do)
    assert detail["created_at"] == "2026-01-01T00:00:00Z"  # from the version name
    assert detail["metrics"] == {} and detail["training_data"] == {} and detail["seed"] is None
