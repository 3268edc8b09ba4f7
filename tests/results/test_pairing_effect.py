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
