"""What moved listeners: emotion ratings by true source and by perceived source.

Two questions are kept apart. The *true source* effect compares ratings of AI and human clips:
the source was assigned by the design, so this is an effect. The *guessed source* association
compares ratings of clips a listener judged AI with clips the same listener judged human,
whatever their true source. It is an association, not an effect of "the AI label": the guess and
the rating both come from the listening experience (a clip that moved the listener may be judged
human because it moved them), so no causal label effect can be read from it, and adjusting the
true-source effect for the guess would bias it (the guess is a collider). The mixed model
(:func:`results.statistics.models.emotion_mixed_model`) therefore estimates the true-source effect without
the guess.

Participants are the unit of the tests: each participant's ratings are averaged per condition
first, so a participant with many trials does not count as many independent people.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.vocabulary import SCALES, Source
from results.statistics.detection import main_trials
from results.statistics.intervals import cohen_dz, holm, one_sample_t, t_interval

_LABELS = {True: Source.AI.value, False: Source.HUMAN.value}
GUESSED_SOURCE_ASSOCIATION = "guessed_source_association"
"""The ``effect`` name of ratings by guessed source: an association, not a causal label effect (module docstring)."""


def _scales_present(df: pd.DataFrame, scales: Sequence[str]) -> list[str]:
    """The requested scales that the table has and that hold at least one rating."""
    unknown = [s for s in scales if s not in df.columns]
    if unknown:
        raise ValueError(f"the trial table lacks the rating column(s) {unknown}")
    return [s for s in scales if df[s].notna().any()]


def rated_trials(df: pd.DataFrame, scales: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """Scored trials with the rating columns as float, and the scales among ``scales`` that hold a rating."""
    trials = main_trials(df, ("participant_id", "clip_id", "is_ai", "guessed_ai", *scales))
    present = _scales_present(trials, scales)
    for scale in present:
        trials[scale] = trials[scale].astype("float64")
    return trials, present


BY_SOURCE_COLUMNS = ("scale", "source", "perceived", "n_participants", "n_ratings", "mean", "sd", "ci_low", "ci_high")


def emotion_by_source(df: pd.DataFrame, scales: Sequence[str] = SCALES) -> pd.DataFrame:
    """Mean ratings in the 2 x 2 of true source x perceived source, with 95 % intervals.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.
    scales : sequence of str
        Rating columns; scales without any rating are left out.

    Returns
    -------
    pandas.DataFrame
        Up to four rows per scale, columns :data:`BY_SOURCE_COLUMNS`. ``source`` and
        ``perceived`` are "human" or "ai". ``mean`` is the average of participants' own means
        in the cell, ``sd`` their SD and ``ci_low, ci_high`` the Student-t interval over
        participants; ``n_ratings`` counts the ratings behind it.
    """
    trials, present = rated_trials(df, scales)
    frames = []
    for scale in present:
        rated = trials[trials[scale].notna()]
        cell = rated.groupby(["is_ai", "guessed_ai", "participant_id"])[scale].agg(["mean", "size"])
        summary = cell.groupby(level=["is_ai", "guessed_ai"]).agg(
            n_participants=("mean", "size"), n_ratings=("size", "sum"), mean=("mean", "mean"), sd=("mean", "std")
        )
        low, high = t_interval(summary["mean"], summary["sd"], summary["n_participants"])
        summary = summary.assign(ci_low=low, ci_high=high).reset_index()
        summary["scale"] = str(scale)
        summary["source"] = summary["is_ai"].map(_LABELS)
        summary["perceived"] = summary["guessed_ai"].map(_LABELS)
        frames.append(summary)
    if not frames:
        return pd.DataFrame(columns=list(BY_SOURCE_COLUMNS))
    out = pd.concat(frames, ignore_index=True)[list(BY_SOURCE_COLUMNS)]
    return out.astype({"n_participants": "int64", "n_ratings": "int64"})


TEST_COLUMNS = (
    "scale",
    "effect",
    "n_participants",
    "mean_ai",
    "mean_human",
    "mean_difference",
    "ci_low",
    "ci_high",
    "t",
    "df",
    "p_value",
    "p_holm",
    "significant_holm",
    "cohen_dz",
    "dz_ci_low",
    "dz_ci_high",
)


def _paired_test(per_participant: pd.DataFrame) -> dict:
    """Paired comparison of columns True (AI) and False (human) of participant means."""
    paired = per_participant.dropna()
    ai, human = paired.get(True, pd.Series(dtype=float)), paired.get(False, pd.Series(dtype=float))
    differences = (ai - human).to_numpy()
    summary = one_sample_t(differences)
    effect = cohen_dz(differences)
    return {
        "n_participants": summary.n,
        "mean_ai": float(ai.mean()) if len(ai) else np.nan,
        "mean_human": float(human.mean()) if len(human) else np.nan,
        "mean_difference": summary.mean,
        "ci_low": summary.ci_low,
        "ci_high": summary.ci_high,
        "t": summary.t,
        "df": summary.df,
        "p_value": summary.p_value,
        "cohen_dz": effect["dz"],
        "dz_ci_low": effect["ci_low"],
        "dz_ci_high": effect["ci_high"],
    }


def emotion_tests(df: pd.DataFrame, scales: Sequence[str] = SCALES) -> pd.DataFrame:
    """Paired tests of the true-source effect and of the guessed-source association on each scale.

    For each scale and participant, ratings are averaged over AI and over human clips (true
    source), and over clips judged AI and judged human (perceived source). Participants with
    both means enter a paired t-test (scipy); the mean difference (AI minus human) has a t
    interval and Cohen's d_z (mean difference / SD of differences) an exact noncentral-t
    interval. Holm's correction runs across scales within each
    effect family.

    These by-participant tests treat the clips as fixed: they say whether *these* clips were
    rated differently, and generalise to new listeners but not to new clips (Clark 1973). With
    few clips, chance differences between the AI and the human clips alone can be
    "significant"; :func:`results.statistics.models.emotion_mixed_model` treats clips as a sample too.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.
    scales : sequence of str
        Rating columns; scales without any rating are left out.

    Returns
    -------
    pandas.DataFrame
        Two rows per scale (``effect`` "true_source" then "guessed_source_association"), columns
        :data:`TEST_COLUMNS`. ``p_holm`` is NaN (and ``significant_holm`` False) where the test
        is undefined.
    """
    trials, present = rated_trials(df, scales)
    rows = []
    for scale in present:
        rated = trials[trials[scale].notna()]
        for effect, column in (("true_source", "is_ai"), (GUESSED_SOURCE_ASSOCIATION, "guessed_ai")):
            means = rated.groupby(["participant_id", column])[scale].mean().unstack(column)
            rows.append({"scale": str(scale), "effect": effect, **_paired_test(means)})
    out = pd.DataFrame(rows, columns=[c for c in TEST_COLUMNS if c not in ("p_holm", "significant_holm")])
    out["p_holm"] = np.nan
    out["significant_holm"] = False
    for _effect, family in out.groupby("effect"):
        valid = family["p_value"].notna()
        if valid.any():
            reject, adjusted = holm(family.loc[valid, "p_value"])
            out.loc[family.index[valid], "p_holm"] = adjusted
            out.loc[family.index[valid], "significant_holm"] = reject
    return out[list(TEST_COLUMNS)]


def infer_scale_points(df: pd.DataFrame, scales: Sequence[str] = SCALES, allowed: Sequence[int] = (5, 7, 9)) -> int:
    """The rating scale's number of points: the smallest allowed size holding every rating seen.

    Charts need it for their axis (1..points); the trial table stores ratings, not the study
    version's ``scale_points``. With no rating at all, the largest allowed size.
    """
    present = [s for s in scales if s in df.columns]
    highest = pd.to_numeric(df[present].stack(), errors="coerce").max() if present and len(df) else np.nan
    if not np.isfinite(highest):
        return max(allowed)
    return next((points for points in sorted(allowed) if points >= highest), max(allowed))
