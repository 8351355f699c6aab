"""Each app has its own Prometheus registry, made by create_app; /metrics serves that one.

Oracle: counting. One quote and one assessment attempt through app A move
A's counters by exactly one and leave B's where they were (absent); the
metric names /metrics lists are those the service documents, and under
prometheus_client's multiprocess mode /metrics aggregates the workers' files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.ops.metrics import app_metrics
from tests.support.apps import make_app
from tests.support.city import quote_body

SERVICE_METRICS = {
    "polisure_http_request_duration_seconds",
    "polisure_quotes_total",
    "polisure_assessments_total",
    "polisure_model_info",
    "polisure_model_reloads_total",
    "polisure_exposure_psi",
    "polisure_exposure_psi_quotes",
}
#: What prometheus_client's default registry adds outside multiprocess mode.
PROCESS_METRICS = {"process_cpu_seconds_total", "python_gc_collections_total", "python_info"}


@pytest.fixture
def second_app(tmp_path: Path) -> Iterator[Flask]:
    application = make_app(f"sqlite:///{tmp_path / 'second.sqlite3'}")
    yield application
    application.extensions["polisure.db"].dispose()


def _sample(client: FlaskClient, name: str, **labels: str) -> float | None:
    """One sample's value as /metrics prints it (None when the series is absent)."""
    text = client.get("/metrics").get_data(as_text=True)
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = rf"^{name}{{{re.escape(wanted)}}} (\S+)$" if labels else rf"^{name} (\S+)$"
    match = re.search(pattern, text, re.M)
    return float(match.group(1)) if match else None


def test_two_apps_in_one_process_count_apart(
    app: Flask,
    client: FlaskClient,
    second_app: Flask,
    make_key: Callable[[str, str], str],
) -> None:
    other = second_app.test_client()
    auth = {"Authorization": f"Bearer {make_key('acme', 'insurer')}"}
    assert client.post("/v1/quotes", json=quote_body(), headers=auth).status_code == 201
    # The test engine has no self-assessment: a 503, still one timed request.
    assert client.post("/v1/assessments", json={"exposure": {}}).status_code == 503
    assert _sample(client, "polisure_quotes_total", decision="quote") == 1.0
    assert _sample(other, "polisure_quotes_total", decision="quote") is None
    timed = {"endpoint": "/v1/quotes", "method": "POST", "status": "201"}
    assert _sample(client, "polisure_http_request_duration_seconds_count", **timed) == 1.0
    assert _sample(other, "polisure_http_request_duration_seconds_count", **timed) is None
    assert app_metrics(app).registry is not app_metrics(second_app).registry
    # Each app publishes the version its own engine serves.
    assert _sample(other, "polisure_model_info", version="test-model-1") == 1.0


def test_metrics_lists_the_documented_names(client: FlaskClient) -> None:
    client.post("/v1/assessments", json={"exposure": {}})
    text = client.get("/metrics").get_data(as_text=True)
    families = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    assert families >= SERVICE_METRICS | PROCESS_METRICS


MULTIPROCESS_SCRIPT = """
import re, sys
from tests.support.apps import make_app
app = make_app(sys.argv[1])
client = app.test_client()
client.get("/healthz")
client.get("/healthz")
text = client.get("/metrics").get_data(as_text=True)
print(re.search(r'^polisure_model_info\\{([^}]*)\\} (\\S+)$', text, re.M).group(0))
print(re.search(r'^polisure_http_request_duration_seconds_count\\{endpoint="/healthz"[^}]*\\} (\\S+)$',
                text, re.M).group(1))
print("process_cpu_seconds_total" in text)
"""


def test_multiprocess_mode_serves_the_workers_files(tmp_path: Path) -> None:
    """As under gunicorn: PROMETHEUS_MULTIPROC_DIR set before prometheus_client is imported."""
    files = tmp_path / "prometheus"
    files.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", MULTIPROCESS_SCRIPT, f"sqlite:///{tmp_path / 'mp.sqlite3'}"],
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(files)},
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    info, healthz_count, process_metrics = result.stdout.splitlines()
    assert re.fullmatch(r'polisure_model_info\{pid="\d+",version="test-model-1"\} 1\.0', info)
    assert float(healthz_count) == 2.0
    assert process_metrics == "False"  # the multiprocess collector only, as before
    assert any(p.name.startswith("histogram_") for p in files.iterdir())


def test_made_up_methods_do_not_grow_the_metrics(client: FlaskClient) -> None:
    """Before: 50 random methods made 50 series (/metrics 10.5 KB -> 120 KB)."""
    client.get("/healthz")
    for n in range(50):
        client.open("/healthz", method=f"X{n:02d}JUNK")
    text = client.get("/metrics").get_data(as_text=True)
    assert "JUNK" not in text
    other = [line for line in text.splitlines() if 'method="other"' in line and "_count" in line]
    assert other and all(line.endswith(" 50.0") for line in other)
