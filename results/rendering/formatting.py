"""Numbers as text for the results pages, charts and report; "n/a" wherever a value is missing.

A statistic is missing (``None``) or undefined (``NaN``) when, for example, a filter leaves too
few trials; every caller shows that the same way instead of "nan" or an exception.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from functools import partial

import pandas as pd

MISSING = "n/a"


def _is_missing(value) -> bool:
    """None, NaN, NaT or pandas' NA (a nullable column's missing cell)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # not a scalar
        return False


def _without_negative_zero(text: str) -> str:
    """``"-0.00"`` -> ``"0.00"``: a value that rounds to zero has no sign."""
    return text[1:] if text.startswith("-") and not text.strip("-0.%") else text


def format_number(value, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, e.g. ``format_number(0.1234) == "0.12"``; "n/a" if missing.

    A value that rounds to zero prints without a sign (``-0.001 -> "0.00"``).
    """
    if _is_missing(value):
        return MISSING
    return _without_negative_zero(f"{value:.{digits}f}")


def format_percent(value, digits: int = 1) -> str:
    """A proportion in [0, 1] as a percentage with ``digits`` decimals, e.g. ``0.5 -> "50.0%"``; "n/a" if missing."""
    if _is_missing(value):
        return MISSING
    return _without_negative_zero(f"{100 * value:.{digits}f}%")


def format_count_change(removed) -> str:
    """A number removed at one stage of a flow: ``"−3"``, ``"0"`` when none, "" when the stage removes nothing."""
    if _is_missing(removed):
        return ""
    return f"−{int(removed)}" if int(removed) else "0"


def format_p(value) -> str:
    """A p-value in APA style: three decimals, or "< .001" below 0.001; "n/a" if missing."""
    if _is_missing(value):
        return MISSING
    return "< .001" if value < 0.001 else f"{value:.3f}"


P_VALUE_COLUMNS = frozenset({"p_value", "p_holm", "source_p", "judgement_p", "source_q", "judgement_q", "q"})
"""Columns holding p-values (or q-values): shown in APA style (:func:`format_p`)."""

EMPTY_CELL = "–"
"""What a table shows where a value is missing or does not apply (never "None" or "nan")."""


def format_cell(column: str, value, digits: int = 2) -> str:
    """One table cell as text: p-values in APA style, whole numbers without decimals, others to ``digits``.

    Missing values become :data:`EMPTY_CELL`; text passes through; ``True``/``False`` become yes/no.
    """
    if _is_missing(value) or value is None:
        return EMPTY_CELL
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        if column in P_VALUE_COLUMNS:
            return format_p(float(value))
        return format_number(float(value), digits)
    return str(value)


def column_formats(frame) -> dict[str, Callable[[object], str]]:
    """Per column of a pandas frame, the function that shows its cells (for ``Styler.format``).

    Float columns whose values are all whole numbers (a count with a missing cell) show as whole
    numbers; other numbers as :func:`format_cell` says.
    """
    formats: dict[str, Callable[[object], str]] = {}
    for column in frame.columns:
        values = frame[column]
        whole = values.dtype.kind == "f" and bool(((values.dropna() % 1) == 0).all())
        formats[column] = partial(
            _format_whole if whole and str(column) not in P_VALUE_COLUMNS else format_cell, str(column)
        )
    return formats


def _format_whole(column: str, value) -> str:
    """A count stored as float (it has a missing cell): whole, or :data:`EMPTY_CELL`."""
    return EMPTY_CELL if _is_missing(value) else str(int(value))
