"""Where a city's loss comes from, in words: the claim causes of an assessment, for people.

A city reads its risk as kinds of incident, not as model terms, so the result
page names each claim cause of CONTRACT §2 in plain words and shows its part
of the expected yearly loss *before insurance* (ground-up): that figure does
not depend on the reference policy's retention and limit, and it is the one
the peer chart shows. Shares are of the causes' own sum, so the column adds up
to 100% (up to the rounding of each line) even where the engine's total was
rounded differently. Drivers name the cause they move most with ``through``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from service.assessments.numbers import percent

#: Each claim cause of CONTRACT §2 (models.spec.contract.CLAIM_CAUSES, in its order) as a
#: city's IT lead would say it, capitalised as a table label.
CAUSE_LABELS: dict[str, Any] = {
    "ransomware": _l("Ransomware"),
    "data_breach": _l("Data breach"),
    "business_email_compromise": _l("Business email compromise"),
    "ot_disruption": _l("Disruption of control systems (OT)"),
    "vendor_outage": _l("Vendor outage"),
    "privacy_regulatory": _l("Privacy claims and fines"),
    "other": _l("Other incidents"),
}


@dataclass(frozen=True)
class CauseShare:
    """One line of the table: a cause, its share of the yearly loss, and that loss."""

    cause: str
    label: str
    share: float  # 0-1 of the causes' summed expected annual ground-up loss
    expected_annual_loss_usd: float  # ground-up, USD per year

    @property
    def share_text(self) -> str:
        """Whole percent; a cause that loses something but rounds to 0% says so."""
        if 0.0 < self.share < 0.005:
            return _("under 1%")
        return percent(100.0 * self.share)


def cause_mix(causes: Sequence[Mapping[str, Any]]) -> list[CauseShare]:
    """The causes with their shares of the expected yearly loss, largest first."""
    losses = [float(c["expected_annual_ground_up_loss_usd"]) for c in causes]
    total = sum(losses)
    rows = [
        CauseShare(
            cause=c["cause"],
            label=str(CAUSE_LABELS[c["cause"]]),
            share=loss / total if total > 0 else 0.0,
            expected_annual_loss_usd=loss,
        )
        for c, loss in zip(causes, losses, strict=True)
    ]
    # Stable: equal losses keep CONTRACT §2's order.
    return sorted(rows, key=lambda row: -row.expected_annual_loss_usd)


def _in_a_sentence(label: str) -> str:
    # "Data breach" -> "data breach", but an initialism such as "OT ..." keeps its case
    # (and Chinese has no case: lower() leaves it as it is).
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def through(cause: str) -> str:
    """How a driver line says the cause it moves: "mostly through ransomware"."""
    if cause not in CAUSE_LABELS:  # "all causes": the driver moves every cause alike
        return _("through every kind of incident")
    return _("mostly through %(cause)s", cause=_in_a_sentence(str(CAUSE_LABELS[cause])))
