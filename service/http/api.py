"""flask-smorest wiring: the Api (spec + error shape) and the Blueprint class.

Views declare their bodies with ``@blp.arguments`` and their answers with
``@blp.response``/``@blp.alt_response``; /openapi.json is generated from those
marshmallow schemas, including the one error shape (service.http.errors).
"""

from __future__ import annotations

from typing import Any

import flask_smorest
from flask import Flask

from service.http.errors import ErrorSchema, register_error_handlers
from service.http.strict_json import StrictJSONParser


class PolisureApi(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        register_error_handlers(self._app)


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose JSON bodies are parsed strictly."""

    ARGUMENTS_PARSER = StrictJSONParser()


#: Statuses every authenticated endpoint may answer, documented once.
ERROR_RESPONSES: dict[int, str] = {
    400: "Malformed JSON body.",
    401: "Missing, unknown or revoked API key.",
    403: "The key's role may not do this.",
    413: "Body larger than the limit (256 KiB).",
    429: "Rate limit for this API key exceeded (see Retry-After).",
}


def document_errors(blp: Blueprint, *statuses: int) -> Any:
    """Decorator: add the shared error responses for ``statuses`` to a view."""

    def decorator(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(
                status, schema=ErrorSchema, description=ERROR_RESPONSES.get(status, "")
            )(view)
        return view

    return decorator


def init_api(app: Flask) -> PolisureApi:
    api = PolisureApi(
        spec_kwargs={
            "info": {
                "description": "Cyber-insurance quotes for smart cities. Authenticate with "
                "'Authorization: Bearer <key>'. Every error has the shape of the Error schema."
            }
        }
    )
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "API key"}
    )
    return api
