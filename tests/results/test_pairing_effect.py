"""Similar versus random pairs (results.statistics.pairing_effect) on simulated studies, clips and participants varying.

The calibration over 200 studies is benchmarks/pairing_effect_calibration.py; here one large study
shows the planted difference recovered and each type reported.
"""

from __future__ import annotations

from results.planning.paired_simulate import simulate_paired_study
from results.statistics.pairing_effect import pairing_effect, pairing_table


def test_a_planted_difference_is_recovered_with_an_interval_covering_it_and_each_type_reported():
    table = simulate_paired_study(
        60, 8, d_prime=0.6, clip_sd=0.5, n_clips=40, pairing="within", seed=7, pairing_effect=1.0
    )
    effect = pairing_effect(table)
    assert effect is not None and not effect.not_estimable
    assert effect.ci_low <= 1.0 <= effect.ci_high and effect.ci_low > 0 and effect.p_value < 0.05
    assert effect.by_type["similar"].dprime > effect.by_type["random"].dprime
    rows = pairing_table(effect)
    assert list(rows["pairing"]) == ["similar", "random", "similar - random"]
    assert rows["dprime"].iloc[2] == effect.difference


def test_no_pairing_design_means_no_pairing_report():
    assert pairing_effect(simulate_paired_study(10, 4, n_clips=20, seed=1)) is None


def _within_study_analysis(pairing_effect_size: float = 1.0):
    from results.analysis import Analysis

    table = simulate_paired_study(
        40, 8, d_prime=0.6, clip_sd=0.5, n_clips=40, pairing="within", seed=7, pairing_effect=pairing_effect_size
    )
    # as in the real table: the single-clip columns exist, empty on paired trials
    return Analysis.of_trials(table.assign(condition="blind", is_ai=table["source"] == "ai", guessed_ai=None))


def test_the_report_and_the_stats_json_show_each_pairing_type_and_the_difference_with_what_it_generalises_over():
    import json

    from results.rendering.report_designs import design_section
    from results.rendering.stats import analysis_stats

    analysis = _within_study_analysis()
    effect = analysis.pairing_effect
    html = design_section(analysis)
    assert "Similar versus random pairs" in html and "similar pairs" in html and "random pairs" in html
    assert "Listeners told AI from human clips better in similar pairs: d′ difference (similar − random) " in html
    assert f"{effect.difference:.2f} [{effect.ci_low:.2f}, {effect.ci_high:.2f}]" in html
    assert "generalise over participants and clips" in html
    block = json.loads(json.dumps(analysis_stats(analysis)["pairing"]))  # JSON-safe
    assert block["difference"]["dprime"] == effect.difference and block["difference"]["ci_low"] == effect.ci_low
    assert [row["pairing"] for row in block["table"]] == ["similar", "random", "similar - random"]
    assert block["table"][0]["dprime"] == effect.by_type["similar"].dprime
    assert "participants and clips" in block["generalises"] and block["sentence"].startswith("Listeners told")


def test_the_overview_draws_the_pairing_comparison():
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        from results.ui.designs import design_section
        from tests.results.test_pairing_effect import _within_study_analysis

        design_section(_within_study_analysis())

    at = AppTest.from_function(page, default_timeout=120).run()
    assert not at.exception
    assert "Similar versus random pairs" in [m.value.removeprefix("#### ") for m in at.markdown]
    table = at.dataframe[-1].value
    assert list(table["Pairs"]) == ["similar pairs", "random pairs", "difference (similar − random)"]
    assert any("generalise over participants and clips" in c.value for c in at.caption)


def test_single_type_pairs_show_no_comparison():
    from results.analysis import Analysis
    from results.rendering.report_designs import design_section
    from results.rendering.stats import analysis_stats

    table = simulate_paired_study(10, 6, n_clips=20, seed=3)
    analysis = Analysis.of_trials(table.assign(condition="blind", is_ai=table["source"] == "ai", guessed_ai=None))
    assert analysis.pairing_effect is None
    assert "Similar versus random" not in design_section(analysis) and "pairing" not in analysis_stats(analysis)
