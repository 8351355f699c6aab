"""Single quotes that meet in one worker, priced in one engine batch (service/quotes/coalescing.py).

Oracles: the calls a recording engine receives (how many quotes each batch
held), each thread's own result or error, and, on the shipped model, the
quote of each item priced alone (a coalesced quote must equal it bit for
bit). The waits are bounded by a 30 s ``max_wait_s``: a test that let a quote
wait for nothing would take that long and fail its join.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient

from models.underwriting.quote_engine import load_quote_engine
from service.ops.metrics import app_metrics
from service.quotes import coalescing
from service.quotes.coalescing import QuoteArgs, QuoteCoalescer
from tests.support.city import city_exposure, quote_body

LONG = 30.0  # seconds: longer than any test may take, so a needless wait fails the join


class RecordingEngine:
    """Answers with the city's name; a city named "bad" is refused with its field."""

    model_version = "m"
    rating_plan_version = "p"

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def quote(
        self, exposure: dict[str, Any], policy: dict[str, Any], marginal_tvar_usd: float = 0.0
    ) -> dict[str, Any]:
        self.calls.append(("quote", 1))
        return self._one(exposure, marginal_tvar_usd)

    def quote_batch(self, items: Sequence[QuoteArgs]) -> list[dict[str, Any]]:
        self.calls.append(("batch", len(items)))
        return [self._one(exposure, tvar) for exposure, _, tvar in items]

    @staticmethod
    def _one(exposure: dict[str, Any], tvar: float) -> dict[str, Any]:
        if exposure["city"] == "bad":
            error = ValueError("retention above the plan's maximum")
            error.fields = {"policy.retention_usd": ["above the maximum"]}  # type: ignore[attr-defined]
            raise error
        return {"decision": "quote", "city": exposure["city"], "tvar": tvar}


def _args(city: str, tvar: float = 0.0) -> QuoteArgs:
    return ({"city": city}, {"limit_usd": 1e6}, tvar)


def _in_threads(
    coalescer: QuoteCoalescer, jobs: list[tuple[Any, QuoteArgs]], counted: bool = True
) -> list[Any]:
    """Each job quoted in its own thread (entered first, left once answered, as a request is);
    each thread's result or exception."""
    if counted:
        for _ in jobs:
            coalescer.enter()
    outcomes: list[Any] = [None] * len(jobs)

    def run(i: int, engine: Any, args: QuoteArgs) -> None:
        try:
            outcomes[i] = coalescer.quote(engine, args)
        except BaseException as exc:  # the test reads it
            outcomes[i] = exc
        finally:
            if counted:
                coalescer.leave()

    threads = [
        threading.Thread(target=run, args=(i, engine, args))
        for i, (engine, args) in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(LONG / 2)
        assert not thread.is_alive(), "a quote waited for a request that never came"
    return outcomes


def test_a_lone_quote_goes_straight_to_the_engine() -> None:
    engine, coalescer = RecordingEngine(), QuoteCoalescer(max_wait_s=LONG)
    (outcome,) = _in_threads(coalescer, [(engine, _args("a", 5.0))], counted=False)
    assert outcome == {"decision": "quote", "city": "a", "tvar": 5.0}
    assert engine.calls == [("quote", 1)]  # the single path itself, no batch of one


def test_quotes_in_the_worker_meet_in_one_batch_each_with_its_own_answer() -> None:
    engine, coalescer = RecordingEngine(), QuoteCoalescer(max_wait_s=LONG)
    outcomes = _in_threads(coalescer, [(engine, _args(c, t)) for c, t in ("a1", "b2", "c3")])
    assert engine.calls == [("batch", 3)]
    assert outcomes == [{"decision": "quote", "city": c, "tvar": t} for c, t in ("a1", "b2", "c3")]
    assert coalescer.in_worker == 0


def test_a_batch_holds_at_most_max_batch_quotes_and_each_thread_its_own() -> None:
    engine, coalescer = RecordingEngine(), QuoteCoalescer(max_wait_s=LONG, max_batch=2)
    outcomes = _in_threads(coalescer, [(engine, _args(f"c{i}")) for i in range(5)])
    assert sorted(engine.calls) == [("batch", 2), ("batch", 2), ("quote", 1)]
    assert [o["city"] for o in outcomes] == [f"c{i}" for i in range(5)]


def test_a_request_that_ends_is_not_waited_for() -> None:
    engine, coalescer = RecordingEngine(), QuoteCoalescer(max_wait_s=LONG)
    coalescer.enter()  # a request that will end in a 4xx before the engine, or past it
    coalescer.enter()  # the one that quotes
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(coalescer.quote(engine, _args("a"))))
    thread.start()
    while not coalescer._pending:  # the quote has arrived and waits for the other
        threading.Event().wait(0.01)
    coalescer.leave()
    thread.join(LONG / 2)
    assert not thread.is_alive()
    assert result == [{"decision": "quote", "city": "a", "tvar": 0.0}]
    assert engine.calls == [("quote", 1)]


def test_an_item_the_batch_refuses_fails_alone_with_its_own_fields() -> None:
    engine, coalescer = RecordingEngine(), QuoteCoalescer(max_wait_s=LONG)
    outcomes = _in_threads(coalescer, [(engine, _args(c)) for c in ("a", "bad", "c")])
    assert engine.calls == [("batch", 3), ("quote", 1), ("quote", 1), ("quote", 1)]
    assert [o["city"] for o in (outcomes[0], outcomes[2])] == ["a", "c"]
    assert isinstance(outcomes[1], ValueError)
    assert outcomes[1].fields == {"policy.retention_usd": ["above the maximum"]}


def test_quotes_of_two_engines_are_never_priced_together() -> None:
    old, new, coalescer = RecordingEngine(), RecordingEngine(), QuoteCoalescer(max_wait_s=LONG)
    outcomes = _in_threads(coalescer, [(old, _args("a")), (new, _args("b")), (old, _args("c"))])
    assert old.calls == [("batch", 2)] and new.calls == [("quote", 1)]
    assert [o["city"] for o in outcomes] == ["a", "b", "c"]


def test_an_engine_that_quotes_again_while_pricing_does_not_wait_for_itself() -> None:
    coalescer = QuoteCoalescer(max_wait_s=LONG)

    class Nested(RecordingEngine):  # as a test engine that races a second request inside pricing
        def quote(
            self, exposure: dict[str, Any], policy: dict[str, Any], marginal_tvar_usd: float = 0.0
        ) -> dict[str, Any]:
            if exposure["city"] == "outer":
                inner = coalescer.quote(self, _args("inner"))
                return {**super().quote(exposure, policy), "inner": inner["city"]}
            return super().quote(exposure, policy, marginal_tvar_usd)

    (outcome,) = _in_threads(coalescer, [(Nested(), _args("outer"))], counted=False)
    assert outcome["inner"] == "inner"


class _Interrupt(BaseException):
    """What a worker's shutdown raises in the pricing thread."""


def test_an_interrupted_batch_strands_no_request() -> None:
    class Interrupted(RecordingEngine):
        def quote_batch(self, items: Sequence[QuoteArgs]) -> list[dict[str, Any]]:
            raise _Interrupt

    engine, coalescer = Interrupted(), QuoteCoalescer(max_wait_s=LONG)
    outcomes = _in_threads(coalescer, [(engine, _args(c)) for c in ("a", "b", "c")])
    assert sum(isinstance(o, _Interrupt) for o in outcomes) == 1  # the thread that priced
    assert sum(isinstance(o, RuntimeError) for o in outcomes) == 2  # the others are answered
    (after,) = _in_threads(coalescer, [(RecordingEngine(), _args("d"))], counted=False)
    assert after["city"] == "d"  # and the coalescer prices again


def test_coalesced_quotes_of_the_model_equal_their_single_quotes_bit_for_bit() -> None:
    engine = load_quote_engine()
    rng = np.random.default_rng(5)
    jobs: list[tuple[Any, QuoteArgs]] = []
    for _ in range(4):
        exposure = city_exposure()
        exposure["prior_incidents_3y"] = int(rng.integers(0, 6))
        exposure["pii_records"] = int(rng.integers(10_000, 5_000_000))
        policy = {
            "limit_usd": float(rng.choice([1e6, 5e6, 25e6])),
            "retention_usd": float(rng.choice([0.0, 250e3])),
            "coverages": ["breach_response", "cyber_extortion", "business_interruption"],
            "period_days": 365,
        }
        jobs.append((engine, (exposure, policy, float(rng.choice([0.0, 2e5])))))
    calls: list[int] = []
    batch = engine.quote_batch

    def recorded(items: Sequence[QuoteArgs]) -> list[dict[str, Any]]:
        calls.append(len(items))
        return batch(items)

    object.__setattr__(engine, "quote_batch", recorded)  # the frozen engine, this instance only
    outcomes = _in_threads(QuoteCoalescer(max_wait_s=LONG), jobs)
    assert calls == [4]
    for (_, args), quote in zip(jobs, outcomes, strict=True):
        assert json.dumps(quote) == json.dumps(engine.quote(*args))
    assert len({q["premium_usd"] for q in outcomes}) == 4


@pytest.mark.parametrize(
    ("body", "authorised", "status"),
    [(quote_body(), True, 201), ({"exposure": {}}, True, 422), (quote_body(), False, 401)],
    ids=["quoted", "invalid body", "no key"],
)
def test_every_request_leaves_the_worker_s_count_as_it_was(
    app: Flask, client: FlaskClient, auth: dict[str, str], body: Any, authorised: bool, status: int
) -> None:
    before = coalescing.COALESCER.in_worker
    response = client.post("/v1/quotes", json=body, headers=auth if authorised else {})
    assert response.status_code == status
    assert coalescing.COALESCER.in_worker == before


def test_each_engine_call_is_counted_with_the_quotes_it_priced(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    registry = app_metrics(app).registry
    name = "polisure_quote_engine_batch_size"
    for _ in range(2):
        assert client.post("/v1/quotes", json=quote_body(), headers=auth).status_code == 201
    assert registry.get_sample_value(f"{name}_count") == 2  # one request at a time: alone
    assert registry.get_sample_value(f"{name}_sum") == 2
    assert registry.get_sample_value(f"{name}_bucket", {"le": "1.0"}) == 2
