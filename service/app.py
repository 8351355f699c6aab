"""Application factory: nothing happens at import time.

``create_app(test_config)`` reads the environment (service.config), then
wires each concern with its own ``init_app``: the app's own metrics registry
first, request ids and JSON logs, the database, the quote engine (built
lazily), the event catalog (validated now) and the books' cache, rate limits, the OpenAPI/error layer, and one blueprint per concern.

Flask and the concerns are imported inside ``create_app``, not here: the
``service`` package imports this module, and importing it must stay cheap and
Flask-free, because ``python -m training drift`` imports
service.storage.quoted_exposures (the one reader of stored exposures).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from service.config import DEFAULT_INSTANCE_PATH, settings_from_env

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    from flask import Flask

    app = Flask(__name__, instance_path=str(DEFAULT_INSTANCE_PATH), static_folder=None)
    app.config.update(settings_from_env(DEFAULT_INSTANCE_PATH))
    if test_config:
        app.config.update(test_config)

    from service import cli
    from service.access import key_cache, ratelimit
    from service.assessments import language
    from service.assessments import page as assess_page
    from service.assessments import views as assessments
    from service.book import analysis as book_analysis
    from service.book import catalog as event_catalog
    from service.book import views as book
    from service.engine import slot as engine
    from service.http import body_limit, docs
    from service.http.api import init_api
    from service.model_versions import views as models_api
    from service.ops import drift_metrics, health, logs, metrics
    from service.quotes import views as quotes
    from service.storage import db

    # Order matters: the metrics registry before any concern registers in it;
    # timing and request ids first, so a 429 is timed and logged too.
    metrics.init_app(app)
    logs.init_app(app)
    body_limit.init_app(app)
    db.init_app(app)
    engine.init_app(app)
    # A malformed event catalog refuses the start here, with every problem named.
    event_catalog.init_app(app)
    book_analysis.init_app(app)
    drift_metrics.init_app(app)
    ratelimit.init_app(app)
    key_cache.init_app(app)
    assessments.init_app(app)
    language.init_app(app)  # Flask-Babel: the /assess page in English or Chinese
    api = init_api(app)
    for blueprint in (quotes.blp, book.blp, health.blp, models_api.blp, assessments.blp):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.blp)
    app.register_blueprint(assess_page.blp)
    ratelimit.limit_public(app, assessments.blp, assess_page.blp)
    cli.init_app(app)
    return app
