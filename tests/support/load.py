"""Bounded quote (and bind) load on a real server, recording every answer for the fault suite.

Each client thread quotes a city, binds every quote it was given, and
records what each request got: a status with its JSON body, or the name of
the connection error (a worker killed mid-request drops its connection; the
client never got an acknowledgement, so nothing is owed to it). The suite
then checks the two promises: every acknowledged quote and bind can be read
back, and nothing answered a 5xx other than the JSON 503.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.support.city import quote_body, town_exposure


@dataclass(frozen=True)
class Answer:
    kind: str  # "quote" or "bind"
    started: float  # time.monotonic() when sent
    finished: float
    status: int | None  # None: the connection failed (no acknowledgement)
    body: dict[str, Any] | None
    error: str = ""


@dataclass
class QuoteLoad:
    """``clients`` threads quoting (and binding) against ``base_url`` until ``stop()``."""

    base_url: str
    api_key: str
    clients: int = 4
    bind: bool = True
    timeout_s: float = 20.0
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> QuoteLoad:
        for n in range(self.clients):
            thread = threading.Thread(target=self._client, args=(n,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> list[Answer]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout_s + 5)
        return list(self.answers)

    def _client(self, n: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.api_key}"
        i = 0
        while not self._stop.is_set():
            # a different limit per request: every acknowledged quote is a distinct price
            body = quote_body(town_exposure(), limit_usd=1_000_000 + 1_000 * (n * 100_000 + i))
            quote = self._send(session, "quote", "/v1/quotes", body)
            i += 1
            if self.bind and quote.status == 201 and quote.body is not None:
                self._send(session, "bind", f"/v1/quotes/{quote.body['quote_id']}/bind", None)
            if quote.status is None:
                time.sleep(0.05)  # a dropped connection: let the worker come back

    def _send(
        self, session: requests.Session, kind: str, path: str, body: dict[str, Any] | None
    ) -> Answer:
        started = time.monotonic()
        try:
            response = session.post(self.base_url + path, json=body, timeout=self.timeout_s)
            try:
                payload = response.json()
            except json.JSONDecodeError:
                payload = None
            answer = Answer(kind, started, time.monotonic(), response.status_code, payload)
        except requests.RequestException as exc:
            answer = Answer(kind, started, time.monotonic(), None, None, type(exc).__name__)
        with self._lock:
            self.answers.append(answer)
        return answer


def unexpected_errors(answers: list[Answer]) -> list[Answer]:
    """Answers breaking the one-shape rule: a 5xx other than JSON 503, or an error not in JSON."""

    def breaks_the_rule(a: Answer) -> bool:
        if a.status is None or a.status < 400:
            return a.status is not None and a.body is None
        code = (a.body or {}).get("error", {}).get("code")
        return code is None or (a.status >= 500 and a.status != 503)

    return [a for a in answers if breaks_the_rule(a)]


def read_back_lost(base_url: str, api_key: str, answers: list[Answer]) -> list[str]:
    """Every acknowledged quote re-read (same premium) and every bind in the book; what is not."""
    headers = {"Authorization": f"Bearer {api_key}"}
    lost = []
    for a in answers:
        if a.kind != "quote" or a.status != 201 or a.body is None:
            continue
        stored = requests.get(
            f"{base_url}/v1/quotes/{a.body['quote_id']}", headers=headers, timeout=20
        )
        if stored.status_code != 200 or stored.json()["premium_usd"] != a.body["premium_usd"]:
            lost.append(a.body["quote_id"])
    book = requests.get(f"{base_url}/v1/book", headers=headers, timeout=20).json()
    in_book = {p["policy_id"] for p in book["policies"]}
    for a in answers:
        bound = a.kind == "bind" and a.status in (200, 201) and a.body is not None
        if bound and a.body["policy_id"] not in in_book:  # type: ignore[index]
            lost.append(a.body["policy_id"])  # type: ignore[index]
    return lost
