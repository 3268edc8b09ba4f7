"""Could listeners tell? Signal detection statistics of the source judgements.

"AI" is the signal: a hit is an AI clip judged AI, a false alarm a human clip judged AI.
Sensitivity ``d' = z(H) - z(F)`` and criterion ``c = -(z(H) + z(F)) / 2`` (positive ``c``:
reluctant to say "AI") follow equal-variance Gaussian signal detection theory
(Macmillan & Creelman 2005). Rates are log-linear corrected (Hautus 1995): half a response is
added to each cell, ``H = (hits + 0.5) / (n_signal + 1)`` and
``F = (false_alarms + 0.5) / (n_noise + 1)``, so that perfect scores give finite d'. The
correction pulls d' slightly toward 0 (about 5 % at d' = 1 with 20 + 20 trials).

Every function takes the tidy trial table (:mod:`results.data.table`) and uses its main trials
(``kind == "main"``) with a source judgement; attention and repeat trials never count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, overload

import numpy as np
import pandas as pd
from scipy import stats

from core.vocabulary import TrialKind
from experiment.scoring import loglinear_rates
from results.statistics.intervals import MeanTest, one_sample_t, wilson_interval

REQUIRED_COLUMNS: tuple[str, ...] = ("participant_id", "clip_id", "is_ai", "guessed_ai")

METHODS = (
    "Signal = AI clip. Hit and false-alarm rates with Wilson 95% intervals over pooled trials; "
    "accuracy with a Wilson interval and an exact two-sided binomial test against 0.5 (pooled "
    "trials, which ignores that trials of one participant or clip are related; the "
    "participant-level tests below do not). d' = z(H) - z(F) and c = -(z(H) + z(F))/2 per "
    "participant with the log-linear correction (Hautus 1995); their means with Student-t 95% "
    "intervals and one-sample t-tests against 0 (participants as the unit of analysis)."
)


def main_trials(
    df: pd.DataFrame, required: Sequence[str] = REQUIRED_COLUMNS, optional: Sequence[str] = ()
) -> pd.DataFrame:
    """The scored trials of a trial table: main trials that have a source judgement.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.
    required : sequence of str
        Columns the caller needs.
    optional : sequence of str
        Columns the caller uses when present.

    Returns
    -------
    pandas.DataFrame
        Rows with ``kind == "main"`` (when the column exists) and a non-missing ``guessed_ai``,
        holding only the required and the present optional columns (copying the whole wide
        table would cost more than the statistics); ``is_ai`` and ``guessed_ai`` as numpy ``bool``.

    Raises
    ------
    ValueError
        When a required column is missing.
    """
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"the trial table lacks the column(s) {missing}")
    keep = df["guessed_ai"].notna().to_numpy()
    if "kind" in df.columns:
        keep = keep & (df["kind"] == TrialKind.MAIN).to_numpy()
    columns = list(dict.fromkeys([*required, *(c for c in optional if c in df.columns)]))
    out = df.loc[keep, columns]
    return out.assign(is_ai=out["is_ai"].astype(bool).to_numpy(), guessed_ai=out["guessed_ai"].astype(bool).to_numpy())


SDTValue = TypeVar("SDTValue", float, np.ndarray)
"""Type of every :class:`SDT` field: ``float`` for scalar counts, ``numpy.ndarray`` for arrays of counts."""


@dataclass(frozen=True)
class SDT(Generic[SDTValue]):
    """Signal detection measures from hit/miss/false-alarm/correct-rejection counts.

    Every field is a float for scalar counts (``SDT[float]``) or an array shaped like the counts
    (``SDT[numpy.ndarray]``).

    Attributes
    ----------
    hits, misses, false_alarms, correct_rejections : counts.
    n_signal, n_noise : AI trials (hits + misses) and human trials (false alarms + correct rejections).
    raw_hit_rate, raw_fa_rate : uncorrected proportions (NaN without trials of that kind).
    hit_rate, fa_rate : log-linear corrected rates used for d' and c.
    d_prime : z(hit_rate) - z(fa_rate); NaN unless both kinds of trial are present.
    criterion : -(z(hit_rate) + z(fa_rate)) / 2; NaN unless both kinds of trial are present.
    accuracy : (hits + correct_rejections) / all trials.
    """

    hits: SDTValue
    misses: SDTValue
    false_alarms: SDTValue
    correct_rejections: SDTValue
    n_signal: SDTValue
    n_noise: SDTValue
    raw_hit_rate: SDTValue
    raw_fa_rate: SDTValue
    hit_rate: SDTValue
    fa_rate: SDTValue
    d_prime: SDTValue
    criterion: SDTValue
    accuracy: SDTValue


def d_prime_from_rates(hit_rate, fa_rate):
    """Equal-variance sensitivity ``z(H) - z(F)`` (scipy ``norm.ppf``), no correction."""
    return stats.norm.ppf(hit_rate) - stats.norm.ppf(fa_rate)


def criterion_from_rates(hit_rate, fa_rate):
    """Criterion ``c = -(z(H) + z(F)) / 2``, no correction; positive means reluctant to say "AI"."""
    return -0.5 * (stats.norm.ppf(hit_rate) + stats.norm.ppf(fa_rate))


def _ratio(numerator, denominator):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


@overload
def sdt_from_counts(hits: float, misses: float, false_alarms: float, correct_rejections: float) -> SDT[float]: ...


@overload
def sdt_from_counts(
    hits: np.ndarray | pd.Series,
    misses: np.ndarray | pd.Series,
    false_alarms: np.ndarray | pd.Series,
    correct_rejections: np.ndarray | pd.Series,
) -> SDT[np.ndarray]: ...


def sdt_from_counts(hits, misses, false_alarms, correct_rejections) -> SDT:
    """Log-linear corrected d' and c (Hautus 1995) from the four outcome counts.

    Parameters
    ----------
    hits, misses, false_alarms, correct_rejections : int or array of int
        Non-negative counts (broadcast together). Hits and misses are AI trials judged AI and
        human; false alarms and correct rejections are human trials judged AI and human.

    Returns
    -------
    SDT
        Floats for scalar input, arrays otherwise.

    Raises
    ------
    ValueError
        For negative or non-integer counts.
    """
    counts = [np.asarray(c, dtype=float) for c in (hits, misses, false_alarms, correct_rejections)]
    for name, count in zip(("hits", "misses", "false_alarms", "correct_rejections"), counts):
        if np.any(count < 0) or np.any(count != np.round(count)):
            raise ValueError(f"{name} must be non-negative whole numbers")
    hits, misses, false_alarms, correct_rejections = np.broadcast_arrays(*counts)
    n_signal = hits + misses
    n_noise = false_alarms + correct_rejections
    hit_rate, fa_rate = loglinear_rates(hits, misses, false_alarms, correct_rejections)
    defined = (n_signal > 0) & (n_noise > 0)
    values = {
        "hits": hits,
        "misses": misses,
        "false_alarms": false_alarms,
        "correct_rejections": correct_rejections,
        "n_signal": n_signal,
        "n_noise": n_noise,
        "raw_hit_rate": _ratio(hits, n_signal),
        "raw_fa_rate": _ratio(false_alarms, n_noise),
        "hit_rate": hit_rate,
        "fa_rate": fa_rate,
        "d_prime": np.where(defined, d_prime_from_rates(hit_rate, fa_rate), np.nan),
        "criterion": np.where(defined, criterion_from_rates(hit_rate, fa_rate), np.nan),
        "accuracy": _ratio(hits + correct_rejections, n_signal + n_noise),
    }
    if hits.ndim == 0:
        return SDT(**{k: float(v) for k, v in values.items()})
    return SDT(**values)


def outcome_counts(trials: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of ``keys``: n_trials, n_signal, hits, false_alarms, correct (one groupby pass)."""
    is_ai = trials["is_ai"].to_numpy()
    guessed = trials["guessed_ai"].to_numpy()
    frame = trials[keys].assign(
        n_trials=1,
        n_signal=is_ai.astype(int),
        hits=(is_ai & guessed).astype(int),
        false_alarms=(~is_ai & guessed).astype(int),
        correct=(is_ai == guessed).astype(int),
    )
    return frame.groupby(keys, sort=True, dropna=False).sum().reset_index()


def sdt_columns(counts: pd.DataFrame) -> pd.DataFrame:
    """Add misses, correct rejections, rates, d', c and accuracy to a frame of outcome counts."""
    n_noise = counts["n_trials"] - counts["n_signal"]
    sdt = sdt_from_counts(
        counts["hits"], counts["n_signal"] - counts["hits"], counts["false_alarms"], n_noise - counts["false_alarms"]
    )
    return counts.assign(
        n_noise=n_noise,
        misses=sdt.misses.astype(int),
        correct_rejections=sdt.correct_rejections.astype(int),
        raw_hit_rate=sdt.raw_hit_rate,
        raw_fa_rate=sdt.raw_fa_rate,
        hit_rate=sdt.hit_rate,
        fa_rate=sdt.fa_rate,
        d_prime=sdt.d_prime,
        criterion=sdt.criterion,
        accuracy=sdt.accuracy,
    )


PARTICIPANT_SDT_COLUMNS = (
    "participant_id",
    "n_trials",
    "n_signal",
    "n_noise",
    "hits",
    "misses",
    "false_alarms",
    "correct_rejections",
    "raw_hit_rate",
    "raw_fa_rate",
    "hit_rate",
    "fa_rate",
    "d_prime",
    "criterion",
    "accuracy",
)


def per_participant_sdt(df: pd.DataFrame) -> pd.DataFrame:
    """Signal detection measures of every participant.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.

    Returns
    -------
    pandas.DataFrame
        One row per participant with at least one scored trial, sorted by id, columns
        :data:`PARTICIPANT_SDT_COLUMNS`: counts (int), raw and log-linear corrected rates, d',
        c (NaN for a participant without both AI and human trials) and accuracy.
    """
    trials = main_trials(df)
    counts = outcome_counts(trials, ["participant_id"])
    if counts.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in PARTICIPANT_SDT_COLUMNS})
    return sdt_columns(counts)[list(PARTICIPANT_SDT_COLUMNS)]


@dataclass(frozen=True)
class Proportion:
    """A pooled proportion with its Wilson 95 % interval.

    Attributes
    ----------
    estimate : float
        successes / n (NaN when n is 0).
    ci_low, ci_high : float
        Wilson interval.
    successes, n : int
        The counts behind it.
    """

    estimate: float
    ci_low: float
    ci_high: float
    successes: int
    n: int


@dataclass(frozen=True)
class TestedProportion(Proportion):
    """A :class:`Proportion` with an exact two-sided binomial test against 0.5 (``p_value``)."""

    p_value: float


@dataclass(frozen=True)
class PooledSDT:
    """Log-linear corrected rates, d' and c from the counts pooled over all trials."""

    hit_rate: float
    fa_rate: float
    d_prime: float
    criterion: float


@dataclass(frozen=True)
class DetectionSummary:
    """Headline detection statistics (:func:`detection_summary`). NaN where undefined.

    Attributes
    ----------
    n_participants, n_trials, n_signal, n_noise : int
        Participants and scored trials behind the numbers; AI (signal) and human (noise) trials.
    hit_rate, fa_rate : Proportion
        Raw pooled proportions of AI trials and of human trials judged AI.
    accuracy : TestedProportion
        Share of correct judgements, tested against 0.5.
    d_prime, criterion : MeanTest
        Means of participants' own d' and c, t interval and one-sample t-test against 0.
    pooled : PooledSDT
        The same measures from the pooled counts.
    methods : str
        A sentence for the report.
    """

    n_participants: int
    n_trials: int
    n_signal: int
    n_noise: int
    hit_rate: Proportion
    fa_rate: Proportion
    accuracy: TestedProportion
    d_prime: MeanTest
    criterion: MeanTest
    pooled: PooledSDT
    methods: str


def _proportion(successes: int, n: int) -> Proportion:
    low, high = wilson_interval(successes, n)
    return Proportion(successes / n if n else float("nan"), float(low), float(high), int(successes), int(n))


def detection_summary(df: pd.DataFrame) -> DetectionSummary:
    """Headline detection statistics.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.

    Returns
    -------
    DetectionSummary
        Pooled hit and false-alarm rates with Wilson 95 % intervals, accuracy with an exact
        binomial test, participants' mean d' and c with t intervals, the pooled (log-linear
        corrected) d' and c, and the methods sentence.
    """
    trials = main_trials(df)
    participants = per_participant_sdt(trials)
    n_trials = len(trials)
    n_signal = int(trials["is_ai"].sum())
    n_noise = n_trials - n_signal
    hits = int((trials["is_ai"] & trials["guessed_ai"]).sum())
    false_alarms = int((~trials["is_ai"] & trials["guessed_ai"]).sum())
    correct = int((trials["is_ai"] == trials["guessed_ai"]).sum())
    p_value = float(stats.binomtest(correct, n_trials, 0.5).pvalue) if n_trials else float("nan")
    accuracy = TestedProportion(**vars(_proportion(correct, n_trials)), p_value=p_value)
    pooled = sdt_from_counts(hits, n_signal - hits, false_alarms, n_noise - false_alarms)
    return DetectionSummary(
        n_participants=int(trials["participant_id"].nunique()),
        n_trials=n_trials,
        n_signal=n_signal,
        n_noise=n_noise,
        hit_rate=_proportion(hits, n_signal),
        fa_rate=_proportion(false_alarms, n_noise),
        accuracy=accuracy,
        d_prime=one_sample_t(participants["d_prime"]),
        criterion=one_sample_t(participants["criterion"]),
        pooled=PooledSDT(pooled.hit_rate, pooled.fa_rate, pooled.d_prime, pooled.criterion),
        methods=METHODS,
    )
