"""Cells a spreadsheet would run as a formula, made inert in every CSV the app writes (CSV injection, OWASP).

Participants type free text (comments, questionnaire answers) and Prolific ids arrive in URLs; a cell
starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return could run in Excel or LibreOffice when a
researcher opens the file. Both the results exports and the Prolific approve/return lists use these.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula."""


def neutral_cell(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula, else unchanged."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``'`` to text cells a spreadsheet would run as a formula (CSV injection, OWASP).

    Participants type free text (comments, questionnaire answers) that ends up in the CSV; a
    cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return could run in Excel or
    LibreOffice when a researcher opens the file. Only text columns change; numbers (negative
    ones included) stay numbers, and the Parquet export keeps the text exactly as typed.
    """
    text_columns = [
        name
        for name in frame.columns
        if pd.api.types.is_object_dtype(frame[name]) or pd.api.types.is_string_dtype(frame[name])
    ]
    if not text_columns:
        return frame
    frame = frame.copy()
    for name in text_columns:
        column = frame[name]
        # A plain numpy mask: Series.map keeps an empty or all-missing string column's string dtype, on
        # which pandas 3 refuses .any() (Arrow strings).
        risky = np.fromiter(
            (isinstance(cell, str) and cell.startswith(FORMULA_STARTS) for cell in column),
            dtype=bool,
            count=len(column),
        )
        if risky.any():
            frame[name] = column.astype("object").where(~risky, "'" + column.astype("string").astype("object"))
    return frame
