"""Print how long trial assignment and one simulated participant's journey take (medians).

Usage: .venv/bin/python benchmarks/bench_experiment.py
Uses a temporary SQLite data folder; nothing in ./data is touched.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections import Counter

from experiment.assignment import AssignmentRules, ClipInfo, assign_trials


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench_assignment() -> None:
    for n_trials, n_clips, paired in ((12, 40, False), (12, 40, True), (60, 120, True), (200, 202, False)):
        clips = [ClipInfo(i, "human" if i % 2 else "ai", f"p{i // 2}" if paired else None) for i in range(n_clips)]
        rules = AssignmentRules(n_trials=n_trials, max_same_source_run=3)
        exposure: Counter[int] = Counter()
        seeds = iter(range(10**6))
        # Bind this configuration's values now: the lambda runs inside median_ms, within this iteration.
        ms = median_ms(
            lambda clips=clips, exposure=exposure, rules=rules, seeds=seeds: assign_trials(
                clips, exposure, rules, next(seeds)
            ),
            200,
        )
        print(f"assign_trials n_trials={n_trials:3d} clips={n_clips:3d} pairs={paired!s:5}: median {ms:6.2f} ms")


def bench_journey() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HUMAN_TOUCH_DATA"] = tmp
        os.environ["HUMAN_TOUCH_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
        from core import db
        from core.models import Clip
        from experiment import audio_check, entry, questionnaire, repository, screening, trials
        from experiment.settings import StudySettings

        db.migrate()
        with db.session_scope() as s:
            for i in range(40):
                s.add(
                    Clip(
                        served_sha256=f"{i:064x}",
                        served_name=f"{i}.mp3",
                        original_sha256=f"{i + 99:064x}",
                        original_name=f"{i}.wav",
                        duration_s=20.0,
                        sample_rate=44100,
                        channels=2,
                        codec="mp3-vbr",
                        source="human" if i % 2 else "ai",
                    )
                )
            # No listening requirement: answers come at once here, which the server's clock would refuse.
            repository.save_settings(s, StudySettings(min_answer_seconds=0, listening_requirement=0.0))
        answers = {q.key: (q.options[0] if q.kind == "choice" else q.low) for q in questionnaire.QUESTIONNAIRE}

        submit_times: list[float] = []

        def one_participant() -> None:
            with db.session_scope() as s:
                token = entry.begin(s, entry.Entry()).resume_token
            with db.session_scope() as s:
                p = entry.load_participant(s, token)
                questionnaire.save_questionnaire(s, p, answers)
                audio_check.save_screening(s, p, screening.screening_targets(p.seed, 6))
                trials.acknowledge_instructions(s, p)
            while True:
                start = time.perf_counter()
                with db.session_scope() as s:
                    p = entry.load_participant(s, token)
                    view = trials.current_trial(s, p)
                    if view is None:
                        break
                    trials.mark_shown(s, p, view.trial_index)
                    trials.submit_answer(
                        s,
                        p,
                        view.trial_index,
                        trials.Answer(confidence=3, valence=5, arousal=5, moved=5, liking=5, listened_s=20.0),
                    )
                submit_times.append((time.perf_counter() - start) * 1000)

        ms = median_ms(one_participant, 10)
        print(f"one participant, consent to debrief (15 trials, SQLite): median {ms:7.1f} ms")
        print(f"one trial rerun (load, show, submit, commit; SQLite): median {statistics.median(submit_times):5.1f} ms")
        ms = median_ms(lambda: screening.screening_test(1, 6), 5)
        print(f"generate the 6-trial Huggins screening: median {ms:6.1f} ms")
        db.dispose_engines()


if __name__ == "__main__":
    bench_assignment()
    bench_journey()
