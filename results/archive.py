"""Studies that travel: one zip another server imports and runs identically, and the replication package.

:func:`write_archive` writes a study as one zip::

    manifest.json          format version, app version, study name and slug, created_at (UTC) and the
                           SHA-256 of every other member
    settings/NNN.json      every settings version, oldest first: config, created_at, note
    clips/manifest.json    each clip the study plays: catalogue, processing facts, features, served hash
    clips/<sha256>.<ext>   the served bytes of each of those clips (exactly what participants hear)
    preregistration.md     the preregistration of the version in force
    codebook.json, .md     what every exported column means
    audit.json             the study's audit trail, oldest first

:func:`import_archive` checks every member against the manifest before it writes anything (a corrupt or
tampered zip is refused and changes nothing), adds the clips exactly as archived (no re-processing;
a clip whose bytes are already here is reused, see :mod:`audio.transfer`), and recreates every
settings version in order with the clip ids of this library. A study that played every active clip
(empty ``clip_ids``) plays exactly the imported clips here, so it runs the same on a server whose
library holds other clips too. :func:`write_replication_package` bundles the archive with the data,
the codebook, ``analysis.R``, a README and the archive's SHA-256, ready for OSF.

Which clips an archive holds: every clip any version names in ``clip_ids`` (retired ones too, so
every version's selection can be mapped), plus every active clip when a version selects all of them.
The original uploads are not archived (they stay with the lab that owns them); the served bytes are.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from audio import transfer
from audio.errors import IngestError
from core import audit
from experiment import repository as experiment_repository
from experiment import studies
from experiment.settings import StudySettings, settings_problems
from results.data.dataset import PREREGISTERED, load_dataset
from results.planning.prereg import preregistration_markdown
from results.rendering.export import codebook_json, codebook_markdown, export_files

FORMAT = "human-touch study archive"
FORMAT_VERSION = 1
MAX_ARCHIVE_BYTES = 1024**3
"""Refuse archives whose members unpack to more than this, 1 GiB (a zip bomb; an import is read in memory).
The demo study's 14 clips of 20 s make an archive of 11.3 MB."""
ANALYSIS_SCRIPT = Path(__file__).with_name("analysis.R")

Destination = Path | str | IO[bytes]


class ArchiveError(ValueError):
    """An archive cannot be imported; ``str(error)`` says why in a sentence. Nothing was changed."""


@dataclass(frozen=True)
class ArchiveSummary:
    """An archive written: the study, its SHA-256 and size in bytes, settings versions and clips in it."""

    study: studies.StudyRef
    sha256: str
    byte_size: int
    n_versions: int
    n_clips: int


# --- writing ----------------------------------------------------------------------------------


def write_archive(session: Session, study_id: int, out: Destination, actor: audit.Actor) -> ArchiveSummary:
    """Write the archive of ``study_id`` to ``out`` (a path or a binary file) and audit ``study.archive``."""
    summary = _write(session, study_id, out)
    detail = {
        "sha256": summary.sha256,
        "bytes": summary.byte_size,
        "versions": summary.n_versions,
        "clips": summary.n_clips,
    }
    audit.record(session, actor, "study.archive", study_id=study_id, target=summary.study.slug, detail=detail)
    return summary


def archive_bytes(session: Session, study_id: int, actor: audit.Actor) -> tuple[bytes, ArchiveSummary]:
    """The archive of ``study_id`` in memory (a download), audited as :func:`write_archive`."""
    buffer = io.BytesIO()
    summary = write_archive(session, study_id, buffer, actor)
    return buffer.getvalue(), summary


def _write(session: Session, study_id: int, out: Destination) -> ArchiveSummary:
    """Write the archive without auditing; returns its summary (hash of the whole file included)."""
    study = studies.by_id(session, study_id)
    history = list(reversed(experiment_repository.settings_history(session, study_id)))
    version_id, in_force = experiment_repository.current_settings(session, study_id)
    records = transfer.archived_records(session, _archived_clip_ids(session, [s for *_, s in history]))
    members: dict[str, str] = {}
    with _HashingWriter(out) as hashing, zipfile.ZipFile(hashing, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, data: bytes, compress: bool = True) -> None:
            members[name] = hashlib.sha256(data).hexdigest()
            archive.writestr(name, data, zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)

        for number, (row_id, created_at, note, settings) in enumerate(history, start=1):
            version = {"version": number, "id": row_id, "created_at": created_at.isoformat(), "note": note}
            add(f"settings/{number:03d}.json", _json(version | {"config": settings.to_dict()}))
        every_active = [c.clip_id for c in experiment_repository.active_clips(session)]
        add("clips/manifest.json", _json({"clips": records, "every_active_clip": every_active}))
        for record in records:
            data = transfer.served_bytes_of(session, record["id"])
            add(f"clips/{record['served_sha256']}.{transfer.served_suffix(record)}", data, compress=False)
        counts = experiment_repository.study_clip_counts(session, in_force)
        add("preregistration.md", preregistration_markdown(version_id, in_force, counts).encode())
        for name, data in _codebook(study_id).items():
            add(name, data)
        add("audit.json", _json([_event(entry) for entry in reversed(audit.events(session, study_id))]))
        add("manifest.json", _json(_manifest(study, members)))
    return ArchiveSummary(study, hashing.hexdigest(), hashing.size, len(history), len(records))


def _archived_clip_ids(session: Session, versions: list[StudySettings]) -> set[int]:
    """Every clip a version names, plus every active clip when a version plays them all."""
    named = {clip_id for settings in versions for clip_id in settings.clip_ids}
    if any(not settings.clip_ids for settings in versions):
        named |= {clip.clip_id for clip in experiment_repository.active_clips(session)}
    return named


def _codebook(study_id: int) -> dict[str, bytes]:
    dataset = load_dataset(replace(PREREGISTERED, study_id=study_id))
    return {"codebook.json": codebook_json(dataset).encode(), "codebook.md": codebook_markdown(dataset).encode()}


def _manifest(study: studies.StudyRef, members: dict[str, str]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "app_version": _app_version(),
        "created_at": datetime.now(UTC).isoformat(),
        "study": {"name": study.name, "slug": study.slug},
        "members": members,
    }


def _event(entry: audit.Entry) -> dict[str, Any]:
    # Who and when travel with the study; the staff's network addresses do not (they are personal
    # data about staff, and a replication package goes public). They stay in this server's trail.
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "detail": entry.detail,
    }


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str).encode("utf-8")


def _app_version() -> str:
    try:
        return metadata.version("human-touch")
    except metadata.PackageNotFoundError:
        return "unknown"


class _HashingWriter(io.RawIOBase):
    """A write-only stream that hashes and counts what passes through to ``out`` (zipfile needs no seeking)."""

    def __init__(self, out: Destination) -> None:
        self._own = isinstance(out, Path | str)
        self._out: IO[bytes] = open(out, "wb") if isinstance(out, Path | str) else out  # noqa: SIM115
        self._hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._hash.update(data)
        self.size += len(data)
        self._out.write(data)
        return len(data)

    def close(self) -> None:
        if self._own and not self._out.closed:
            self._out.close()
        super().close()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


# --- reading and importing ----------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedArchive:
    """An archive whose every member matched its SHA-256 in the manifest."""

    manifest: dict[str, Any]
    members: dict[str, bytes]
    sha256: str

    def json(self, name: str) -> Any:
        try:
            return json.loads(self.members[name])
        except (KeyError, ValueError):
            raise ArchiveError(f"The archive's {name} is missing or is not JSON.") from None


def read_archive(source: Path | str | bytes | IO[bytes]) -> VerifiedArchive:
    """Open an archive and check every member against the manifest's SHA-256 (nothing is written).

    Raises
    ------
    ArchiveError
        Not a zip, not a Human Touch study archive, from a newer format, too large, a member missing,
        added or changed (corrupt or tampered), each with a sentence saying which.
    """
    data = source if isinstance(source, bytes) else _read_source(source)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_ARCHIVE_BYTES:
                raise ArchiveError(f"The archive unpacks to more than {MAX_ARCHIVE_BYTES >> 20} MB: too large.")
            members = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as error:
        raise ArchiveError(f"This file is not a readable zip archive ({error}).") from None
    manifest = _checked_manifest(members)
    listed = manifest["members"]
    present = set(members) - {"manifest.json"}
    if present != set(listed):
        missing, extra = sorted(set(listed) - present), sorted(present - set(listed))
        raise ArchiveError(f"The archive was changed: missing {missing or 'nothing'}, unexpected {extra or 'nothing'}.")
    changed = sorted(name for name in listed if hashlib.sha256(members[name]).hexdigest() != listed[name])
    if changed:
        raise ArchiveError(f"The archive is corrupt or was changed: {', '.join(changed)} do(es) not match its SHA-256.")
    return VerifiedArchive(manifest, members, hashlib.sha256(data).hexdigest())


def _read_source(source: Path | str | IO[bytes]) -> bytes:
    if isinstance(source, Path | str):
        try:
            return Path(source).read_bytes()
        except OSError as error:
            raise ArchiveError(f"Cannot read {source}: {error.strerror or error}.") from None
    return source.read()


def _checked_manifest(members: dict[str, bytes]) -> dict[str, Any]:
    try:
        manifest = json.loads(members["manifest.json"])
    except (KeyError, ValueError):
        raise ArchiveError("This zip has no readable manifest.json: it is not a Human Touch study archive.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError("This zip is not a Human Touch study archive.")
    if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
        raise ArchiveError(
            f"This archive has format version {manifest.get('format_version')!r}; this server reads version "
            f"{FORMAT_VERSION} and older. Update Human Touch to import it."
        )
    if not isinstance(manifest.get("members"), dict) or not isinstance(manifest.get("study"), dict):
        raise ArchiveError("The archive's manifest lacks its member list or study.")
    return manifest


def _versions(archive: VerifiedArchive) -> list[tuple[str | None, StudySettings]]:
    """``(note, settings)`` of every archived version, oldest first; refused when one is invalid today."""
    names = sorted(name for name in archive.members if name.startswith("settings/") and name.endswith(".json"))
    if not names:
        raise ArchiveError("The archive holds no settings versions.")
    versions = []
    for name in names:
        version = archive.json(name)
        try:
            settings = StudySettings.from_dict(version["config"])
        except (KeyError, TypeError, ValueError) as error:
            raise ArchiveError(f"The archive's {name} is not a settings version this server reads ({error}).") from None
        problems = settings_problems(settings)
        if problems:
            raise ArchiveError(f"The archive's {name} is not valid here: {'; '.join(problems)}.")
        versions.append((version.get("note"), settings))
    return versions


def import_archive(
    session: Session, source: Path | str | bytes | IO[bytes], actor: audit.Actor, slug: str | None = None
) -> studies.StudyRef:
    """Recreate the archived study here: its clips (exactly as archived) and every settings version, in order.

    Parameters
    ----------
    session : Session
        The caller's transaction; nothing is written before every member has been checked.
    source : path, bytes or binary file
        The archive (:func:`write_archive`).
    actor : core.audit.Actor
        Who imports; an account becomes the new study's owner.
    slug : str, optional
        The new study's short name; default the archived one, or ``slug-2``, ``slug-3``... when taken.

    Raises
    ------
    ArchiveError
        The archive is unreadable, corrupt, tampered or invalid here (nothing changed), or ``slug`` is taken.
    """
    archive = read_archive(source)
    versions = _versions(archive)
    clips = archive.json("clips/manifest.json")
    if not isinstance(clips, dict) or not isinstance(clips.get("clips"), list):
        raise ArchiveError("The archive's clips/manifest.json lists no clips.")
    try:
        imported = [_import_clip(session, archive, record) for record in clips["clips"]]
    except IngestError as error:
        raise ArchiveError(f"The archive's clips cannot be imported: {error}.") from None
    new_ids = {clip.archived_id: clip.clip_id for clip in imported}
    every_active = tuple(new_ids[i] for i in clips.get("every_active_clip", []) if i in new_ids)
    remapped = [(note, _remapped(settings, new_ids, every_active)) for note, settings in versions]
    study = _create(session, archive, remapped, actor, slug)
    _audit_import(session, actor, study, archive, imported, len(remapped))
    return study


def _import_clip(session: Session, archive: VerifiedArchive, record: Any) -> transfer.ImportedClip:
    if not isinstance(record, dict):
        raise IngestError("a clip record is not an object")
    name = f"clips/{record.get('served_sha256')}.{transfer.served_suffix(record)}"
    if name not in archive.members:
        raise IngestError(f"clip {record.get('id')} has no audio in the archive")
    return transfer.import_clip(session, record, archive.members[name])


def _remapped(settings: StudySettings, new_ids: dict[int, int], every_active: tuple[int, ...]) -> StudySettings:
    """``settings`` with this library's clip ids; "every active clip" becomes exactly the imported ones."""
    if not settings.clip_ids:
        return settings.with_changes(clip_ids=every_active)
    unknown = [clip_id for clip_id in settings.clip_ids if clip_id not in new_ids]
    if unknown:
        raise ArchiveError(f"The archive's settings name clips it does not hold: {unknown}.")
    return settings.with_changes(clip_ids=tuple(new_ids[clip_id] for clip_id in settings.clip_ids))


def _create(
    session: Session,
    archive: VerifiedArchive,
    versions: list[tuple[str | None, StudySettings]],
    actor: audit.Actor,
    slug: str | None,
) -> studies.StudyRef:
    """The new study with ``versions`` as its settings versions, in order (each audited as a save)."""
    archived = archive.manifest["study"]
    name = str(archived.get("name") or "Imported study")
    wanted = slug or studies.free_slug(session, str(archived.get("slug") or name))
    try:
        study = studies.create(session, name, actor, slug=wanted, settings=versions[0][1])
        for note, settings in versions[1:]:
            studies.save_settings(session, study.id, settings, actor, note=note, check_library=False)
    except ValueError as error:
        raise ArchiveError(f"The study cannot be created: {error}.") from None
    return study


def _audit_import(
    session: Session,
    actor: audit.Actor,
    study: studies.StudyRef,
    archive: VerifiedArchive,
    imported: list[transfer.ImportedClip],
    n_versions: int,
) -> None:
    """``clip.add`` for every clip new to the library, and one ``study.import`` with where it came from."""
    for clip in imported:
        if clip.status != "reused":
            added = {"from_archive": archive.sha256, "status": clip.status}
            audit.record(session, actor, "clip.add", target=f"clip #{clip.clip_id}", detail=added)
    statuses = [clip.status for clip in imported]
    detail: dict[str, Any] = {
        "archive_sha256": archive.sha256,
        "archived_study": archive.manifest["study"],
        "archived_at": archive.manifest.get("created_at"),
        "app_version": archive.manifest.get("app_version"),
        "versions": n_versions,
        "clips": {status: statuses.count(status) for status in sorted(set(statuses))},
        "clip_ids": {str(clip.archived_id): clip.clip_id for clip in imported},
        "retired_here": [clip.clip_id for clip in imported if clip.retired],
    }
    audit.record(session, actor, "study.import", study_id=study.id, target=study.slug, detail=detail)


# --- the replication package ------------------------------------------------------------------


def write_replication_package(session: Session, study_id: int, out: Destination, actor: audit.Actor) -> str:
    """Write the replication package of ``study_id`` to ``out`` and audit ``study.replication``; returns its SHA-256.

    One zip: ``study-archive.zip`` (:func:`write_archive`) and ``study-archive.zip.sha256``, the data as
    CSV under ``data/`` exactly as ``human-touch export`` writes them under the preregistered exclusion
    rules (trials, participants, clips, versions, flow and the codebook), ``analysis.R`` (the headline
    models with lme4: ``Rscript analysis.R data/trials.csv``) and a ``README.md`` that says what is where.
    """
    archive = io.BytesIO()
    summary = _write(session, study_id, archive)
    dataset = load_dataset(replace(PREREGISTERED, study_id=study_id))
    with _HashingWriter(out) as hashing, zipfile.ZipFile(hashing, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("study-archive.zip", archive.getvalue(), zipfile.ZIP_STORED)
        package.writestr("study-archive.zip.sha256", f"{summary.sha256}  study-archive.zip\n")
        for name, data in export_files(dataset, ("csv",)).items():
            package.writestr(f"data/{name}", data)
        package.writestr("analysis.R", ANALYSIS_SCRIPT.read_bytes())
        package.writestr("README.md", _readme(summary, dataset.filters.describe(), dataset.n_participants))
    detail = {
        "sha256": hashing.hexdigest(),
        "archive_sha256": summary.sha256,
        "participants": dataset.n_participants,
        "trials": len(dataset.trials),
    }
    audit.record(session, actor, "study.replication", study_id=study_id, target=summary.study.slug, detail=detail)
    return hashing.hexdigest()


def replication_bytes(session: Session, study_id: int, actor: audit.Actor) -> bytes:
    """The replication package in memory (a download), audited as :func:`write_replication_package`."""
    buffer = io.BytesIO()
    write_replication_package(session, study_id, buffer, actor)
    return buffer.getvalue()


def _readme(summary: ArchiveSummary, filters: str, n_participants: int) -> str:
    study = summary.study
    lines = [
        f"# Replication package: {study.name}",
        "",
        f"Made by Human Touch {_app_version()} on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"from the study `{study.slug}`.",
        "",
        "## Contents",
        "",
        f"- `study-archive.zip`: the study itself ({summary.n_versions} settings versions, {summary.n_clips} clips "
        "with their served audio, preregistration, codebook, audit trail). SHA-256:",
        f"  `{summary.sha256}` (also in `study-archive.zip.sha256`;",
        "  check with `sha256sum -c study-archive.zip.sha256`).",
        "  Another Human Touch server runs the same study after `human-touch study import study-archive.zip`.",
        f"- `data/`: the data of {n_participants} analysed participants as CSV (one row per answered trial in "
        "`trials.csv`), with `codebook.md` describing every column.",
        f"  Participants analysed: {filters}.",
        "- `analysis.R`: the headline models with lme4 (detection GLMM with crossed participant and clip effects, "
        "emotion models): `Rscript analysis.R data/trials.csv estimates.csv`.",
        "",
        "Participants are numbered; no Prolific or other identifiers are in this package.",
        "",
    ]
    return "\n".join(lines)
