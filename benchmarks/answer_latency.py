"""Print the server-side time from submitting an answer to the next trial being ready, and bytes per trial.

Usage: .venv/bin/python benchmarks/answer_latency.py [--answers 200] [--clips-per-source 40] [--browser]

Latency: on a temporary SQLite database with a realistic library (``--clips-per-source`` human and
AI clips of 30 s), simulated participants answer trial after trial. One measured step is what the
participant page does between the click on "Save and continue" and the next clip being ready to
send: ``submit_answer`` (committed), then - as the rerun does, in a new session - load the participant
by resume token, ``current_trial``, ``mark_shown``, ``audio_for`` and offering the bytes under the
player's one-time URL (``core.handoff``).
Streamlit's own rendering and the network are not included.

Bytes: 30 s clips made by the real ingest pipeline (default processing settings: MP3 VBR at
libsndfile quality 0.1) from synthetic music-like audio; printed are the MP3 size (the body of
the one-time URL's response the player fetches) and, for comparison, what a base64 string in
JSON would cost. With ``--browser`` the same library is served by
``streamlit run app.py`` and Chromium answers two trials (playing, pausing, answering): printed are
the websocket bytes received per trial, reruns included. Nothing in ./data is touched.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import soundfile as sf  # noqa: E402

from benchmarks.synthetic_audio import synthetic_clip  # noqa: E402

CLIP_SECONDS = 30.0
N_DISTINCT_AUDIO = 4  # processed for real; library rows beyond that reuse these files


def make_served_clips(n: int) -> list:
    """``n`` 30 s clips through the real pipeline (decode, loudness, MP3 encode, features)."""
    from audio.pipeline import process_audio
    from audio.processing import ProcessingSettings

    settings = ProcessingSettings(excerpt_seconds=CLIP_SECONDS)
    processed = []
    for seed in range(n):
        buffer = io.BytesIO()
        sf.write(buffer, synthetic_clip(CLIP_SECONDS + 10, seed=seed), 44100, format="WAV", subtype="PCM_16")
        processed.append(process_audio(buffer.getvalue(), f"bench{seed}.wav", settings, start_offset_s=5.0))
    return processed


def build_library(processed: list, per_source: int) -> None:
    """Catalogue rows for ``per_source`` human and AI clips whose files are the processed clips."""
    from core import config, db
    from core.models import Clip

    clips_dir = config.ensure_dirs().clips
    names = []
    for clip in processed:
        name = f"{clip.served_sha256}.mp3"
        (clips_dir / name).write_bytes(clip.served_bytes)
        names.append(name)
    with db.session_scope() as session:
        for i in range(2 * per_source):
            source = "human" if i % 2 == 0 else "ai"
            clip = processed[i % len(processed)]
            # Rows beyond the processed ones share their files; the unique hash columns get
            # per-row values so the catalogue stays valid.
            unique = hashlib.sha256(f"bench-row-{i}".encode()).hexdigest()
            session.add(
                Clip(
                    served_sha256=unique,
                    served_name=names[i % len(names)],
                    original_sha256=unique,
                    original_name=f"{unique}.wav",
                    duration_s=clip.duration_s,
                    sample_rate=clip.sample_rate,
                    channels=clip.channels,
                    codec="mp3",
                    source=source,
                    title=f"Bench {i}",
                    processing={},
                )
            )


def simulate(n_answers: int) -> list[float]:
    """Answer ``n_answers`` trials as successive participants; milliseconds per measured step."""
    from core import db, handoff
    from experiment import entry, questionnaire, trials

    timings: list[float] = []
    participant_number = 0
    while len(timings) < n_answers:
        participant_number += 1
        with db.session_scope() as session:
            participant = entry.begin(session, entry.Entry())
            token = participant.resume_token
            answers = {q.key: (q.options[0] if q.kind == "choice" else q.low) for q in questionnaire.QUESTIONNAIRE}
            questionnaire.save_questionnaire(session, participant, answers)
            trials.acknowledge_instructions(session, participant)
            view = trials.current_trial(session, participant)
            assert view is not None  # the first trial, right after the instructions
            trials.mark_shown(session, participant, view.trial_index)
        while view is not None and len(timings) < n_answers:
            answer = trials.Answer(
                confidence=4,
                valence=5,
                arousal=5,
                moved=5,
                liking=5,
                familiar=False,
                plays=1,
                listened_s=view.duration_s,
                time_to_first_play_ms=500,
            )
            start = time.perf_counter()
            with db.session_scope() as session:
                participant = entry.load_participant(session, token)
                result = trials.submit_answer(session, participant, view.trial_index, answer)
            assert result.status == "recorded", result
            with db.session_scope() as session:  # the rerun that draws the next clip
                participant = entry.load_participant(session, token)
                view = trials.current_trial(session, participant)
                if view is not None:
                    trials.mark_shown(session, participant, view.trial_index)
                    handoff.offer(trials.audio_for(session, participant, view.audio_nonce), view.audio_mime)
            timings.append((time.perf_counter() - start) * 1000)
    print(f"  ({participant_number} simulated participants)")
    return timings


def browser_bytes_per_trial(data_dir: str, n_trials: int = 2) -> list[int]:
    """Websocket bytes Chromium receives from one trial appearing to the next one appearing."""
    import re

    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, StreamlitServer, wait_for_app

    server = StreamlitServer(Path(data_dir))
    server.start()
    received: list[int] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))))
            page.goto(server.url)
            wait_for_app(page, "Information about this study")
            page.get_by_role("button", name="I agree, start the study").click()
            page.wait_for_url(re.compile("resume="))
            page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stRadio\"]').length >= 6")
            for i in range(page.locator('[data-testid="stRadio"]').count()):
                page.locator('[data-testid="stRadio"]').nth(i).locator('[data-testid="stRadioOption"]').first.click()
            page.get_by_role("button", name="Continue").click()
            wait_for_app(page, "Instructions")
            page.get_by_role("button", name="Start", exact=True).click()
            per_trial = []
            for position in range(1, n_trials + 1):
                wait_for_app(page, f"Clip {position} of")
                page.locator("audio").wait_for(state="attached")
                before = sum(received)
                audio = page.locator("audio")
                audio.evaluate("a => a.play()")  # play a second, pause, seek: three reruns
                page.wait_for_timeout(1000)
                audio.evaluate("a => a.pause()")
                wait_for_app(page)
                audio.evaluate("a => { a.currentTime = 5; }")
                wait_for_app(page)
                for j in range(page.locator('[data-testid="stButtonGroup"]').count()):
                    page.locator('[data-testid="stButtonGroup"]').nth(j).locator("button").first.click()
                page.locator('[data-testid="stRadioOption"]').first.click()
                page.get_by_role("button", name="Save and continue").click()
                wait_for_app(page, f"Clip {position + 1} of" if position < n_trials else "Which clips")
                per_trial.append(sum(received) - before)
            browser.close()
    finally:
        server.stop()
    return per_trial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=200)
    parser.add_argument("--clips-per-source", type=int, default=40)
    parser.add_argument("--browser", action="store_true", help="also measure websocket bytes in Chromium")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HUMAN_TOUCH_DATA"] = tmp
        os.environ["HUMAN_TOUCH_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
        from core import db
        from experiment import repository
        from experiment.settings import StudySettings

        db.migrate()
        print(f"Encoding {N_DISTINCT_AUDIO} clips of {CLIP_SECONDS:g} s through the ingest pipeline ...")
        processed = make_served_clips(N_DISTINCT_AUDIO)
        build_library(processed, args.clips_per_source)
        with db.session_scope() as session:
            # No listening requirement: the server would (rightly) refuse answers sent without the
            # wall time of a real listen, and this measures the server's work, not the listening.
            settings = StudySettings(n_trials=12, screening="off", listening_requirement=0.0, ai_questions_before=True)
            repository.save_settings(session, settings)

        print(f"Answer -> next trial ready, SQLite, {2 * args.clips_per_source} clips, N={args.answers}:")
        timings = simulate(args.answers)
        ordered = sorted(timings)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
        print(f"  median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms")

        print(f"Audio bytes per {CLIP_SECONDS:g} s trial (one fetch of the player's one-time URL):")
        for clip in processed:
            mp3 = len(clip.served_bytes)
            as_base64 = len(base64.b64encode(clip.served_bytes))
            print(
                f"  MP3 {mp3 / 1000:7.1f} kB ({mp3 * 8 / CLIP_SECONDS / 1000:5.1f} kbit/s)  "
                f"(base64 in JSON would be {as_base64 / 1000:7.1f} kB)"
            )
        db.dispose_engines()

        if args.browser:
            with db.session_scope() as session:
                repository.save_settings(
                    session,
                    StudySettings(
                        n_trials=2,
                        screening="off",
                        ai_questions_before=True,
                        practice_trial=False,
                        attention_check=False,
                        repeat_check=False,
                        listening_requirement=0.0,
                    ),
                )
            db.dispose_engines()
            print(
                "Websocket bytes received in Chromium from one clip appearing to the next (its audio, the reruns of "
                "play, pause and seek, the answer):"
            )
            for position, n_bytes in enumerate(browser_bytes_per_trial(tmp), start=1):
                print(f"  trial {position}: {n_bytes / 1000:7.1f} kB")


if __name__ == "__main__":
    main()
