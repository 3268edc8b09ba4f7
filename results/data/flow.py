"""What happened to everyone who answered the consent question: the participant flow (a CONSORT-style table).

From the people who arrived to the participants analysed, every person is counted once, at the
first stage that removed them, so the rows add up: ``arrived - sum(removed) == analysed``.

Stages, in order
----------------
arrived              declined consent + consented (nothing is stored about visitors who closed
                     the page before answering the consent question, by design).
declined consent     per study version (``consent_declines``).
screened out        failed a *required* headphone screen (journey step ``screened_out``).
one row per exclusion rule, in :data:`results.filters.RULE_STEPS` order ("dropped out" is the
                     ``incomplete`` rule), applied per study version as preregistered, or the
                     researcher's own choice when the filters say so.
no scored answer / outside the filters
                     consented and not excluded, but without an answered main trial in the
                     analysed data (left before the first trial with ``incomplete`` not chosen,
                     or outside the chosen dates).
analysed             participants in the filtered trial table.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pandas as pd

from core.vocabulary import EXCLUSION_RULE_LABELS, ExclusionRule, Step
from results.data.filters import RULE_STEPS, excluded_by

FLOW_COLUMNS: tuple[str, ...] = ("stage", "removed", "remaining")
"""``removed``: people removed at this stage (missing on the first and last rows)."""


def participant_flow(
    participants: pd.DataFrame,
    declines: Mapping[int, int],
    rules: Mapping[int, Collection[str]],
    analysed_ids: Collection[int],
    versions: Collection[int] | None = None,
    withdrawals: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """The flow table from arrival to analysis.

    Parameters
    ----------
    participants : pandas.DataFrame
        The participants table (:func:`results.data.table.load_participants_table`): one row per
        consenting non-preview participant with ``participant_id``, ``study_version_id``, ``step``,
        ``completed``, ``screening_passed`` and the ``flag_*`` columns.
    declines : mapping of version id to count
    rules : mapping of version id to exclusion rules
        The rules applied to each version's participants (the preregistered ones, or the same
        custom set for every version).
    analysed_ids : collection of int
        Participants in the analysed trial table.
    versions : collection of int, optional
        The study versions analysed (None = all).
    withdrawals : mapping of version id to count, optional
        Participants who withdrew (everything of them erased; only the count is left).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FLOW_COLUMNS`; the first row "Arrived", the last "Analysed".
    """
    people = participants
    wanted = None if versions is None else {int(v) for v in versions}
    if wanted is not None:
        people = people[people["study_version_id"].isin(wanted)]
    declined = sum(int(n) for v, n in declines.items() if wanted is None or int(v) in wanted)
    withdrew = sum(int(n) for v, n in (withdrawals or {}).items() if wanted is None or int(v) in wanted)
    arrived = declined + withdrew + len(people)
    rows: list[tuple[str, int | None, int]] = [("Arrived (answered the consent question)", None, arrived)]
    remaining = arrived

    def remove(stage: str, count: int) -> None:
        nonlocal remaining
        remaining -= count
        rows.append((stage, count, remaining))

    remove("Declined consent", declined)
    remove("Withdrew (everything of them erased)", withdrew)
    screened = people["step"].astype(str).eq(Step.SCREENED_OUT).to_numpy()
    remove("Screened out (failed the required headphone screen)", int(screened.sum()))
    people = people[~screened]
    for rule, column, _ in RULE_STEPS:
        label = "Dropped out (left before the debrief)" if rule == ExclusionRule.INCOMPLETE else None
        applies = {int(v) for v, chosen in rules.items() if rule in chosen}
        if not applies:
            continue
        bad = (excluded_by(rule, people[column]) & people["study_version_id"].isin(applies)).to_numpy()
        remove(label or f"Excluded: {EXCLUSION_RULE_LABELS[rule]}", int(bad.sum()))
        people = people[~bad]
    analysed = people["participant_id"].isin({int(i) for i in analysed_ids}).to_numpy()
    if (~analysed).any():
        remove("No answered main trial in the analysed data (or outside the chosen dates)", int((~analysed).sum()))
    rows.append(("Analysed", None, remaining))
    frame = pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
    frame["removed"] = frame["removed"].astype("Int64")
    return frame


CONDITION_FLOW_COLUMNS: tuple[str, ...] = ("condition", "assigned", "finished", "excluded", "analysed")
"""Per design condition: trial list stored (assigned), reached the debrief, removed by an exclusion
rule (dropping out included), and in the analysed data."""


def flow_by_condition(
    participants: pd.DataFrame,
    rules: Mapping[int, Collection[str]],
    analysed_ids: Collection[int],
    versions: Collection[int] | None = None,
) -> pd.DataFrame:
    """The flow per design condition (issue 14): how many were assigned to each and how many are analysed.

    A condition is drawn when the trial list is stored, so people who declined or were screened
    out have none and appear only in :func:`participant_flow`. Same inputs as that function;
    returns columns :data:`CONDITION_FLOW_COLUMNS`, one row per condition with participants
    (empty when no one has a condition yet).
    """
    people = participants[participants["condition"].notna()] if "condition" in participants else participants[:0]
    if versions is not None:
        people = people[people["study_version_id"].isin({int(v) for v in versions})]
    analysed = {int(i) for i in analysed_ids}
    rows = []
    for condition, group in people.groupby("condition", sort=True):
        excluded = pd.Series(False, index=group.index)
        for rule, column, _ in RULE_STEPS:
            applies = {int(v) for v, chosen in rules.items() if rule in chosen}
            excluded |= excluded_by(rule, group[column]) & group["study_version_id"].isin(applies)
        rows.append(
            (
                str(condition),
                len(group),
                int(group["completed"].fillna(False).astype(bool).sum()),
                int(excluded.sum()),
                int(group["participant_id"].isin(analysed).sum()),
            )
        )
    return pd.DataFrame(rows, columns=list(CONDITION_FLOW_COLUMNS))


def flow_lines(flow: pd.DataFrame) -> list[str]:
    """The flow table as plain sentences (command line, captions)."""
    return [
        f"{row.stage}: {row.remaining}" if pd.isna(row.removed) else f"{row.stage}: -{row.removed} -> {row.remaining}"
        for row in flow.itertuples()
    ]
