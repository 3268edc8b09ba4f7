"""The DSP chain: format, fades, loudness, true peak, MP3 encoding without tags."""

from __future__ import annotations

import numpy as np
import pytest

from audio.processing import (
    ProcessingSettings,
    apply_fades,
    decode_mp3,
    encode_mp3,
    fit_length,
    integrated_loudness,
    normalise_loudness,
    to_format,
    true_peak_dbtp,
)
from tests.audio.signals import SR, music_like, tone


def _dominant_frequency(y: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    return float(np.fft.rfftfreq(y.size, 1 / sr)[np.argmax(spectrum)])


def test_ebu_tech_3341_case_1_sine_at_minus_23_dbfs_measures_minus_23_lufs():
    # EBU Tech 3341 test signal 1: stereo 1 kHz sine, -23 dBFS peak, 20 s -> -23.0 +- 0.1 LUFS.
    y = tone(1000.0, 20.0, sr=48000, amplitude=10 ** (-23 / 20))
    assert integrated_loudness(np.stack([y, y], axis=1), 48000) == pytest.approx(-23.0, abs=0.1)


def test_true_peak_finds_the_peak_between_samples():
    # A sine at a quarter of the sample rate, sampled 45 degrees off its crests:
    # every sample is at 0.707 of the amplitude (-3 dB), the waveform itself reaches 0.5.
    n = np.arange(SR)
    y = 0.5 * np.sin(2 * np.pi * n / 4 + np.pi / 4)
    sample_peak_db = 20 * np.log10(np.max(np.abs(y)))
    assert sample_peak_db == pytest.approx(20 * np.log10(0.5) - 3.01, abs=0.05)
    assert true_peak_dbtp(y, SR) == pytest.approx(20 * np.log10(0.5), abs=0.2)


def test_to_format_mixes_channels_and_resamples_without_changing_pitch_or_length():
    mono48 = tone(1000.0, 2.0, sr=48000)
    stereo = to_format(mono48, 48000, sample_rate=44100, channels=2)
    assert stereo.shape == (88200, 2)
    assert np.array_equal(stereo[:, 0], stereo[:, 1])
    assert _dominant_frequency(stereo[:, 0], 44100) == pytest.approx(1000.0, abs=1.0)
    left_right = np.stack([tone(440.0, 1.0), -tone(440.0, 1.0)], axis=1)
    assert np.allclose(to_format(left_right, SR, sample_rate=SR, channels=1), 0.0)


def test_fit_length_cuts_or_pads_to_exact_frames():
    y = np.ones((10, 2))
    assert fit_length(y, 4).shape == (4, 2)
    padded = fit_length(y, 12)
    assert padded.shape == (12, 2) and np.all(padded[10:] == 0)


def test_fades_start_and_end_at_silence_and_leave_the_middle_alone():
    y = np.ones((SR * 2, 2))
    faded = apply_fades(y, SR, 0.3)
    n_fade = int(0.3 * SR)
    assert faded[0, 0] < 1e-4 and faded[-1, 1] < 1e-4
    assert np.all(np.diff(faded[:n_fade, 0]) > 0)
    assert np.all(faded[n_fade:-n_fade] == 1.0)
    assert np.allclose(faded[:n_fade, 0], faded[::-1][:n_fade, 0])  # the same shape in and out


def test_normalisation_reaches_the_target_with_one_static_gain():
    y = music_like(10.0) * 0.2
    out, result = normalise_loudness(y, SR, target_lufs=-23.0, true_peak_ceiling_dbtp=-1.0)
    assert integrated_loudness(out, SR) == pytest.approx(-23.0, abs=0.05)
    assert result.flag is None
    ratio = out[y != 0] / y[y != 0]
    assert np.allclose(ratio, ratio[0])  # a gain, not a limiter or compressor
    assert result.true_peak_dbtp == pytest.approx(true_peak_dbtp(out, SR), abs=0.01)


def test_a_clip_that_cannot_reach_the_target_under_the_ceiling_is_lowered_and_flagged():
    # Sparse loud clicks: very peaky, so -10 LUFS would need a true peak far above -1 dBTP.
    y = np.zeros((SR * 6, 2))
    y[:: SR // 4] = 0.9
    out, result = normalise_loudness(y, SR, target_lufs=-10.0, true_peak_ceiling_dbtp=-1.0)
    assert true_peak_dbtp(out, SR) == pytest.approx(-1.0, abs=0.01)
    assert result.after_lufs < -10.5
    assert result.flag.startswith("below target") and "-1 dBTP" in result.flag
    assert f"{result.after_lufs:.1f} LUFS" in result.flag


def test_silence_cannot_be_normalised():
    with pytest.raises(ValueError, match="too quiet"):
        normalise_loudness(np.zeros((SR * 3, 2)), SR, target_lufs=-23.0, true_peak_ceiling_dbtp=-1.0)


def test_mp3_is_cbr_44k_stereo_with_no_tags_and_only_the_shared_encoder_name():
    y = music_like(5.0)
    data = encode_mp3(y, SR, bitrate_kbps=256)
    decoded, sr = decode_mp3(data)
    assert sr == SR and decoded.shape == (5 * SR, 2)
    assert data[:2] == b"\xff\xfb"  # an MPEG-1 Layer III frame first: no ID3v2 tag in front
    assert b"ID3" not in data and b"TAG" not in data[-128:] and b"APETAGEX" not in data
    assert data[36:40] == b"Info"  # the CBR info frame browsers use to skip the encoder delay
    assert _readable_strings_of_info_frame(data) == [b"Info", b"LAME3.100"]


def _readable_strings_of_info_frame(data: bytes) -> list[bytes]:
    """Readable runs (>= 4 characters) of the first MPEG frame; seek table, quality and LAME CRCs blanked.

    The Xing info frame of MPEG-1 stereo starts after 4 header and 32 side-information bytes:
    "Info" (or "Xing" for VBR), 4 flag bytes, then frame count, byte count, 100-byte seek table and quality
    (each present when its flag is set), then the 9-character LAME version and its settings, which
    end with the music length and two CRCs (binary numbers, readable only by chance).
    """
    bitrates = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
    frame_length = 144_000 * bitrates[data[2] >> 4] // 44_100 + ((data[2] >> 1) & 1)
    frame = bytearray(data[:frame_length])
    flags = int.from_bytes(frame[40:44], "big")
    offset = 44 + 4 * bool(flags & 1) + 4 * bool(flags & 2)
    if flags & 4:
        frame[offset : offset + 100] = bytes(100)
        offset += 100
    if flags & 8:
        frame[offset : offset + 4] = bytes(4)
        offset += 4
    frame[offset + 28 : offset + 36] = bytes(8)  # LAME tag: music length, music CRC, tag CRC
    return [run for run in _printable_runs(bytes(frame)) if len(run) >= 4]


def _printable_runs(data: bytes) -> list[bytes]:
    runs, current = [], bytearray()
    for byte in data:
        if 32 <= byte < 127:
            current.append(byte)
        else:
            if current:
                runs.append(bytes(current))
            current = bytearray()
    return runs + ([bytes(current)] if current else [])


def test_settings_round_trip_and_reject_nonsense():
    settings = ProcessingSettings(excerpt_seconds=15.0, target_lufs=-20.0)
    assert ProcessingSettings.from_dict({**settings.to_dict(), "from_a_future_version": 1}) == settings
    with pytest.raises(ValueError, match="clip length"):
        ProcessingSettings(excerpt_seconds=0.1)
    with pytest.raises(ValueError, match="true-peak ceiling"):
        ProcessingSettings(true_peak_ceiling_dbtp=3.0)
