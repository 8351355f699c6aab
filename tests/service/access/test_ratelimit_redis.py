"""With POLISURE_REDIS_URL the limit is shared by every worker (TEST_REDIS_URL runs it)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.support.apps import make_app

REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
def test_two_workers_share_one_budget_through_redis(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    config = {
        "POLISURE_REDIS_URL": REDIS_URL,
        "POLISURE_RATE_LIMIT": "3 per minute",
        # A fresh namespace per run: counters of earlier runs never leak in.
        "POLISURE_RATE_LIMIT_PREFIX": f"polisure-test-{uuid.uuid4().hex}",
    }
    worker_a, worker_b = make_app(url, **config), make_app(url, **config)
    key = (
        worker_a.test_cli_runner()
        .invoke(args=["keys", "create", "--tenant", "acme", "--role", "insurer"])
        .stdout.strip()
        .splitlines()[-1]
    )
    headers = {"Authorization": f"Bearer {key}"}
    a, b = worker_a.test_client(), worker_b.test_client()
    statuses = [c.get("/v1/quotes/q_x", headers=headers).status_code for c in (a, b, a, b)]
    # In memory each worker would allow 3 (all four 404); shared, the 4th is refused.
    assert statuses == [404, 404, 404, 429]


def test_memory_storage_counts_per_worker(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    worker_a = make_app(url, POLISURE_RATE_LIMIT="1 per minute")
    worker_b = make_app(url, POLISURE_RATE_LIMIT="1 per minute")
    key = (
        worker_a.test_cli_runner()
        .invoke(args=["keys", "create", "--tenant", "acme", "--role", "insurer"])
        .stdout.strip()
        .splitlines()[-1]
    )
    headers = {"Authorization": f"Bearer {key}"}
    a, b = worker_a.test_client(), worker_b.test_client()
    statuses = [c.get("/v1/quotes/q_x", headers=headers).status_code for c in (a, b, a)]
    assert statuses == [404, 404, 429]
