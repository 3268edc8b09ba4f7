"""What participants receive: equal sizes for every clip of a study, never the same bytes twice.

Real clips go through the audio pipeline (decode, level, constant-bit-rate MP3); two participants
then fetch every clip of their trial lists through the trial service, as the player does.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np

from audio import library
from audio.catalogue import ClipMetadata
from audio.ingest import ingest_bytes
from audio.processing import ProcessingSettings, decode_mp3, integrated_loudness, true_peak_dbtp
from core import db
from experiment import repository
from experiment.entry import load_participant
from experiment.trials import audio_for
from tests.audio.signals import SR, file_bytes, music_like
from tests.experiment.drive import configure, reach_trials

SETTINGS = ProcessingSettings(excerpt_seconds=4.0)


def _library(tmp_path) -> tuple[dict[int, bytes], dict[int, float]]:
    """Four human and four AI clips of very different content: stored bytes and recorded loudness (LUFS) by id."""
    rng = np.random.default_rng(5)
    contents = [music_like(6.0, seed=seed) for seed in range(5)]
    contents += [
        0.2 * rng.standard_normal((6 * SR, 2)),
        0.5 * music_like(6.0, seed=9, channels=1),
        np.tile(0.3 * np.sin(2 * np.pi * 220 * np.arange(6 * SR) / SR)[:, None], (1, 2)),
    ]
    stored, loudness = {}, {}
    for index, y in enumerate(contents):
        source = "human" if index % 2 else "ai"
        data = file_bytes(tmp_path, f"c{index}", y)
        clip_id = ingest_bytes(data, f"c{index}.wav", ClipMetadata(source=source), SETTINGS).clip_id
        with db.session_scope() as session:
            stored[clip_id] = library.served_audio(session, clip_id)
            loudness[clip_id] = library.get_clip(session, clip_id).loudness_after_lufs
    return stored, loudness


def _received(token: str) -> dict[int, list[bytes]]:
    """Every clip of the participant's trial list, as the participant's browser receives it."""
    received = defaultdict(list)
    with db.session_scope() as session:
        participant = load_participant(session, token)
        for trial in repository.trials_of(session, participant):
            received[trial.clip_id].append(audio_for(session, participant, trial.audio_nonce))
    return received


def test_every_clip_has_the_same_size_and_no_two_participants_receive_the_same_bytes(tmp_path, data_env):
    stored, loudness = _library(tmp_path)
    configure(n_trials=6, screening="off")  # with a repeat and an attention trial
    first, second = _received(reach_trials()), _received(reach_trials())
    for received in (first, second):
        heard_again = [copies for copies in received.values() if len(copies) > 1]
        assert heard_again  # the repeat, and the attention trial when it reuses a main clip
        for copies in heard_again:  # a clip heard twice is never recognisable from its bytes
            assert len({hashlib.sha256(copy).hexdigest() for copy in copies}) == len(copies)

    assert len({len(data) for data in stored.values()}) == 1  # every served clip of the study: one size
    every_copy = [copy for received in (first, second) for copies in received.values() for copy in copies]
    assert {len(copy) for copy in every_copy} == {len(next(iter(stored.values())))}
    hashes = [hashlib.sha256(copy).hexdigest() for copy in every_copy]
    assert len(set(hashes)) == len(hashes)  # no two trials, of one participant or two, got the same bytes
    assert not set(hashes) & {hashlib.sha256(data).hexdigest() for data in stored.values()}
    assert set(first) & set(second)  # the two participants did hear clips in common

    for clip_id in set(first) | set(second):
        reference, _ = decode_mp3(stored[clip_id])
        for copy in first.get(clip_id, []) + second.get(clip_id, []):
            samples, sr = decode_mp3(copy)
            assert np.array_equal(samples, reference)  # the same audio, sample for sample
            assert abs(integrated_loudness(samples, sr) - loudness[clip_id]) < 0.01  # as measured at ingest
            assert true_peak_dbtp(samples, sr) <= SETTINGS.true_peak_ceiling_dbtp
