"""``python -m training drift``: have the quoted cities drifted from the training portfolio?

Reads the exposures of the quotes stored in the last N days from the
service's database with service.storage.quoted_exposures, the one reader the
/metrics drift gauges use too (same query, same cap, same figures); that
module and service.config import no Flask, and they are all this verb takes
from the service. Compares them with the bundle's reference exposures
(models.scoring.drift: PSI per model field, flagged at 0.1 and 0.25), prints a
table sorted by PSI and writes drift.png (bar plot) and drift.json into --out
(training.reports.drift_report). Drift is a finding, not a failure: exit 0
even when fields are flagged; exit 1 only for errors (no database, no quotes
table, no quotes in the window).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from models.scoring.drift import MODERATE_PSI, exposure_drift
from models.spec.exposure import records_to_frame
from models.versions.bundle import BundleError
from models.versions.registry import Registry
from service.config import database_url_from_env
from service.storage.quoted_exposures import (
    MAX_QUOTES,
    StoredQuotesError,
    recent_exposures,
    window_start,
)
from training.errors import TrainingInputError
from training.reports.drift_report import drift_table, sampling_noise_psi, write_drift_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--days", type=int, default=30, help="window: quotes of the last N days (default 30)"
    )
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL of the service database (default: $POLISURE_DATABASE_URL or "
        "the service's SQLite file instance/polisure.sqlite3)",
    )
    parser.add_argument(
        "--models-dir", help="bundles directory (default: $POLISURE_MODELS_DIR or models/bundles)"
    )
    parser.add_argument("--version", help="bundle version (default: the active one)")
    parser.add_argument(
        "--out", default="drift-report", help="output directory (default: drift-report)"
    )


def _engine(raw_url: str) -> tuple[Engine, str]:
    """The engine, and the URL as it may be printed: its password masked."""
    try:
        url = make_url(raw_url)
        return create_engine(url), url.render_as_string(hide_password=True)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise TrainingInputError(
            "--database-url: not a database URL this service can open "
            f"({type(exc).__name__}); e.g. sqlite:///path/polisure.sqlite3 or "
            "postgresql+psycopg://user@host/db"
        ) from exc


def main(args: argparse.Namespace) -> int:
    if args.days < 1:
        raise TrainingInputError("--days must be >= 1")
    try:
        bundle = Registry(args.models_dir).load(args.version)
    except BundleError as exc:
        raise TrainingInputError(str(exc)) from exc
    raw_url = args.database_url or database_url_from_env()
    engine, url = _engine(raw_url)
    since = window_start(args.days)
    try:
        exposures = recent_exposures(engine, since)
    except StoredQuotesError as exc:
        raise TrainingInputError(f"{url}: {exc}") from exc
    finally:
        engine.dispose()
    if not exposures.records:
        print(
            f"no quotes in the window: none stored since {since:%Y-%m-%d %H:%M} UTC "
            f"(last {args.days} days) in {url}; nothing to compare",
            file=sys.stderr,
        )
        return 1
    quotes, references = len(exposures), len(bundle.reference_exposures)
    drifts = exposure_drift(bundle.reference_exposures, records_to_frame(exposures.records))
    plot, document = write_drift_report(
        Path(args.out),
        drifts,
        model_version=bundle.version,
        window_days=args.days,
        since=since,
        quotes=quotes,
        reference_exposures=references,
    )
    newest = f" (the newest {MAX_QUOTES:,})" if quotes == MAX_QUOTES else ""
    print(
        f"[drift] {quotes} quotes{newest} of the last {args.days} days vs "
        f"{references} reference exposures of {bundle.version}; {plot}, {document}",
        file=sys.stderr,
    )
    noise = sampling_noise_psi(references, quotes)
    if noise >= MODERATE_PSI / 2:
        print(
            f"warning: only {quotes} quotes; two samples of this size from the SAME "
            f"population already differ by a PSI of about {noise:.2f} per 10-bin field, so "
            "flags here say more about the sample size than about drift",
            file=sys.stderr,
        )
    print(drift_table(drifts))
    flagged = sum(d.flag != "stable" for d in drifts)
    print(f"{flagged} of {len(drifts)} fields drifted (PSI >= {MODERATE_PSI})")
    return 0
