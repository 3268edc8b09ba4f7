"""The researcher's filtered data set: trials, participants and clips under one set of filters.

Pages, the command line, the exports and the report all load data through
:func:`load_dataset`, so every view of the results rests on the same rows and states the same
filters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from audio import library
from core.db import get_engine, snapshot_scope
from core.vocabulary import EXCLUSION_RULE_LABELS, ExclusionRule, TrialKind
from results.data import repository, table, versions
from results.data.flow import flow_by_condition, participant_flow


@dataclass(frozen=True)
class Filters:
    """Which participants and answers go into the analyses (arguments of ``results.data.filters.apply_filters``).

    Attributes
    ----------
    completed_only : keep only participants who reached the debrief.
    exclude_failed_screening : drop participants who failed the headphone screening.
    exclude_attention_failed : drop participants who failed an attention check.
    exclude_too_fast : drop participants flagged for answering too fast.
    exclude_inconsistent : drop participants who answered the repeated clip inconsistently.
    date_from, date_to : keep participants whose first answer falls in this UTC date range.
    study_versions : keep only participants who answered under these study version ids (None = all).
    preregistered : apply each study version's saved exclusion rules instead of the five flags
        above (:data:`PREREGISTERED`, the default of every results view).
    include_simulated : also the simulated demo participants (``human-touch demo participants``);
        they are read only when asked for, so ``as_kwargs`` leaves this out.
    study_id : the study whose data are read (None: the deployment's default study); studies are
        never pooled. Applied when reading, like ``include_simulated``.
    """

    completed_only: bool = True
    exclude_failed_screening: bool = False
    exclude_attention_failed: bool = False
    exclude_too_fast: bool = False
    exclude_inconsistent: bool = False
    date_from: date | None = None
    date_to: date | None = None
    study_versions: tuple[int, ...] | None = None
    preregistered: bool = False
    include_simulated: bool = False
    study_id: int | None = None

    def as_kwargs(self) -> dict:
        """Keyword arguments for :func:`results.data.filters.apply_filters` (without the version rules)."""
        kwargs = asdict(self)
        kwargs.pop("preregistered")
        kwargs.pop("include_simulated")  # applied when reading (experiment.records), not as a filter
        kwargs.pop("study_id")
        if self.study_versions is not None:
            kwargs["study_versions"] = list(self.study_versions)
        return kwargs

    def custom_rules(self) -> tuple[ExclusionRule, ...]:
        """The exclusion rules the researcher ticked (the five flags, in the order they are applied)."""
        return tuple(rule for flag, rule in FLAG_RULES.items() if getattr(self, flag))

    @property
    def unfiltered(self) -> bool:
        """No exclusion at all: every participant with an answer, completed or not."""
        return not self.preregistered and not self.custom_rules()

    def describe(self) -> str:
        """The filters in one plain sentence, for figure captions, reports and exports."""
        if self.preregistered:
            parts = ["the exclusion rules preregistered in each study version's settings"]
        elif self.unfiltered:
            parts = [
                "UNFILTERED data: completed and incomplete participants, no exclusions (not the preregistered analysis)"
            ]
        else:
            parts = ["custom exclusions, not the preregistered rules"]
        if self.preregistered or self.unfiltered:
            return "; ".join([*parts, *self._scope()])
        parts.append("completed participants only" if self.completed_only else "completed and incomplete participants")
        exclusions = [EXCLUSION_RULE_LABELS[rule] for rule in self.custom_rules() if rule != ExclusionRule.INCOMPLETE]
        parts.append("excluding participants who " + ", ".join(exclusions) if exclusions else "no quality exclusions")
        return "; ".join(parts + self._scope())

    def _scope(self) -> list[str]:
        parts = []
        if self.date_from or self.date_to:
            parts.append(
                f"participants who started between {self.date_from or 'the start'} and {self.date_to or 'today'} (UTC)"
            )
        if self.study_versions is not None:
            parts.append("study version(s) " + ", ".join(str(v) for v in self.study_versions))
        else:
            parts.append("all study versions with the same rating scales")
        if self.include_simulated:
            parts.append("INCLUDING SIMULATED demo participants")
        return parts


FLAG_RULES: dict[str, ExclusionRule] = {
    "completed_only": ExclusionRule.INCOMPLETE,
    "exclude_failed_screening": ExclusionRule.FAILED_SCREENING,
    "exclude_attention_failed": ExclusionRule.FAILED_ATTENTION,
    "exclude_too_fast": ExclusionRule.TOO_FAST,
    "exclude_inconsistent": ExclusionRule.INCONSISTENT,
}
"""The exclusion rule each of :class:`Filters`' five flags applies (the researcher's own choice)."""

PREREGISTERED = Filters(preregistered=True)
"""The default view: every participant judged by the exclusion rules saved with their study version."""


@dataclass
class Dataset:
    """Filtered tables plus what the filters removed.

    Attributes
    ----------
    trials : tidy trial table after the filters (see :mod:`results.data.table`).
    participants : participants table restricted to the participants left in ``trials``.
    clips : every clip, ``n_ratings`` counted in the filtered trials.
    counts : what each filter step removed (``results.data.filters.apply_filters`` counts).
    filters : the filters applied.
    loaded_at : when the data was read (UTC).
    flow : the participant flow from arrival to analysis (:func:`results.data.flow.participant_flow`).
    condition_flow : the same per design condition (:func:`results.data.flow.flow_by_condition`).
    versions : every saved study version (:func:`results.data.versions.load_versions`).
    analysed_versions : the versions the analyses may include (None: all chosen, compatible).
    version_note : why versions were left out (different rating scales), or "".
    """

    trials: pd.DataFrame
    participants: pd.DataFrame
    clips: pd.DataFrame
    counts: dict
    filters: Filters
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    flow: pd.DataFrame | None = None
    condition_flow: pd.DataFrame | None = None
    versions: dict[int, Any] = field(default_factory=dict)
    analysed_versions: tuple[int, ...] | None = None
    version_note: str = ""

    @property
    def n_participants(self) -> int:
        return int(self.trials["participant_id"].nunique())

    @property
    def n_main_trials(self) -> int:
        return int((self.trials["kind"] == TrialKind.MAIN).sum())

    def study_version_ids(self) -> list[int]:
        return sorted(int(v) for v in self.trials["study_version_id"].unique())


def exclusion_lines(counts: dict) -> list[str]:
    """The filter counts as sentences: the start, then the participants and trials left after each step."""
    if not counts:
        return []
    lines = [
        f"Before filtering: {counts['n_participants_before']} participants, {counts['n_trials_before']} main trials."
    ]
    lines += [
        f"After '{step['step']}': {step['n_participants']} participants, {step['n_trials']} main trials."
        for step in counts.get("steps", [])
    ]
    return lines


def filter_trials(
    trials: pd.DataFrame,
    filters: Filters,
    version_rules: dict[int, tuple[str, ...]] | None = None,
    study_versions: tuple[int, ...] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Apply ``filters`` with the statistics package's own filter function.

    ``version_rules`` (each version's preregistered rules) are used when ``filters.preregistered``;
    ``study_versions`` overrides the filters' own choice (the compatible group of versions).
    """
    from results.data.filters import apply_filters

    kwargs = filters.as_kwargs()
    if study_versions is not None:
        kwargs["study_versions"] = list(study_versions)
    if filters.preregistered:
        kwargs["version_rules"] = version_rules or {}
    return apply_filters(trials, **kwargs)


def applied_rules(filters: Filters, known: dict[int, Any], with_data: set[int]) -> dict[int, tuple[str, ...]]:
    """The exclusion rules each version's participants are judged by under ``filters``."""
    if filters.preregistered:
        rules = versions.rules_by_version(known)
        return {v: rules.get(v, ()) for v in set(rules) | with_data}
    same = filters.custom_rules()
    return {v: same for v in set(known) | with_data}


def load_dataset(filters: Filters | None = None, engine: Engine | None = None) -> Dataset:
    """Read trials, participants and clips from the database and apply ``filters``.

    Versions whose rating scales differ are never pooled: only the compatible group of the newest
    version among those chosen is analysed, and ``version_note`` says so.

    Parameters
    ----------
    filters : Filters, optional
        Default :data:`PREREGISTERED` (each version's saved exclusion rules).
    engine : sqlalchemy.Engine, optional
        Default: the app's engine.
    """
    filters = filters or PREREGISTERED
    simulated, study = filters.include_simulated, filters.study_id
    # One snapshot: answers, participants, clips, versions and declines agree even while participants answer.
    with snapshot_scope(engine or get_engine()) as session:
        study = repository.study_or_default(session, study)
        clip_records = library.clip_records(session)
        all_trials = table.read_trial_table(session, clip_records, include_simulated=simulated, study_id=study)
        everyone = table.read_participants_table(session, include_simulated=simulated, study_id=study)
        known = versions.read_versions(session, study)
        declines = versions.read_declines(session, study)
        withdrawals = versions.read_withdrawals(session, study)
    with_data = {int(v) for v in all_trials["study_version_id"].unique()}
    analysed, note = versions.compatible_versions(known, with_data, filters.study_versions)
    rules = applied_rules(filters, known, with_data)
    trials, counts = filter_trials(all_trials, filters, rules, analysed)
    trials = trials.reset_index(drop=True)
    participants = everyone[everyone["participant_id"].isin(trials["participant_id"])].reset_index(drop=True)
    clips = table.clips_table_from_records(clip_records, trials)
    analysed_ids = set(trials["participant_id"].astype(int))
    flow = participant_flow(everyone, declines, rules, analysed_ids, analysed, withdrawals)
    condition_flow = flow_by_condition(everyone, rules, analysed_ids, analysed)
    return Dataset(
        trials=trials,
        participants=participants,
        clips=clips,
        counts=counts,
        filters=filters,
        flow=flow,
        condition_flow=condition_flow,
        versions=known,
        analysed_versions=analysed,
        version_note=note,
    )
