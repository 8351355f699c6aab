"""The insurer's book end to end on the real gunicorn server (2 workers, 50,000 years).

Quotes with vendors, binds, the accumulation, a quote's portfolio_impact
checked against the book after binding it (whichever worker answers: the
book's cache is shared through files), another tenant seeing none of it,
and ``training accumulate`` on the book's export giving the server's figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.city import quote_body, town_exposure
from tests.support.server import Server, serve
from training.cli import main as training_main

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this module's own: the session's is stopped by test_server's SIGTERM test."""
    with serve(tmp_path_factory.mktemp("e2e-book")) as srv:
        yield srv


TIMEOUT = 30  # a bind re-simulates the book before it answers


def _post(url: str, headers: dict[str, str], body: Any = None) -> requests.Response:
    return requests.post(url, json=body, headers=headers, timeout=TIMEOUT)


def _quote(server: Server, auth: dict[str, str], vendors: list[str], limit: float) -> Any:
    body = quote_body(town_exposure(), limit_usd=limit)  # bound below: not declined
    body["exposure"]["vendors"] = vendors
    response = _post(f"{server.base_url}/v1/quotes", auth, body)
    assert response.status_code == 201, response.text
    return response.json()


def _accumulation(server: Server, auth: dict[str, str]) -> Any:
    response = requests.get(f"{server.base_url}/v1/book/accumulation", headers=auth, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_bind_accumulate_impact_isolation_and_the_cli(server: Server, tmp_path: Path) -> None:
    auth = {"Authorization": f"Bearer {server.create_key('bookco', 'insurer')}"}
    other = {"Authorization": f"Bearer {server.create_key('rival', 'insurer')}"}
    base = server.base_url
    for vendors, limit in ((["Nimbus Cloud"], 5e6), ([" nimbus cloud services "], 8e6)):
        quote = _quote(server, auth, vendors, limit)
        bound = _post(f"{base}/v1/quotes/{quote['quote_id']}/bind", auth)
        assert bound.status_code == 201, bound.text
        again = _post(f"{base}/v1/quotes/{quote['quote_id']}/bind", auth)
        assert again.status_code == 200 and again.json()["policy_id"] == bound.json()["policy_id"]
        # another tenant cannot bind it, nor see it
        assert _post(f"{base}/v1/quotes/{quote['quote_id']}/bind", other).status_code == 404

    before = _accumulation(server, auth)
    assert before["policies"] == 2 and before["years"] == 50_000
    assert before["spof"][0]["vendor"].casefold().startswith("nimbus")  # one name for both
    assert before["spof"][0]["policies"] == 2
    newcomer = _quote(server, auth, ["Nimbus Cloud", "CivicERP"], 6e6)
    impact = newcomer["portfolio_impact"]
    assert _post(f"{base}/v1/quotes/{newcomer['quote_id']}/bind", auth).status_code == 201
    after = _accumulation(server, auth)
    assert after["aal_usd"] - before["aal_usd"] == pytest.approx(impact["delta_aal_usd"], rel=1e-9)
    for name, curve in (("delta_aep_200_usd", "aep"), ("delta_oep_200_usd", "oep"),
                        ("delta_aep_tvar_200_usd", "aep_tvar")):  # fmt: skip
        change = after["ep"][curve]["200"] - before["ep"][curve]["200"]
        assert change == pytest.approx(impact[name], rel=1e-9, abs=1e-6), name

    # the rival tenant: an empty book, no impact on its quotes
    book = requests.get(f"{base}/v1/book", headers=other, timeout=TIMEOUT).json()
    assert book["policies"] == [] and book["totals"]["policies"] == 0
    assert "portfolio_impact" not in _quote(server, other, ["Nimbus Cloud"], 5e6)
    assert _accumulation(server, other)["policies"] == 0

    export = requests.get(f"{base}/v1/book/export", headers=auth, timeout=TIMEOUT)
    assert export.status_code == 200
    (tmp_path / "book.csv").write_bytes(export.content)
    argv = ["accumulate", "--book", str(tmp_path / "book.csv"), "--years", "50000",
            "--seed", str(after["seed"]), "--out", str(tmp_path / "out")]  # fmt: skip
    assert training_main(argv) == 0
    cli = json.loads((tmp_path / "out" / "summary.json").read_text())
    for name in ("aal_usd", "ep", "spof", "catalog_version", "years", "seed"):
        assert cli[name] == after[name], name
