"""Tables on the results pages: human column names, full width, and a reason when empty."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from results.rendering.formatting import column_formats
from results.rendering.labels import column_label, with_value_labels


def show_table(
    frame: pd.DataFrame, *, empty: str, column_config: dict[str, Any] | None = None, key: str | None = None
) -> None:
    """Draw ``frame`` with labelled columns and values, readable numbers, over the page's full width.

    Code values (effect names, sources, scales, features) are shown as words, numbers to two decimals
    (p-values in APA style, counts whole), missing cells as a dash; sorting still uses the numbers.
    Says why the table is empty instead of drawing an empty one.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table with programmatic column names (``mean_ai``, ``ci_low``).
    empty : str
        Shown instead of an empty table: why there is nothing (e.g. the minimum number of ratings).
    column_config : dict, optional
        Streamlit column configurations by programmatic name; columns without one get their label
        from :data:`results.rendering.labels.COLUMN_LABELS`.
    """
    if frame.empty:
        st.info(empty)
        return
    given = column_config or {}
    labels = {}
    for name in frame.columns:
        chosen = given.get(name)
        label = chosen.get("label") if isinstance(chosen, dict) else None  # a st.column_config.* is a dict
        labels[name] = chosen if isinstance(chosen, str) else label or column_label(str(name))
    # Rename the data itself, so the labels travel with it (sorting, download as CSV, tests).
    config = {labels[name]: value for name, value in given.items() if name in labels and not isinstance(value, str)}
    shown = with_value_labels(frame)
    formats = column_formats(shown)
    # Streamlit draws a missing cell as "None" whatever the Styler says: such columns become their text.
    for name in [name for name in shown.columns if shown[name].isna().any()]:
        shown[name] = shown[name].map(formats.pop(name)).astype(str)
    styled = shown.rename(columns=labels).style.format({labels[name]: function for name, function in formats.items()})
    st.dataframe(styled, hide_index=True, column_config=config, width="stretch", key=key)
