"""Test signals with known answers, written as real audio files with soundfile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

SR = 44100

# Format name -> (soundfile format, subtype, extension).
FORMATS = {
    "wav": ("WAV", "PCM_16", "wav"),
    "wav_float": ("WAV", "FLOAT", "wav"),
    "flac": ("FLAC", "PCM_16", "flac"),
    "ogg_vorbis": ("OGG", "VORBIS", "ogg"),
    "ogg_opus": ("OGG", "OPUS", "opus"),
    "mp3": ("MP3", "MPEG_LAYER_III", "mp3"),
}


def tone(frequency_hz: float, seconds: float, sr: int = SR, amplitude: float = 0.3) -> np.ndarray:
    """A sine, shape (n,)."""
    t = np.arange(int(round(seconds * sr))) / sr
    return amplitude * np.sin(2 * np.pi * frequency_hz * t)


def music_like(seconds: float, sr: int = SR, seed: int = 0, channels: int = 2) -> np.ndarray:
    """Tones, a pulse and a little noise, shape (n, channels): something every stage can measure."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * sr))) / sr
    base = 110.0 * 2 ** (rng.integers(0, 12) / 12)
    y = sum(0.15 * np.sin(2 * np.pi * base * ratio * t) for ratio in (1.0, 1.25, 1.5, 2.0))
    y = y * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t) ** 2)
    y = y + 0.03 * rng.standard_normal(t.size)
    if channels == 1:
        return y[:, np.newaxis]
    return np.stack([y, 0.9 * y + 0.01 * rng.standard_normal(t.size)][:channels], axis=1)


def write(path: Path, y: np.ndarray, sr: int = SR, kind: str = "wav") -> Path:
    """Write ``y`` as ``kind`` (a key of :data:`FORMATS`) to ``path`` with the right extension."""
    fmt, subtype, ext = FORMATS[kind]
    path = Path(path).with_suffix("." + ext)
    sr = 48000 if kind == "ogg_opus" and sr not in (8000, 12000, 16000, 24000, 48000) else sr
    sf.write(path, y, sr, format=fmt, subtype=subtype)
    return path


def file_bytes(tmp_path: Path, name: str, y: np.ndarray, sr: int = SR, kind: str = "wav") -> bytes:
    """The bytes of ``y`` written as ``kind``."""
    return write(tmp_path / name, y, sr, kind).read_bytes()
