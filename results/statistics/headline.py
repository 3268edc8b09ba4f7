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

from results.mixed.bootstrap import DEFAULT_SAMPLES, BootstrapLRTest
from results.mixed.model import BinomialGLMM
from results.mixed.terms import ModelFitError
from results.statistics.cluster_variance import ClusteredEstimate, two_way_clustered
from results.statistics.detection import main_trials
from results.statistics.models import DetectionModel, detection_design, detection_mixed_model

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
    d_prime_test : BootstrapLRTest or None
        The parametric-bootstrap test of d' = 0 when it was asked for (``bootstrap_samples``).
    """

    model: DetectionModel | None
    model_error: str
    accuracy: ClusteredEstimate | None
    auc: ClusteredEstimate | None
    n_participants: int
    n_clips: int
    n_trials: int
    methods: str
    d_prime_test: BootstrapLRTest | None = None

    @property
    def d_prime_p_value(self) -> tuple[float, str]:
        """THE p-value of "could listeners tell?" (d' = 0) and what it is; every other d' p-value is labelled.

        The parametric bootstrap when it was run, else the likelihood-ratio test on F(1, clips - 2). NaN
        without a model.
        """
        if self.d_prime_test is not None:
            test = self.d_prime_test
            return test.p_value, f"parametric-bootstrap LR test, {test.n_samples} samples, ± {test.mc_se:.3f} MC SE"
        if self.model is None:
            return float("nan"), "no model"
        return self.model.d_prime.p_value, f"LR test on F(1, {self.model.d_prime.df:.0f})"


def headline_detection(df: pd.DataFrame, *, bootstrap_samples: int = 0, seed: int = 0) -> HeadlineDetection:
    """d', c, accuracy and AUC with inference over participants and clips.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.
    bootstrap_samples : int
        When > 0, also the parametric-bootstrap test of d' (:func:`bootstrap_detection_test`; about
        0.15-1 s per sample, so pages leave it at 0 and a researcher asks for it).
    seed : int
        Seed of the bootstrap.

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
    test = bootstrap_detection_test(df, bootstrap_samples, seed=seed) if model and bootstrap_samples > 0 else None
    return HeadlineDetection(
        model=model,
        model_error=error,
        accuracy=clustered.get("accuracy"),
        auc=clustered.get("auc"),
        n_participants=int(trials["participant_id"].nunique()),
        n_clips=int(trials["clip_id"].nunique()),
        n_trials=len(trials),
        methods=METHODS,
        d_prime_test=test,
    )


def bootstrap_detection_test(df: pd.DataFrame, n_samples: int = DEFAULT_SAMPLES, *, seed: int = 0) -> BootstrapLRTest:
    """Parametric-bootstrap likelihood-ratio test of d' = 0 in the headline GLMM: the small-sample test.

    The same model as :func:`results.statistics.models.detection_mixed_model` (same structures and
    fallback), simulated from its fit without d' and refitted ``n_samples`` times
    (:func:`results.mixed.bootstrap.parametric_bootstrap_lr`); the chi-square p-value comes with it.

    Raises
    ------
    ModelFitError
        When the model cannot be fitted.
    """
    y, X, names, structures = detection_design(main_trials(df))
    return BinomialGLMM(y, X, names, structures).fit().bootstrap_test("is_ai", n_samples=n_samples, seed=seed)
