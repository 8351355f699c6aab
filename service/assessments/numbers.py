"""Numbers and US-dollar amounts in the reader's convention (Babel's CLDR data).

English: "$1,418", "-$1,418", "$4.5M" on an axis. Chinese groups large
amounts in 万 (1e4) and 亿 (1e8), as readers there do: "1,418 美元",
"约 12.3 万美元", "4.9 亿美元" ("约", about, when the shown figure is
rounded). Money stays US dollars in both: the premium is a USD figure and
converting it would add an exchange rate the model does not have.
"""

from __future__ import annotations

from babel.numbers import format_compact_decimal, format_decimal

from service.assessments.language import current_locale

_ZH_UNITS = ((1e8, "亿"), (1e4, "万"))
SIGNIFICANT = 3  # figures of an amount in 万/亿: "约 12.3 万美元" (a headline, not a ledger)


def number(value: float, digits: int = 0) -> str:
    """A plain number with the reader's grouping, ``digits`` decimals at most."""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=current_locale())


def _zh_amount(amount: float) -> str:
    """A positive amount in 万/亿 to ``SIGNIFICANT`` figures (more for >= 1,000 亿), "约" if rounded."""
    for size, unit in _ZH_UNITS:
        if amount >= size:
            scaled = amount / size
            decimals = max(0, SIGNIFICANT - len(str(int(scaled))))
            rounded = round(scaled, decimals)
            about = "约 " if abs(rounded * size - round(amount)) >= 0.5 else ""
            text = format_decimal(rounded, format="#,##0." + "#" * decimals, locale="zh_Hans_CN")
            return f"{about}{text} {unit}美元"
    return f"{format_decimal(round(amount), format='#,##0', locale='zh_Hans_CN')} 美元"


def usd(amount: float) -> str:
    """Whole US dollars; a sign only for negative amounts (changes), e.g. -$1,418."""
    sign = "-" if amount < 0 else ""
    if current_locale() == "zh_Hans_CN":
        return sign + _zh_amount(abs(amount))
    return f"{sign}${number(abs(amount))}"


def usd_short(amount: float) -> str:
    """An axis tick: "$12k", "$4.5M" in English, "12万美元", "4.5亿美元" in Chinese."""
    locale = current_locale()
    if locale == "zh_Hans_CN":
        if amount < 1e4:
            return f"{number(amount)}美元"
        return format_compact_decimal(amount, locale=locale, fraction_digits=1) + "美元"
    if amount < 1e4:
        return f"${number(amount)}"
    return "$" + format_compact_decimal(amount, locale=locale, fraction_digits=1)


def percent(value: float, digits: int = 0) -> str:
    """A percentage of 0-100 (not a fraction), e.g. "37%": the same sign in both languages."""
    return f"{number(value, digits)}%"
