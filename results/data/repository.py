"""The results package's data access (read only).

The trial table is assembled from three reads with a fixed cost whatever the study size (no
per-row follow-up queries): the answers (one row each, scalar columns only), the participants
(questionnaire and flags JSON, once per participant) and the clips (catalogue and features JSON,
once per clip: :func:`audio.library.clip_records`, since audio owns that table). Decoding the
JSON once per participant and clip rather than once per answer is what keeps a 40,000-answer
study quick to load. Turning the rows into typed tables is :mod:`results.data.table`'s job.

The experiment's tables (participants, trials, responses, study versions) are read through
:mod:`experiment.records`, which owns those queries; practice trials and preview participants
(staff trying the study) are left out there, in SQL, because they are never data; simulated
demo participants only come in with ``include_simulated=True``. Every read is about one study
(``study_id``; None means the deployment's default study): studies never mix in a result.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from experiment import records
from experiment.records import ANSWER_COLUMNS


def study_or_default(session: Session, study_id: int | None) -> int:
    """``study_id``, or the deployment's default study when None (looked up once per read, not per query)."""
    from experiment.repository import default_study_id

    return default_study_id(session) if study_id is None else study_id


def fetch_answers(session: Session, *, include_simulated: bool = False, study_id: int | None = None) -> pd.DataFrame:
    """Every answered, non-practice trial of a non-preview participant, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`experiment.records.ANSWER_COLUMNS` (see :func:`experiment.records.answer_rows`),
        ordered by participant, then trial index; values as the database driver returns them.
    """
    return pd.DataFrame(
        records.answer_rows(session, include_simulated=include_simulated, study_id=study_id),
        columns=list(ANSWER_COLUMNS),
    )


def fetch_participant_descriptors(
    session: Session, *, include_simulated: bool = False, study_id: int | None = None
) -> list[dict]:
    """Per non-preview participant: id, completion, screening, questionnaire and flags
    (:func:`experiment.records.participant_descriptors`)."""
    return records.participant_descriptors(session, include_simulated=include_simulated, study_id=study_id)


def fetch_participant_records(
    session: Session, *, include_simulated: bool = False, study_id: int | None = None
) -> list[dict]:
    """One dict per consenting non-preview participant with answer counts and times
    (:func:`experiment.records.participant_records`)."""
    return records.participant_records(session, include_simulated=include_simulated, study_id=study_id)


def fetch_study_versions(session: Session, study_id: int | None = None) -> list[dict]:
    """Every saved study version: ``study_version_id``, ``created_at``, ``note``, ``config``."""
    return records.study_versions(session, study_id)


def fetch_consent_declines(session: Session, study_id: int | None = None) -> dict[int, int]:
    """Consent declines per study version id (:func:`experiment.records.consent_declines`)."""
    return records.consent_declines(session, study_id)


def fetch_withdrawals(session: Session, study_id: int | None = None) -> dict[int, int]:
    """Withdrawals per study version id (:func:`experiment.records.withdrawals`)."""
    return records.withdrawals(session, study_id)
