"""The library balance report: could a listener tell human from AI clips without musical judgement?

Before a study starts, human and AI clips should differ only in who made them.

Modules
-------
report        :class:`BalanceReport`, :func:`balance_report` (pure: a frame in, a report out),
              :func:`build_report` (the live library through :mod:`audio.library`) and
              :func:`clips_baseline` (the machine baseline on given clips, for the results).
effect_sizes  feature by feature: Hedges' g with its interval, and the plain words for a difference.
checks        library-level checks: counts, formats, originals, served sizes, ranges, loudness, mix, pairs.
baseline      the machine baseline: cross-validated logistic regression AUC on the stored features.
charts        Altair charts of the report (no Streamlit).
"""

from audio.balance.baseline import MachineBaseline
from audio.balance.effect_sizes import (
    FEATURE_PREFIX,
    NOT_HEARD_FEATURES,
    describe_difference,
    feature_name,
    hedges_g,
    numeric_feature_columns,
)
from audio.balance.report import BalanceReport, balance_report, build_report, clips_baseline

__all__ = [
    "FEATURE_PREFIX",
    "NOT_HEARD_FEATURES",
    "BalanceReport",
    "MachineBaseline",
    "balance_report",
    "build_report",
    "clips_baseline",
    "describe_difference",
    "feature_name",
    "hedges_g",
    "numeric_feature_columns",
]
