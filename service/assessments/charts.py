"""Inline SVG charts of the self-assessment result, drawn on the server (no JavaScript).

Colours and fonts come from assess.css through class names: the page's
Content-Security-Policy forbids inline style, not SVG presentation attributes.

- ``peer_plot``: a histogram of the peers' expected yearly loss on a log axis,
  from its quantiles (the CDF is interpolated linearly in log loss between
  quantiles and read at the bin edges), with the city marked.
- ``drivers_chart``: one bar per driver, its length the effect on expected
  loss in log terms (so +50% and -33% are the same length), right = raises,
  with the claim cause the driver moves most beneath it.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from flask_babel import gettext as _
from markupsafe import Markup, escape

from service.assessments.numbers import percent, usd_short

WIDTH = 420  # viewBox width: on a 390 px phone the text keeps about 90% of its size
BINS = 14


def peer_plot(quantiles: Sequence[float], city: float, percentile: float) -> Markup:
    """Histogram of the peers' expected yearly loss (USD, log axis) with the city marked."""
    width, height, top, base = WIDTH, 190, 40, 140
    logq = np.log10(np.maximum(np.asarray(quantiles, dtype=np.float64), 1.0))
    levels = np.linspace(0.0, 1.0, len(logq))
    lo = min(logq[0], math.log10(max(city, 1.0))) - 0.05
    hi = max(logq[-1], math.log10(max(city, 1.0))) + 0.05
    # the CDF is linear in log loss between neighbouring quantiles
    edges = np.linspace(logq[0], logq[-1], BINS + 1) if logq[-1] > logq[0] else logq[[0, -1]]
    mass = np.diff(np.interp(edges, logq, levels)) if len(edges) > 1 else np.ones(1)
    peak = float(mass.max()) or 1.0

    def x(log_usd: float) -> float:
        return 10 + (width - 20) * (log_usd - lo) / (hi - lo)

    above = _("Your city is above %(share)s of similar cities", share=percent(percentile))
    parts = [
        f'<svg viewBox="0 0 {width} {height}" class="chart peer-plot" role="img" '
        f'aria-label="{escape(above)}">'
    ]
    for left, right, m in zip(edges, edges[1:], mass, strict=False):
        h = (base - top) * float(m) / peak
        parts.append(
            f'<rect class="peers" x="{x(left):.1f}" y="{base - h:.1f}" '
            f'width="{max(x(right) - x(left) - 1, 1):.1f}" height="{h:.1f}"/>'
        )
    parts.append(f'<line class="axis" x1="10" y1="{base}" x2="{width - 10}" y2="{base}"/>')
    for power in range(math.ceil(lo), math.floor(hi) + 1):
        tx = x(power)
        parts.append(
            f'<line class="tick" x1="{tx:.1f}" y1="{base}" x2="{tx:.1f}" y2="{base + 6}"/>'
        )
        parts.append(
            f'<text class="tick-label" x="{tx:.1f}" y="{base + 22}" text-anchor="middle">'
            f"{escape(usd_short(10.0**power))}</text>"
        )
    city_text = _("Your city: %(amount)s a year", amount=usd_short(city))
    axis_text = _("Expected yearly loss before insurance")
    cx = x(math.log10(max(city, 1.0)))
    anchor = "end" if cx > width * 0.6 else "start"
    dx = -6 if anchor == "end" else 6
    parts += [
        f'<line class="city" x1="{cx:.1f}" y1="{top - 22}" x2="{cx:.1f}" y2="{base}"/>',
        f'<text class="city-label" x="{cx + dx:.1f}" y="{top - 10}" text-anchor="{anchor}">'
        f"{escape(city_text)}</text>",
        f'<text class="axis-label" x="{width / 2:.0f}" y="{height - 6}" text-anchor="middle">'
        f"{escape(axis_text)}</text>",
        "</svg>",
    ]
    return Markup("".join(parts))


LABEL_WIDTH = 56  # half-width characters that fit one line of the 420-unit chart at 14 px


def _width(char: str) -> int:
    """Columns a character takes: CJK ideographs and full-width forms are two."""
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _shorten(text: str) -> str:
    """The label cut to one line of the chart, counting a Chinese character as two."""
    if sum(map(_width, text)) <= LABEL_WIDTH:
        return text
    kept, used = [], 0
    for char in text:
        used += _width(char)
        if used > LABEL_WIDTH - 1:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "…"


def drivers_chart(
    drivers: Sequence[Mapping[str, Any]],
    value_text: Sequence[str],
    cause_text: Sequence[str],
    testid: str = "actionable-chart",
) -> Markup:
    """Bars of the drivers' effects on expected loss, labelled in plain language.

    Each driver is three rows: its label and value, then its bar from the
    middle line (right: raises, left: lowers) with the effect written on the
    free side, then the claim cause it moves most ("mostly through
    ransomware") on a row of its own, as that is too long for the free half
    of a phone-wide chart.
    """
    row, bar = 66, 16
    height = max(row * len(drivers), row)
    mid, half = WIDTH / 2, WIDTH / 2 - 10
    longest = max((abs(float(d["log_effect"])) for d in drivers), default=1.0) or 1.0
    title = _("What moves your expected loss")
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {height + 4}" class="chart drivers" role="img" '
        f'aria-label="{escape(title)}" data-testid="{testid}">',
    ]
    for i, (d, shown, through) in enumerate(zip(drivers, value_text, cause_text, strict=True)):
        y = i * row
        effect = float(d["log_effect"])
        length = half * abs(effect) / longest
        raises = effect > 0
        left = mid if raises else mid - length
        pct = float(d["effect_pct"])
        change = f"{'+' if pct > 0 else '−'}{percent(abs(pct))}"
        note = (
            _("%(change)s more loss", change=change)
            if raises
            else _("%(change)s less loss", change=change)
        )
        label = _("%(label)s: %(value)s", label=d["label"], value=shown)
        whole = _("%(label)s, %(cause)s", label=label, cause=through)  # the label's tooltip
        note_x, note_anchor = (mid - 6, "end") if raises else (mid + 6, "start")
        parts += [
            # the middle line only beside the bar: the cause line below may cross it
            f'<line class="axis" x1="{mid}" y1="{y + 22}" x2="{mid}" y2="{y + 42}"/>',
            f'<text class="bar-label" x="4" y="{y + 17}"><title>{escape(whole)}</title>'
            f"{escape(_shorten(label))}</text>",
            f'<rect class="bar {"raises" if raises else "lowers"}" x="{left:.1f}" y="{y + 24}" '
            f'width="{max(length, 1.0):.1f}" height="{bar}"/>',
            f'<text class="bar-note" x="{note_x:.1f}" y="{y + 37}" text-anchor="{note_anchor}">'
            f"{escape(note)}</text>",
            f'<text class="bar-cause" x="4" y="{y + 56}">{escape(through)}</text>',
        ]
    parts.append("</svg>")
    return Markup("".join(parts))
