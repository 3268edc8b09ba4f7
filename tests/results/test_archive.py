"""A study travels: archived on one data folder and database, imported into a fresh one, run there identically.

Clips are made by the real pipeline (decode, excerpt, loudness, MP3, librosa features); the participant on
the importing server is driven through the real journey services and the bytes the player is sent are
decoded with soundfile. Both backends.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio import library, served_bytes
from audio.catalogue import ClipMetadata
from audio.ingest import ingest_bytes
from audio.processing import ProcessingSettings
from core import access, audit, db
from core.models import Participant
from experiment import repository, studies
from experiment.entry import Entry, load_participant
from experiment.settings import StudySettings
from experiment.trials import audio_for, current_trial
from results import archive
from tests.audio.signals import SR, music_like
from tests.cli_runner import run_cli as _run_cli
from tests.conftest import WORKER, _recreate_postgres, migrated_sqlite_copy
from tests.experiment.drive import answer_current, reach_trials, step

PROCESSING = ProcessingSettings(excerpt_seconds=3.0)
ORGANISER = audit.Actor("organiser@source")
IMPORTER = audit.Actor("importer@target")


def _wav(seed: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, music_like(6.0, seed=seed), SR, format="WAV")
    return buffer.getvalue()


def _add_clip(seed: int, source: str, settings: ProcessingSettings = PROCESSING) -> int:
    meta = ClipMetadata(source=source, title=f"Piece {seed}", creator=f"Maker {seed}", genre="test")
    return ingest_bytes(_wav(seed), f"piece{seed}.wav", meta, settings).clip_id


def _use(monkeypatch, data: Path, url: str) -> None:
    """Point the app at another data folder and database, as a second server would be."""
    db.dispose_engines()
    served_bytes.clear_memory_cache()
    data.mkdir(exist_ok=True)
    monkeypatch.setenv("HUMAN_TOUCH_DATA", str(data))
    monkeypatch.setenv("HUMAN_TOUCH_DATABASE_URL", url)


@pytest.fixture
def target_url(database_url: str, tmp_path: Path, request) -> str:
    """A second fresh, migrated database on the same backend as ``database_url``."""
    if database_url.startswith("sqlite"):
        return migrated_sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path / "target.db")
    return _recreate_postgres(f"human_touch_restored_{WORKER}", request.getfixturevalue("postgres_template"))


def _make_source_study() -> studies.StudyRef:
    """A demo-like study playing every active clip (3 human, 3 AI), with a second settings version."""
    for seed in range(6):
        _add_clip(seed, "human" if seed % 2 == 0 else "ai")
    first = StudySettings(title="Strings pilot").with_changes(
        n_trials=4, min_answer_seconds=0.0, screening="off", planned_n=40
    )
    with db.session_scope() as session:
        study = studies.create(session, "Strings pilot", ORGANISER, slug="strings", settings=first)
        studies.save_settings(session, study.id, first.with_changes(n_trials=2), ORGANISER, note="shorter")
    return study


def _decoded(data: bytes) -> np.ndarray:
    samples, _rate = sf.read(io.BytesIO(data), dtype="float32")
    return samples


def test_an_archive_imports_into_a_fresh_server_and_runs_identically(data_env, target_url, tmp_path, monkeypatch):
    source = _make_source_study()
    path = tmp_path / "strings.zip"
    with db.session_scope() as session:
        summary = archive.write_archive(session, source.id, path, ORGANISER)
        source_versions = list(reversed(repository.settings_history(session, source.id)))
        served = {clip.served_sha256: library.read_served_bytes(clip) for clip in library.list_clips(session)}
        source_trail = [e.action for e in audit.events(session, source.id)]
    assert summary.n_versions == 2 and summary.n_clips == 6 and path.stat().st_size == summary.byte_size
    assert source_trail[::-1] == ["study.create", "settings.save", "study.archive"]
    archived_trail = json.loads(zipfile.ZipFile(path).read("audit.json"))
    assert [event["action"] for event in archived_trail] == ["study.create", "settings.save"]
    assert all("client" not in event for event in archived_trail)  # staff addresses stay on this server

    _use(monkeypatch, tmp_path / "target-data", target_url)
    db.migrate()
    other = _add_clip(99, "human")  # the target library holds a clip the study never played
    with db.session_scope() as session:
        imported = archive.import_archive(session, path, IMPORTER)
    assert imported.slug == "strings" and imported.name == "Strings pilot"

    with db.session_scope() as session:
        target_versions = list(reversed(repository.settings_history(session, imported.id)))
        clips = {clip.id: clip for clip in library.list_clips(session)}
        new_ids = [clip_id for clip_id in clips if clip_id != other]
        assert len(target_versions) == 2
        for (_, _, _, before), (_, _, _, after) in zip(source_versions, target_versions, strict=True):
            assert before.clip_ids == () and after.clip_ids == tuple(sorted(new_ids))
            assert after.with_changes(clip_ids=()) == before
        assert target_versions[1][2] == "shorter"
        for clip_id in new_ids:  # the same processed bytes (not re-processed), features as archived
            assert library.read_served_bytes(clips[clip_id]) == served[clips[clip_id].served_sha256]
            assert clips[clip_id].features is not None and clips[clip_id].title.startswith("Piece")
        trail = [e.action for e in audit.events(session, imported.id)]
        everywhere = [e.action for e in audit.events(session)]
    assert trail[::-1] == ["study.create", "settings.save", "study.import"]
    assert everywhere.count("clip.add") == 6 and len(everywhere) == 6 + len(trail)

    heard = _participant_hears(Entry(study_slug=imported.slug))
    assert heard and set(heard) <= set(served)
    for sha, received in heard.items():  # the listener's copy differs in bytes, never in samples
        assert np.array_equal(_decoded(received), _decoded(served[sha]))


def _participant_hears(entry: Entry) -> dict[str, bytes]:
    """Drive one participant through every trial; the audio the player was sent, by the clip's served hash."""
    token = reach_trials(entry)
    heard: dict[str, bytes] = {}
    while step(token) in ("practice", "trials"):
        with db.session_scope() as session:
            participant = load_participant(session, token)
            view = current_trial(session, participant)
            trial = repository.trial_at(session, participant, view.trial_index)
            heard[trial.clip.served_sha256] = audio_for(session, participant, view.audio_nonce)
        assert answer_current(token).status == "recorded"
    return heard


def _counts(session) -> tuple[int, int, int, int]:
    return (
        len(studies.live(session)),
        len(library.list_clips(session, include_retired=True)),
        len(audit.events(session)),
        session.query(Participant).count(),
    )


def _tampered(path: Path, out: Path, change) -> Path:
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(out, "w") as copy:
        for info in original.infolist():
            copy.writestr(info.filename, change(info.filename, original.read(info)))
    return out


def test_a_corrupt_or_tampered_archive_is_refused_and_changes_nothing(sqlite_data_env, tmp_path):
    source = _make_source_study()
    path = tmp_path / "strings.zip"
    with db.session_scope() as session:
        archive.write_archive(session, source.id, path, ORGANISER)
        before = _counts(session)

    def flip_audio(name: str, data: bytes) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 1]) if name.endswith(".mp3") else data

    def more_trials(name: str, data: bytes) -> bytes:
        return data.replace(b'"n_trials": 4', b'"n_trials": 40') if name.startswith("settings/") else data

    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    cases = {
        _tampered(path, tmp_path / "flipped.zip", flip_audio): "corrupt or was changed",
        _tampered(path, tmp_path / "edited.zip", more_trials): "corrupt or was changed",
        truncated: "not a readable zip",
    }
    for bad, message in cases.items():
        with pytest.raises(archive.ArchiveError, match=message), db.session_scope() as session:
            archive.import_archive(session, bad, IMPORTER)
        with db.session_scope() as session:
            assert _counts(session) == before


def test_importing_twice_gives_a_new_slug_and_reuses_the_clips(sqlite_data_env, tmp_path):
    source = _make_source_study()
    with db.session_scope() as session:
        data, _summary = archive.archive_bytes(session, source.id, ORGANISER)
    with db.session_scope() as session:
        first = archive.import_archive(session, data, IMPORTER)
        second = archive.import_archive(session, data, IMPORTER, slug=None)
        clips = library.list_clips(session)
        _, settings = repository.current_settings(session, second.id)
        detail = next(e.detail for e in audit.events(session, second.id) if e.action == "study.import")
    assert (first.slug, second.slug) == ("strings-2", "strings-3")
    assert len(clips) == 6 and set(settings.clip_ids) == {clip.id for clip in clips}
    assert detail["clips"] == {"reused": 6}
    with db.session_scope() as session, pytest.raises(archive.ArchiveError, match="taken"):
        archive.import_archive(session, data, IMPORTER, slug="strings")


def test_an_original_processed_differently_here_is_added_beside_it(sqlite_data_env, tmp_path, monkeypatch):
    source = _make_source_study()
    path = tmp_path / "strings.zip"
    with db.session_scope() as session:
        archive.write_archive(session, source.id, path, ORGANISER)
    _use(monkeypatch, tmp_path / "target-data", f"sqlite:///{tmp_path / 'target.db'}")
    db.migrate()
    here = _add_clip(0, "human", ProcessingSettings(excerpt_seconds=4.0))  # same upload, other settings
    with db.session_scope() as session:
        imported = archive.import_archive(session, path, IMPORTER)
        _, settings = repository.current_settings(session, imported.id)
        clips = {clip.id: clip for clip in library.list_clips(session)}
    assert here not in settings.clip_ids and len(settings.clip_ids) == 6
    beside = [c for c in clips.values() if "archived_original_sha256" in (c.processing or {})]
    assert len(beside) == 1 and beside[0].processing["archived_original_sha256"] == clips[here].original_sha256


def test_the_replication_package_holds_the_archive_its_hash_the_data_and_analysis_r(sqlite_data_env, tmp_path):
    source = _make_source_study()
    out = tmp_path / "replication.zip"
    with db.session_scope() as session:
        digest = archive.write_replication_package(session, source.id, out, ORGANISER)
        trail = [e.action for e in audit.events(session, source.id)]
    with zipfile.ZipFile(out) as package:
        names = set(package.namelist())
        inner = package.read("study-archive.zip")
        listed = package.read("study-archive.zip.sha256").decode().split()[0]
        readme = package.read("README.md").decode()
    assert {"analysis.R", "README.md", "data/trials.csv", "data/codebook.md"} <= names
    assert archive.read_archive(inner).sha256 == listed and listed in readme
    assert "study.replication" in trail and len(digest) == 64
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(inner)).read("manifest.json"))
    assert manifest["study"] == {"name": "Strings pilot", "slug": "strings"}


def test_the_command_line_archives_imports_and_checks_permissions(sqlite_data_env, tmp_path, monkeypatch, capsys):
    source = _make_source_study()
    operator = access.operator()
    with db.session_scope() as session:
        access.create_account(session, operator, operator.actor(), "rita")
        access.set_role(session, operator, operator.actor(), source.id, "rita", access.Role.RESEARCHER)
        token = access.create_token(session, operator, operator.actor(), "rita", "laptop")
    out = tmp_path / "strings.zip"
    for command in ("archive", "replication"):  # a researcher reads results but may not take the study away
        code, _, err = _run_cli(monkeypatch, capsys, "study", command, "strings", "--out", str(out), token=token)
        assert code == 2 and "does not allow" in err and not out.exists()
    code, printed, _ = _run_cli(monkeypatch, capsys, "study", "archive", "strings", "--out", str(out))
    assert code == 0 and "2 settings version(s), 6 clip(s)" in printed and out.exists()
    package = str(tmp_path / "r.zip")
    code, printed, _ = _run_cli(monkeypatch, capsys, "study", "replication", "strings", "--out", package)
    assert code == 0 and "replication package" in printed

    code, _, err = _run_cli(monkeypatch, capsys, "study", "import", str(out), token=token)
    assert code == 2 and "does not allow" in err
    broken = tmp_path / "broken.zip"
    broken.write_bytes(out.read_bytes()[:1000])
    code, _, err = _run_cli(monkeypatch, capsys, "study", "import", str(broken))
    assert code == 2 and "not a readable zip" in err and "Nothing was imported" in err
    code, printed, _ = _run_cli(monkeypatch, capsys, "study", "import", str(out), "--slug", "strings-copy")
    assert code == 0 and "/?study=strings-copy" in printed
