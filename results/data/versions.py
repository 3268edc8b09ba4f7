"""Study versions in the analyses: their settings, which may be pooled, and what changed between them.

Every save of the study settings is a new version, and each answer records its version. Ratings
given on different scales (a 7-point and a 9-point "moved", or another set of scales) are not the
same measurement, so versions whose scale settings differ are never pooled: the analyses take one
compatible group of versions and say which (:func:`compatible_versions`). The settings of every
version go into the export (:func:`versions_table`) and the codebook.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.db import session_scope
from experiment.settings import EXCLUSION_RULES, StudySettings
from results.data import repository

VERSION_COLUMNS: tuple[str, ...] = (
    "study_version_id",
    "created_at",
    "note",
    "scale_points",
    "scales",
    "n_trials",
    "screening",
    "screening_criterion",
    "screening_pass_mark",
    "exclusion_rules",
    "planned_n",
    "settings_json",
)
"""Columns of the exported versions table (described in :mod:`results.data.codebook`)."""


@dataclass(frozen=True)
class StudyVersionInfo:
    """One saved study version: id, when, the organiser's note and the settings."""

    study_version_id: int
    created_at: pd.Timestamp
    note: str
    settings: StudySettings


def load_versions(engine: Engine) -> dict[int, StudyVersionInfo]:
    """Every saved study version by id, oldest first."""
    with session_scope(engine) as session:
        return read_versions(session)


def read_versions(session: Session, study_id: int | None = None) -> dict[int, StudyVersionInfo]:
    """Every saved study version by id, oldest first, read in ``session``."""
    rows = repository.fetch_study_versions(session, study_id)
    return {
        int(row["study_version_id"]): StudyVersionInfo(
            int(row["study_version_id"]),
            pd.Timestamp(row["created_at"]),
            row["note"] or "",
            StudySettings.from_dict(row["config"] or {}),
        )
        for row in rows
    }


def read_declines(session: Session, study_id: int | None = None) -> dict[int, int]:
    """Consent declines per study version id, read in ``session``."""
    return repository.fetch_consent_declines(session, study_id)


def read_withdrawals(session: Session, study_id: int | None = None) -> dict[int, int]:
    """Withdrawals per study version id, read in ``session``."""
    return repository.fetch_withdrawals(session, study_id)


def describe_scales(settings: StudySettings) -> str:
    """E.g. "9-point scales valence, arousal, moved, liking"."""
    return f"{settings.scale_points}-point scales {', '.join(settings.scales) or '(none)'}"


def compatible_versions(
    versions: Mapping[int, StudyVersionInfo], with_data: Iterable[int], chosen: Collection[int] | None = None
) -> tuple[tuple[int, ...] | None, str]:
    """The study versions an analysis may pool, and a sentence saying what was left out.

    Parameters
    ----------
    versions : mapping
        :func:`load_versions`.
    with_data : iterable of int
        Versions that have answers.
    chosen : collection of int, optional
        The researcher's choice of versions (None = all).

    Returns
    -------
    (tuple of int or None, str)
        The versions to analyse (None: all of ``chosen``, which share their scale settings) and
        "" or a note: when the candidate versions differ in ``scale_points`` or ``scales``, only
        the group of the newest version is kept and the note names the versions left out.
    """
    candidates = sorted({int(v) for v in with_data if chosen is None or int(v) in chosen})
    groups: dict[tuple, list[int]] = {}
    for version in candidates:
        settings = versions[version].settings if version in versions else StudySettings()
        groups.setdefault(settings.scale_signature, []).append(version)
    if len(groups) <= 1:
        return (tuple(chosen) if chosen is not None else None), ""
    newest = max(candidates)
    kept = next(group for group in groups.values() if newest in group)
    left_out = [v for v in candidates if v not in kept]
    settings = versions[newest].settings if newest in versions else StudySettings()
    note = (
        f"Study versions with different rating scales are never pooled: analysing version(s) "
        f"{', '.join(map(str, kept))} ({describe_scales(settings)}); version(s) {', '.join(map(str, left_out))} "
        "used other scale settings and are left out. Choose study versions in the filters to analyse them."
    )
    return tuple(kept), note


def rules_by_version(versions: Mapping[int, StudyVersionInfo]) -> dict[int, tuple[str, ...]]:
    """Each version's preregistered exclusion rules, in the order they are applied."""
    return {
        v: tuple(rule for rule in EXCLUSION_RULES if rule in info.settings.exclusion_rules)
        for v, info in versions.items()
    }


def versions_table(versions: Mapping[int, StudyVersionInfo]) -> pd.DataFrame:
    """One row per saved version with its key settings and the full settings as JSON (:data:`VERSION_COLUMNS`)."""
    rows = [
        {
            "study_version_id": v,
            "created_at": info.created_at,
            "note": info.note,
            "scale_points": info.settings.scale_points,
            "scales": ",".join(info.settings.scales),
            "n_trials": info.settings.n_trials,
            "screening": str(info.settings.screening),
            "screening_criterion": str(info.settings.screening_criterion),
            "screening_pass_mark": info.settings.screening_pass_mark,
            "exclusion_rules": ",".join(info.settings.exclusion_rules),
            "planned_n": info.settings.planned_n,
            "settings_json": json.dumps(info.settings.to_dict(), sort_keys=True),
        }
        for v, info in sorted(versions.items())
    ]
    frame = pd.DataFrame(rows, columns=list(VERSION_COLUMNS))
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def settings_differences(before: StudySettings, after: StudySettings) -> list[str]:
    """Names of the settings that differ between two versions (``is_open`` left out: opening is not a change)."""
    old, new = before.to_dict(), after.to_dict()
    return [name for name in new if name != "is_open" and old.get(name) != new[name]]
