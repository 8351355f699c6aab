"""POST /v1/quotes, POST /v1/quotes/batch and GET /v1/quotes/{quote_id}: decode, call the domain, encode."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response
from flask.views import MethodView
from marshmallow import Schema

from service.access.auth import SECURITY, current_principal, require_role
from service.book.analysis import book_analyst
from service.book.store import in_force_count
from service.engine.slot import get_engine
from service.http.api import Blueprint, document_errors
from service.http.errors import ApiError, ErrorSchema
from service.ops.metrics import count_quote
from service.quotes import coalescing
from service.quotes.fast_requests import QuoteBatchRequestSchema, QuoteRequestSchema
from service.quotes.schemas import IdempotencyHeaderSchema, QuoteBatchSchema, QuoteSchema
from service.quotes.store import find_quote, issue_quote, issue_quotes
from service.storage.db import get_db

blp = Blueprint("quotes", __name__, url_prefix="/v1/quotes", description="Insurer quotes")
# Single quotes that meet in a worker are priced in one engine batch (service/quotes/coalescing.py).
coalescing.init_blueprint(blp, "quotes.Quotes")

# Schema instances, built once: given a class, webargs builds a new instance per request,
# and marshmallow deep-copies every field and nested schema to do it (~10% of a quote's
# request time, issue 13). Loading keeps no state on the instance, so threads share it.
IDEMPOTENCY_HEADERS = IdempotencyHeaderSchema()
QUOTE_REQUEST = QuoteRequestSchema()
QUOTE_BATCH_REQUEST = QuoteBatchRequestSchema()


F = TypeVar("F", bound=Callable[..., Any])


def _issuing(request: Schema, response: type[Schema], unstored: str) -> Callable[[F], F]:
    """What POST /v1/quotes and /batch share: an insurer key, the Idempotency-Key header,
    the body schema, a 201 and the documented errors (409, 503 and the usual ones)."""

    def decorate(view: F) -> F:
        view = document_errors(blp, 400, 401, 403, 413, 429)(view)
        view = blp.alt_response(
            503, schema=ErrorSchema, description=f"storage_unavailable: {unstored}"
        )(view)
        view = blp.alt_response(
            409, schema=ErrorSchema, description="Idempotency-Key reused with another body."
        )(view)
        view = blp.response(201, response)(view)
        view = blp.arguments(request)(view)
        view = blp.arguments(IDEMPOTENCY_HEADERS, location="headers")(view)
        view = require_role("insurer")(view)
        return cast(F, blp.doc(security=SECURITY)(view))

    return decorate


def _json(text: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(text, status=status, mimetype="application/json", headers=headers)


@blp.route("")
class Quotes(MethodView):
    @_issuing(
        QUOTE_REQUEST,
        QuoteSchema,
        "the quote (or the book it is priced against) could not be stored or read; "
        "no quote was issued.",
    )
    def post(self, headers: dict[str, Any], body: dict[str, Any]) -> Response:
        """Price a policy for a city and store the quote

        201 with the quote. A retry with the same Idempotency-Key and body
        returns the stored quote again (also 201, same body, header
        Idempotent-Replayed: true); no second quote is made. Header
        X-Model-Version names the model version that priced the quote.
        When the tenant's book has policies in force, `portfolio_impact`
        gives the change in the book's AAL, 1-in-200 OEP, AEP and AEP TVaR
        if this city were bound, on the book's simulated years.
        """
        # Taken once: this quote is priced, stamped and stored by one model version,
        # even if a promotion swaps the app's engine while it is being priced.
        engine = get_engine()
        tenant_id = current_principal().tenant_id
        exposure, policy = body["exposure"], body["policy"]
        analyst = book_analyst(engine)
        issued = issue_quote(
            get_db(),
            engine,
            tenant_id,
            exposure,
            policy,
            headers.get("idempotency_key"),
            impact=lambda quote_id: analyst.portfolio_impact(tenant_id, quote_id, exposure, policy),
        )
        if issued.replayed:
            model_version = json.loads(issued.response_json)["model_version"]
        else:
            count_quote(issued.decision)
            model_version = engine.model_version
        return _json(
            issued.response_json,
            201,
            {
                "Location": f"/v1/quotes/{issued.quote_id}",
                "Idempotent-Replayed": "true" if issued.replayed else "false",
                "X-Model-Version": model_version,
            },
        )


@blp.route("/batch")
class QuoteBatch(MethodView):
    @_issuing(
        QUOTE_BATCH_REQUEST,
        QuoteBatchSchema,
        "the quotes could not be stored (or the book read); none was issued.",
    )
    def post(self, headers: dict[str, Any], body: dict[str, Any]) -> Response:
        """Quote up to 1,000 cities at once and store every quote

        201 with `{"quotes": [...]}` in the order sent, each as POST
        /v1/quotes returns it (its own `quote_id`, stored, fetchable), with
        the item's `reference` echoed. Any invalid item is a 422 naming
        `quotes.<index>.exposure.<field>`, and then nothing is stored: the
        quotes are stored in one transaction. Idempotency-Key works as for
        one quote.
        """
        engine = get_engine()  # one model version for the whole batch
        tenant_id = current_principal().tenant_id
        analyst = book_analyst(engine)
        # An empty book (most tenants) is known from one query, not one per city.
        _, in_force = in_force_count(get_db(), tenant_id)
        issued = issue_quotes(
            get_db(),
            engine,
            tenant_id,
            body["quotes"],
            headers.get("idempotency_key"),
            impact=None
            if in_force == 0
            else lambda quote_id, exposure, policy: analyst.portfolio_impact(
                tenant_id, quote_id, exposure, policy
            ),
        )
        if issued.replayed:
            model_version = json.loads(issued.response_json)["quotes"][0]["model_version"]
        else:
            for decision in issued.decisions:
                count_quote(decision)
            model_version = engine.model_version
        return _json(
            issued.response_json,
            201,
            {
                "Idempotent-Replayed": "true" if issued.replayed else "false",
                "X-Model-Version": model_version,
            },
        )


@blp.route("/<string:quote_id>")
class QuoteById(MethodView):
    @blp.doc(security=SECURITY)
    @require_role("insurer", "admin")
    @blp.response(200, QuoteSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such quote for this tenant.")
    @document_errors(blp, 401, 429)
    def get(self, quote_id: str) -> Response:
        """Fetch a stored quote exactly as it was first returned

        Another tenant's quote is a 404, the same as a quote that never existed.
        """
        text = find_quote(get_db(), current_principal().tenant_id, quote_id)
        if text is None:
            raise ApiError(404, f"No quote {quote_id[:64]!r} for this tenant.")
        return _json(text, 200)
