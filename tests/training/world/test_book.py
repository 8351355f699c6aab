"""The synthetic book: the documented limit and retention rules, and a file the engine reads."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd

from models.accumulation.book import Book
from models.accumulation.city_claims import exposure_frame
from models.spec.fields import FIELDS
from training.world.book import book_frame, book_from_policies_file, book_limits
from training.world.portfolio import generate_portfolio


def test_limits_and_retentions_follow_the_rules():
    budget = np.array([1e6, 3.64e6, 2.5e7, 1e10, 1e12])
    limit, retention = book_limits(budget)
    # 10% of budget to the nearest $100k, within $100k - $500M
    np.testing.assert_array_equal(limit, [1e5, 4e5, 2.5e6, 5e8, 5e8])
    # 1% of the limit to the nearest $1k, within $1k - $1M
    np.testing.assert_array_equal(retention, [1e3, 4e3, 2.5e4, 1e6, 1e6])
    assert np.all((retention >= 0) & (retention < limit))


def test_the_book_file_has_the_contract_columns_and_scores(tmp_path):
    portfolio = generate_portfolio(200, seed=3)
    frame = book_frame(portfolio.policies)
    assert list(frame.columns) == [
        "policy_id",
        "limit_usd",
        "retention_usd",
        *(f.name for f in FIELDS),
    ]
    book = Book.from_frame(frame)
    assert len(exposure_frame(book)) == 200  # every model field present
    assert sum(len(v) for v in book.vendors) > 0
    # the synth verb writes the same book next to policies.csv
    out = tmp_path / "world"
    subprocess.run(
        [sys.executable, "-m", "training", "synth", "--policies", "200", "--seed", "3", "--out", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    again = book_from_policies_file(out / "policies.csv", tmp_path / "again.csv")
    assert (out / "book.csv").read_bytes() == again.read_bytes()
    written = pd.read_csv(out / "book.csv", keep_default_na=False)
    assert set(written["public_face_recognition"]) <= {True, False}
    np.testing.assert_array_equal(written["limit_usd"].to_numpy(), frame["limit_usd"].to_numpy())
