"""``make model``: rebuilding the default bundle gives the same version, whatever is active."""

from __future__ import annotations

from models.versions.registry import Registry
from training.default_model import build_default_model


def test_rebuilding_with_the_bundle_active_changes_nothing(tmp_path) -> None:
    first = build_default_model(tmp_path, policies=12000, seed=11)
    registry = Registry(tmp_path)
    assert registry.active_version() == first
    # the second build finds the first one active; it must not compare against it
    assert build_default_model(tmp_path, policies=12000, seed=11) == first
    assert registry.versions() == [first]
    assert not any(k.endswith("_active") for k in registry.load().metadata["metrics"])
