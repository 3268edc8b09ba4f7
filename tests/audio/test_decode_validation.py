"""Bad input gets a clear message and nothing is stored; good input in every format is accepted.

Every file here is real: written by soundfile, then damaged the way real files get damaged.
"""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import func, select

from audio.catalogue import ClipMetadata
from audio.decode import DecodeLimits, decode_excerpt, default_start_s, probe
from audio.errors import IngestError
from audio.ingest import ingest_bytes, ingest_file
from audio.processing import ProcessingSettings
from core import db
from core.models import Clip, ClipFeatures
from tests.audio.signals import SR, file_bytes, music_like, write

SHORT = ProcessingSettings(excerpt_seconds=4.0)
HUMAN = ClipMetadata(source="human", title="t")


def _stored_nothing(data_dir) -> None:
    assert not any((data_dir / "clips").glob("*")) if (data_dir / "clips").exists() else True
    assert not any((data_dir / "originals").glob("*")) if (data_dir / "originals").exists() else True
    with db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Clip)) == 0
        assert session.scalar(select(func.count()).select_from(ClipFeatures)) == 0


def _truncated(data: bytes, fraction: float = 0.5) -> bytes:
    return data[: int(len(data) * fraction)]


def _flac_corrupted_mid_file(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(4096) + data[middle + 4096 :]


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("song.wav", b"not really")
    return buffer.getvalue()


def _png_bytes() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(200)


def _m4a_bytes() -> bytes:
    return struct.pack(">I", 32) + b"ftypM4A \x00\x00\x02\x00M4A isomiso2" + bytes(400)


def _wav_header_only() -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros((0, 2)), SR, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _float_wav_with(value: float, tmp_path) -> bytes:
    y = music_like(6.0)
    y[SR * 3 + 17, 0] = value
    return file_bytes(tmp_path, "nan", y, kind="wav_float")


BAD_INPUTS = {
    # name: (filename, bytes factory (tmp_path -> bytes), words the message must contain)
    "empty file": ("song.wav", lambda tmp: b"", ["empty"]),
    "text renamed to mp3": ("song.mp3", lambda tmp: b"hello, this is a lyrics sheet\n" * 40, ["text", "MP3"]),
    "png renamed to wav": ("cover.wav", lambda tmp: _png_bytes(), ["PNG", "WAV"]),
    "zip renamed to mp3": ("album.mp3", lambda tmp: _zip_bytes(), ["ZIP"]),
    "random bytes": ("noise.mp3", lambda tmp: np.random.default_rng(1).bytes(50_000), ["could not be read", "FLAC"]),
    "m4a": ("track.m4a", lambda tmp: _m4a_bytes(), ["M4A", "WAV, FLAC, OGG", "MP3"]),
    "raw aac": ("track.aac", lambda tmp: b"\xff\xf1\x50\x80" + bytes(2000), ["AAC", "MP3"]),
    "truncated mp3": (
        "cut.mp3",
        lambda tmp: _truncated(file_bytes(tmp, "a", music_like(8.0), kind="mp3")),
        ["truncated"],
    ),
    "truncated ogg vorbis": (
        "cut.ogg",
        lambda tmp: _truncated(file_bytes(tmp, "a", music_like(8.0), kind="ogg_vorbis")),
        ["truncated"],
    ),
    "truncated ogg opus": (
        "cut.opus",
        lambda tmp: _truncated(file_bytes(tmp, "a", music_like(8.0), kind="ogg_opus")),
        ["truncated"],
    ),
    "truncated wav": ("cut.wav", lambda tmp: _truncated(file_bytes(tmp, "a", music_like(8.0))), ["truncated"]),
    "flac corrupted mid-file": (
        "broken.flac",
        lambda tmp: _flac_corrupted_mid_file(file_bytes(tmp, "a", music_like(8.0), kind="flac")),
        ["corrupt"],
    ),
    "zero frames": ("empty.wav", lambda tmp: _wav_header_only(), ["no audio frames"]),
    "digital silence": ("silence.wav", lambda tmp: file_bytes(tmp, "a", np.zeros((SR * 6, 2))), ["silence"]),
    "shorter than the excerpt": (
        "short.wav",
        lambda tmp: file_bytes(tmp, "a", music_like(3.0)),
        ["3.0 s", "shorter", "4 s"],
    ),
    "nan samples": ("nan.wav", lambda tmp: _float_wav_with(np.nan, tmp), ["NaN"]),
    "inf samples": ("inf.wav", lambda tmp: _float_wav_with(np.inf, tmp), ["infinity"]),
    "six channels": (
        "surround.wav",
        lambda tmp: file_bytes(tmp, "a", np.tile(music_like(6.0, channels=1), (1, 6))),
        ["6 channels", "stereo"],
    ),
    "sample rate too low": ("low.wav", lambda tmp: file_bytes(tmp, "a", music_like(6.0), sr=4000), ["4000 Hz"]),
    "sample rate too high": ("high.wav", lambda tmp: file_bytes(tmp, "a", music_like(1.0), sr=384000), ["384000 Hz"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_rejected_with_a_clear_message_and_nothing_is_stored(case, tmp_path, sqlite_data_env):
    filename, make, words = BAD_INPUTS[case]
    data = make(tmp_path)
    with pytest.raises(IngestError) as caught:
        ingest_bytes(data, filename, HUMAN, SHORT)
    message = str(caught.value)
    assert message.startswith(filename.split("/")[-1])
    for word in words:
        assert word in message, message
    _stored_nothing(sqlite_data_env)


def test_size_and_duration_limits_are_checked_from_the_header(tmp_path):
    path = write(tmp_path / "long", music_like(12.0, channels=1))
    with pytest.raises(IngestError, match="limit is 0.1 MiB"):
        probe(path, "long.wav", DecodeLimits(max_bytes=100_000))
    with pytest.raises(IngestError, match="0.2 min long; the limit is 0 min"):
        probe(path, "long.wav", DecodeLimits(max_duration_s=10.0))


def test_default_duration_limit_is_twenty_minutes(tmp_path, sqlite_data_env):
    path = tmp_path / "long.wav"
    n = 21 * 60 * 8000
    sf.write(path, np.full(n, 0.25, dtype=np.float32), 8000, subtype="PCM_U8")
    with pytest.raises(IngestError, match="21.0 min long; the limit is 20 min"):
        ingest_file(path, HUMAN, SHORT)
    _stored_nothing(sqlite_data_env)


@pytest.mark.parametrize("kind", ["wav", "wav_float", "flac", "ogg_vorbis", "ogg_opus", "mp3"])
def test_every_supported_format_decodes_to_the_requested_excerpt(kind, tmp_path):
    path = write(tmp_path / "ok", music_like(9.0), kind=kind)
    excerpt = decode_excerpt(path, path.name, excerpt_seconds=4.0)
    info = excerpt.info
    assert excerpt.start_s == pytest.approx(info.duration_s / 3, abs=1e-3)
    assert abs(excerpt.samples.shape[0] - 4.0 * info.sample_rate) <= 2304
    assert excerpt.samples.shape[1] == 2
    assert np.isfinite(excerpt.samples).all()


def test_mono_and_48k_files_are_accepted(tmp_path):
    path = write(tmp_path / "mono48", music_like(6.0, sr=48000, channels=1), sr=48000)
    excerpt = decode_excerpt(path, path.name, excerpt_seconds=4.0, start_s=0.5)
    assert excerpt.info.sample_rate == 48000 and excerpt.info.channels == 1
    assert excerpt.samples.shape == (4 * 48000, 1)


def test_start_offset_past_the_end_is_rejected_with_the_latest_possible_start(tmp_path):
    path = write(tmp_path / "ok", music_like(6.0))
    with pytest.raises(IngestError, match="at most 2.0 s"):
        decode_excerpt(path, path.name, excerpt_seconds=4.0, start_s=3.0)


def test_a_silent_excerpt_in_a_file_with_sound_is_rejected(tmp_path):
    y = music_like(10.0)
    y[: 5 * SR] = 0.0
    path = write(tmp_path / "late", y)
    with pytest.raises(IngestError, match=r"would start or end in digital silence: the sound runs from 5\.0 s"):
        decode_excerpt(path, path.name, excerpt_seconds=4.0, start_s=0.5)
    with pytest.raises(IngestError, match="excerpt starting at 0.5 s is digital silence"):
        decode_excerpt(path, path.name, excerpt_seconds=4.0, start_s=0.5, keep_silent_edges=True)


def test_default_start_is_one_third_in_unless_the_excerpt_would_not_fit():
    assert default_start_s(90.0, 20.0) == pytest.approx(30.0)
    assert default_start_s(24.0, 20.0) == pytest.approx(4.0)
    assert default_start_s(20.0, 20.0) == 0.0


def test_duplicates_are_rejected_by_original_and_by_served_audio(tmp_path, sqlite_data_env):
    wav = file_bytes(tmp_path, "a", music_like(6.0), kind="wav")
    y, _ = sf.read(io.BytesIO(wav), dtype="int16")  # exactly the WAV's samples
    first = ingest_bytes(wav, "first.wav", HUMAN, SHORT)
    with pytest.raises(IngestError, match=f"already in the library as clip #{first.clip_id} \\(t\\)"):
        ingest_bytes(wav, "again.wav", ClipMetadata(source="ai"), SHORT)
    # The same samples as FLAC: a different original, but identical served audio.
    flac = file_bytes(tmp_path, "b", y, kind="flac")
    with pytest.raises(IngestError, match=f"already in the library as clip #{first.clip_id}"):
        ingest_bytes(flac, "copy.flac", HUMAN, SHORT)
    with db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Clip)) == 1
    assert len(list((sqlite_data_env / "clips").glob("*"))) == 1
    assert len(list((sqlite_data_env / "originals").glob("*"))) == 1


def test_uploaded_names_with_paths_and_markup_are_sanitised_and_files_are_hash_named(tmp_path, sqlite_data_env):
    data = file_bytes(tmp_path, "a", music_like(6.0))
    result = ingest_bytes(data, "../../etc/<script>alert(1)</script>\x07song.wav", HUMAN, SHORT)
    with db.session_scope() as session:
        clip = session.get(Clip, result.clip_id)
        assert clip.uploaded_filename == "script_song.wav"
        assert clip.served_name == f"{clip.served_sha256}.mp3"
        assert clip.original_name == f"{clip.original_sha256}.wav"
    assert sorted(p.name for p in (sqlite_data_env / "clips").iterdir()) == [f"{result.served_sha256}.mp3"]
    assert not (tmp_path / "etc").exists()


def _mp3(y: np.ndarray, mode: str) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, y, SR, format="MP3", bitrate_mode=mode, compression_level=0.3)
    return buffer.getvalue()


def _without_info_frame(mp3: bytes) -> bytes:
    """Drop the first (Xing/Info) frame, as some tools do."""
    return mp3[mp3.find(b"\xff\xfb", 10) :]


def test_mp3_with_an_id3_tag_or_cbr_without_info_frame_is_accepted():
    y = music_like(9.0)
    id3_tag = b"ID3\x03\x00\x00\x00\x00\x10\x00" + b"\x00TIT2" + bytes(2043)  # ID3v2.3, 2048-byte body
    for data in (id3_tag + _mp3(y, "VARIABLE"), _without_info_frame(_mp3(y, "CONSTANT"))):
        excerpt = decode_excerpt(data, "ok.mp3", excerpt_seconds=4.0)
        assert excerpt.samples.shape == (4 * SR, 2)


def test_vbr_mp3_without_length_header_is_rejected_instead_of_silently_cut():
    with pytest.raises(IngestError, match="no length header"):
        decode_excerpt(_without_info_frame(_mp3(music_like(9.0), "VARIABLE")), "cut.mp3", excerpt_seconds=4.0)


def test_the_uploader_takes_every_format_the_decoder_offers():
    from audio.decode import AUDIO_EXTENSIONS, SUPPORTED_FORMATS_TEXT
    from audio.ui.add_clips import AUDIO_TYPES

    assert {f".{t}" for t in AUDIO_TYPES} == set(AUDIO_EXTENSIONS)
    assert "aiff" in AUDIO_TYPES and "AIFF" in SUPPORTED_FORMATS_TEXT
