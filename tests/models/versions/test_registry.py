"""Registry: version names, atomic writes that leave nothing behind, the ACTIVE pointer."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import pytest

from models.versions.bundle import (
    FREQUENCY_FILES,
    METADATA_FILE,
    MODEL_CARD_FILE,
    REFERENCE_FILE,
    REPORT_FILE,
    REQUIRED_FILES,
    SEVERITY_FILE,
    BundleError,
    content_hash,
)
from models.versions.registry import (
    DEFAULT_MODELS_DIR,
    VERSION_PATTERN,
    Registry,
    resolve_models_dir,
    version_name,
)

CORE = (*FREQUENCY_FILES, SEVERITY_FILE, METADATA_FILE, REFERENCE_FILE)


@pytest.fixture()
def core(trained_registry):
    path = trained_registry.root / trained_registry.active_version()
    return {name: (path / name).read_bytes() for name in CORE}


def _documents(version):
    return {MODEL_CARD_FILE: f"# {version}\n".encode(), REPORT_FILE: b"<html></html>\n"}


def test_version_names_sort_by_time_and_carry_the_hash():
    name = version_name(datetime(2026, 11, 29, 1, 2, 3, tzinfo=UTC), "1a2b3c4d" + "0" * 56)
    assert name == "2026-11-29T01-02-03Z-1a2b3c4d"
    assert VERSION_PATTERN.match(name)
    later = version_name(datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC), "0" * 64)
    assert sorted([later, name]) == [name, later]


def test_write_promote_and_load(tmp_path, core):
    assert set(CORE) | {MODEL_CARD_FILE, REPORT_FILE} == set(REQUIRED_FILES)
    registry = Registry(tmp_path / "bundles")
    assert registry.versions() == [] and registry.active_version() is None
    first = registry.write_version(core, _documents, datetime(2026, 1, 1, tzinfo=UTC))
    assert first == "2026-01-01T00-00-00Z-" + content_hash(core)[:8]
    for name in CORE:
        assert (registry.root / first / name).read_bytes() == core[name]
    second = registry.write_version(core, _documents, datetime(2026, 1, 2, tzinfo=UTC))
    assert registry.versions() == [first, second]
    # the same content at the same time is the same version, written once
    assert registry.write_version(core, _documents, datetime(2026, 1, 1, tzinfo=UTC)) == first
    with pytest.raises(BundleError, match="no active model"):
        registry.load()
    registry.promote(first)
    assert (registry.root / "ACTIVE").read_text() == first + "\n"
    assert registry.load().version == first
    assert registry.load(second).version == second
    assert sorted(p.name for p in registry.root.iterdir()) == sorted(["ACTIVE", first, second])


def test_a_failed_write_leaves_nothing(tmp_path, core):
    registry = Registry(tmp_path)

    def broken(version):
        raise RuntimeError("report failed")

    with pytest.raises(RuntimeError):
        registry.write_version(core, broken)
    assert list(tmp_path.iterdir()) == []
    # a booster that XGBoost cannot read: the read-back before publishing refuses it
    for booster in (FREQUENCY_FILES[0], FREQUENCY_FILES[-1], SEVERITY_FILE):
        bad_core = {**core, booster: b"not a booster"}
        with pytest.raises(Exception):  # noqa: B017  (xgboost's own error type)
            registry.write_version(bad_core, _documents)
        assert list(tmp_path.iterdir()) == []
    # a core without one cause's booster is refused before anything is written
    name = FREQUENCY_FILES[2]
    without = {k: v for k, v in core.items() if k != name}
    with pytest.raises(BundleError, match=rf"incomplete bundle: missing \['{re.escape(name)}'\]"):
        registry.write_version(without, _documents)
    assert list(tmp_path.iterdir()) == []


def test_promoting_an_unknown_or_broken_version_keeps_the_active_one(tmp_path, core):
    registry = Registry(tmp_path)
    good = registry.write_version(core, _documents)
    registry.promote(good)
    with pytest.raises(BundleError, match="no bundle version"):
        registry.promote("2030-01-01T00-00-00Z-00000000")
    with pytest.raises(BundleError, match="not a bundle version name"):
        registry.promote("../elsewhere")
    assert registry.active_version() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["ACTIVE", good])


def test_temporary_directories_are_never_versions(tmp_path, core):
    registry = Registry(tmp_path)
    (tmp_path / ".tmp-123-abcd").mkdir()
    (tmp_path / "notes").mkdir()
    assert registry.versions() == []


def test_models_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("POLISURE_MODELS_DIR", raising=False)
    assert resolve_models_dir() == DEFAULT_MODELS_DIR
    assert DEFAULT_MODELS_DIR.parts[-2:] == ("models", "bundles")
    monkeypatch.setenv("POLISURE_MODELS_DIR", str(tmp_path))
    assert resolve_models_dir() == tmp_path
    assert resolve_models_dir(tmp_path / "cli") == tmp_path / "cli"


def test_the_version_hash_covers_each_cause_s_booster_by_name(core):
    first, last = FREQUENCY_FILES[0], FREQUENCY_FILES[-1]
    assert core[first] != core[last]
    swapped = {**core, first: core[last], last: core[first]}  # the same bytes, other causes
    assert content_hash(swapped) != content_hash(core)
    for name in FREQUENCY_FILES:
        changed = {**core, name: core[name] + b"\0"}
        assert content_hash(changed) != content_hash(core), name


def _dead_pid() -> int:
    import subprocess
    import sys

    probe = subprocess.Popen([sys.executable, "-c", "pass"])
    probe.wait()
    return probe.pid


def test_a_killed_writer_s_staging_entries_are_swept_by_the_next_write(tmp_path, core):
    from models.versions.staging import _host

    host, dead = _host(), _dead_pid()
    abandoned_dir = tmp_path / f".tmp-{host}-{dead}-0123abcd"
    abandoned_dir.mkdir()
    (abandoned_dir / "frequency.ubj").write_bytes(b"half a booster")
    abandoned_pointer = tmp_path / f"ACTIVE.tmp-{host}-{dead}-89abcdef"
    abandoned_pointer.write_text("half")
    live = tmp_path / f".tmp-{host}-{os.getpid()}-0badf00d"  # a write still in progress
    other_host = tmp_path / f".tmp-elsewhere_{host}-{dead}-feedbeef"  # not ours to judge
    live.mkdir()
    other_host.mkdir()

    registry = Registry(tmp_path)
    version = registry.write_version(core, _documents)
    registry.promote(version)

    left = sorted(p.name for p in tmp_path.iterdir())
    assert abandoned_dir.name not in left and abandoned_pointer.name not in left
    assert live.name in left and other_host.name in left
    assert registry.versions() == [version]
