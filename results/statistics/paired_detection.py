"""Paired (2AFC) detection: proportion correct and d' = sqrt(2) z(pc), per participant and over participants and pairs.

In a paired trial the listener hears a human and an AI clip and says which one was AI. The
trial table holds it as two rows (one per clip) with the one choice on both
(:data:`results.data.codebook_columns.PAIR_COLUMNS`); here each pair counts once (its position-1 row).

Per participant: proportion correct and d' = sqrt(2) z(pc) with the log-linear correction
(:func:`experiment.paired.dprime_2afc_from_counts`; Macmillan & Creelman 2005, ch. 7).

Headline: a probit GLMM on "chose the AI clip" with an intercept, a centred order term (AI clip
first or second: a bias towards naming one position) and crossed random intercepts for
participants and for the stimulus pairs (the two clips heard together, which in a
matched design is the ``pair_id``): P(correct) = Phi(mu) for a typical participant and pair, so
d' = sqrt(2) mu. Its likelihood-ratio test against 0 (chance, pc = 0.5) and profile-likelihood
interval come from :func:`results.mixed.inference.profile_term`, referred to F(1, pairs - 1) as the
single-clip model is referred to F(1, clips - 2). Comparable with the single-clip d' of
:func:`results.statistics.models.detection_mixed_model`, which is on the same (yes/no) d' scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiment.paired import dprime_2afc_from_counts
from results.mixed.inference import fit_with_fallback, profile_term
from results.mixed.terms import ModelFitError, RandomFactor
from results.statistics.detection import main_trials
from results.statistics.models import detection_mixed_model

SQRT2 = math.sqrt(2.0)
METHODS = (
    "Paired (2AFC) detection: each pair of one human and one AI clip counts once. d' = sqrt(2) z(proportion "
    "correct) (Macmillan & Creelman 2005); headline d' from a probit GLMM on the choice (centred order term for "
    "position bias) with crossed random intercepts for participants and stimulus pairs, likelihood-ratio test "
    "against chance and profile-likelihood 95% interval on F(1, pairs - 1), both scaled by sqrt(2)."
)


def pair_choices(df: pd.DataFrame) -> pd.DataFrame:
    """One row per answered pair: ``participant_id``, ``pair_trial``, ``stimulus``, ``ai_first``, ``correct``.

    ``stimulus`` is the pair of clips heard together ("human clip id-AI clip id"); empty frame when
    the table holds no paired trials.
    """
    columns = ["participant_id", "pair_trial", "stimulus", "ai_first", "correct"]
    if "pair_trial" not in df.columns or not df["pair_trial"].notna().any():
        return pd.DataFrame(columns=columns)
    rows = df[df["pair_trial"].notna() & df["pair_correct"].notna()]
    keys = ["participant_id", "pair_trial"]
    human = rows[rows["source"] != "ai"].set_index(keys)["clip_id"].rename("human")
    ai_rows = rows[rows["source"] == "ai"].set_index(keys)
    ai = ai_rows["clip_id"].rename("ai")
    ai_first = ai_rows["pair_position"].eq(1).rename("ai_first")
    first = rows[rows["pair_position"] == 1].set_index(keys)["pair_correct"].rename("correct")
    pairs = pd.concat([human, ai, ai_first, first], axis=1, join="inner").reset_index()
    pairs["stimulus"] = pairs["human"].astype(str) + "-" + pairs["ai"].astype(str)
    pairs["correct"] = pairs["correct"].astype(bool)
    return pairs[columns]


def per_participant_paired(df: pd.DataFrame) -> pd.DataFrame:
    """Per participant: ``n_pairs``, ``n_correct``, ``pc`` (0..1) and ``dprime`` (2AFC, log-linear corrected)."""
    pairs = pair_choices(df)
    if pairs.empty:
        return pd.DataFrame(columns=["participant_id", "n_pairs", "n_correct", "pc", "dprime"])
    grouped = pairs.groupby("participant_id")["correct"].agg(n_pairs="size", n_correct="sum").reset_index()
    grouped["pc"] = grouped["n_correct"] / grouped["n_pairs"]
    grouped["dprime"] = [
        dprime_2afc_from_counts(int(k), int(n)) for k, n in zip(grouped["n_correct"], grouped["n_pairs"], strict=True)
    ]
    return grouped


@dataclass(frozen=True)
class PairedDetection:
    """Headline paired detection (:func:`paired_detection`).

    Attributes
    ----------
    n_participants, n_pairs, n_stimuli : int
        Participants, answered pairs and distinct stimulus pairs.
    pc : float
        Pooled proportion of pairs answered correctly.
    dprime, ci_low, ci_high : float
        GLMM d' (sqrt(2) times the probit intercept) and its 95 % profile interval (nan when not fitted).
    p_value : float
        Likelihood-ratio test of d' = 0 (nan when not fitted).
    fit_status : str
        The random-effects structure fitted and how, or why no model could be fitted.
    methods : str
    """

    n_participants: int
    n_pairs: int
    n_stimuli: int
    pc: float
    dprime: float
    ci_low: float
    ci_high: float
    p_value: float
    fit_status: str
    methods: str = METHODS


def paired_detection(df: pd.DataFrame) -> PairedDetection | None:
    """d' of the paired trials with an interval over participants and stimulus pairs; None without paired data."""
    pairs = pair_choices(df)
    if pairs.empty:
        return None
    y = pairs["correct"].to_numpy(dtype=float)
    ones = np.ones((len(pairs), 1))
    # The order term (+-0.5, AI first or second) absorbs a bias towards naming the first (or the
    # second) clip; centred, it leaves the intercept the order-averaged sensitivity.
    order = pairs["ai_first"].to_numpy(dtype=float)[:, None] - 0.5
    X, names = np.column_stack([ones, order]), ["(Intercept)", "ai_first"]
    participants = pd.factorize(pairs["participant_id"])[0]
    stimuli = pd.factorize(pairs["stimulus"])[0]
    by_participant = RandomFactor("participant", participants, ones, ("(Intercept)",))
    by_stimulus = RandomFactor("pair", stimuli, ones, ("(Intercept)",))
    structures = [
        ("(1 | participant) + (1 | pair)", [by_participant, by_stimulus]),
        ("(1 | participant)", [by_participant]),
    ]
    n_stimuli = int(pairs["stimulus"].nunique())
    counts = (int(pairs["participant_id"].nunique()), len(pairs), n_stimuli, float(y.mean()))
    try:
        structure = fit_with_fallback(y, X, names, structures)
        term = profile_term(y, X, names, structure, "(Intercept)", df=max(n_stimuli - 1, 1))
    except ModelFitError as error:
        nan = math.nan
        return PairedDetection(*counts, dprime=nan, ci_low=nan, ci_high=nan, p_value=nan, fit_status=str(error))
    return PairedDetection(
        *counts,
        dprime=SQRT2 * term.estimate,
        ci_low=SQRT2 * term.ci_low,
        ci_high=SQRT2 * term.ci_high,
        p_value=term.p_value,
        fit_status=f"{structure.label}: {structure.status}",
    )


SIDE_BY_SIDE_COLUMNS = (
    "design",
    "participants",
    "answers",
    "proportion_correct",
    "dprime",
    "ci_low",
    "ci_high",
    "p_value",
)


def has_paired_data(df: pd.DataFrame) -> bool:
    """Whether the table holds answered paired trials."""
    return "pair_choice" in df.columns and bool(df["pair_choice"].notna().any())


def detection_side_by_side(df: pd.DataFrame) -> pd.DataFrame:
    """Single-clip and paired detection in one table (columns :data:`SIDE_BY_SIDE_COLUMNS`, d' on one scale).

    Single clips: the probit GLMM d' of :func:`results.statistics.models.detection_mixed_model` (yes/no
    answers of blind participants; ``answers`` = rated clips). Paired: :func:`paired_detection`
    (``answers`` = pairs). A design without data, or whose model cannot be fitted, shows nan.
    """
    rows = []
    single = main_trials(df) if "guessed_ai" in df.columns else df.iloc[0:0]
    if len(single):
        pc = float((single["guessed_ai"] == single["is_ai"]).mean())
        base = {
            "design": "single clips (yes/no)",
            "participants": single["participant_id"].nunique(),
            "answers": len(single),
            "proportion_correct": pc,
        }
        try:
            d = detection_mixed_model(df).d_prime
            rows.append({**base, "dprime": d.estimate, "ci_low": d.ci_low, "ci_high": d.ci_high, "p_value": d.p_value})
        except ModelFitError:
            rows.append({**base, "dprime": math.nan, "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan})
    paired = paired_detection(df)
    if paired is not None:
        rows.append(
            {
                "design": "paired (2AFC)",
                "participants": paired.n_participants,
                "answers": paired.n_pairs,
                "proportion_correct": paired.pc,
                "dprime": paired.dprime,
                "ci_low": paired.ci_low,
                "ci_high": paired.ci_high,
                "p_value": paired.p_value,
            }
        )
    return pd.DataFrame(rows, columns=list(SIDE_BY_SIDE_COLUMNS))
