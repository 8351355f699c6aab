"""Limits that cannot be dodged: made-up keys neither open assessment buckets nor flood the API.

Before the fix (issue 14, item 4): 80 of 80 keyless assessments were
accepted when each sent a different ``Authorization: Bearer junk-<n>``
header, and invalid-key requests were never limited.
"""

from __future__ import annotations

from sqlalchemy import event

from tests.support.apps import make_app


def test_a_junk_key_header_does_not_dodge_the_assessment_limit(database_url):
    app = make_app(database_url, POLISURE_ASSESSMENT_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [
        client.post(
            "/v1/assessments",
            json={"exposure": {"population": 50_000}},
            headers={"Authorization": f"Bearer junk-{n}"},
            environ_base={"REMOTE_ADDR": "10.0.0.9"},
        ).status_code
        for n in range(8)
    ]
    # the fake engine has no self-assessment (503), but the limit runs first
    assert statuses[3:] == [429] * 5
    assert 429 not in statuses[:3]
    app.extensions["polisure.db"].dispose()


def test_invalid_keys_are_limited_per_address_before_any_lookup(database_url):
    app = make_app(database_url, POLISURE_AUTH_FAILURE_LIMIT="5 per minute")
    client = app.test_client()
    flooder = {"REMOTE_ADDR": "10.0.0.7"}
    statuses = [
        client.get(
            "/v1/quotes/q_0", headers={"Authorization": f"Bearer pk_junk{n}"}, environ_base=flooder
        ).status_code
        for n in range(5)
    ]
    assert statuses == [401] * 5
    queries: list[str] = []
    engine = app.extensions["polisure.db"].engine
    event.listen(engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    refused = client.get(
        "/v1/quotes/q_0", headers={"Authorization": "Bearer pk_junk99"}, environ_base=flooder
    )
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert queries == []  # refused before the key lookup
    # another address still gets its own answer
    other = client.get(
        "/v1/quotes/q_0",
        headers={"Authorization": "Bearer pk_junk0"},
        environ_base={"REMOTE_ADDR": "10.0.0.8"},
    )
    assert other.status_code == 401
    app.extensions["polisure.db"].dispose()


def test_valid_keys_are_not_counted_as_failures(database_url):
    app = make_app(database_url, POLISURE_AUTH_FAILURE_LIMIT="2 per minute")
    runner, client = app.test_cli_runner(), app.test_client()
    key = runner.invoke(args=["keys", "create", "--tenant", "acme", "--role", "insurer"])
    headers = {"Authorization": f"Bearer {key.stdout.strip().splitlines()[-1]}"}
    statuses = {client.get("/v1/quotes/q_none", headers=headers).status_code for _ in range(6)}
    assert statuses == {404}
    app.extensions["polisure.db"].dispose()
