"""A quote's stored text: orjson's, the same document as the json module's, which still refuses NaN.

Oracle: ``json.dumps(body, separators=(",", ":"), allow_nan=False)``, the
text every quote had before (issue 13), parsed back: the same keys in the
same order and the same numbers to the bit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from models.underwriting.quote_engine import load_quote_engine
from service.quotes.schemas import QuoteRequestSchema
from service.quotes.store import response_text
from tests.support.city import quote_body


def _stdlib(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), allow_nan=False)


def _same_document(text: str, body: dict[str, Any]) -> None:
    ours, theirs = json.loads(text), json.loads(_stdlib(body))
    assert ours == theirs
    assert list(ours) == list(theirs)  # key order kept as well
    # the numbers to the bit (== would let 0.0 and -0.0 or 1 and 1.0 pass)
    assert json.dumps(ours) == json.dumps(theirs)


@pytest.fixture(scope="module")
def real_quote() -> dict[str, Any]:
    request = QuoteRequestSchema().load(quote_body())
    quote = load_quote_engine().quote(request["exposure"], request["policy"])
    return {"quote_id": "q_0", **quote, "policy": request["policy"]}


def test_a_real_quote_is_the_same_document_as_the_json_modules(real_quote) -> None:
    _same_document(response_text(real_quote), real_quote)


def test_awkward_numbers_and_text_round_trip_the_same() -> None:
    body = {
        "tiny": 1e-7,
        "huge": 1e16,
        "digits": 123456789.12345679,
        "negative_zero": -0.0,
        "whole": 3,
        "big_int": 2**53 + 1,
        "unicode": "São Paulo 上海",
        "nested": [{"a": [1.5, 2.5]}, []],
    }
    _same_document(response_text(body), body)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_as_before(bad: float) -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        response_text({"premium_usd": bad})
    with pytest.raises(ValueError, match="not JSON compliant"):
        response_text({"causes": [{"rate": bad}]})


def test_values_orjson_would_not_take_or_would_write_otherwise_go_through_json() -> None:
    body = {"rate": np.float64(0.25), "count": np.int64(3), "nothing": None, "big": 2**70}
    # numpy's float64 is a float and json writes it; its int64 is not an int
    with pytest.raises(TypeError):
        response_text(body)
    body.pop("count")
    _same_document(response_text(body), body)

    @dataclass
    class Terms:
        limit: float

    with pytest.raises(TypeError):  # json refuses a dataclass; orjson would have written it
        response_text({"terms": Terms(1.0)})
