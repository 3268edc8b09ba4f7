"""Replicas share clip bytes through the database: any data folder, even an empty one, serves every clip."""

from __future__ import annotations

import pytest

from audio import library, served_bytes
from audio.catalogue import ClipMetadata
from audio.errors import ServedAudioMissing
from audio.ingest import ingest_bytes
from audio.processing import ProcessingSettings
from audio.reprocess import reprocess
from core import db
from core.models import ClipBlob
from human_touch import startup
from tests.audio.signals import file_bytes, music_like

SETTINGS = ProcessingSettings(excerpt_seconds=4.0)


@pytest.fixture(autouse=True)
def fresh_memory_cache():
    """Each test starts as a freshly started replica: nothing of any clip in process memory."""
    served_bytes.clear_memory_cache()
    yield
    served_bytes.clear_memory_cache()


def _ingest(tmp_path, seed: int, source: str = "human") -> int:
    data = file_bytes(tmp_path, f"clip{seed}", music_like(6.0, seed=seed))
    return ingest_bytes(data, f"clip{seed}.wav", ClipMetadata(source=source), SETTINGS).clip_id


def _served_file_bytes(clip_id: int) -> bytes:
    with db.session_scope() as session:
        return library.clip_path(library.get_clip(session, clip_id)).read_bytes()


def _as_new_replica(tmp_path, monkeypatch, name: str):
    """Point this process at a new, empty data folder (same database) and forget what memory holds."""
    folder = tmp_path / name
    folder.mkdir()
    monkeypatch.setenv("HUMAN_TOUCH_DATA", str(folder))
    served_bytes.clear_memory_cache()
    return folder


def test_a_replica_with_an_empty_data_folder_serves_every_clip_byte_for_byte(tmp_path, data_env, monkeypatch):
    clip_ids = [_ingest(tmp_path, seed) for seed in (1, 2)]
    on_first_replica = {clip_id: _served_file_bytes(clip_id) for clip_id in clip_ids}

    replica = _as_new_replica(tmp_path, monkeypatch, "replica-data")
    assert not any(replica.iterdir())
    with db.session_scope() as session:
        for clip_id in clip_ids:
            assert library.served_audio(session, clip_id) == on_first_replica[clip_id]
    # Written through to the new folder's cache, under the same content-hash names.
    cached = {path.name: path.read_bytes() for path in (replica / "clips").iterdir()}
    with db.session_scope() as session:
        expected = {library.get_clip(session, i).served_name: on_first_replica[i] for i in clip_ids}
    assert cached == expected


def _drop_all_blobs() -> None:
    """The state of an installation from before ``clip_blobs``: files only."""
    with db.session_scope() as session:
        session.query(ClipBlob).delete()


def test_backfill_copies_existing_files_into_the_database_and_is_idempotent(tmp_path, data_env, monkeypatch):
    clip_ids = [_ingest(tmp_path, seed) for seed in (4, 5)]
    files = {clip_id: _served_file_bytes(clip_id) for clip_id in clip_ids}
    _drop_all_blobs()

    lines: list[str] = []
    startup.prepare(build_demo=False, echo=lines.append)  # what `human-touch prepare` and the app run
    with db.session_scope() as session:
        assert session.query(ClipBlob).count() == 2
    assert any("2 file(s) copied into the database" in line for line in lines)

    again = library.store_missing_blobs()
    assert again.stored == [] and again.missing == []

    _as_new_replica(tmp_path, monkeypatch, "replica-data")
    with db.session_scope() as session:
        for clip_id in clip_ids:
            assert library.served_audio(session, clip_id) == files[clip_id]


def test_backfill_skips_a_clip_whose_file_is_missing_too_and_serving_it_says_so(tmp_path, data_env, caplog):
    kept, lost, damaged = _ingest(tmp_path, 6), _ingest(tmp_path, 7), _ingest(tmp_path, 10)
    _drop_all_blobs()
    with db.session_scope() as session:
        library.clip_path(library.get_clip(session, lost)).unlink()
        library.clip_path(library.get_clip(session, damaged)).write_bytes(b"not the clip")

    lines: list[str] = []
    report = library.store_missing_blobs(echo=lines.append)
    assert report.stored == [kept] and report.missing == [lost, damaged]
    assert f"clip #{lost}: served file" in lines[0] and "is missing" in lines[0]
    assert f"clip #{damaged}: served file" in lines[1] and "does not match its hash" in lines[1]
    assert f"clip #{lost}" in caplog.text
    with db.session_scope() as session:
        assert session.get(ClipBlob, library.get_clip(session, damaged).served_sha256) is None

    with db.session_scope() as session:
        assert library.served_audio(session, kept)
        with pytest.raises(
            ServedAudioMissing,
            match=rf"clip #{lost}: its served audio .* neither in the database "
            r"nor in the data folder",
        ):
            library.served_audio(session, lost)


def test_reprocessing_stores_the_new_bytes_for_every_replica_and_drops_unheard_old_ones(
    tmp_path, data_env, monkeypatch
):
    clip_id = _ingest(tmp_path, 8)
    with db.session_scope() as session:
        old_sha = library.get_clip(session, clip_id).served_sha256
    result = reprocess(clip_id, ProcessingSettings(excerpt_seconds=3.0))
    assert result.served_sha256 != old_sha
    new_bytes = _served_file_bytes(clip_id)

    _as_new_replica(tmp_path, monkeypatch, "replica-data")
    with db.session_scope() as session:
        assert library.served_audio(session, clip_id) == new_bytes
        assert session.get(ClipBlob, old_sha) is None
        assert session.get(ClipBlob, result.served_sha256).byte_size == len(new_bytes)
