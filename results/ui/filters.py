"""Sidebar filters shared by every results page, and the short-lived cache of the analysis they select.

The study may be running while a researcher looks, so the data and its :class:`~results.analysis.Analysis`
are kept for :data:`CACHE_TTL_S` seconds only (``HUMAN_TOUCH_RESULTS_CACHE_S``, default 30; keyed on the
filters and the database), and a "Refresh data"
button drops them at once. Every results page (and the Export page's report) reads the same cached
Analysis, so a model fitted for one page is not fitted again for another.

The filter choice follows the researcher from page to page: Streamlit forgets a widget's value when the
page that drew it is left, so each choice is also kept under a key of its own (:func:`_remember`) and
given back to the widget on the next page.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core.config import database_url, results_cache_seconds
from core.db import get_engine
from results.analysis import Analysis
from results.data.dataset import Dataset, Filters, exclusion_lines, load_dataset
from results.data.table import load_study_versions

CACHE_TTL_S = results_cache_seconds()
EXCLUSION_MODES: dict[str, str] = {
    "preregistered": "Preregistered rules (default)",
    "custom": "Custom (not preregistered)",
    "none": "None: unfiltered data",
}


FILTER_KEYS = (
    "rf_exclusion_mode",
    "rf_completed_only",
    "rf_exclude_screening",
    "rf_exclude_attention",
    "rf_exclude_fast",
    "rf_exclude_inconsistent",
    "rf_use_dates",
    "rf_dates",
    "rf_versions",
    "rf_include_simulated",
)
"""Widget keys of the sidebar filters, kept across results pages."""
_KEPT = "_kept_"


@st.cache_resource(ttl=CACHE_TTL_S, show_spinner="Reading the answers ...", max_entries=16)
def cached_analysis(filters: Filters, url: str) -> Analysis:
    """The :class:`~results.analysis.Analysis` of the data ``filters`` select in the database at ``url``.

    A resource, not a copy: every page and session with the same filters shares one Analysis (and so its
    fitted models) for :data:`CACHE_TTL_S` seconds.
    """
    return Analysis(load_dataset(filters, get_engine(url)))


def _restore_filters() -> None:
    """Give each filter widget the value kept from the last change (on this page or another), or its default.

    Defaults are set here, not as the widgets' ``value``: a widget given both warns on the page.
    """
    for key in FILTER_KEYS:
        if _KEPT + key in st.session_state:
            st.session_state[key] = st.session_state[_KEPT + key]
    st.session_state.setdefault("rf_completed_only", True)


def _keep(key: str) -> None:
    """A filter widget's ``on_change``: keep its new value under a key no widget owns (it survives a page change)."""
    st.session_state[_KEPT + key] = st.session_state[key]


def _kept(key: str) -> dict:
    """The ``key``, ``on_change`` and ``args`` of a filter widget whose choice follows the researcher."""
    return {"key": key, "on_change": _keep, "args": (key,)}


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_study_versions(url: str, study_id: int) -> pd.DataFrame:
    """The study's saved versions, cached like the data."""
    return load_study_versions(get_engine(url), study_id)


def _exclusion_widgets() -> tuple[str, dict[str, bool]]:
    """The exclusion choice (preregistered, custom or none) and, for custom, the five exclusion flags."""
    mode = st.radio(
        "Exclusions",
        EXCLUSION_MODES,
        format_func=EXCLUSION_MODES.__getitem__,
        **_kept("rf_exclusion_mode"),
        help="By default each participant is judged by the exclusion rules saved with their study version "
        "before the data came in. Other choices are labelled as not preregistered.",
    )
    custom = mode == "custom"
    completed_only = custom and st.checkbox(
        "Completed participants only",
        **_kept("rf_completed_only"),
        help="Leave out people who stopped before the debrief.",
    )
    exclude_screening = custom and st.checkbox("Exclude failed headphone screening", **_kept("rf_exclude_screening"))
    exclude_attention = custom and st.checkbox("Exclude failed attention check", **_kept("rf_exclude_attention"))
    exclude_fast = custom and st.checkbox("Exclude too-fast answerers", **_kept("rf_exclude_fast"))
    exclude_inconsistent = custom and st.checkbox(
        "Exclude inconsistent on the repeated clip", **_kept("rf_exclude_inconsistent")
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
    study_id = results_study()
    _restore_filters()
    with st.sidebar:
        st.header("Filters")
        mode, exclusions = _exclusion_widgets()
        use_dates = st.checkbox("Limit to participants who started in a date range (UTC)", **_kept("rf_use_dates"))
        date_from = date_to = None
        if use_dates:
            today = date.today()
            st.session_state.setdefault("rf_dates", (today.replace(day=1), today))
            chosen = st.date_input("Started between", **_kept("rf_dates"))
            if isinstance(chosen, (tuple, list)) and len(chosen) == 2:
                date_from, date_to = chosen
            elif isinstance(chosen, (tuple, list)) and len(chosen) == 1:
                date_from = chosen[0]
        versions = cached_study_versions(url, study_id)
        study_versions = None
        if len(versions) > 1:
            labels = {
                int(row.study_version_id): f"v{row.study_version_id} · {row.created_at:%Y-%m-%d}"
                + (f" · {row.note}" if row.note else "")
                for row in versions.itertuples()
            }
            # Versions kept from another study's pages are not this study's: drop them before drawing.
            st.session_state["rf_versions"] = [v for v in st.session_state.get("rf_versions", []) if v in labels]
            chosen_versions = st.multiselect(
                "Study versions (empty = all with the newest version's scales)",
                options=list(labels),
                format_func=labels.__getitem__,
                **_kept("rf_versions"),
            )
            study_versions = tuple(chosen_versions) or None
        include_simulated = st.checkbox(
            "Include simulated participants",
            **_kept("rf_include_simulated"),
            help="Simulated demo participants (human-touch demo participants) are never real data; tick to see "
            "the results pages filled on the demo study. Captions and exports then say so.",
        )
        if st.button("Refresh data", key="rf_refresh", help=f"Data is re-read at most every {CACHE_TTL_S} s."):
            cached_analysis.clear()
            cached_study_versions.clear()
    return Filters(
        preregistered=mode == "preregistered",
        **exclusions,
        date_from=date_from,
        date_to=date_to,
        study_versions=study_versions,
        include_simulated=include_simulated,
        study_id=study_id,
    )


def results_study() -> int:
    """The study whose results the page shows, once the staff member's role there allows reading them."""
    from core import ui
    from core.access import Permission
    from experiment.ui.study_context import require_study

    study = require_study()
    ui.require(Permission.VIEW_RESULTS, study.id)
    return study.id


def filtered_analysis() -> Analysis:
    """Sidebar filters plus the analysis of the data they select (cached for :data:`CACHE_TTL_S` seconds)."""
    return cached_analysis(sidebar_filters(), database_url())


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


def page_analysis() -> Analysis:
    """The sidebar's filtered analysis with its data caption; stops the page when it holds no main trial."""
    analysis = filtered_analysis()
    show_data_caption(analysis.dataset)
    stop_if_empty(analysis.dataset)
    return analysis
