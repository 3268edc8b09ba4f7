"""Synthetic, music-like test clips for the audio benchmarks (tones, a beat, noise)."""

from __future__ import annotations

import numpy as np


def synthetic_clip(seconds: float, sr: int = 44100, seed: int = 0, channels: int = 2) -> np.ndarray:
    """A clip with chords, a kick/hat pattern and noise; shape (n_frames, channels), float32.

    Parameters
    ----------
    seconds : float
        Length, s.
    sr : int
        Sample rate, Hz.
    seed : int
        Changes the chord root, tempo and noise so that clips differ.
    channels : int
        1 or 2.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    root = 110.0 * 2 ** (rng.integers(0, 12) / 12)
    chord = sum(np.sin(2 * np.pi * root * ratio * t) for ratio in (1.0, 1.26, 1.5, 2.0)) * 0.08
    chord *= 0.7 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t)
    beat = np.zeros(n)
    period = int(sr * 60.0 / rng.uniform(80, 150))
    kick = np.sin(2 * np.pi * 60 * np.arange(2000) / sr) * np.exp(-np.arange(2000) / 400)
    for start in range(0, n - 2000, period):
        beat[start : start + 2000] += 0.5 * kick
    hats = rng.standard_normal(n) * 0.02 * (np.sin(2 * np.pi * (sr / period) * 2 * t) > 0.95)
    y = chord + beat + hats + 0.005 * rng.standard_normal(n)
    if channels == 1:
        return y[:, np.newaxis].astype(np.float32)
    return np.stack([y, 0.95 * y + 0.003 * rng.standard_normal(n)], axis=1).astype(np.float32)
