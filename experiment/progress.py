"""How a participant moves along the journey: the one place ``Participant.step`` moves forward. No Streamlit here.

The step services (:mod:`experiment.questionnaire`, :mod:`experiment.audio_check`,
:mod:`experiment.trials`) call :func:`advance` once their step is done; the order of the steps and
when each is shown come from the registry in :mod:`experiment.journey`. This module also holds what
every step shares: the error a step raises with a participant-facing message, and the settings a
participant runs under.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import db
from core.i18n import N_, _
from core.models import Participant, utcnow
from core.vocabulary import Step
from experiment import conditions, paired, pairing_design, repository
from experiment.assignment import AssignmentError, AssignmentRules, ClipInfo, PlannedTrial, assign_trials
from experiment.journey import STEPS, JourneyStep
from experiment.settings import StudySettings

RESUME_PARAM = "resume"
"""URL query parameter carrying the resume token."""

NOT_READY = N_("This study is not ready for participants yet. Please try again later.")
"""Participant-facing message when the clip library cannot supply a trial list under the settings
(a message id: translate with ``core.i18n._``)."""


class JourneyError(ValueError):
    """Something the participant must be told; ``str(error)`` is a polite, clear message.

    Raised with the message already translated (``JourneyError(_("..."))``) into the active language.

    Nothing was stored when this is raised.
    """


_SETTINGS_IN_USE: WeakKeyDictionary[Engine, dict[int, StudySettings]] = WeakKeyDictionary()
"""Settings of versions that have participants, per database engine (a new engine starts afresh)."""


def settings_for(session: Session, participant: Participant) -> StudySettings:
    """The study settings the participant runs under (their stored version).

    Read once per process: a version that has participants never changes (the repository refuses
    the edit; a change is a new version with a new id), and every script run of every participant
    page asks for them several times (issue 23).
    """
    engine = session.get_bind()
    cached = _SETTINGS_IN_USE.setdefault(engine, {}) if isinstance(engine, Engine) else {}
    settings = cached.get(participant.study_version_id)
    if settings is None:
        settings = repository.settings_version(session, participant.study_version_id)
        cached[participant.study_version_id] = settings
    return settings


def step_after(step: Step, settings: StudySettings) -> JourneyStep:
    """The first step after ``step`` that is shown under ``settings``."""
    names = [entry.name for entry in STEPS]
    return next(entry for entry in STEPS[names.index(step) + 1 :] if entry.is_shown(settings))


def advance(session: Session, participant: Participant) -> None:
    """Move to the next step shown under the participant's settings; store the trial list when due.

    The step services call this once their step is done; the caller's session scope commits.

    Raises
    ------
    JourneyError
        The next step needs a trial list and the library cannot supply one (:data:`NOT_READY`).
    """
    settings = settings_for(session, participant)
    step = step_after(Step(participant.step), settings)
    if step.needs_trials:
        _ensure_trials(session, participant, settings)
    if step.name == Step.DEBRIEF:
        complete(session, participant)
    participant.step = step.name


def assign_trials_if_needed(session: Session, participant: Participant) -> None:
    """Store the participant's trial list unless it exists (a staff preview jumping ahead).

    Raises
    ------
    JourneyError
        The library cannot supply a trial list under the participant's settings.
    """
    _ensure_trials(session, participant, settings_for(session, participant))


def complete(session: Session, participant: Participant) -> None:
    """Mark the participant complete (every answer stored) with their completion code.

    The code is the current settings' code (an organiser may set it after launch), a personal
    random one when none is set, or "PREVIEW" for a staff preview.
    """
    _version, current = repository.current_settings(session, participant.study_id)
    if participant.is_preview:
        code = "PREVIEW"
    else:
        code = current.completion_code or secrets.token_hex(4).upper()
    participant.completion_code = code
    participant.completed_at = utcnow()


def _planned_trials(
    session: Session, participant: Participant, settings: StudySettings, clips: list[ClipInfo]
) -> tuple[list[PlannedTrial], list[paired.PairedPlan] | None]:
    """The participant's trial list and, in a paired study, its pairs (similar/random under a pairing design)."""
    rules = AssignmentRules.from_settings(settings)
    exposure = repository.exposure_counts(session, participant.study_id, settings)
    if not paired.is_paired(settings):
        return assign_trials(clips, exposure, rules, participant.seed), None
    rules = paired.paired_rules(rules)
    designed = pairing_design.has_pairing_design(settings)
    if designed:  # whole similar pairs are drawn; random pairs re-pair them (experiment.pairing_design)
        clips, rules = pairing_design.with_similar_pairs(session, clips, settings), replace(rules, use_pairs=True)
    plan = paired.arrange_pairs(assign_trials(clips, exposure, rules, participant.seed), clips, participant.seed)
    if designed:
        n_pairs = len({p.pair_trial for p in plan if p.pair_trial != paired.PRACTICE_PAIR})
        chosen = pairing_design.ensure_pairing(session, participant, settings)
        types = pairing_design.pairing_types(settings.pairing_design, n_pairs, chosen, participant.seed)
        plan = pairing_design.apply_pairing(plan, types, {c.clip_id: c for c in clips}, participant.seed)
    return [entry.trial for entry in plan], plan


def _ensure_trials(session: Session, participant: Participant, settings: StudySettings) -> None:
    """Assign and store the trial list once (after the audio check, so screen-outs use no clips)."""
    if repository.trials_of(session, participant):
        return
    # Balancing reads every clip's exposure, then adds to it: participants assigned at the same
    # moment (other threads, processes or replicas) must take turns, or both pick the same
    # least-heard clips and the spread grows (it reached 3 with 5 processes on PostgreSQL).
    # (Per study: two studies share no counts, so they need not wait for each other.)
    db.hold_lock(session, f"assign-trials-{participant.study_id}")
    # The condition is drawn under the same lock: its balancing count must not interleave either.
    conditions.ensure_condition(session, participant, settings)
    clips = repository.active_clips(session, settings)
    try:
        planned, plan = _planned_trials(session, participant, settings, clips)
    except AssignmentError as error:
        raise JourneyError(_(NOT_READY)) from error
    nonces = [secrets.token_urlsafe(18) for _trial in planned]
    try:
        with session.begin_nested():
            stored = repository.store_trials(session, participant, planned, nonces)
            for trial, entry in zip(stored, plan or (), strict=False):  # paired studies: number the pairs
                trial.pair_trial, trial.pair_position = entry.pair_trial, entry.pair_position
                trial.pairing = entry.pairing
            conditions.label_trials(stored, participant, settings, {c.clip_id: c.source for c in clips})
    except IntegrityError:  # a second tab of the same participant stored the list first
        session.expire(participant)
