"""Chunked bodies are held to the same 256 KiB limit as declared ones.

Before (issue 14, item 3): a 2 MB chunked body -> 201; valid JSON, padding
past 256 KiB, then GARBAGE -> 201 (parsed from its first bytes).
"""

from __future__ import annotations

import io
import json

import pytest
from flask.testing import FlaskClient

from service.config import MAX_BODY_BYTES
from tests.support.city import quote_body


def _chunked(client: FlaskClient, body: bytes, auth: dict[str, str]):
    return client.post(
        "/v1/quotes",
        input_stream=io.BytesIO(body),
        headers={**auth, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        # as gunicorn hands a chunked body on: no length, input terminated
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
    )


def test_a_chunked_body_over_the_limit_is_a_413(client: FlaskClient, auth: dict[str, str]):
    response = _chunked(client, b'{"x": "' + b"a" * (2 * 1024 * 1024) + b'"}', auth)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "body_too_large"


def test_valid_json_then_garbage_past_the_limit_is_not_parsed_from_its_start(
    client: FlaskClient, auth: dict[str, str]
):
    valid = json.dumps(quote_body()).encode()
    padded = valid + b" " * (MAX_BODY_BYTES - len(valid) + 10) + b"GARBAGE"
    assert _chunked(client, padded, auth).status_code == 413


@pytest.mark.parametrize("extra", [0, MAX_BODY_BYTES - 2000])
def test_a_chunked_body_within_the_limit_is_read_whole(
    client: FlaskClient, auth: dict[str, str], extra: int
):
    valid = json.dumps(quote_body()).encode()
    response = _chunked(client, valid + b" " * max(0, extra - len(valid)), auth)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert _chunked(client, valid[:-1] + b" GARBAGE}", auth).status_code == 400
