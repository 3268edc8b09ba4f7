"""How long the statistics take on a large study: 1,000 participants x 40 trials (simulated).

Prints the median of repeated runs per function (seconds), their total, and ``analysis_stats``
as a whole (target: under 2 s). The mixed models are timed once each.

Run: ``.venv/bin/python benchmarks/stats_speed.py [--repeats 5] [--participants 1000]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

from results.analysis import REPORTED_BREAKDOWNS, Analysis
from results.data.filters import apply_filters
from results.mixed.terms import ModelFitError
from results.planning.simulate import simulate_study
from results.rendering.stats import analysis_stats
from results.statistics import breakdown, detection, emotion, lens, models, roc


def median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    data = simulate_study(
        args.participants, args.trials, n_attention_trials=2, share_incomplete=0.05, rating_missing_rate=0.02, seed=1
    )
    print(
        f"{args.participants} participants x {args.trials} trials: {len(data)} rows "
        f"({int((data['kind'] == 'main').sum())} main trials); median of {args.repeats} runs"
    )

    steps: dict[str, Callable[[], object]] = {
        "apply_filters": lambda: apply_filters(data),
        "per_participant_sdt": lambda: detection.per_participant_sdt(data),
        "detection_summary": lambda: detection.detection_summary(data),
        "roc_from_confidence": lambda: roc.roc_from_confidence(data),
        **{f"breakdown({column})": partial(breakdown.breakdown, data, column) for column in REPORTED_BREAKDOWNS},
        "emotion_by_source": lambda: emotion.emotion_by_source(data),
        "emotion_tests": lambda: emotion.emotion_tests(data),
        "feature_associations": lambda: lens.feature_associations(data),
        "lens_summary": lambda: lens.lens_summary(data),
        "clip_summary": lambda: lens.clip_summary(data),
        "most_human_sounding_ai": lambda: lens.most_human_sounding_ai(data),
        "most_ai_sounding_human": lambda: lens.most_ai_sounding_human(data),
    }
    total = 0.0
    for name, step in steps.items():
        seconds = median_seconds(step, args.repeats)
        total += seconds
        print(f"  {name:<32} {seconds:8.3f} s")
    print(f"  {'total of the above':<32} {total:8.3f} s")
    print(
        f"  {'analysis_stats (all at once)':<32} "
        f"{median_seconds(lambda: analysis_stats(Analysis.of_trials(data)), args.repeats):8.3f} s"
        "   target < 2 s"
    )

    print("Mixed models, one run each:")
    for name, step in (
        ("detection_mixed_model", lambda: models.detection_mixed_model(data)),
        ("emotion_mixed_model(moved)", lambda: models.emotion_mixed_model(data, "moved")),
    ):
        start = time.perf_counter()
        try:
            step()
            outcome = "ok"
        except ModelFitError as error:
            outcome = f"error: {error}"
        seconds = time.perf_counter() - start
        print(f"  {name:<32} {seconds:8.3f} s   {outcome}")


if __name__ == "__main__":
    main()
