"""A drawn report plot: its title, what to look for in it, and the PNG (base64).

Its own module, free of matplotlib: the plots are drawn in a worker process
(training/reports/plot_worker.py) and come back pickled, and unpickling a
class defined next to the drawing code would import matplotlib into the
trainer, the cost the worker exists to keep off it.
"""

from __future__ import annotations

from typing import NamedTuple


class DrawnPlot(NamedTuple):
    """One figure of a report, with the caption the reader needs to judge it."""

    title: str
    caption: str  # what the plot shows and what to look for
    png: str  # base64 PNG
