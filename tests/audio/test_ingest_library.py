"""The whole pipeline into the library, on both database backends: what participants get is uniform."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from audio import library
from audio.bulk_import import ImportItem, import_items
from audio.catalogue import ClipMetadata
from audio.errors import IngestError, MetadataError
from audio.features import FEATURE_VERSION
from audio.ingest import ingest_bytes, ingest_file
from audio.processing import ProcessingSettings, decode_mp3, integrated_loudness, true_peak_dbtp
from audio.reprocess import reprocess
from core import db
from core.models import Clip, Participant, Response, StudyVersion, Trial
from experiment.repository import default_study_id
from tests.audio.signals import SR, file_bytes, music_like, write

SETTINGS = ProcessingSettings(excerpt_seconds=6.0)


def _peaky(seconds: float) -> np.ndarray:
    """Sparse loud clicks over a very quiet tone: cannot reach -23 LUFS under -1 dBTP."""
    y = music_like(seconds) * 0.002
    y[:: SR // 2] = 0.95
    return y


def _hot(seconds: float) -> np.ndarray:
    """A clipped, square-ish master far louder than the target."""
    return np.clip(music_like(seconds) * 8.0, -1.0, 1.0)


def _independent_true_peak_dbtp(y: np.ndarray) -> float:
    upsampled = signal.resample_poly(y, 4, 1, axis=0)
    return float(20 * np.log10(np.max(np.abs(upsampled))))


def test_every_served_clip_is_uniform_on_target_under_the_ceiling_and_untagged(tmp_path, data_env):
    inputs = [
        ("human-wav.wav", "wav", music_like(10.0, seed=1) * 0.3, SR, "human"),
        ("ai-flac-48k-mono.flac", "flac", music_like(9.0, sr=48000, seed=2, channels=1), 48000, "ai"),
        ("vorbis.ogg", "ogg_vorbis", music_like(9.0, seed=3), SR, "ai"),
        ("from-mp3.mp3", "mp3", music_like(9.0, seed=4), SR, "human"),
        ("very-quiet.wav", "wav_float", music_like(9.0, seed=5) * 0.003, SR, "human"),
        ("hot-master.wav", "wav", _hot(9.0), SR, "ai"),
        ("peaky.wav", "wav", _peaky(9.0), SR, "human"),
    ]
    for name, kind, y, sr, source in inputs:
        path = write(tmp_path / name, y, sr, kind)
        ingest_file(
            path,
            ClipMetadata(source=source, title=f"Title of {name}", creator="Secret Creator"),
            SETTINGS,
            original_filename=name,
        )

    with db.session_scope() as session:
        clips = library.list_clips(session)
        assert len(clips) == len(inputs)
        for clip in clips:
            data = library.read_served_bytes(clip)
            assert hashlib.sha256(data).hexdigest() == clip.served_sha256
            assert library.clip_path(clip).name == f"{clip.served_sha256}.mp3"
            original = library.original_path(clip).read_bytes()
            assert hashlib.sha256(original).hexdigest() == clip.original_sha256

            info = sf.info(library.clip_path(clip))
            assert (info.format, info.samplerate, info.channels, info.frames) == ("MP3", 44100, 2, 6 * 44100)
            assert (clip.codec, clip.sample_rate, clip.channels, clip.duration_s) == ("mp3-cbr", 44100, 2, 6.0)

            decoded, sr = decode_mp3(data)
            assert true_peak_dbtp(decoded, sr) <= -1.0
            assert _independent_true_peak_dbtp(decoded) <= -1.0 + 0.1
            loudness = integrated_loudness(decoded, sr)
            assert loudness == pytest.approx(clip.loudness_after_lufs, abs=1e-6)
            assert clip.loudness_flag is not None or abs(loudness + 23.0) <= 0.5, clip.uploaded_filename

            assert data[:3] != b"ID3" and b"TAG" not in data[-128:] and b"APETAGEX" not in data
            for secret in (clip.title, clip.creator, clip.uploaded_filename, "Title", "Secret"):
                assert secret.encode() not in data

            assert clip.features.extractor_version == FEATURE_VERSION
            assert clip.features.values["loudness_lufs"] == pytest.approx(loudness)
            assert clip.features.values["true_peak_dbtp"] == pytest.approx(clip.true_peak_dbtp)
        flagged = {clip.uploaded_filename: clip.loudness_flag for clip in clips if clip.loudness_flag}
    assert list(flagged) == ["peaky.wav"]
    assert flagged["peaky.wav"].startswith("below target")


def _answer(session, clip_id: int) -> None:
    """A participant who heard ``clip_id`` and answered it."""
    version = StudyVersion(study_id=default_study_id(session), config={})
    session.add(version)
    session.flush()
    participant = Participant(
        resume_token=f"token-{clip_id}", study_id=version.study_id, study_version_id=version.id, seed=1
    )
    session.add(participant)
    session.flush()
    trial = Trial(participant_id=participant.id, trial_index=0, clip_id=clip_id, audio_nonce=f"nonce-{clip_id}")
    session.add(trial)
    session.flush()
    session.add(
        Response(
            trial_id=trial.id, participant_id=participant.id, trial_index=0, study_version_id=version.id, valence=5
        )
    )


def test_library_edits_retirement_reprocessing_and_the_feature_frame(tmp_path, data_env):
    human = ingest_bytes(
        file_bytes(tmp_path, "h", music_like(12.0, seed=1)),
        "h.wav",
        ClipMetadata(source="human", title="Human piece"),
        SETTINGS,
    )
    ai = ingest_bytes(
        file_bytes(tmp_path, "a", music_like(12.0, seed=2)),
        "a.wav",
        ClipMetadata(source="ai", ai_system="GenSys", ai_version="2"),
        SETTINGS,
        start_offset_s=1.5,
    )

    with db.session_scope() as session:
        library.update_metadata(session, ai.clip_id, genre="  Chorale ", vocals="instrumental", pair_id="p1")
        with pytest.raises(MetadataError, match="source must be"):
            library.update_metadata(session, ai.clip_id, source="robot", genre="changed")
        with pytest.raises(MetadataError, match="unknown field"):
            library.update_metadata(session, ai.clip_id, served_sha256="0" * 64)
    with db.session_scope() as session:
        clip = library.get_clip(session, ai.clip_id)
        assert (clip.source, clip.genre, clip.vocals, clip.pair_id) == ("ai", "Chorale", "instrumental", "p1")

    with db.session_scope() as session:
        library.retire(session, human.clip_id)
        assert library.active_counts(session) == {"human": 0, "ai": 1}
        frame = library.features_frame(session)
        assert list(frame["clip_id"]) == [ai.clip_id]
        everything = library.features_frame(session, include_retired=True)
        assert list(everything["retired"]) == [True, False]
        assert list(everything.columns[: len(library.FRAME_COLUMNS)]) == list(library.FRAME_COLUMNS)
        assert {"feat_tempo_estimate_bpm", "feat_mfcc_13_mean", "feat_chroma_b_mean"} <= set(everything.columns)
        library.unretire(session, human.clip_id)
        assert library.active_counts(session) == {"human": 1, "ai": 1}

    # New settings: both clips need re-processing; an organiser-chosen start is kept.
    shorter = ProcessingSettings(excerpt_seconds=4.0)
    with db.session_scope() as session:
        library.save_processing_settings(session, shorter)
        assert library.current_processing_settings(session) == shorter
        assert {c.id for c in library.clips_needing_reprocess(session, shorter)} == {human.clip_id, ai.clip_id}
        _answer(session, human.clip_id)
    old_file = data_env / "clips" / f"{ai.served_sha256}.mp3"
    redone = reprocess(ai.clip_id)
    assert redone.start_offset_s == 1.5 and not old_file.exists()
    with db.session_scope() as session:
        clip = library.get_clip(session, ai.clip_id)
        assert clip.duration_s == 4.0 and sf.info(library.clip_path(clip)).frames == 4 * 44100
        assert clip.features.values["duration_s"] == pytest.approx(4.0)

    # The human clip has a response: refused unless forced, and then the old audio is recorded.
    with pytest.raises(IngestError, match="played to participants"):
        reprocess(human.clip_id)
    forced = reprocess(human.clip_id, force=True)
    with db.session_scope() as session:
        clip = library.get_clip(session, human.clip_id)
        assert clip.processing["replaced_served_sha256"] == human.served_sha256
        assert clip.processing["replaced_processing"]["settings"]["excerpt_seconds"] == 6.0
        assert clip.start_offset_s == pytest.approx(4.0)  # default rule re-applied: 12 s / 3
        assert forced.served_sha256 == clip.served_sha256
        assert library.clips_needing_reprocess(session, shorter) == []


def test_metadata_is_validated_before_anything_is_done(tmp_path, sqlite_data_env):
    data = file_bytes(tmp_path, "h", music_like(8.0))
    with pytest.raises(IngestError, match="source must be 'human' or 'ai'"):
        ingest_bytes(data, "h.wav", ClipMetadata(source="alien"), SETTINGS)
    with pytest.raises(IngestError, match="vocals must be"):
        ingest_bytes(data, "h.wav", ClipMetadata(source="ai", vocals="kazoo"), SETTINGS)
    with pytest.raises(IngestError, match="title is longer than 300"):
        ingest_bytes(data, "h.wav", ClipMetadata(source="ai", title="x" * 301), SETTINGS)
    assert not (sqlite_data_env / "clips").exists() or not any((sqlite_data_env / "clips").iterdir())


def test_settings_default_until_saved(sqlite_data_env):
    with db.session_scope() as session:
        assert library.current_processing_settings(session) == ProcessingSettings()


def test_bulk_import_uses_worker_processes_and_reports_each_file(tmp_path, sqlite_data_env):
    good = [write(tmp_path / f"g{i}", music_like(8.0, seed=10 + i)) for i in range(3)]
    bad = tmp_path / "notes.wav"
    bad.write_text("just text")
    copy = tmp_path / "copy.wav"
    copy.write_bytes(good[0].read_bytes())
    items = [ImportItem(path=p, metadata=ClipMetadata(source="ai")) for p in [*good, bad, copy, tmp_path / "gone.wav"]]
    seen = []
    outcomes = import_items(items, SETTINGS, workers=2, progress=lambda o, done, total: seen.append((done, total)))
    assert [outcome.ok for outcome in outcomes] == [True, True, True, False, False, False]
    assert "text file" in outcomes[3].message
    assert "same file as g0.wav" in outcomes[4].message
    assert "not found" in outcomes[5].message
    assert seen == [(i, 6) for i in range(1, 7)]
    with db.session_scope() as session:
        assert len(library.list_clips(session)) == 3
        assert {c.uploaded_filename for c in session.query(Clip)} == {"g0.wav", "g1.wav", "g2.wav"}
