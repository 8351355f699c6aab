"""``python -m training drift``: have the quoted cities drifted from the training portfolio?

Reads the exposures of the quotes stored in the last N days (the service's
``quotes`` table, read with SQLAlchemy Core by reflection: training never
imports the service) and compares them with the bundle's reference exposures
(models.scoring.drift: PSI per model field, flagged at 0.1 and 0.25). Prints a table
sorted by PSI and writes drift.png (bar plot) and drift.json into --out.
Drift is a finding, not a failure: exit 0 even when fields are flagged; exit
1 only for errors (no database, no quotes table, no quotes in the window).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from sqlalchemy import MetaData, Table, create_engine, select
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

from models.scoring.bundle import BundleError
from models.scoring.drift import MODERATE_PSI, SIGNIFICANT_PSI, FieldDrift, exposure_drift
from models.scoring.registry import Registry
from models.spec.exposure import records_to_frame
from models.spec.fields import MODEL_FIELDS
from training.errors import TrainingInputError

#: Mirrors service/config.py (training must not import the service): the SQLite
#: file under the repository's instance folder, unless POLISURE_DATABASE_URL says otherwise.
DEFAULT_DATABASE_PATH = Path(__file__).resolve().parents[2] / "instance" / "polisure.sqlite3"
DATABASE_URL_ENV = "POLISURE_DATABASE_URL"
MAX_QUOTES = 100_000  # the most recent quotes of the window; plenty for stable shares
_FLAG_COLOURS = {"stable": "#5a9e4b", "moderate": "#d9822b", "significant": "#c0392b"}


def default_database_url() -> str:
    return os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{DEFAULT_DATABASE_PATH}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--days", type=int, default=30, help="window: quotes of the last N days (default 30)"
    )
    parser.add_argument(
        "--database-url",
        help=f"SQLAlchemy URL of the service database (default: ${DATABASE_URL_ENV} or "
        "the service's SQLite file instance/polisure.sqlite3)",
    )
    parser.add_argument(
        "--models-dir", help="bundles directory (default: $POLISURE_MODELS_DIR or models/bundles)"
    )
    parser.add_argument("--version", help="bundle version (default: the active one)")
    parser.add_argument(
        "--out", default="drift-report", help="output directory (default: drift-report)"
    )


def recent_exposures(database_url: str, since: datetime) -> tuple[list[str], list[dict[str, Any]]]:
    """(quote ids, exposure records) of quotes created at or after ``since`` (UTC)."""
    engine = create_engine(database_url)
    try:
        quotes = Table("quotes", MetaData(), autoload_with=engine)
        query = (
            select(quotes.c.id, quotes.c.exposure)
            .where(quotes.c.created_at >= since)
            .order_by(quotes.c.created_at.desc())
            .limit(MAX_QUOTES)
        )
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    except NoSuchTableError as exc:
        raise TrainingInputError(f"{database_url}: no quotes table (is it the service's?)") from exc
    except SQLAlchemyError as exc:
        raise TrainingInputError(f"{database_url}: cannot read quotes ({exc.args[0]})") from exc
    finally:
        engine.dispose()
    # JSON columns come back decoded where the dialect knows them, as text elsewhere
    return [r[0] for r in rows], [
        r[1] if isinstance(r[1], dict) else json.loads(r[1]) for r in rows
    ]


def exposure_frame(ids: list[str], records: list[dict[str, Any]]) -> pd.DataFrame:
    for quote_id, record in zip(ids, records, strict=True):
        missing = [f.name for f in MODEL_FIELDS if f.name not in record]
        if missing:
            raise TrainingInputError(f"quote {quote_id}: stored exposure lacks {missing[0]!r}")
    return records_to_frame(records)


def drift_figure(drifts: list[FieldDrift]) -> Figure:
    fig = Figure(figsize=(7, 9))
    ax = fig.add_subplot()
    shown = list(reversed(drifts))  # largest at the top
    ax.barh(
        [d.field for d in shown],
        [d.psi for d in shown],
        color=[_FLAG_COLOURS[d.flag] for d in shown],
    )
    ax.axvline(MODERATE_PSI, color="grey", linestyle=":")
    ax.axvline(SIGNIFICANT_PSI, color="grey", linestyle="--")
    ax.tick_params(axis="y", labelsize=7)
    ax.set(xlabel="population stability index", title="Exposure drift by field")
    fig.tight_layout()
    return fig


def drift_table(drifts: list[FieldDrift]) -> str:
    lines = [f"{'field':<34}{'PSI':>10}  flag"]
    lines += [f"{d.field:<34}{d.psi:>10.4f}  {d.flag}" for d in drifts]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    if args.days < 1:
        raise TrainingInputError("--days must be >= 1")
    try:
        bundle = Registry(args.models_dir).load(args.version)
    except BundleError as exc:
        raise TrainingInputError(str(exc)) from exc
    url = args.database_url or default_database_url()
    since = datetime.now(UTC) - timedelta(days=args.days)
    ids, records = recent_exposures(url, since)
    if not records:
        print(
            f"no quotes in the window: none stored since {since:%Y-%m-%d %H:%M} UTC "
            f"(last {args.days} days) in {url}; nothing to compare",
            file=sys.stderr,
        )
        return 1
    drifts = exposure_drift(bundle.reference_exposures, exposure_frame(ids, records))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    drift_figure(drifts).savefig(out / "drift.png", dpi=72, metadata={"Software": None})
    report = {
        "model_version": bundle.version,
        "window_days": args.days,
        "since_utc": since.isoformat(),
        "quotes": len(records),
        "reference_exposures": len(bundle.reference_exposures),
        "fields": [d.to_dict() for d in drifts],
    }
    (out / "drift.json").write_text(json.dumps(report, indent=2) + "\n")
    flagged = sum(d.flag != "stable" for d in drifts)
    print(
        f"[drift] {len(records)} quotes of the last {args.days} days vs "
        f"{len(bundle.reference_exposures)} reference exposures of {bundle.version}; "
        f"{out / 'drift.png'}, {out / 'drift.json'}",
        file=sys.stderr,
    )
    noise = sampling_noise_psi(len(bundle.reference_exposures), len(records))
    if noise >= MODERATE_PSI / 2:
        print(
            f"warning: only {len(records)} quotes; two samples of this size from the SAME "
            f"population already differ by a PSI of about {noise:.2f} per 10-bin field, so "
            "flags here say more about the sample size than about drift",
            file=sys.stderr,
        )
    print(drift_table(drifts))
    print(f"{flagged} of {len(drifts)} fields drifted (PSI >= {MODERATE_PSI})")
    return 0


def sampling_noise_psi(reference_rows: int, current_rows: int, bins: int = 10) -> float:
    """Expected PSI between two samples of one population: (bins - 1)(1/n_ref + 1/n_cur).

    PSI is a symmetrised chi-square divergence; with no drift at all its
    expectation is about (bins - 1) x (1/n_ref + 1/n_cur).
    """
    return (bins - 1) * (1.0 / reference_rows + 1.0 / current_rows)
