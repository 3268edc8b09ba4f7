"""Numbers as text for the results pages, charts and report; "n/a" wherever a value is missing.

A statistic is missing (``None``) or undefined (``NaN``) when, for example, a filter leaves too
few trials; every caller shows that the same way instead of "nan" or an exception.
"""

from __future__ import annotations

import math

MISSING = "n/a"


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, e.g. ``format_number(0.1234) == "0.12"``; "n/a" if missing."""
    if _is_missing(value):
        return MISSING
    return f"{value:.{digits}f}"


def format_percent(value, digits: int = 1) -> str:
    """A proportion in [0, 1] as a percentage with ``digits`` decimals, e.g. ``0.5 -> "50.0%"``; "n/a" if missing."""
    if _is_missing(value):
        return MISSING
    return f"{100 * value:.{digits}f}%"


def format_p(value) -> str:
    """A p-value in APA style: three decimals, or "< .001" below 0.001; "n/a" if missing."""
    if _is_missing(value):
        return MISSING
    return "< .001" if value < 0.001 else f"{value:.3f}"
