"""The log-linear inputs' log1p: the block path of small frames against the column path.

Oracle: the column-by-column path (how every frame was transformed before
issue 13), bit for bit, so a quote's start is the same whichever path its
frame takes; and numpy's log1p of max(x, 0) on the masked columns.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.scoring import glm_inputs
from models.scoring.glm_inputs import _log1p, heavy_tailed_columns


@pytest.mark.parametrize("rows", [1, 2, 7, 64, 1000])
def test_the_block_path_gives_the_column_paths_bits(monkeypatch, rows: int) -> None:
    mask = heavy_tailed_columns()
    rng = np.random.default_rng(rows)
    features = rng.lognormal(5.0, 4.0, size=(rows, len(mask)))
    features *= rng.choice([-1.0, 1.0, 1.0], size=features.shape)  # negatives clip to 0
    block = _log1p(features, mask)
    monkeypatch.setattr(glm_inputs, "BLOCK_ROWS", 0)  # every frame column by column
    columns = _log1p(features, mask)
    np.testing.assert_array_equal(block.view(np.int64), columns.view(np.int64))
    expected = features.copy()
    expected[:, mask] = np.log1p(np.maximum(features[:, mask], 0.0))
    np.testing.assert_array_equal(block, expected)
    assert not np.shares_memory(block, features)  # the caller's frame is left alone
