"""The researcher's filtered data set: trials, participants and clips under one set of filters.

Pages, the command line, the exports and the report all load data through
:func:`load_dataset`, so every view of the results rests on the same rows and states the same
filters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import Engine

from core.db import get_engine
from core.vocabulary import TrialKind
from results import table


@dataclass(frozen=True)
class Filters:
    """Which participants and answers go into the analyses (arguments of ``results.filters.apply_filters``).

    Attributes
    ----------
    completed_only : keep only participants who reached the debrief.
    exclude_failed_screening : drop participants who failed the headphone screening.
    exclude_attention_failed : drop participants who failed an attention check.
    exclude_too_fast : drop participants flagged for answering too fast.
    exclude_inconsistent : drop participants who answered the repeated clip inconsistently.
    date_from, date_to : keep participants whose first answer falls in this UTC date range.
    study_versions : keep only participants who answered under these study version ids (None = all).
    include_simulated : also the simulated demo participants (``human-touch demo participants``);
        they are read only when asked for, so ``as_kwargs`` leaves this out.
    """

    completed_only: bool = True
    exclude_failed_screening: bool = False
    exclude_attention_failed: bool = False
    exclude_too_fast: bool = False
    exclude_inconsistent: bool = False
    date_from: date | None = None
    date_to: date | None = None
    study_versions: tuple[int, ...] | None = None
    include_simulated: bool = False

    def as_kwargs(self) -> dict:
        """Keyword arguments for :func:`results.filters.apply_filters`."""
        kwargs = asdict(self)
        kwargs.pop("include_simulated")  # applied when reading (experiment.records), not as a filter
        if self.study_versions is not None:
            kwargs["study_versions"] = list(self.study_versions)
        return kwargs

    def describe(self) -> str:
        """The filters in one plain sentence, for figure captions, reports and exports."""
        parts = ["completed participants only" if self.completed_only else "completed and incomplete participants"]
        exclusions = [
            label
            for flag, label in (
                (self.exclude_failed_screening, "failed headphone screening"),
                (self.exclude_attention_failed, "failed attention check"),
                (self.exclude_too_fast, "answered too fast"),
                (self.exclude_inconsistent, "answered the repeated clip inconsistently"),
            )
            if flag
        ]
        parts.append("excluding participants who " + ", ".join(exclusions) if exclusions else "no quality exclusions")
        if self.date_from or self.date_to:
            parts.append(
                f"participants who started between {self.date_from or 'the start'} and {self.date_to or 'today'} (UTC)"
            )
        if self.study_versions is not None:
            parts.append("study version(s) " + ", ".join(str(v) for v in self.study_versions))
        else:
            parts.append("all study versions")
        if self.include_simulated:
            parts.append("INCLUDING SIMULATED demo participants")
        return "; ".join(parts)


@dataclass
class Dataset:
    """Filtered tables plus what the filters removed.

    Attributes
    ----------
    trials : tidy trial table after the filters (see :mod:`results.table`).
    participants : participants table restricted to the participants left in ``trials``.
    clips : every clip, ``n_ratings`` counted in the filtered trials.
    counts : what each filter step removed (``results.filters.apply_filters`` counts).
    filters : the filters applied.
    loaded_at : when the data was read (UTC).
    """

    trials: pd.DataFrame
    participants: pd.DataFrame
    clips: pd.DataFrame
    counts: dict
    filters: Filters
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

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


def filter_trials(trials: pd.DataFrame, filters: Filters) -> tuple[pd.DataFrame, dict]:
    """Apply ``filters`` with the statistics package's own filter function."""
    from results.filters import apply_filters

    return apply_filters(trials, **filters.as_kwargs())


def load_dataset(filters: Filters | None = None, engine: Engine | None = None) -> Dataset:
    """Read trials, participants and clips from the database and apply ``filters``.

    Parameters
    ----------
    filters : Filters, optional
        Default :class:`Filters()` (completed participants, no quality exclusions).
    engine : sqlalchemy.Engine, optional
        Default: the app's engine.
    """
    filters = filters or Filters()
    engine = engine or get_engine()
    all_trials = table.load_trial_table(engine, include_simulated=filters.include_simulated)
    trials, counts = filter_trials(all_trials, filters)
    trials = trials.reset_index(drop=True)
    participants = table.load_participants_table(engine, include_simulated=filters.include_simulated)
    participants = participants[participants["participant_id"].isin(trials["participant_id"])].reset_index(drop=True)
    clips = table.load_clips_table(engine, trials=trials)
    return Dataset(trials=trials, participants=participants, clips=clips, counts=counts, filters=filters)
