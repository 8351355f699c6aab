"""A small synthetic-world book under the shipped catalog, shared by the tests."""

import numpy as np
import pytest

from models.accumulation.book import Book
from models.accumulation.catalog import shipped_event_catalog
from training.world.exposure import sample_cities
from training.world.vendors import sample_vendor_lists


@pytest.fixture(scope="session")
def small_world():
    rng = np.random.default_rng(2026)
    frame = sample_cities(300, rng)
    frame["vendors"] = sample_vendor_lists(frame["critical_vendor_count"].to_numpy(), rng)
    frame["policy_id"] = [f"C{i:04d}" for i in range(300)]
    frame["limit_usd"] = np.clip(np.round(frame["annual_revenue_usd"] * 0.5, -5), 1e6, 1e7)
    frame["retention_usd"] = np.clip(np.round(frame["limit_usd"] * 0.01, -3), 1e4, 2.5e5)
    return Book.from_frame(frame), shipped_event_catalog()
