"""The machine baseline beside the listeners' AUC on the Overview (:mod:`results.rendering.machine`)."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from core.config import database_url
from results.data.dataset import Dataset, Filters
from results.rendering.machine import machine_baseline_for, machine_vs_listeners
from results.statistics.roc import ROC
from results.ui.filters import CACHE_TTL_S, cached_analysis


@st.cache_data(ttl=CACHE_TTL_S, show_spinner="Cross-validating the machine baseline ...")
def _baseline(filters: Filters, url: str, loaded_at: datetime):
    return machine_baseline_for(cached_analysis(filters, url).trials)


def machine_line(dataset: Dataset, roc: ROC) -> None:
    """One line: the classifier's AUC with its interval, then the listeners'."""
    baseline = _baseline(dataset.filters, database_url(), dataset.loaded_at)
    st.markdown(
        machine_vs_listeners(baseline, roc),
        help=(
            "Machine: lasso logistic regression on the stored audio features, AUC over clips from repeated "
            "cross-validation (audio.balance.baseline). Listeners: area under the confidence ROC over trials, "
            "interval over participants and clips (two-way cluster-robust). A machine well above the listeners "
            "points to an acoustic cue in the clips that listeners did not use."
        ),
    )
