"""The score file of ``python -m training score``: CSV or Parquet by its extension.

The table is models.scoring.batch's score table. The file is written to a
temporary name beside the target and renamed, so a reader never sees half a
file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from training.errors import TrainingInputError


def write_scores(scores: pd.DataFrame, out: Path) -> None:
    """CSV or Parquet by extension, written to a temporary name then renamed."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise TrainingInputError(f"--out {out}: name the output .csv or .parquet")
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        if suffix == ".csv":
            pa_csv.write_csv(pa.Table.from_pandas(scores, preserve_index=False), tmp)
        else:
            scores.to_parquet(tmp, index=False)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
