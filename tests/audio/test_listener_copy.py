"""Served files give nothing away by size, and every listener gets different bytes of the same audio."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from audio.listener_copy import crc16, listener_copy
from audio.processing import decode_mp3, encode_mp3
from tests.audio.signals import SR, music_like, tone


def _signals(seconds: float) -> dict[str, np.ndarray]:
    """Contents whose VBR sizes differ a lot: near silence, a pure tone, music-like, loud noise, mono."""
    rng = np.random.default_rng(7)
    n = int(seconds * SR)
    pure = tone(440.0, seconds)
    return {
        "near silence": 1e-4 * rng.standard_normal((n, 2)),
        "pure tone": np.stack([pure, pure], axis=1),
        "music-like": music_like(seconds, seed=3),
        "noise": 0.3 * rng.standard_normal((n, 2)),
        "wide stereo": np.stack([pure, -pure], axis=1),
    }


@pytest.mark.parametrize("bitrate_kbps", [192, 256, 320])
def test_clips_of_the_same_length_encode_to_the_same_byte_size_whatever_they_contain(bitrate_kbps):
    sizes = {name: len(encode_mp3(y, SR, bitrate_kbps=bitrate_kbps)) for name, y in _signals(3.0).items()}
    assert len(set(sizes.values())) == 1, sizes
    data = encode_mp3(_signals(3.0)["noise"], SR, bitrate_kbps=bitrate_kbps)
    header_bitrate_index = data[2] >> 4  # MPEG-1 layer III table: 11 = 192, 13 = 256, 14 = 320 kbit/s
    assert header_bitrate_index == {192: 11, 256: 13, 320: 14}[bitrate_kbps]


def _lame_crcs_hold(data: bytes) -> bool:
    lame = data.index(b"LAME")
    frame_length = 144 * 256_000 // SR + ((data[2] >> 1) & 1)
    music_crc = int.from_bytes(data[lame + 32 : lame + 34], "big")
    tag_crc = int.from_bytes(data[lame + 34 : lame + 36], "big")
    return crc16(data[frame_length:]) == music_crc and crc16(data[: lame + 34]) == tag_crc


def test_listener_copies_differ_per_key_keep_the_size_and_decode_to_the_same_samples():
    stored = encode_mp3(music_like(5.0, seed=1), SR, bitrate_kbps=256)
    copies = {key: listener_copy(stored, key) for key in ("nonce-a", "nonce-b", "nonce-c")}
    assert len({*copies.values(), stored}) == 4
    assert all(len(copy) == len(stored) for copy in copies.values())
    assert listener_copy(stored, "nonce-a") == copies["nonce-a"]  # a reload gets the same bytes
    reference, _ = decode_mp3(stored)
    for copy in copies.values():
        samples, sr = decode_mp3(copy)
        assert sr == SR and np.array_equal(samples, reference)
        assert _lame_crcs_hold(copy)  # integrity tools see a well-formed file
    assert _lame_crcs_hold(stored)


def test_the_audio_frames_differ_too_not_only_the_info_frame():
    stored = encode_mp3(music_like(3.0, seed=2), SR, bitrate_kbps=256)
    first_audio_frame = 144 * 256_000 // SR
    a, b = listener_copy(stored, "one"), listener_copy(stored, "two")
    assert a[first_audio_frame:] != b[first_audio_frame:]
    differing = sum(x != y for x, y in zip(a[first_audio_frame:], b[first_audio_frame:]))
    n_frames = (len(stored) - first_audio_frame) // first_audio_frame
    assert differing > n_frames // 4  # about half of the frame headers, spread over the whole clip


def test_variable_bitrate_files_of_older_libraries_are_individualised_as_well():
    buffer = io.BytesIO()
    sf.write(buffer, music_like(3.0, seed=4), SR, format="MP3", bitrate_mode="VARIABLE", compression_level=0.1)
    stored = buffer.getvalue()
    copy = listener_copy(stored, "k")
    assert copy != stored and len(copy) == len(stored)
    assert np.array_equal(decode_mp3(copy)[0], decode_mp3(stored)[0])


def test_bytes_that_are_not_mp3_are_sent_unchanged_rather_than_broken():
    wav = io.BytesIO()
    sf.write(wav, tone(440.0, 0.5), SR, format="WAV")
    assert listener_copy(wav.getvalue(), "k") == wav.getvalue()
