"""The headline answer to "could listeners tell?", generalising over participants *and* clips.

Clips are a sample of music as participants are a sample of people (Judd, Westfall & Kenny 2012),
so every headline number here allows for both: d' and c from the probit GLMM with crossed random
effects (likelihood-ratio tests, profile intervals; :func:`results.statistics.models.detection_mixed_model`),
accuracy and the confidence-ROC AUC with two-way cluster-robust intervals
(:func:`results.statistics.cluster_variance.two_way_clustered`). The pooled and per-participant statistics of
:mod:`results.statistics.detection` treat the clips as fixed and are shown only labelled so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from results.mixed.terms import ModelFitError
from results.statistics.cluster_variance import ClusteredEstimate, two_way_clustered
from results.statistics.detection import main_trials
from results.statistics.models import DetectionModel, detection_mixed_model

FIXED_CLIPS_LABEL = "treats clips as fixed: generalises to new listeners of these clips, not to new clips"

METHODS = (
    "Headline detection generalises over participants and clips. d' and criterion c: probit GLMM with "
    "crossed random effects (see the model's own method sentence). Accuracy and AUC (Mann-Whitney, confidence "
    "scale): two-way cluster-robust standard errors over participants and clips (Cameron, Gelbach & Miller "
    "2011; CR3 small-sample correction for clips, Bell & McCaffrey 2002; DeLong placement values for the AUC), "
    "95% intervals and tests against 50% on t(clips - 2). Pooled "
    "binomial tests and per-participant t-tests " + FIXED_CLIPS_LABEL + "."
)


@dataclass(frozen=True)
class HeadlineDetection:
    """Headline detection statistics (:func:`headline_detection`).

    Attributes
    ----------
    model : DetectionModel or None
        The GLMM (d', c, fit status); None when it could not be fitted.
    model_error : str
        Why not ("" when fitted).
    accuracy, auc : ClusteredEstimate or None
        None without enough clips (or, for the AUC, without confidence ratings).
    n_participants, n_clips, n_trials : int
    methods : str
    """

    model: DetectionModel | None
    model_error: str
    accuracy: ClusteredEstimate | None
    auc: ClusteredEstimate | None
    n_participants: int
    n_clips: int
    n_trials: int
    methods: str


def headline_detection(df: pd.DataFrame) -> HeadlineDetection:
    """d', c, accuracy and AUC with inference over participants and clips.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.

    Returns
    -------
    HeadlineDetection
    """
    trials = main_trials(df, optional=("confidence",))
    try:
        model, error = detection_mixed_model(df), ""
    except ModelFitError as failure:
        model, error = None, str(failure)
    clustered = two_way_clustered(trials) if len(trials) else {}
    return HeadlineDetection(
        model=model,
        model_error=error,
        accuracy=clustered.get("accuracy"),
        auc=clustered.get("auc"),
        n_participants=int(trials["participant_id"].nunique()),
        n_clips=int(trials["clip_id"].nunique()),
        n_trials=len(trials),
        methods=METHODS,
    )
