"""GET /docs: interactive API docs rendered from /openapi.json, with no CDN.

flask-smorest's Swagger UI, ReDoc and RapiDoc pages load their JavaScript
from a CDN, which an insurer's locked-down network (and this project's
offline machines) cannot reach. This page is one self-contained HTML file
with a small script: it lists every operation of the spec with its
parameters, request and response schemas and an example body built from the
schema, and can send a request with an API key ("try it").
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

blp = Blueprint("docs", __name__, template_folder="templates")


@blp.get("/docs")
def docs() -> Response:
    """The interactive docs page (same origin as the API)."""
    response = Response(render_template("docs.html"), mimetype="text/html")
    # Everything is inline and same-origin; nothing else may load.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "connect-src 'self'"
    )
    return response
