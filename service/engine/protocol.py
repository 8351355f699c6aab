"""The seam between the service and the pricing side: what the service needs from a quote engine.

The service never prices anything itself. It takes the app's engine
(service.engine.slot) and uses only what ``QuoteEngine`` names:

- ``quote(exposure, policy)`` for POST /v1/quotes (service.quotes), and
  ``quote_batch(items)`` for POST /v1/quotes/batch and for the single quotes
  that meet in a worker (service.quotes.coalescing), which is why each of
  its items must equal ``quote`` of that item alone;
- ``model_version`` and ``rating_plan_version`` to stamp quotes, /readyz and
  ``polisure_model_info``;
- ``reference_exposures`` for the drift gauges (service.ops.drift_metrics);
- ``self_assessor()`` for POST /v1/assessments and /assess;
- ``book_model()`` for the insurer's book: its accumulation and the
  ``portfolio_impact`` of a quote (models.underwriting.book_model).

``exposure`` is ExposureSchema's output (every model field, sets as lists,
``vendors`` only if sent); ``policy`` is PolicySchema's output: limit_usd and
retention_usd (USD floats), coverages (list in the documented order) and
period_days (int). ``quote`` returns a JSON-ready dict with at least
``decision`` ("quote" | "refer" | "decline") and the other fields of CONTRACT
§5 (see service.quotes.schemas.QuoteSchema); plain floats, no NaN. The service
adds ``quote_id``, ``created_at``, ``model_version``, ``rating_plan_version``
and the normalised ``policy``. For an input that passed the schemas but cannot
be priced, raise ``ValueError`` naming the field and rule (optionally with a
``fields`` attribute: {"policy.retention_usd": ["..."]}): the client gets a 422.

models.underwriting.quote_engine.QuoteEngine implements it (mypy checks that
below), and so does the test engine tests/support/fake_engine.py, which has
no reference portfolio and no self-assessment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

    from models.underwriting.book_model import BookModel


class SelfAssessor(Protocol):
    """The city self-assessment of one engine (models.underwriting.assessment.CityAssessor)."""

    def assess(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON-ready assessment of validated partial answers (None = don't know)."""
        ...


@runtime_checkable
class QuoteEngine(Protocol):
    """What the service needs from the pricing side (see the module docstring)."""

    @property
    def model_version(self) -> str:
        """Bundle version, e.g. 2026-11-29T01-02-03Z-1a2b3c4d."""
        ...

    @property
    def rating_plan_version(self) -> str:
        """The rating plan's own version string."""
        ...

    @property
    def reference_exposures(self) -> pd.DataFrame | None:
        """The exposure frame the model was trained on (drift reference); None if none."""
        ...

    def quote(
        self, exposure: dict[str, Any], policy: dict[str, Any], marginal_tvar_usd: float = 0.0
    ) -> dict[str, Any]:
        """A JSON-ready quote (see the module docstring).

        ``marginal_tvar_usd``: the city's marginal TVaR 99.5% on the tenant's
        book (``portfolio_impact.delta_aep_tvar_200_usd``), the basis of the
        rating plan's capital load; 0 when the tenant has no book.
        """
        ...

    def quote_batch(
        self, items: Sequence[tuple[dict[str, Any], dict[str, Any], float]]
    ) -> list[dict[str, Any]]:
        """The quotes of (exposure, policy, marginal_tvar_usd) items, in order (POST /v1/quotes/batch).

        Each must equal ``quote`` of its item alone. A ValueError for an item
        that cannot be priced names it in ``fields`` as ``quotes.<i>.<field>``.
        This default prices one by one; the model's engine scores them at once.
        """
        out = []
        for i, (exposure, policy, marginal_tvar_usd) in enumerate(items):
            try:
                out.append(self.quote(exposure, policy, marginal_tvar_usd))
            except ValueError as exc:
                own = getattr(exc, "fields", None) or {}
                error = ValueError(f"quotes.{i}: {exc}")
                error.fields = {f"quotes.{i}.{k}": v for k, v in own.items()}  # type: ignore[attr-defined]
                raise error from exc
        return out

    def self_assessor(self) -> SelfAssessor | None:
        """The self-assessment on this engine (built once, then kept); None if it has none."""
        ...

    def book_model(self) -> BookModel:
        """Runs a tenant's book and prices a city against it (catalog events only without a model)."""
        ...


#: Builds an engine from the models directory (None: the project's own).
EngineFactory = Callable[[str | None], QuoteEngine]

if TYPE_CHECKING:
    # The default factory is named by a string (POLISURE_ENGINE); this line
    # makes mypy prove that the model's engine implements the seam.
    from models.underwriting.quote_engine import load_quote_engine

    _model_engine_factory: EngineFactory = load_quote_engine
