"""Sidebar filters shared by every results page, and the short-lived cache of the data they select.

The study may be running while a researcher looks, so database reads are cached for
:data:`CACHE_TTL_S` seconds only (keyed on the filters and the database), and a "Refresh data"
button drops the cache at once.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core.config import database_url
from core.db import get_engine
from results.dataset import Dataset, Filters, exclusion_lines, load_dataset
from results.table import load_study_versions

CACHE_TTL_S = 30
EXCLUSION_MODES: dict[str, str] = {
    "preregistered": "Preregistered rules (default)",
    "custom": "Custom (not preregistered)",
    "none": "None: unfiltered data",
}


@st.cache_data(ttl=CACHE_TTL_S, show_spinner="Reading the answers ...")
def cached_dataset(filters: Filters, url: str) -> Dataset:
    """:func:`results.dataset.load_dataset` for the database at ``url``, cached for :data:`CACHE_TTL_S` seconds."""
    return load_dataset(filters, get_engine(url))


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_study_versions(url: str) -> pd.DataFrame:
    """The saved study versions, cached like the data."""
    return load_study_versions(get_engine(url))


def _exclusion_widgets() -> tuple[str, dict[str, bool]]:
    """The exclusion choice (preregistered, custom or none) and, for custom, the five exclusion flags."""
    mode = st.radio(
        "Exclusions",
        EXCLUSION_MODES,
        format_func=EXCLUSION_MODES.__getitem__,
        key="rf_exclusion_mode",
        help="By default each participant is judged by the exclusion rules saved with their study version "
        "before the data came in. Other choices are labelled as not preregistered.",
    )
    custom = mode == "custom"
    completed_only = custom and st.checkbox(
        "Completed participants only",
        value=True,
        key="rf_completed_only",
        help="Leave out people who stopped before the debrief.",
    )
    exclude_screening = custom and st.checkbox("Exclude failed headphone screening", key="rf_exclude_screening")
    exclude_attention = custom and st.checkbox("Exclude failed attention check", key="rf_exclude_attention")
    exclude_fast = custom and st.checkbox("Exclude too-fast answerers", key="rf_exclude_fast")
    exclude_inconsistent = custom and st.checkbox(
        "Exclude inconsistent on the repeated clip", key="rf_exclude_inconsistent"
    )
    return mode, {
        "completed_only": completed_only,
        "exclude_failed_screening": exclude_screening,
        "exclude_attention_failed": exclude_attention,
        "exclude_too_fast": exclude_fast,
        "exclude_inconsistent": exclude_inconsistent,
    }


def sidebar_filters() -> Filters:
    """Draw the filter widgets in the sidebar and return the chosen :class:`Filters`.

    Widget keys are shared across pages, so the choice follows the researcher from page to page.
    """
    url = database_url()
    with st.sidebar:
        st.header("Filters")
        mode, exclusions = _exclusion_widgets()
        use_dates = st.checkbox("Limit to participants who started in a date range (UTC)", key="rf_use_dates")
        date_from = date_to = None
        if use_dates:
            today = date.today()
            chosen = st.date_input("Started between", value=(today.replace(day=1), today), key="rf_dates")
            if isinstance(chosen, (tuple, list)) and len(chosen) == 2:
                date_from, date_to = chosen
            elif isinstance(chosen, (tuple, list)) and len(chosen) == 1:
                date_from = chosen[0]
        versions = cached_study_versions(url)
        study_versions = None
        if len(versions) > 1:
            labels = {
                int(row.study_version_id): f"v{row.study_version_id} · {row.created_at:%Y-%m-%d}"
                + (f" · {row.note}" if row.note else "")
                for row in versions.itertuples()
            }
            chosen_versions = st.multiselect(
                "Study versions (empty = all with the newest version's scales)",
                options=list(labels),
                format_func=labels.__getitem__,
                key="rf_versions",
            )
            study_versions = tuple(chosen_versions) or None
        if st.button("Refresh data", key="rf_refresh", help=f"Data is re-read at most every {CACHE_TTL_S} s."):
            cached_dataset.clear()
            cached_study_versions.clear()
    return Filters(
        preregistered=mode == "preregistered",
        **exclusions,
        date_from=date_from,
        date_to=date_to,
        study_versions=study_versions,
    )


def filtered_dataset() -> Dataset:
    """Sidebar filters plus the data they select (cached for :data:`CACHE_TTL_S` seconds)."""
    filters = sidebar_filters()
    return cached_dataset(filters, database_url())


def show_data_caption(dataset: Dataset) -> None:
    """A caption with the filters, what they removed and when the data was read."""
    st.caption(
        f"Filters: {dataset.filters.describe()}. {dataset.version_note} {' '.join(exclusion_lines(dataset.counts))} "
        f"Data read {dataset.loaded_at:%H:%M:%S} UTC."
    )


def stop_if_empty(dataset: Dataset) -> None:
    """Explain and stop the page when the filters leave no main trials."""
    if dataset.n_main_trials == 0:
        st.info(
            "No answered main trials under these filters yet. Loosen the filters in the sidebar "
            "or come back once participants have taken part."
        )
        st.stop()


def page_dataset() -> Dataset:
    """The sidebar's filtered dataset with its caption; stops the page when it holds no main trial."""
    dataset = filtered_dataset()
    show_data_caption(dataset)
    stop_if_empty(dataset)
    return dataset
