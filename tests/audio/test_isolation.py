"""A decoder that crashes (a real SIGSEGV in a worker process) fails its own file only; the app keeps going.

The crash is the documented test hook of :mod:`audio.isolation`: in a worker process, a file whose
name contains ``$HUMAN_TOUCH_TEST_CRASH_ON`` kills that worker with SIGSEGV before decoding.
"""

from __future__ import annotations

import pytest

from audio import library
from audio.bulk_import import ImportItem, import_items
from audio.catalogue import ClipMetadata
from audio.errors import IngestError
from audio.ingest import ingest_bytes
from audio.isolation import CRASH_TEST_ENV, ProcessingWorker
from audio.processing import ProcessingSettings
from core import db
from core.models import Clip
from tests.audio.signals import file_bytes, music_like, write

SETTINGS = ProcessingSettings(excerpt_seconds=4.0)
CRASH_MARKER = "segfaults-the-decoder"


@pytest.fixture
def crashing_decoder(monkeypatch):
    """Worker processes started from now on crash on files named with :data:`CRASH_MARKER`."""
    monkeypatch.setenv(CRASH_TEST_ENV, CRASH_MARKER)


def _stored_names() -> set[str]:
    with db.session_scope() as session:
        return {clip.uploaded_filename for clip in session.query(Clip)}


def test_bulk_import_fails_only_the_file_whose_worker_died(tmp_path, sqlite_data_env, crashing_decoder):
    names = ["a.wav", "b.wav", f"c-{CRASH_MARKER}.wav", "d.wav", "e.wav"]
    items = [
        ImportItem(path=write(tmp_path / name, music_like(6.0, seed=seed)), metadata=ClipMetadata(source="ai"))
        for seed, name in enumerate(names)
    ]

    outcomes = import_items(items, SETTINGS, workers=2)

    assert [outcome.ok for outcome in outcomes] == [True, True, False, True, True]
    assert outcomes[2].message.startswith(f"c-{CRASH_MARKER}.wav: the audio decoder crashed on this file")
    assert _stored_names() == {"a.wav", "b.wav", "d.wav", "e.wav"}


def test_the_crash_hook_is_read_only_in_worker_processes(tmp_path, sqlite_data_env, crashing_decoder):
    path = write(tmp_path / f"{CRASH_MARKER}.wav", music_like(6.0, seed=9))
    [outcome] = import_items([ImportItem(path=path, metadata=ClipMetadata(source="human"))], SETTINGS, workers=0)
    assert outcome.ok  # processed in this very process, which is still alive


def test_a_page_upload_whose_decoder_crashes_fails_clearly_and_the_next_upload_is_added(
    tmp_path, sqlite_data_env, crashing_decoder
):
    crashing = file_bytes(tmp_path, "x", music_like(6.0, seed=1))
    good = file_bytes(tmp_path, "y", music_like(6.0, seed=2))
    with ProcessingWorker() as worker:  # as the add-clips page processes a batch of uploads
        with pytest.raises(
            IngestError,
            match=rf"^{CRASH_MARKER}\.mp3: the audio decoder crashed on this file "
            r"\(its worker process died\), so it was not added",
        ):
            ingest_bytes(crashing, f"{CRASH_MARKER}.mp3", ClipMetadata(source="human"), SETTINGS, worker=worker)
        result = ingest_bytes(good, "fine.wav", ClipMetadata(source="human"), SETTINGS, worker=worker)

    assert _stored_names() == {"fine.wav"}
    with db.session_scope() as session:
        assert library.served_audio(session, result.clip_id).startswith((b"ID3", b"\xff"))  # an MP3


def test_a_bad_upload_in_the_worker_is_refused_with_the_decoders_reason(tmp_path, sqlite_data_env):
    with ProcessingWorker() as worker, pytest.raises(IngestError, match="text file"):
        ingest_bytes(
            b"just some text, not audio\n" * 10, "notes.wav", ClipMetadata(source="ai"), SETTINGS, worker=worker
        )
    assert _stored_names() == set()
