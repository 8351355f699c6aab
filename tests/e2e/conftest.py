"""The real server: gunicorn with the project's config, 2 workers, a temporary database.

One server for the session (tests/support/server.py starts it); tests that
need a server of their own call ``serve`` from there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import Server, serve


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("e2e")) as srv:
        yield srv
