"""One analysis of a study: a consistent data set under an :class:`AnalysisPlan`, every statistic computed once.

The Overview and the other results pages, the HTML report, ``human-touch stats``, the exports and the
preregistration's deviations all read one :class:`Analysis`: a number has one definition, and a model is
fitted once however many views show it (the pages keep one Analysis per filter choice in Streamlit's
resource cache, so the Export page's report reuses the Overview's fits). A model that cannot be fitted is
a :class:`Failure` with its reason, a value like any other, never an exception a view must catch.

What each number generalises over is part of its definition here: the headline (``headline``:
d', c, accuracy, AUC), the decision and the ROC's AUC interval generalise over participants *and* clips;
the pooled and per-participant statistics (``summary``, ``per_participant``) and the paired tests of
``emotion_tests`` treat the clips as fixed (:data:`results.statistics.headline.FIXED_CLIPS_LABEL`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd

from core.vocabulary import SCALES
from results.data.dataset import Dataset, Filters
from results.mixed.bootstrap import BootstrapLRTest
from results.mixed.terms import ModelFitError
from results.statistics import detection, emotion, emotion_ordinal, lens, models, reasons
from results.statistics.breakdown import breakdown
from results.statistics.breakdown_model import BreakdownFamily, BreakdownModel, breakdown_model, holm_over_breakdowns
from results.statistics.designs import (
    DesignEffects,
    guess_question_effects,
    has_guess_question_data,
    has_label_data,
    label_effects,
)
from results.statistics.equivalence import DEFAULT_D_PRIME_MARGIN, Decision, detection_decision
from results.statistics.headline import HeadlineDetection, bootstrap_detection_test, headline_detection
from results.statistics.moderators import ModeratorModel, moderator_model
from results.statistics.paired_detection import detection_side_by_side, has_paired_data
from results.statistics.pairing_effect import PairingEffect, pairing_effect
from results.statistics.roc import ROC, roc_from_confidence
from results.statistics.roles import TestRole, designs_in_data, roles_for
from results.statistics.zroc import ZROC, zroc_fit

T = TypeVar("T")

BREAKDOWN_ATTRIBUTES: dict[str, str] = {
    "training_years": "Years of musical training",
    "practice_years": "Years of daily practice",
    "training_self_rating": "Self-rated musicianship (1-7)",
    "ai_exposure": "AI music heard before",
    "ai_attitude": "Attitude to AI music (1-7)",
    "age_band": "Age band",
    "language": "Language taken in",
    "genre": "Genre",
    "vocals": "Vocals",
    "ai_system": "AI system (AI clips only)",
}
"""Every attribute detection can be broken down by (a participant's or a clip's), with its name for people."""

REPORTED_BREAKDOWNS: tuple[str, ...] = ("training_years", "ai_exposure", "genre", "vocals", "ai_system")
"""The breakdowns of the default plan: those the report and ``human-touch stats`` show."""


@dataclass(frozen=True)
class Failure:
    """A statistic or model that could not be computed, and why (a sentence for the researcher)."""

    reason: str


def attempt(compute: Callable[..., T], *args: Any) -> T | Failure:
    """``compute(*args)``, or a :class:`Failure` with the reason when the model cannot be fitted."""
    try:
        return compute(*args)
    except ModelFitError as error:
        return Failure(str(error))


@dataclass(frozen=True)
class AnalysisPlan:
    """What an analysis includes beyond the headline.

    Attributes
    ----------
    breakdowns : tuple of str
        Attributes (keys of :data:`BREAKDOWN_ATTRIBUTES`) detection is broken down by in the report and
        the stats JSON; a page may ask for any other attribute too (:meth:`Analysis.breakdown_model`).
    emotion_models : bool
        Fit the emotion analysis per rating scale for the report and the stats JSON: the ordinal mixed model
        and the linear one as its sensitivity check (seconds each).
    top_k : int
        Clips per list of most human-sounding AI and most AI-sounding human clips.
    d_prime_margin : float
        The preregistered equivalence margin of d' around 0 for the decision; its accuracy and AUC
        equivalents follow at the study's SDs (:func:`results.statistics.equivalence.margins_at`).
    bootstrap_samples : int
        When > 0, the report and the stats JSON add the parametric-bootstrap test of d' = 0 with this many
        samples (:meth:`Analysis.d_prime_bootstrap`; two refits a sample, minutes).
    """

    breakdowns: tuple[str, ...] = REPORTED_BREAKDOWNS
    emotion_models: bool = False
    top_k: int = 5
    d_prime_margin: float = DEFAULT_D_PRIME_MARGIN
    bootstrap_samples: int = 0


class Analysis:
    """Every statistic of one data set under one plan, each computed on first use and then kept.

    Safe to share between threads (Streamlit sessions): a statistic being computed is computed once,
    and the others wait for it.

    Parameters
    ----------
    dataset : Dataset
        One consistent snapshot of the study under its filters (:func:`results.data.dataset.load_dataset`).
    plan : AnalysisPlan, optional
    """

    def __init__(self, dataset: Dataset, plan: AnalysisPlan | None = None):
        self.dataset = dataset
        self.plan = plan or AnalysisPlan()
        self._values: dict[tuple, Any] = {}
        self._lock = threading.RLock()

    @classmethod
    def of_trials(cls, trials: pd.DataFrame, plan: AnalysisPlan | None = None) -> Analysis:
        """An analysis of a trial table alone (a simulated study, a test): no flow, versions or clip table."""
        dataset = Dataset(
            trials=trials.reset_index(drop=True),
            participants=pd.DataFrame(),
            clips=pd.DataFrame(),
            counts={},
            filters=Filters(completed_only=False),
        )
        return cls(dataset, plan)

    def _once(self, key: tuple, compute: Callable[[], T]) -> T:
        """The value stored under ``key``, computed by ``compute`` the first time it is asked for."""
        if key in self._values:  # computed: no waiting behind another session's slow fit
            return self._values[key]
        with self._lock:
            if key not in self._values:
                self._values[key] = compute()
            return self._values[key]

    def computed(self, name: str) -> bool:
        """Whether the statistic ``name`` (e.g. "headline") has been computed already."""
        return any(key[0] == name for key in self._values)

    # The data and its counts ------------------------------------------------------------------

    @property
    def trials(self) -> pd.DataFrame:
        """The filtered tidy trial table (every answered trial, all kinds)."""
        return self.dataset.trials

    @property
    def main_trials(self) -> pd.DataFrame:
        """The main trials with a source judgement: the rows every detection statistic rests on."""
        return self._once(("main_trials",), lambda: detection.main_trials(self.trials))

    @property
    def n_participants(self) -> int:
        """Participants with at least one main trial with a source judgement."""
        return int(self.main_trials["participant_id"].nunique())

    @property
    def n_trials(self) -> int:
        """Main trials with a source judgement."""
        return len(self.main_trials)

    @property
    def n_clips(self) -> int:
        """Clips heard in those trials."""
        return int(self.main_trials["clip_id"].nunique())

    @property
    def rests_on(self) -> str:
        """The n behind the detection statistics, in words ("60 participants, 20 clips, 720 main trials")."""
        return f"{self.n_participants} participants, {self.n_clips} clips, {self.n_trials} main trials"

    @property
    def scales(self) -> list[str]:
        """The rating scales with at least one rating under the filters."""
        return [s for s in SCALES if s in self.trials.columns and self.trials[s].notna().any()]

    @property
    def test_roles(self) -> list[TestRole]:
        """The tests of the designs in the data, each with its preregistered role (confirmatory or exploratory)."""
        return self._once(("test_roles",), lambda: roles_for(designs_in_data(self.trials)))

    # Detection ------------------------------------------------------------------------------------

    @property
    def headline(self) -> HeadlineDetection:
        """d', c (GLMM), accuracy and AUC (two-way clustered), generalising over participants and clips."""
        return self._once(("headline",), lambda: headline_detection(self.trials))

    @property
    def detection_model(self) -> models.DetectionModel | Failure:
        """The headline GLMM, or why it could not be fitted."""
        top = self.headline
        return top.model if top.model is not None else Failure(top.model_error)

    def decision(self, d_prime_margin: float | None = None) -> Decision:
        """Detection, reversed detection, equivalence or inconclusive under a d' margin (default: the plan's)."""
        margin = self.plan.d_prime_margin if d_prime_margin is None else d_prime_margin
        return self._once(("decision", margin), lambda: detection_decision(self.headline, margin))

    def d_prime_bootstrap(self, n_samples: int) -> BootstrapLRTest | Failure:
        """The parametric-bootstrap LR test of d' = 0 with ``n_samples`` samples (seed 0), or why not.

        The small-sample test of the headline question, beside the chi-square LR test it carries; opt-in
        because each sample refits the GLMM twice.
        """
        return self._once(
            ("d_prime_bootstrap", n_samples), lambda: attempt(bootstrap_detection_test, self.trials, n_samples)
        )

    @property
    def summary(self) -> detection.DetectionSummary:
        """Pooled hit and false-alarm rates, accuracy and mean per-participant d' and c (clips fixed)."""
        return self._once(("summary",), lambda: detection.detection_summary(self.trials))

    @property
    def per_participant(self) -> pd.DataFrame:
        """Each participant's hit and false-alarm rates, d' and c (log-linear correction)."""
        return self._once(("per_participant",), lambda: detection.per_participant_sdt(self.trials))

    @property
    def roc(self) -> ROC:
        """The empirical confidence ROC and its AUC with the two-way interval (participants and clips)."""
        return self._once(("roc",), lambda: roc_from_confidence(self.trials))

    @property
    def zroc(self) -> ZROC | None:
        """The zROC slope (equal-variance check) and d_a over participants and clips; None without a ROC to fit."""
        return self._once(("zroc",), lambda: zroc_fit(self.trials))

    def breakdown(self, by: str) -> pd.DataFrame:
        """Pooled detection per level of ``by`` (clips fixed)."""
        return self._once(("breakdown", by), lambda: breakdown(self.trials, by))

    def breakdown_model(self, by: str) -> BreakdownModel | Failure:
        """d' per level of ``by`` from the GLMM with the test of equal d', or why not."""
        return self._once(("breakdown_model", by), lambda: attempt(breakdown_model, self.trials, by))

    def breakdown_family(self, shown: str | None = None) -> BreakdownFamily:
        """Holm over the tests of equal d' of the plan's breakdowns (those the report shows), and of ``shown``
        too when a page shows an attribute outside the plan (it is then one more test picked out)."""
        attributes = [by for by in self.plan.breakdowns if by in self.trials.columns]
        if shown is not None and shown not in attributes:
            attributes.append(shown)
        models = {by: self.breakdown_model(by) for by in attributes}
        fitted = {by: m for by, m in models.items() if isinstance(m, BreakdownModel)}
        return self._once(
            ("breakdown_family", tuple(attributes)),
            lambda: holm_over_breakdowns(
                fitted, tuple(by for by in models if by not in fitted), labels=BREAKDOWN_ATTRIBUTES
            ),
        )

    @property
    def moderators(self) -> ModeratorModel | Failure:
        """Musical training, AI exposure and attitude as moderators of d' and c in the GLMM, or why not."""
        return self._once(("moderators",), lambda: attempt(moderator_model, self.trials))

    # Designs --------------------------------------------------------------------------------------

    @property
    def label_effects(self) -> DesignEffects | Failure | None:
        """The causal effect of the AI label (labelled condition), or why not; None without labelled answers."""
        if not has_label_data(self.trials):
            return None
        return self._once(("label_effects",), lambda: attempt(label_effects, self.trials))

    @property
    def guess_question_effects(self) -> DesignEffects | Failure | None:
        """The effect of being asked to guess (rate-only condition), or why not; None without such answers."""
        if not has_guess_question_data(self.trials):
            return None
        return self._once(("guess_question_effects",), lambda: attempt(guess_question_effects, self.trials))

    @property
    def paired_side_by_side(self) -> pd.DataFrame | None:
        """Single-clip and paired (2AFC) detection side by side; None without paired answers."""
        if not has_paired_data(self.trials):
            return None
        return self._once(("paired_side_by_side",), lambda: detection_side_by_side(self.trials))

    @property
    def pairing_effect(self) -> PairingEffect | Failure | None:
        """Paired detection per pairing type (similar, random) and the difference, over participants and clips.

        None unless the answered pairs hold both types (a pairing design within or between participants).
        """
        return self._once(("pairing_effect",), lambda: attempt(pairing_effect, self.trials))

    # Emotion, clips and features ------------------------------------------------------------------

    @property
    def emotion_by_source(self) -> pd.DataFrame:
        """Cell means of every scale by true and by guessed source."""
        return self._once(("emotion_by_source",), lambda: emotion.emotion_by_source(self.trials, self.scales))

    @property
    def emotion_tests(self) -> pd.DataFrame:
        """Paired tests of the true-source effect and the guessed-source association per scale (clips fixed)."""
        return self._once(("emotion_tests",), lambda: emotion.emotion_tests(self.trials, self.scales))

    def emotion_model(self, scale: str) -> models.EmotionModel | Failure:
        """The linear mixed model of one scale's true-source effect (the sensitivity check), or why not."""
        return self._once(("emotion_model", scale), lambda: attempt(models.emotion_mixed_model, self.trials, scale))

    def emotion_ordinal_model(self, scale: str) -> emotion_ordinal.OrdinalEmotionModel | Failure:
        """The ordinal (cumulative link) mixed model of one scale's true-source effect, the reported one, or why not."""
        return self._once(
            ("emotion_ordinal_model", scale), lambda: attempt(emotion_ordinal.emotion_ordinal_model, self.trials, scale)
        )

    @property
    def emotion_analysis(self) -> pd.DataFrame:
        """Per scale: the ordinal model's true-source effect (one p-value, Holm across scales) and the linear
        model's beside it as the sensitivity check; fits both models of every scale (about 2 s a scale)."""
        return self._once(
            ("emotion_analysis",),
            lambda: emotion_ordinal.emotion_analysis_table(
                {scale: self.emotion_ordinal_model(scale) for scale in self.scales},
                {scale: self.emotion_model(scale) for scale in self.scales},
            ),
        )

    @property
    def feature_associations(self) -> pd.DataFrame:
        """Each feature's correlation with the true source and with the proportion judged AI."""
        return self._once(("feature_associations",), lambda: lens.feature_associations(self.trials))

    @property
    def coded_reasons(self) -> pd.DataFrame:
        """The reasons given, one row per reason x cue of the cue list in force (:mod:`results.statistics.reasons`)."""
        return self._once(("coded_reasons",), lambda: reasons.coded_reasons(self.dataset))

    @property
    def reason_cues(self) -> pd.DataFrame:
        """Per cue: mentions and the share of correct guesses with and without it (interval over participants)."""
        return self._once(("reason_cues",), lambda: reasons.cue_summary(self.coded_reasons))

    @property
    def lens_summary(self) -> lens.LensSummary:
        """The lens model of the library: achievement and how it decomposes."""
        return self._once(("lens_summary",), lambda: lens.lens_summary(self.trials))

    @property
    def clip_summary(self) -> pd.DataFrame:
        """Per clip: ratings, proportion judged AI (raw and shrunken with its interval), mean confidence."""
        return self._once(("clip_summary",), lambda: lens.clip_summary(self.trials))

    @property
    def most_human_sounding_ai(self) -> pd.DataFrame:
        """The plan's ``top_k`` AI clips judged AI least often."""
        return self._once(
            ("most_human_sounding_ai",), lambda: lens.most_human_sounding_ai(self.trials, self.plan.top_k)
        )

    @property
    def most_ai_sounding_human(self) -> pd.DataFrame:
        """The plan's ``top_k`` human clips judged AI most often."""
        return self._once(
            ("most_ai_sounding_human",), lambda: lens.most_ai_sounding_human(self.trials, self.plan.top_k)
        )
