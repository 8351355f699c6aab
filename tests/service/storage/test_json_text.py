"""The JSON columns' serializer: the document json.dumps stored before, by orjson where it is.

Oracle: ``json.dumps(value)`` (SQLAlchemy's default serializer), parsed back:
the same value, keys in the same order, the same numbers to the bit. Where
orjson would write another document (NaN as null) or refuses the value, the
json module's own text is stored, as before.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select

from service.quotes.schemas import QuoteRequestSchema
from service.storage.db import Database
from service.storage.json_text import column_json
from service.storage.migrate import upgrade_database
from service.storage.tables import Quote, Tenant
from tests.support.city import quote_body


def test_an_exposure_is_the_same_document() -> None:
    exposure = QuoteRequestSchema().load(quote_body())["exposure"]
    exposure["city_name"] = "Zürich – Süd"  # UTF-8 where the json module escapes
    text = column_json(exposure)
    assert json.loads(text) == exposure
    assert list(json.loads(text)) == list(exposure)
    assert json.dumps(json.loads(text)) == json.dumps(json.loads(json.dumps(exposure)))


@pytest.mark.parametrize(
    "value", [{"x": math.nan}, {"x": [1.0, math.inf]}, {"x": np.float64(0.1)}, {1: "a"}, 2**70]
)
def test_what_orjson_would_write_otherwise_is_the_json_modules_text(value: object) -> None:
    assert column_json(value) == json.dumps(value)


def test_a_stored_quotes_exposure_reads_back_as_sent(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'q.sqlite3'}"
    upgrade_database(url)
    db = Database(url)
    exposure = QuoteRequestSchema().load(quote_body())["exposure"]
    with db.session() as session, session.begin():
        session.add(Tenant(id="t1"))
        session.flush()
        session.add(
            Quote(
                id="q_1", tenant_id="t1", request_sha256="0" * 64, exposure=exposure,
                policy={"limit_usd": 1e6}, response_json="{}", decision="quote",
                model_version="m", rating_plan_version="p", created_at=datetime.now(UTC),
            )
        )  # fmt: skip
    with db.session() as session:
        stored = session.scalars(select(Quote)).one()
        assert stored.exposure == exposure and stored.policy == {"limit_usd": 1e6}
    db.dispose()
