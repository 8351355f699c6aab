"""Self-assessment speed: one ``CityAssessor.assess`` against one ``QuoteEngine.quote``.

    python -m benchmarks.bench_assess [--runs 30] [--models-dir D]

Uses the active bundle of --models-dir (default models/bundles); when there is
none, trains the small test portfolio's bundle (tests/support/portfolio.py)
into a temporary directory. Times, median of ``--runs``, with one XGBoost
thread as in a gunicorn worker: a quote of a fully answered city (the bare
floor: one prediction, one pricing), and assessments with every field, a
third of the fields and no field answered (one batched prediction of 1 + 64
completions + the candidate changes, then pricing of the distinct ones),
and the systemic loss of three named vendors (the city alone as a one-city
book on the shipped catalog, the service's 50,000 years and seed 2026: its
own claims and the catalog's events). Prints milliseconds and the ratio to
the quote (target: tens of ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # as service/gunicorn_conf.py sets it

from models.accumulation.catalog import EVENT_CATALOGS_DIR, load_event_catalog
from models.accumulation.simulation import DEFAULT_BOOK_SEED, DEFAULT_YEARS
from models.spec.fields import MODEL_FIELDS
from models.underwriting.assessment import REFERENCE_POLICY, CityAssessor, reference_policy_dict
from models.underwriting.book_model import BookModel
from models.underwriting.quote_engine import load_quote_engine
from models.underwriting.vendor_risk import vendor_risk
from models.versions.registry import Registry, resolve_models_dir
from tests.support.city import city_exposure


def _median_ms(runs: int, work) -> float:  # type: ignore[no-untyped-def]
    work()  # warm caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


def _test_bundle(directory: Path) -> Path:
    from tests.support.portfolio import TEST_SEED, small_params, write_portfolio
    from training.pipeline import train_bundle

    write_portfolio(directory / "data")
    registry = Registry(directory / "bundles")
    data = directory / "data"
    train_bundle(
        data / "policies.csv",
        data / "claims.csv",
        registry,
        seed=TEST_SEED,
        params=small_params(),
        promote=True,
    )
    return registry.root


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--models-dir", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = resolve_models_dir(args.models_dir)
        if Registry(root).active_version() is None:
            print(f"no active bundle in {root}: training the small test bundle")
            root = _test_bundle(Path(tmp))
        engine = load_quote_engine(str(root))
        start = time.perf_counter()
        assessor = CityAssessor(engine)
        build_ms = 1000.0 * (time.perf_counter() - start)
        city = city_exposure()
        third = {f.name: city[f.name] for f in MODEL_FIELDS[::3]}
        quote = _median_ms(args.runs, lambda: engine.quote(city, reference_policy_dict()))
        print(f"bundle {engine.model_version}; assessor built in {build_ms:.0f} ms")
        print(f"quote (bare floor):              {quote:7.1f} ms")
        for name, answers in (("all answered", city), ("a third answered", third), ("none", {})):
            ms = _median_ms(args.runs, lambda a=answers: assessor.assess(a))
            print(f"assess, {name:<18} {ms:7.1f} ms  ({ms / quote:4.1f} x quote)")
        catalog = load_event_catalog(EVENT_CATALOGS_DIR / "2026.1.yaml")
        vendors = ["Nimbus Cloud", "CivicERP", "Harbor Networks"]
        book_model = BookModel(engine)
        ms = _median_ms(
            args.runs,
            lambda: vendor_risk(
                book_model, city, vendors, REFERENCE_POLICY, catalog,
                years=DEFAULT_YEARS, seed=DEFAULT_BOOK_SEED,
            ),
        )  # fmt: skip
        print(f"vendors' systemic loss, 3 named {ms:7.1f} ms  ({ms / quote:4.1f} x quote)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
