"""The key cache: a revoked key is refused within POLISURE_KEY_CACHE_SECONDS, never later.

Oracle: a fake clock (no sleeps) and the database's own answer. Before the
bound a revoked key may still be served from the worker's cache; from the
bound on it is refused; an unknown key is never cached, so a key created a
moment after a refusal works at once.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from service.access.key_cache import MAX_ENTRIES, KeyCache, key_cache
from service.access.keys import Principal

ACME = Principal(tenant_id="acme", role="insurer", key_id=1)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _counting(answer: Principal | None) -> tuple[Callable[[], Principal | None], list[int]]:
    calls = [0]

    def lookup() -> Principal | None:
        calls[0] += 1
        return answer

    return lookup, calls


def test_a_valid_key_is_looked_up_once_per_bound() -> None:
    clock = Clock()
    cache = KeyCache(2.0, clock)
    lookup, calls = _counting(ACME)
    for _ in range(50):
        assert cache.principal("psk_a", lookup) == ACME
    assert calls[0] == 1
    clock.now += 1.999
    assert cache.principal("psk_a", lookup) == ACME and calls[0] == 1
    clock.now += 0.001  # the bound: the next request asks the database again
    assert cache.principal("psk_a", lookup) == ACME and calls[0] == 2


def test_unknown_keys_are_never_cached_and_zero_turns_the_cache_off() -> None:
    cache = KeyCache(2.0, Clock())
    missing, calls = _counting(None)
    for _ in range(3):
        assert cache.principal("psk_b", missing) is None
    assert calls[0] == 3
    off = KeyCache(0.0, Clock())
    found, calls = _counting(ACME)
    off.principal("psk_c", found)
    off.principal("psk_c", found)
    assert calls[0] == 2
    with pytest.raises(ValueError, match="POLISURE_KEY_CACHE_SECONDS"):
        KeyCache(-1.0)


def test_the_cache_holds_at_most_max_entries_keys() -> None:
    cache = KeyCache(60.0, Clock())
    lookup, calls = _counting(ACME)
    for i in range(MAX_ENTRIES + 10):
        cache.principal(f"psk_{i}", lookup)
    assert len(cache._entries) == MAX_ENTRIES
    cache.principal("psk_0", lookup)  # the oldest went first: looked up again
    assert calls[0] == MAX_ENTRIES + 11


def test_a_revoked_key_is_refused_within_the_stated_bound(
    app: Flask,
    client: FlaskClient,
    runner: FlaskCliRunner,
    make_key: Callable[[str, str], str],
) -> None:
    clock = Clock()
    key_cache(app).clock = clock
    bound = app.config["POLISURE_KEY_CACHE_SECONDS"]
    assert bound == 2.0  # the README's default
    headers = {"Authorization": f"Bearer {make_key('acme', 'insurer')}"}
    key = headers["Authorization"].split()[1]
    assert client.get("/v1/quotes/q_none", headers=headers).status_code == 404
    assert runner.invoke(args=["keys", "revoke", key[:12]]).exit_code == 0
    clock.now += bound - 0.01  # inside the bound this worker may still trust its lookup
    assert client.get("/v1/quotes/q_none", headers=headers).status_code == 404
    clock.now += 0.01  # at the bound: refused, and from then on
    for _ in range(2):
        response = client.get("/v1/quotes/q_none", headers=headers)
        assert response.status_code == 401
        assert "revoked" in response.get_json()["error"]["message"]
    # a new key works at once: the refusal was not cached
    fresh = {"Authorization": f"Bearer {make_key('acme', 'insurer')}"}
    assert client.get("/v1/quotes/q_none", headers=fresh).status_code == 404
