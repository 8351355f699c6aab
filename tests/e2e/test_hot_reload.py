"""Zero-downtime promotion on the real server: gunicorn, 3 workers, continuous quotes.

A models directory holds two versions trained on the tiny test portfolio
(A active, B not; tests/support/model_versions.py). Client threads quote
without pause while an admin promotes B through the API. Oracles:

- every request is a 201 (no failed request during the swap);
- each quote is priced wholly by one version: its X-Model-Version header,
  its body's model_version and its premium all belong to the same version
  (each version's premium for the test city is computed independently);
- every worker reports B in ``polisure_model_info`` within 10 s, and every
  quote sent after that is B;
- promoting a corrupted bundle is a 409 and B keeps serving on every worker.

Bounded: about 5-10 s of load, each thread stops at HARD_STOP_S whatever happens.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from service.access.keys import create_key
from service.storage.db import Database
from tests.support.city import quote_body
from tests.support.model_versions import (
    TwoVersions,
    add_broken_copy,
    copy_models,
    premiums_by_version,
)
from tests.support.server import CROSS_PROCESS_REL, Server, serve

pytestmark = pytest.mark.e2e

WORKERS = 3
CLIENTS = 3
SWITCH_LIMIT_S = 10.0  # the bound: every worker on the new version within 10 s
LOAD_BEFORE_S = 1.5
LOAD_AFTER_S = 1.0
HARD_STOP_S = 30.0
TIMEOUT = 10


@dataclass(frozen=True)
class Answer:
    sent: float  # time.monotonic() when the request was sent
    status: int  # 0: no HTTP answer at all
    header_version: str | None
    body_version: str | None
    premium_usd: float | None


def _quote_load(url: str, key: str, stop: threading.Event, answers: list[Answer]) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + HARD_STOP_S
    while not stop.is_set() and time.monotonic() < deadline:
        sent = time.monotonic()
        try:
            response = requests.post(url, json=quote_body(), headers=headers, timeout=TIMEOUT)
        except requests.RequestException:
            answers.append(Answer(sent, 0, None, None, None))
            continue
        body = response.json() if response.status_code == 201 else {}
        answers.append(
            Answer(
                sent,
                response.status_code,
                response.headers.get("X-Model-Version"),
                body.get("model_version"),
                body.get("premium_usd"),
            )
        )


def worker_versions(base_url: str) -> dict[str, str]:
    """pid -> the version each live worker serves, from polisure_model_info."""
    text = requests.get(f"{base_url}/metrics", timeout=TIMEOUT).text
    serving: dict[str, str] = {}
    for labels, value in re.findall(r"^polisure_model_info\{([^}]*)\} (\S+)$", text, re.M):
        pairs = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if float(value) == 1.0:
            serving[pairs["pid"]] = pairs["version"]
    return serving


def _wait_for_workers(base_url: str, version: str, limit_s: float) -> float | None:
    """Seconds until every worker serves ``version`` (None: not within limit_s)."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        serving = worker_versions(base_url)
        if len(serving) == WORKERS and set(serving.values()) == {version}:
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def _keys(server: Server) -> dict[str, str]:
    db = Database(server.env["POLISURE_DATABASE_URL"])
    try:
        with db.session() as session, session.begin():
            return {
                "insurer": create_key(session, "acme", "insurer"),
                "admin": create_key(session, "ops", "admin"),
            }
    finally:
        db.dispose()


def test_promotion_under_load_drops_nothing_and_reaches_every_worker(
    two_versions: TwoVersions, tmp_path: Path
) -> None:
    a, b = two_versions.a, two_versions.b
    premiums = premiums_by_version(two_versions)
    assert abs(premiums[a] / premiums[b] - 1.0) > 1000 * CROSS_PROCESS_REL
    registry = copy_models(two_versions, tmp_path / "models")
    with serve(
        tmp_path,
        POLISURE_MODELS_DIR=str(registry.root),
        POLISURE_ENGINE="models.underwriting.quote_engine:load_quote_engine",
        POLISURE_RATE_LIMIT="100000 per minute",
        WEB_CONCURRENCY=str(WORKERS),
    ) as server:
        keys = _keys(server)
        admin = {"Authorization": f"Bearer {keys['admin']}"}
        assert _wait_for_workers(server.base_url, a, SWITCH_LIMIT_S) is not None
        answers: list[Answer] = []
        stop = threading.Event()
        clients = [
            threading.Thread(
                target=_quote_load,
                args=(f"{server.base_url}/v1/quotes", keys["insurer"], stop, answers),
            )
            for _ in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        try:
            time.sleep(LOAD_BEFORE_S)
            promoted_at = time.monotonic()
            promoted = requests.post(
                f"{server.base_url}/v1/models/{b}/promote", headers=admin, timeout=TIMEOUT
            )
            assert promoted.status_code == 200, promoted.text
            switch_s = _wait_for_workers(server.base_url, b, SWITCH_LIMIT_S)
            all_on_b = time.monotonic()
            time.sleep(LOAD_AFTER_S)

            broken = add_broken_copy(registry, a, "altered")
            refused = requests.post(
                f"{server.base_url}/v1/models/{broken}/promote", headers=admin, timeout=TIMEOUT
            )
            time.sleep(LOAD_AFTER_S)
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=HARD_STOP_S)
        log_tail = server.log_path.read_text()[-3000:]
        after_refusal = worker_versions(server.base_url)
        listing = requests.get(f"{server.base_url}/v1/models", headers=admin, timeout=TIMEOUT)

    failed = [x for x in answers if x.status != 201]
    sent_before = [x for x in answers if x.sent < promoted_at]
    sent_after = [x for x in answers if x.sent > all_on_b]
    print(
        f"\nhot reload: {len(answers)} quotes, {len(failed)} failed; all {WORKERS} workers on "
        f"the new version {switch_s} s after the promotion; {len(sent_before)} quotes before, "
        f"{len(sent_after)} after"
    )
    assert switch_s is not None, f"not every worker on {b} within {SWITCH_LIMIT_S} s: {log_tail}"
    assert failed == [], f"{len(failed)} failed of {len(answers)}: {failed[:3]}\n{log_tail}"
    assert len(sent_before) >= CLIENTS and len(sent_after) >= CLIENTS
    for answer in answers:
        # One version per quote: header, body and price all agree.
        assert answer.header_version == answer.body_version in (a, b), answer
        assert answer.premium_usd == pytest.approx(
            premiums[answer.body_version], rel=CROSS_PROCESS_REL
        )
    assert {x.body_version for x in sent_before} == {a}
    assert {x.body_version for x in sent_after} == {b}

    assert refused.status_code == 409, refused.text
    error: dict[str, Any] = refused.json()["error"]
    assert error["code"] == "bundle_rejected"
    assert "fails its SHA-256 check" in error["message"]
    assert set(after_refusal.values()) == {b} and len(after_refusal) == WORKERS
    assert listing.json()["active_version"] == b and registry.active_version() == b
    assert listing.json()["previous_version"] == a
