"""Which participants and trials an analysis includes: the researcher's exclusion choices.

Exclusions act on whole participants (a participant's trials are kept or dropped together),
except that only main trials are counted. The counts before and after each step go into the
report, so readers see how many people every choice removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from core.vocabulary import TrialKind


def _counts(df: pd.DataFrame) -> tuple[int, int]:
    """Participants and main trials in ``df``."""
    main = df[df["kind"] == TrialKind.MAIN] if "kind" in df.columns else df
    return int(df["participant_id"].nunique()), len(main)


def _utc_bound(value, *, end: bool) -> pd.Timestamp:
    """A date or datetime as a UTC timestamp; a plain date bound covers that whole day."""
    if isinstance(value, str) and len(value.strip()) == 10:
        value = dt.date.fromisoformat(value.strip())
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        stamp = pd.Timestamp(value, tz="UTC")
        return stamp + pd.Timedelta(days=1) - pd.Timedelta(1, "ns") if end else stamp
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def apply_filters(
    df: pd.DataFrame,
    *,
    completed_only: bool = True,
    exclude_failed_screening: bool = False,
    exclude_attention_failed: bool = False,
    exclude_too_fast: bool = False,
    exclude_inconsistent: bool = False,
    date_from: dt.date | dt.datetime | str | None = None,
    date_to: dt.date | dt.datetime | str | None = None,
    study_versions: Iterable[int] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Keep the participants an analysis should include.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.
    completed_only : bool
        Drop participants who did not reach the debrief.
    exclude_failed_screening : bool
        Drop participants whose audio/headphone screening failed (not screened: kept).
    exclude_attention_failed, exclude_too_fast, exclude_inconsistent : bool
        Drop participants carrying that quality flag.
    date_from, date_to : date, datetime or ISO string, optional
        Keep participants whose first answer falls in this range (UTC; a plain date as
        ``date_to`` includes that whole day). Whole sessions are kept, never cut.
    study_versions : iterable of int, optional
        Keep participants who answered under these study versions.

    Returns
    -------
    (pandas.DataFrame, dict)
        The kept rows (index reset) and counts: ``n_participants_before, n_trials_before,
        n_participants_after, n_trials_after`` (trials are main trials) and ``steps``, a list of
        ``{"step", "n_participants", "n_trials"}`` after each exclusion that was applied, in order.

    Raises
    ------
    ValueError
        When a needed column is missing or ``date_from`` is after ``date_to``.
    """
    n_participants, n_trials = _counts(df)
    steps: list[dict[str, object]] = []
    counts = {"n_participants_before": n_participants, "n_trials_before": n_trials, "steps": steps}
    kept = df

    def drop(step: str, bad: pd.Series) -> None:
        nonlocal kept
        excluded = kept.loc[bad.to_numpy(), "participant_id"].unique()
        kept = kept[~kept["participant_id"].isin(excluded)]
        participants, trials = _counts(kept)
        steps.append({"step": step, "n_participants": participants, "n_trials": trials})

    def column(name: str) -> pd.Series:
        if name not in kept.columns:
            raise ValueError(f"the trial table lacks the column {name!r} needed by this filter")
        return kept[name]

    if study_versions is not None:
        versions = {int(v) for v in study_versions}
        drop("study versions", ~column("study_version_id").isin(versions))
    if date_from is not None or date_to is not None:
        start = column("answered_at").groupby(kept["participant_id"]).transform("min")
        low = _utc_bound(date_from, end=False) if date_from is not None else None
        high = _utc_bound(date_to, end=True) if date_to is not None else None
        if low is not None and high is not None and low > high:
            raise ValueError(f"date_from ({date_from}) is after date_to ({date_to})")
        outside = pd.Series(False, index=kept.index)
        if low is not None:
            outside |= start < low
        if high is not None:
            outside |= start > high
        drop("dates", outside)
    if completed_only:
        drop("completed", ~column("completed").astype(bool))
    if exclude_failed_screening:
        drop("screening", column("screening_passed").astype("boolean").eq(False).fillna(False))
    for enabled, name, step in (
        (exclude_attention_failed, "flag_attention_failed", "attention checks"),
        (exclude_too_fast, "flag_too_fast", "too fast"),
        (exclude_inconsistent, "flag_inconsistent", "inconsistent"),
    ):
        if enabled:
            drop(step, column(name).astype(bool))
    counts["n_participants_after"], counts["n_trials_after"] = _counts(kept)
    return kept.reset_index(drop=True), counts
