"""``python -m training accumulate``: the accumulation of an insurer's book file (CONTRACT §7).

Reads the book (models/accumulation/book_file.py) and the event catalog
(the shipped one unless --catalog), and simulates the book's years with the
bundle's claims for each city's own losses (models/underwriting/book_model.py;
--no-attritional: the catalog's events only, and no bundle is loaded). The
figures are those of ``GET /v1/book/accumulation`` for the same book,
catalog, years and seed; DIR gets summary.json, ept.csv, ylt.csv and
report.html (training/accumulation_output.py). Stages and their times go to
stderr; the output folder is the last line of stdout. A malformed book or
catalog exits 1 with every problem of both named. With ``--dask ADDRESS``
the city blocks are simulated on the cluster and give the same files
(training/distributed/accumulation.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from models.accumulation.book import Book
from models.accumulation.book_file import BookFileError, read_book_file
from models.accumulation.catalog import (
    DEFAULT_EVENT_CATALOG_VERSION,
    EventCatalog,
    EventCatalogError,
    load_event_catalog,
    shipped_event_catalog,
)
from models.accumulation.run import BookRun
from models.accumulation.simulation import DEFAULT_BOOK_SEED, DEFAULT_YEARS
from models.tables.defects import ValidationReport
from models.underwriting.book_model import BookModel
from models.versions.bundle import BundleError
from training.accumulation_output import check_output_dir, write_accumulation
from training.distributed.arguments import add_dask_argument
from training.errors import TrainingInputError
from training.reports.accumulation_tables import ReportContext
from training.stage_clock import StageClock

#: The service's default too (models.accumulation.simulation.DEFAULT_BOOK_SEED).
DEFAULT_SEED = DEFAULT_BOOK_SEED
DEFAULT_OUT = "accumulation-report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--book", required=True, help="book file (CSV or Parquet)")
    parser.add_argument(
        "--catalog",
        help=f"event catalog YAML file (default: the shipped {DEFAULT_EVENT_CATALOG_VERSION})",
    )
    parser.add_argument(
        "--models-dir", help="bundles directory (default: $POLISURE_MODELS_DIR or models/bundles)"
    )
    parser.add_argument("--version", help="bundle version (default: the active one)")
    parser.add_argument(
        "--years",
        type=int,
        default=DEFAULT_YEARS,
        help=f"simulated years (default {DEFAULT_YEARS:,})",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"simulation seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--no-attritional",
        action="store_true",
        help="leave out each city's own independent claims; keep the catalog's events",
    )
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})"
    )
    add_dask_argument(parser)


def _read_inputs(args: argparse.Namespace, clock: StageClock) -> tuple[Book, EventCatalog]:
    """The book and the catalog, or one error naming every problem of both."""
    problems: list[str] = []
    book = catalog = None
    report = ValidationReport()
    with clock.stage("reading the book"):
        try:
            book = read_book_file(args.book, report)
        except BookFileError as exc:
            problems.append(str(exc))
    for warning in report.warnings:
        clock.say(f"warning: {warning}")
    with clock.stage("reading the event catalog"):
        try:
            catalog = load_event_catalog(args.catalog) if args.catalog else shipped_event_catalog()
        except EventCatalogError as exc:
            problems.append(str(exc))
    if book is None or catalog is None:
        raise TrainingInputError("\n".join(problems))
    return book, catalog


def _book_model(args: argparse.Namespace, clock: StageClock) -> tuple[BookModel, str | None]:
    """The engine's book model and its bundle version; no bundle for --no-attritional."""
    if args.no_attritional:
        return BookModel(), None
    with clock.stage("loading the bundle"):
        # imported here: XGBoost is not needed for a run on the catalog's events only
        from models.underwriting.quote_engine import load_quote_engine

        try:
            engine = load_quote_engine(args.models_dir, args.version)
        except BundleError as exc:
            raise TrainingInputError(str(exc)) from exc
    return engine.book_model(), engine.bundle.version


def _simulate(
    args: argparse.Namespace,
    model: BookModel,
    book: Book,
    catalog: EventCatalog,
    attritional: bool,
) -> BookRun:
    """The run in this process, or with --dask its city blocks on the cluster (same figures)."""
    if not args.dask:
        return model.analyse(book, catalog, args.years, args.seed, attritional=attritional)
    # imported here: a run without --dask never loads dask
    from training.distributed.accumulation import analyse_on_cluster

    return analyse_on_cluster(args.dask, model, book, catalog, args.years, args.seed, attritional)


def main(args: argparse.Namespace) -> int:
    if args.years < 1 or args.seed < 0:
        raise TrainingInputError("--years must be >= 1 and --seed >= 0")
    out = Path(args.out)
    check_output_dir(out)
    clock = StageClock("accumulate")
    book, catalog = _read_inputs(args, clock)
    model, version = _book_model(args, clock)
    clock.say(
        f"{len(book):,} policies, catalog {catalog.version} ({len(catalog.events)} events), "
        f"seed {args.seed}, attritional {'off' if version is None else 'from ' + version}"
    )
    with clock.stage(f"simulating {args.years:,} years"):
        run = _simulate(args, model, book, catalog, attritional=version is not None)
    with clock.stage(f"writing {out}"):
        write_accumulation(run, ReportContext(Path(args.book).name, version), out)
    print(out)
    return 0
