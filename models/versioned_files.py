"""Reading a versioned YAML data file (a rating plan, an event catalog): one way for all.

The file's ``version`` must be its name, so the version a quote or a book
records always points to exactly one file. ``read`` validates the plain
data and raises the file kind's own error with every problem named; this
module adds the two problems that come before it (the file cannot be read
as YAML) and after it (the version is not the file name).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml


class Versioned(Protocol):
    @property
    def version(self) -> str: ...


T = TypeVar("T", bound=Versioned)


def load_versioned_yaml(
    path: str | Path,
    read: Callable[[Any, str], T],
    error: Callable[[str, list[str]], Exception],
) -> T:
    """``read(data, source)`` of the YAML file at ``path``; ``error(source, problems)`` on failure."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise error(str(path), [f"cannot read YAML: {exc}"]) from exc
    loaded = read(data, str(path))
    if loaded.version != path.stem:
        raise error(
            str(path), [f"version: {loaded.version!r} must match the file name {path.stem!r}"]
        )
    return loaded
