from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from tests.support.apps import make_app


def test_healthz_answers_ok() -> None:
    client = create_app({"TESTING": True}).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_ready_with_engine_and_migrated_database(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "model_version": "test-model-1",
        "rating_plan_version": "test-plan-1",
    }


def test_readyz_503_names_every_reason(tmp_path) -> None:
    # An engine factory that fails and a database that was never migrated.
    app = create_app(
        {
            "TESTING": True,
            "POLISURE_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
            "POLISURE_ENGINE": "tests.service.ops.test_health:broken_factory",
        }
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    reasons = response.get_json()["reasons"]
    assert len(reasons) == 2
    assert "RuntimeError: no bundle here" in reasons[0]
    assert reasons[1].startswith("database not reachable or not migrated")


def broken_factory(models_dir: str | None) -> object:
    raise RuntimeError("no bundle here")


def test_quote_without_engine_is_503_in_error_shape(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    app: Flask = make_app(url, POLISURE_QUOTE_ENGINE=None, POLISURE_ENGINE=broken_factory)
    key = app.test_cli_runner().invoke(
        args=["keys", "create", "--tenant", "t", "--role", "insurer"]
    )
    from tests.support.city import quote_body

    response = app.test_client().post(
        "/v1/quotes",
        json=quote_body(),
        headers={"Authorization": f"Bearer {key.stdout.strip().splitlines()[-1]}"},
    )
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
