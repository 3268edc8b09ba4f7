"""A machine beside the listeners: could a simple classifier on the audio features tell the clips apart?

The machine is :mod:`audio.balance.baseline` (cross-validated lasso logistic regression on the
stored features, per clip) run on exactly the clips the filtered trials used; the listeners'
AUC is the area under their confidence ROC (:mod:`results.statistics.roc`, per trial), its interval
generalising over participants and clips. A machine far above
the listeners means the clips carry an acoustic cue listeners did not use (or could not hear);
a machine near 0.5 with listeners above it means the listeners heard something the 40-odd
summary features do not hold.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from audio.balance import MachineBaseline, clips_baseline
from audio.balance.baseline import MIN_PER_SOURCE
from core.db import get_engine, session_scope
from core.vocabulary import TrialKind
from results.rendering.formatting import format_number
from results.statistics.roc import ROC


def machine_baseline_for(trials: pd.DataFrame, engine: Engine | None = None) -> MachineBaseline | None:
    """The machine baseline on the clips of the main trials in ``trials`` (None: too few clips)."""
    clip_ids = trials.loc[trials["kind"] == TrialKind.MAIN, "clip_id"].dropna().unique() if len(trials) else []
    with session_scope(engine or get_engine()) as session:
        return clips_baseline(session, [int(i) for i in clip_ids])


def machine_vs_listeners(baseline: MachineBaseline | None, roc: ROC) -> str:
    """One sentence: the machine's AUC and interval beside the listeners'."""
    low, high = (format_number(bound) for bound in roc.auc_ci)
    listeners = f"listeners {format_number(roc.auc)} [{low}, {high}] (over participants and clips)"
    if baseline is None:
        return f"No machine baseline (it needs {MIN_PER_SOURCE} clips per source with stored features); {listeners}."
    return (
        f"A simple classifier on the audio features reaches AUC {format_number(baseline.auc)} "
        f"[{format_number(baseline.auc_low)}, {format_number(baseline.auc_high)}] "
        f"({baseline.n_human} human and {baseline.n_ai} AI clips, cross-validated); {listeners}."
    )
