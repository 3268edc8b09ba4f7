"""Which participants and trials an analysis includes: the preregistered exclusion rules, or the researcher's.

Exclusions act on whole participants (a participant's trials are kept or dropped together),
except that only main trials are counted. The counts before and after each step go into the
report, so readers see how many people every choice removed.

By default (``version_rules``) each participant is judged by the exclusion rules saved with the
study version they took part under (:attr:`experiment.settings.StudySettings.exclusion_rules`),
chosen before the data came in. The boolean arguments are the researcher's own choice instead,
the same for every version, and are labelled as not preregistered wherever they are shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping

import pandas as pd

from core.vocabulary import ExclusionRule, TrialKind

RULE_STEPS: tuple[tuple[ExclusionRule, str, str], ...] = (
    (ExclusionRule.INCOMPLETE, "completed", "completed"),
    (ExclusionRule.FAILED_SCREENING, "screening_passed", "screening"),
    (ExclusionRule.FAILED_ATTENTION, "flag_attention_failed", "attention checks"),
    (ExclusionRule.TOO_FAST, "flag_too_fast", "too fast"),
    (ExclusionRule.INCONSISTENT, "flag_inconsistent", "inconsistent"),
)
"""Each exclusion rule, the column it reads and the step name in the counts, in the order applied."""


def excluded_by(rule: ExclusionRule, values: pd.Series) -> pd.Series:
    """True where ``values`` (the rule's column of :data:`RULE_STEPS`) break ``rule``.

    Not screened (missing ``screening_passed``) never breaks the screening rule.
    """
    if rule == ExclusionRule.INCOMPLETE:
        return ~values.astype(bool)
    if rule == ExclusionRule.FAILED_SCREENING:
        return values.astype("boolean").eq(False).fillna(False).astype(bool)
    return values.astype("boolean").fillna(False).astype(bool)


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


def _rule_mask(rule, name, chosen, version_rules, column) -> pd.Series | None:
    """Rows breaking ``rule`` where it applies (every row when chosen, else their version's rules); None: unused."""
    if version_rules is None:
        return excluded_by(rule, column(name)) if chosen else None
    versions = {int(v) for v, rules in version_rules.items() if rule in rules}
    if not versions:
        return None
    return excluded_by(rule, column(name)) & column("study_version_id").isin(versions)


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
    version_rules: Mapping[int, Collection[str]] | None = None,
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
    version_rules : mapping of study version id to exclusion rules, optional
        The preregistered rules of each version (:class:`core.vocabulary.ExclusionRule` values);
        when given, each participant is excluded by their own version's rules and
        ``completed_only`` and the ``exclude_*`` arguments are ignored.

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
    chosen = {
        ExclusionRule.INCOMPLETE: completed_only,
        ExclusionRule.FAILED_SCREENING: exclude_failed_screening,
        ExclusionRule.FAILED_ATTENTION: exclude_attention_failed,
        ExclusionRule.TOO_FAST: exclude_too_fast,
        ExclusionRule.INCONSISTENT: exclude_inconsistent,
    }
    for rule, name, step in RULE_STEPS:
        bad = _rule_mask(rule, name, chosen[rule], version_rules, column)
        if bad is not None:
            drop(step, bad)
    counts["n_participants_after"], counts["n_trials_after"] = _counts(kept)
    return kept.reset_index(drop=True), counts
