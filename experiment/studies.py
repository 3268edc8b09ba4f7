"""The studies of one deployment: names, link slugs, creating, finding and deleting them. No Streamlit here.

A deployment holds many studies (a pilot beside the main study, a replication, a thesis); each has
its own settings versions, clip selection, participants and results. A study is named in links
(``/?study=SLUG``) and on the command line (``--study SLUG``) by its slug. A link or command without
one means the default study: the oldest one not deleted (so a deployment with one study needs no
slug anywhere, and a database from before studies existed keeps its links).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core import audit
from core import repository as core_repository
from experiment import repository
from experiment.settings import StudySettings, library_problems

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
"""A slug: 1-40 lower-case letters, digits and inner hyphens (it appears in links and file names)."""


class UnknownStudy(LookupError):
    """No live study has the slug asked for; the message says so in a sentence."""


@dataclass(frozen=True)
class StudyRef:
    """A study as the rest of the app names it."""

    id: int
    slug: str
    name: str


def _ref(row) -> StudyRef:
    return StudyRef(row.id, row.slug, row.name)


def slug_from(name: str) -> str:
    """A slug made from a study's name ("Pilot: strings 2027" -> "pilot-strings-2027"); "study" when nothing is left."""
    words = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return words[:40].rstrip("-") or "study"


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot name a study, as a sentence; None when it can."""
    if not SLUG_PATTERN.fullmatch(slug or ""):
        return (
            f"{slug!r} cannot be a study's short name: use 1 to 40 lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    return None


def live(session: Session) -> list[StudyRef]:
    """Every study not deleted, oldest first (the default study is always among them)."""
    repository.default_study_id(session)
    return [_ref(row) for row in repository.live_studies(session)]


def default(session: Session) -> StudyRef:
    """The default study (created with default settings when the deployment has none)."""
    row = repository.study_by_id(session, repository.default_study_id(session))
    assert row is not None
    return _ref(row)


def by_id(session: Session, study_id: int) -> StudyRef:
    """The study ``study_id`` (KeyError when there is none)."""
    row = repository.study_by_id(session, study_id)
    if row is None:
        raise KeyError(f"no study {study_id}")
    return _ref(row)


def resolve(session: Session, slug: str | None) -> StudyRef:
    """The live study named ``slug``, or the default study when ``slug`` is None or empty.

    Raises
    ------
    UnknownStudy
        No live study has that slug (a mistyped or old link).
    """
    if not slug:
        return default(session)
    row = repository.study_by_slug(session, slug.strip().lower())
    if row is None:
        raise UnknownStudy(f"There is no study called {slug!r} here.")
    return _ref(row)


def free_slug(session: Session, wanted: str) -> str:
    """``wanted`` when no study ever used it, else ``wanted-2``, ``wanted-3``, ... (an import's new slug)."""
    base = slug_from(wanted)
    candidate, n = base, 1
    while repository.slug_taken(session, candidate):
        n += 1
        suffix = f"-{n}"
        candidate = base[: 40 - len(suffix)].rstrip("-") + suffix
    return candidate


def create(
    session: Session,
    name: str,
    actor: audit.Actor,
    slug: str | None = None,
    settings: StudySettings | None = None,
    *,
    is_open: bool = True,
) -> StudyRef:
    """Create a study named ``name`` with ``settings`` (default: the defaults, titled ``name``) as version 1.

    The creating account (``actor.account_id``; None for the command line) becomes the study's owner.
    ``is_open``: whether it takes participants from the start (a copy of another study starts closed).

    Raises
    ------
    ValueError
        An empty name, a malformed slug, or a slug another study has (or had) already.
    """
    name = name.strip()
    if not name or len(name) > 200:
        raise ValueError("a study needs a name of 1 to 200 characters")
    slug = (slug or slug_from(name)).strip().lower()
    problem = slug_problem(slug)
    if problem:
        raise ValueError(problem)
    settings = settings or StudySettings(title=name)
    if repository.slug_taken(session, slug):
        raise ValueError(f"the short name {slug!r} is taken; choose another")
    row = repository.add_study(session, slug, name, settings, is_open=is_open)
    if row is None:
        raise ValueError(f"the short name {slug!r} was taken just now; choose another")
    audit.record(session, actor, "study.create", study_id=row.id, target=slug, detail={"name": name})
    if actor.account_id is not None:
        core_repository.set_member_role(session, row.id, actor.account_id, "owner")
        audit.record(session, actor, "member.add", study_id=row.id, target=actor.name, detail={"role": [None, "owner"]})
    return _ref(row)


def delete(session: Session, study: StudyRef, actor: audit.Actor) -> None:
    """Delete a study: its link and listing go, its data stay (erasing answers is withdrawal's job)."""
    repository.mark_study_deleted(session, study.id)
    audit.record(session, actor, "study.delete", study_id=study.id, target=study.slug)


def save_settings(
    session: Session,
    study_id: int,
    settings: StudySettings,
    actor: audit.Actor,
    note: str | None = None,
    check_library: bool = True,
) -> int:
    """Store ``settings`` as the study's new version and audit it with the diff; returns the version id.

    Audited as ``settings.save`` with ``{"changes": {field: [before, after]}}``. Opening and closing
    the study is :func:`set_open`, not a version.

    Raises
    ------
    ValueError
        Invalid settings, or (with ``check_library``) more trials than the study's clips allow.
    """
    _old_version, before = repository.current_settings(session, study_id)
    version_id = repository.save_settings(session, settings, note, check_library, study_id=study_id)
    changes = audit.settings_diff(before.to_dict(), settings.to_dict())
    detail = {"version": version_id, "changes": changes, "note": note}
    audit.record(session, actor, "settings.save", study_id=study_id, target=f"version {version_id}", detail=detail)
    return version_id


def is_open(session: Session, study_id: int) -> bool:
    """Whether the study takes new participants (people under way can always finish)."""
    return repository.study_is_open(session, study_id)


def set_open(session: Session, study_id: int, opened: bool, actor: audit.Actor) -> bool:
    """Open or close the study for new participants; audited as ``study.open`` / ``study.close``.

    A state of the study, not a settings version: the version in force stays the one last saved.
    Closing always works; opening checks that the study's clips can serve every participant.
    Returns False (and audits nothing) when the study was already in that state.

    Raises
    ------
    ValueError
        Opening while the settings in force cannot run with the study's clips; nothing changed.
    """
    if repository.study_is_open(session, study_id) == opened:
        return False
    version_id, settings = repository.current_settings(session, study_id)
    if opened:
        problems = library_problems(settings, repository.study_clip_counts(session, settings))
        if problems:
            raise ValueError("; ".join(problems))
    repository.set_study_open(session, study_id, opened)
    action = "study.open" if opened else "study.close"
    audit.record(session, actor, action, study_id=study_id, target=f"version {version_id}")
    return True
