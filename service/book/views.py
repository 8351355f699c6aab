"""The book's endpoints (CONTRACT §7): bind, cancel, the book, its export and accumulation.

Thin views: decode, call service.book.store or service.book.analysis, encode.
A bind or cancel is committed first and answered after the tenant's cached
book was rebuilt (so the next quote is priced against the new book without
waiting); if that rebuild fails, the change stands and the book is simulated
on the next request that needs it. Every endpoint sees only the caller's
tenant: another tenant's quote or policy is a 404, its book is not visible.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView

from service.access.auth import SECURITY, bearer_token, current_principal, require_role
from service.access.keys import LOOKUP_PREFIX_LENGTH
from service.book.analysis import book_analyst
from service.book.book_file import book_csv
from service.book.catalog import active_catalog
from service.book.schemas import (
    AccumulationQuerySchema,
    AccumulationSchema,
    BookSchema,
    PolicyResultSchema,
)
from service.book.store import bind_quote, book_snapshot, cancel_policy
from service.engine.slot import get_engine
from service.http.api import Blueprint, document_errors
from service.http.errors import ApiError, ErrorSchema
from service.storage.db import get_db

blp = Blueprint("book", __name__, url_prefix="/v1", description="The insurer's book")

_STORAGE = "storage_unavailable: the book could not be read or written; nothing changed."


def _key_prefix() -> str:
    return (bearer_token() or "")[:LOOKUP_PREFIX_LENGTH]


def _refresh(tenant_id: str) -> None:
    try:
        engine = get_engine()
    except ApiError:
        return  # no engine now: the book is simulated when one is back and asked for
    book_analyst(engine).refresh(tenant_id)


@blp.route("/quotes/<string:quote_id>/bind")
class Bind(MethodView):
    @blp.doc(security=SECURITY)
    @require_role("insurer")
    @blp.response(201, PolicyResultSchema)
    @blp.alt_response(200, schema=PolicyResultSchema, description="Bound before: its policy.")
    @blp.alt_response(404, schema=ErrorSchema, description="No such quote for this tenant.")
    @blp.alt_response(
        409,
        schema=ErrorSchema,
        description="quote_not_bindable (declined), quote_expired (older than "
        "POLISURE_QUOTE_VALID_DAYS, default 30 days) or policy_cancelled (its policy "
        "was cancelled; a new cover needs a new quote).",
    )
    @blp.alt_response(503, schema=ErrorSchema, description=_STORAGE)
    @document_errors(blp, 401, 403, 429)
    def post(self, quote_id: str) -> tuple[dict[str, Any], int]:
        """Bind a quote of this tenant: its policy joins the book (audited)

        A quote is bindable while it is at most 30 days old (the service's
        POLISURE_QUOTE_VALID_DAYS) and was not declined; referred quotes may
        be bound. 201 with the new policy; binding the same quote again
        returns the same policy with 200, also when two requests race.
        """
        tenant_id = current_principal().tenant_id
        bound = bind_quote(
            get_db(),
            active_catalog().catalog,
            tenant_id,
            quote_id,
            _key_prefix(),
            int(current_app.config["POLISURE_QUOTE_VALID_DAYS"]),
        )
        if bound.created:
            _refresh(tenant_id)
        body = {"policy_id": bound.policy.policy_id, "policy": bound.policy.as_json()}
        return body, 201 if bound.created else 200


@blp.route("/book/policies/<string:policy_id>/cancel")
class Cancel(MethodView):
    @blp.doc(security=SECURITY)
    @require_role("insurer")
    @blp.response(200, PolicyResultSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such policy for this tenant.")
    @blp.alt_response(503, schema=ErrorSchema, description=_STORAGE)
    @document_errors(blp, 401, 403, 429)
    def post(self, policy_id: str) -> dict[str, Any]:
        """Cancel a policy: it leaves the book and stays in its history (audited)

        Cancelling a cancelled policy changes nothing and answers the same.
        """
        tenant_id = current_principal().tenant_id
        policy = cancel_policy(get_db(), tenant_id, policy_id, _key_prefix())
        _refresh(tenant_id)
        return {"policy_id": policy.policy_id, "policy": policy.as_json()}


@blp.route("/book")
class BookInForce(MethodView):
    @blp.doc(security=SECURITY)
    @require_role("insurer")
    @blp.response(200, BookSchema)
    @blp.alt_response(503, schema=ErrorSchema, description=_STORAGE)
    @document_errors(blp, 401, 403, 429)
    def get(self) -> dict[str, Any]:
        """The policies in force of this tenant, with their limits, premiums and vendors"""
        snapshot = book_snapshot(get_db(), current_principal().tenant_id)
        return {
            "book_revision": snapshot.revision,
            "policies": [p.as_json() for p in snapshot.policies],
            "totals": {
                "policies": len(snapshot.policies),
                "limit_usd": sum(p.limit_usd for p in snapshot.policies),
                "premium_usd": sum(p.premium_usd for p in snapshot.policies),
            },
        }


@blp.route("/book/export")
class BookExport(MethodView):
    @blp.doc(
        security=SECURITY,
        responses={"200": {"description": "The book file (text/csv)", "content": {"text/csv": {}}}},
    )
    @require_role("insurer")
    @blp.alt_response(503, schema=ErrorSchema, description=_STORAGE)
    @document_errors(blp, 401, 403, 429)
    def get(self) -> Response:
        """The policies in force as a book file for `python -m training accumulate`

        Columns: policy_id, limit_usd, retention_usd, every exposure field
        (sets joined by '|'), vendors and coverages joined by '|'. The command
        run on it with the same catalog, years and seed reproduces
        GET /v1/book/accumulation.
        """
        snapshot = book_snapshot(get_db(), current_principal().tenant_id)
        text = book_csv([p.entry() for p in snapshot.policies])
        name = f"book-r{snapshot.revision}.csv"
        return Response(
            text,
            200,
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


@blp.route("/book/accumulation")
class Accumulation(MethodView):
    @blp.doc(security=SECURITY)
    @require_role("insurer")
    @blp.arguments(AccumulationQuerySchema, location="query")
    @blp.response(200, AccumulationSchema)
    @blp.alt_response(503, schema=ErrorSchema, description=_STORAGE)
    @document_errors(blp, 401, 403, 429)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The book's accumulation under the event catalog: AAL, EP curves, SPoF

        Simulated on the book in force with the active event catalog
        (POLISURE_EVENT_CATALOG) over 50,000 years with seed 2026 unless
        `years` (1,000-200,000) or `seed` say otherwise; each city's own
        claims come from the active model. Cached per book revision, so a
        second call is cheap.
        """
        analyst = book_analyst(get_engine())
        book = analyst.analysed(
            current_principal().tenant_id, query.get("years"), query.get("seed")
        )
        return book.summary
