"""Charts stay readable: rating axes on the scale, wide intervals cut and marked, subtitles wrapped."""

import dataclasses

import pandas as pd

from results.planning.simulate import simulate_study
from results.rendering import charts
from results.rendering.chart_parts import SUBTITLE_CHAR_PX, TITLE_CHAR_PX, WIDTH, chart_title, to_svg
from results.statistics import detection, emotion
from results.statistics.intervals import MeanTest


def _layers(chart) -> list[dict]:
    return chart.to_dict()["layer"]


def _subtitle(chart) -> list[str]:
    return chart.to_dict()["title"]["subtitle"]


def test_an_emotion_axis_runs_over_the_scale_and_cuts_wide_intervals():
    trials = simulate_study(3, 6, n_clips=6, seed=3)
    scales = [s for s in ("valence", "arousal") if trials[s].notna().any()]
    by_source = emotion.emotion_by_source(trials, scales)
    by_source.loc[:, "ci_low"] = -6.0  # what a t interval over two or three participants can give
    by_source.loc[:, "ci_high"] = 16.0
    points = emotion.infer_scale_points(trials, scales)
    chart = charts.emotion_interaction_chart(by_source, scales[0], points)
    for layer in _layers(chart):
        y = layer["encoding"]["y"]
        if "scale" in y:
            assert y["scale"]["domain"] == [1.0, float(points)]
    data = next(iter(chart.to_dict()["datasets"].values()))
    assert min(row["ci_low_shown"] for row in data) == 1.0
    assert max(row["ci_high_shown"] for row in data) == float(points)
    assert any("cut at the scale" in line for line in _subtitle(chart))
    assert f"1 unpleasant ... {points} pleasant" in charts.scale_title("valence", points)
    to_svg(chart)  # renders offline


def test_scale_points_come_from_the_ratings_seen():
    assert emotion.infer_scale_points(pd.DataFrame({"valence": [1, 4, 5]}), ["valence"]) == 5
    assert emotion.infer_scale_points(pd.DataFrame({"valence": [1, 6]}), ["valence"]) == 7
    assert emotion.infer_scale_points(pd.DataFrame({"valence": [None]}), ["valence"]) == 9


def test_a_huge_dprime_interval_does_not_fill_the_chart():
    trials = simulate_study(3, 8, n_clips=8, seed=5)
    summary = detection.detection_summary(trials)
    wide = MeanTest(**{**dataclasses.asdict(summary.d_prime), "ci_low": -10.0, "ci_high": 9.0})
    chart = charts.dprime_distribution_chart(
        detection.per_participant_sdt(trials), dataclasses.replace(summary, d_prime=wide)
    )
    domains = [
        layer["encoding"]["x"]["scale"]["domain"] for layer in _layers(chart) if "scale" in layer["encoding"]["x"]
    ]
    assert domains and all(-5.0 <= low and high <= 5.0 for low, high in domains)
    assert any("cut at the axis" in line and "[-10.0, 9.0]" in line for line in _subtitle(chart))
    to_svg(chart)


def test_subtitles_are_wrapped_to_the_chart_width():
    trials = simulate_study(4, 8, n_clips=8, seed=7)
    chart = charts.hit_fa_chart(detection.detection_summary(trials))
    assert all(len(line) <= WIDTH / SUBTITLE_CHAR_PX for line in _subtitle(chart))


def test_titles_are_wrapped_and_legends_sit_below_the_plot():
    # A legend right of a chart in a half-width column was cut to "Tru…"; a long title ran past the edge.
    trials = simulate_study(12, 8, n_clips=8, seed=3)
    by_source = emotion.emotion_by_source(trials)
    chart = charts.emotion_interaction_chart(by_source, "valence").to_dict()
    legends = [
        layer["encoding"]["color"]["legend"]
        for layer in chart["layer"]
        if layer.get("encoding", {}).get("color", {}).get("legend")
    ]
    assert legends and all(legend["orient"] == "bottom" for legend in legends)
    long = chart_title("Lens model: what gave the source away, and what listeners went by, over every clip")
    assert isinstance(long.text, list) and all(len(line) * TITLE_CHAR_PX <= WIDTH for line in long.text)
    assert " ".join(long.text).startswith("Lens model: what gave")
