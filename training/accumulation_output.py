"""The output folder of ``python -m training accumulate``, written whole or not at all.

DIR gets summary.json (the fields of ``GET /v1/book/accumulation``:
BookRun.summary(), nothing else), the ORD-style ept.csv (SummaryId,
EPCalc, EPType, ReturnPeriod, Loss) and ylt.csv (year, loss), and
report.html. The files are written into a hidden temporary folder beside
DIR and renamed into place, so a reader never sees a half-written folder and
a failed run leaves the old one as it was. Nothing written depends on the
clock or the machine, so the same run writes the same bytes.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

from models.accumulation.run import BookRun
from training.errors import TrainingInputError
from training.reports.accumulation_report import render_accumulation_report
from training.reports.accumulation_tables import ReportContext, RunFigures

SUMMARY_FILE, EPT_FILE, YLT_FILE, REPORT_FILE = "summary.json", "ept.csv", "ylt.csv", "report.html"
OUTPUT_FILES = (SUMMARY_FILE, EPT_FILE, YLT_FILE, REPORT_FILE)


def check_output_dir(target: Path) -> None:
    """Refuse a --out that is a file, or a folder holding anything but a previous run's files.

    Called before the simulation, so a long run does not end on a bad --out,
    and again before the rename; an earlier run's folder is replaced whole.
    """
    if target.exists() and not target.is_dir():
        raise TrainingInputError(f"{target}: --out exists and is not a folder")
    if target.is_dir():
        strays = sorted(p.name for p in target.iterdir() if p.name not in OUTPUT_FILES)
        if strays:
            shown = ", ".join(strays[:5]) + (", ..." if len(strays) > 5 else "")
            raise TrainingInputError(
                f"{target}: --out holds other files ({shown}); name a new or empty folder"
            )


def _write_files(run: BookRun, context: ReportContext, folder: Path) -> None:
    figures = RunFigures.of(run)  # the summary once, for summary.json and the report
    summary = json.dumps(figures.summary, indent=2, allow_nan=False) + "\n"
    (folder / SUMMARY_FILE).write_text(summary, encoding="utf-8")
    run.ept().to_csv(folder / EPT_FILE, index=False, lineterminator="\n")
    run.year_losses().to_csv(folder / YLT_FILE, index=False, lineterminator="\n")
    report = render_accumulation_report(figures, context)
    (folder / REPORT_FILE).write_text(report, encoding="utf-8")


def write_accumulation(run: BookRun, context: ReportContext, target: Path) -> Path:
    """Write the four files into ``target`` (replacing an earlier run's); returns ``target``."""
    target = Path(target)
    parent = target.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    staged = parent / f".tmp-{target.name}-{secrets.token_hex(4)}"
    staged.mkdir()  # not mkdtemp: the folder gets the umask's permissions, not 0700
    try:
        _write_files(run, context, staged)
        check_output_dir(target)
        if target.is_dir():
            retired = parent / f".old-{target.name}-{secrets.token_hex(4)}"
            os.rename(target, retired)
            os.rename(staged, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.rename(staged, target)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return target
