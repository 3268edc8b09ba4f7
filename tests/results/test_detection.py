"""Detection statistics: d', c, rates, accuracy, ROC and the breakdowns.

Checked against published worked examples, against scipy/statsmodels/scikit-learn called
directly, and against simulated listeners whose true sensitivity is known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score
from statsmodels.stats.proportion import proportion_confint

from results.mixed.terms import ModelFitError
from results.planning.simulate import simulate_study
from results.statistics import detection, models
from results.statistics.breakdown import BREAKDOWN_COLUMNS, MISSING_LEVEL, breakdown
from results.statistics.cluster_variance import two_way_clustered
from results.statistics.intervals import t_interval, wilson_interval
from results.statistics.roc import roc_from_confidence


def expected_corrected_d_prime(d_prime: float, n_signal: int, n_noise: int, criterion: float = 0.0) -> float:
    """Expectation of the log-linear corrected d' estimate for one participant (exact, by summing binomials).

    This is what the mean of per-participant estimates converges to: the correction pulls it
    slightly below the generating d'.
    """
    p_hit = stats.norm.cdf(d_prime / 2 - criterion)
    p_fa = stats.norm.cdf(-d_prime / 2 - criterion)
    hits = np.arange(n_signal + 1)
    fas = np.arange(n_noise + 1)
    z_hit = stats.norm.ppf((hits + 0.5) / (n_signal + 1)) @ stats.binom.pmf(hits, n_signal, p_hit)
    z_fa = stats.norm.ppf((fas + 0.5) / (n_noise + 1)) @ stats.binom.pmf(fas, n_noise, p_fa)
    return float(z_hit - z_fa)


# Published and hand-computed values -------------------------------------------------------


@pytest.mark.parametrize(
    ("hit_rate", "fa_rate", "published"),
    [
        # W. Schneider, "Short notes on theory of signal detection", worked table of three subjects.
        (0.70, 0.10, 1.806),
        (0.50, 0.40, 0.253),
        (0.85, 0.05, 2.681),
    ],
)
def test_d_prime_matches_published_worked_example(hit_rate, fa_rate, published):
    assert detection.d_prime_from_rates(hit_rate, fa_rate) == pytest.approx(published, abs=0.001)


def test_log_linear_correction_matches_hand_computation():
    # 40 hits, 10 misses, 5 false alarms, 45 correct rejections (the handout's tumour example):
    # H = 40.5/51 = 0.79412, F = 5.5/51 = 0.10784 (Hautus 1995), then z by hand from tables:
    # z(0.79412) = 0.8207, z(0.10784) = -1.2382 -> d' = 2.0589, c = 0.2087.
    sdt = detection.sdt_from_counts(40, 10, 5, 45)
    assert sdt.hit_rate == pytest.approx(40.5 / 51)
    assert sdt.fa_rate == pytest.approx(5.5 / 51)
    assert sdt.raw_hit_rate == pytest.approx(0.8)
    assert sdt.raw_fa_rate == pytest.approx(0.1)
    assert sdt.d_prime == pytest.approx(2.0589, abs=1e-4)
    assert sdt.criterion == pytest.approx(0.2086, abs=1e-4)
    assert sdt.d_prime == pytest.approx(stats.norm.ppf(40.5 / 51) - stats.norm.ppf(5.5 / 51), rel=1e-12)
    assert sdt.accuracy == pytest.approx(0.85)


def test_perfect_and_chance_scores_stay_finite():
    perfect = detection.sdt_from_counts(20, 0, 0, 20)
    assert np.isfinite(perfect.d_prime)
    assert perfect.d_prime == pytest.approx(2 * stats.norm.ppf(20.5 / 21))
    assert perfect.criterion == pytest.approx(0.0, abs=1e-12)
    chance = detection.sdt_from_counts(10, 10, 10, 10)
    assert chance.d_prime == pytest.approx(0.0, abs=1e-12)
    liberal = detection.sdt_from_counts(18, 2, 15, 5)
    assert liberal.criterion < 0  # says "AI" a lot


def test_counts_broadcast_like_scalars_and_bad_counts_are_refused():
    hits, misses, fas, crs = np.array([5, 20, 0]), np.array([15, 0, 20]), np.array([3, 0, 20]), np.array([17, 20, 0])
    vector = detection.sdt_from_counts(hits, misses, fas, crs)
    for i in range(3):
        scalar = detection.sdt_from_counts(hits[i], misses[i], fas[i], crs[i])
        assert vector.d_prime[i] == pytest.approx(scalar.d_prime)
        assert vector.criterion[i] == pytest.approx(scalar.criterion)
    assert np.isnan(detection.sdt_from_counts(5, 5, 0, 0).d_prime)  # no human trials: undefined
    with pytest.raises(ValueError, match="non-negative"):
        detection.sdt_from_counts(-1, 5, 5, 5)
    with pytest.raises(ValueError, match="whole numbers"):
        detection.sdt_from_counts(1.5, 5, 5, 5)


# Against scipy / statsmodels run directly ------------------------------------------------------


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return simulate_study(
        60, 40, d_prime=np.linspace(0, 2, 60), criterion=0.3, n_attention_trials=3, share_incomplete=0.1, seed=5
    )


def test_per_participant_counts_use_main_trials_only(study):
    table = detection.per_participant_sdt(study)
    assert list(table.columns) == list(detection.PARTICIPANT_SDT_COLUMNS)
    for pid, rows in study[study["kind"] == "main"].groupby("participant_id"):
        row = table.set_index("participant_id").loc[pid]
        is_ai = rows["is_ai"].to_numpy()
        guessed = rows["guessed_ai"].to_numpy(dtype=bool)
        hits, fas = int((is_ai & guessed).sum()), int((~is_ai & guessed).sum())
        assert row["n_trials"] == len(rows)
        assert (row["hits"], row["false_alarms"]) == (hits, fas)
        n_signal, n_noise = int(is_ai.sum()), int((~is_ai).sum())
        h, f = (hits + 0.5) / (n_signal + 1), (fas + 0.5) / (n_noise + 1)
        assert row["d_prime"] == pytest.approx(stats.norm.ppf(h) - stats.norm.ppf(f))
        assert row["criterion"] == pytest.approx(-(stats.norm.ppf(h) + stats.norm.ppf(f)) / 2)
        assert row["accuracy"] == pytest.approx((is_ai == guessed).mean())


def test_summary_matches_scipy_and_statsmodels(study):
    summary = detection.detection_summary(study)
    main = study[study["kind"] == "main"]
    is_ai, guessed = main["is_ai"].to_numpy(), main["guessed_ai"].to_numpy(dtype=bool)
    assert summary.n_trials == len(main)
    assert summary.n_participants == main["participant_id"].nunique()

    hits, n_signal = int((is_ai & guessed).sum()), int(is_ai.sum())
    low, high = proportion_confint(hits, n_signal, alpha=0.05, method="wilson")
    assert summary.hit_rate.estimate == pytest.approx(hits / n_signal)
    assert (summary.hit_rate.ci_low, summary.hit_rate.ci_high) == pytest.approx((low, high))
    fas, n_noise = int((~is_ai & guessed).sum()), int((~is_ai).sum())
    low, high = proportion_confint(fas, n_noise, alpha=0.05, method="wilson")
    assert (summary.fa_rate.ci_low, summary.fa_rate.ci_high) == pytest.approx((low, high))

    correct = int((is_ai == guessed).sum())
    assert summary.accuracy.p_value == pytest.approx(stats.binomtest(correct, len(main), 0.5).pvalue)

    d_values = detection.per_participant_sdt(study)["d_prime"].to_numpy()
    reference = stats.ttest_1samp(d_values, 0.0)
    interval = reference.confidence_interval(0.95)
    assert summary.d_prime.mean == pytest.approx(d_values.mean())
    assert summary.d_prime.p_value == pytest.approx(reference.pvalue)
    assert (summary.d_prime.ci_low, summary.d_prime.ci_high) == pytest.approx((interval.low, interval.high))
    assert summary.criterion.mean > 0  # simulated c = 0.3: reluctant to say "AI"


def test_summary_of_an_empty_table_is_all_missing(study):
    summary = detection.detection_summary(study.iloc[0:0])
    assert summary.n_trials == 0
    assert np.isnan(summary.accuracy.estimate) and np.isnan(summary.d_prime.mean)


def test_missing_column_is_a_clear_error(study):
    with pytest.raises(ValueError, match="guessed_ai"):
        detection.detection_summary(study.drop(columns="guessed_ai"))


# Simulated listeners with known sensitivity -----------------------------------------------------


@pytest.mark.parametrize("true_d", [0.0, 0.5, 1.0])
def test_mean_d_prime_recovers_the_generating_value(true_d):
    data = simulate_study(300, 40, d_prime=true_d, criterion=0.2, cue_weight=0.0, seed=int(true_d * 10) + 1)
    summary = detection.detection_summary(data)
    expected = expected_corrected_d_prime(true_d, 20, 20, criterion=0.2)
    # The correction shrinks d' only a little at 20 + 20 trials ...
    assert abs(expected - true_d) < 0.06
    # ... and the estimate sits within its interval's reach of the expectation.
    assert summary.d_prime.mean == pytest.approx(expected, abs=0.07)
    assert summary.d_prime.ci_low - 0.02 < expected < summary.d_prime.ci_high + 0.02
    assert summary.criterion.mean == pytest.approx(0.2, abs=0.06)


def test_intervals_cover_the_truth_95_percent_of_the_time():
    """400 simulated studies of 30 listeners x 40 trials (d' = 1, c = 0.2, no clip effects).

    Truth for the mean-d' interval: the expected log-linear corrected estimate (what the
    per-participant mean estimates). Truth for the accuracy interval: the generating accuracy,
    0.5 * (Phi(d'/2 - c) + Phi(d'/2 + c)). One large simulation is cut into 400 studies so that
    the same functions run vectorised.
    """
    n_studies, per_study = 400, 30
    data = simulate_study(n_studies * per_study, 40, d_prime=1.0, criterion=0.2, cue_weight=0.0, seed=2024)
    participants = detection.per_participant_sdt(data)
    participants["study"] = (participants["participant_id"] - 1) // per_study
    by_study = participants.groupby("study")["d_prime"].agg(["mean", "std", "size"])
    low, high = t_interval(by_study["mean"], by_study["std"], by_study["size"])
    truth = expected_corrected_d_prime(1.0, 20, 20, criterion=0.2)
    d_coverage = np.mean((low <= truth) & (truth <= high))

    correct = participants.assign(correct=participants["hits"] + participants["correct_rejections"])
    pooled = correct.groupby("study")[["correct", "n_trials"]].sum()
    acc_low, acc_high = wilson_interval(pooled["correct"].to_numpy(), pooled["n_trials"].to_numpy())
    true_accuracy = 0.5 * (stats.norm.cdf(0.5 - 0.2) + stats.norm.cdf(0.5 + 0.2))
    accuracy_coverage = np.mean((acc_low <= true_accuracy) & (true_accuracy <= acc_high))

    # Binomial tolerance: 400 studies give a coverage SD of about 0.011.
    assert 0.91 <= d_coverage <= 0.98
    assert 0.91 <= accuracy_coverage <= 0.98


# ROC ---------------------------------------------------------------------------------------------


def test_roc_auc_matches_scikit_learn_and_points_run_corner_to_corner(study):
    roc = roc_from_confidence(study)
    main = study[study["kind"] == "main"]
    assert roc.auc == pytest.approx(roc_auc_score(main["is_ai"], main["confidence"].astype(int)))
    points = roc.points
    assert list(points["threshold"]) == [7, 6, 5, 4, 3, 2, 1]
    assert (points.iloc[0]["fpr"], points.iloc[0]["tpr"]) == (0.0, 0.0)
    assert (points.iloc[-1]["fpr"], points.iloc[-1]["tpr"]) == (1.0, 1.0)
    assert points["fpr"].is_monotonic_increasing and points["tpr"].is_monotonic_increasing
    # "AI" when confidence >= 4 is exactly the binary judgement.
    summary = detection.detection_summary(study)
    at_four = points.set_index("threshold").loc[4]
    assert at_four["tpr"] == pytest.approx(summary.hit_rate.estimate)
    assert at_four["fpr"] == pytest.approx(summary.fa_rate.estimate)
    assert roc.auc_ci[0] < roc.auc < roc.auc_ci[1]
    # The interval is the headline's two-way one (participants and clips), not a bootstrap of participants.
    rated = detection.main_trials(study, optional=("confidence",)).dropna(subset=["confidence"])
    headline_auc = two_way_clustered(rated)["auc"]
    assert roc.auc_ci == pytest.approx((headline_auc.ci_low, headline_auc.ci_high))


def test_roc_auc_tracks_sensitivity():
    near_chance = roc_from_confidence(simulate_study(80, 40, d_prime=0.0, cue_weight=0.0, seed=3))
    sensitive = roc_from_confidence(simulate_study(80, 40, d_prime=1.5, cue_weight=0.0, seed=3))
    assert near_chance.auc_ci[0] < 0.5 < near_chance.auc_ci[1]
    # Equal-variance SDT: AUC = Phi(d' / sqrt 2).
    assert sensitive.auc == pytest.approx(stats.norm.cdf(1.5 / np.sqrt(2)), abs=0.03)


# Breakdowns --------------------------------------------------------------------------------------


def test_breakdown_by_participant_column_matches_a_manual_split(study):
    table = breakdown(study, "training_years")
    assert list(table.columns) == list(BREAKDOWN_COLUMNS)
    main = study[study["kind"] == "main"]
    for _, row in table.iterrows():
        rows = main[main["training_years"] == row["level"]]
        is_ai, guessed = rows["is_ai"].to_numpy(), rows["guessed_ai"].to_numpy(dtype=bool)
        hits, fas = int((is_ai & guessed).sum()), int((~is_ai & guessed).sum())
        expected = detection.sdt_from_counts(hits, int(is_ai.sum()) - hits, fas, int((~is_ai).sum()) - fas)
        assert row["n_trials"] == len(rows) and row["n_participants"] == rows["participant_id"].nunique()
        assert row["d_prime"] == pytest.approx(expected.d_prime)
        assert row["d_prime_basis"] == "within level"
        per_participant = detection.per_participant_sdt(rows)["d_prime"]
        assert row["mean_participant_d_prime"] == pytest.approx(per_participant.mean())
    assert table["n_trials"].sum() == len(main)


def test_breakdown_by_ai_system_borrows_false_alarms_of_all_human_clips(study):
    table = breakdown(study, "ai_system").set_index("level")
    main = study[study["kind"] == "main"]
    human = main[~main["is_ai"]]
    fas, n_noise = int(human["guessed_ai"].sum()), len(human)
    system = main[main["ai_system"] == "System A"]
    hits = int(system["guessed_ai"].sum())
    expected = detection.sdt_from_counts(hits, len(system) - hits, fas, n_noise - fas)
    assert table.loc["System A", "d_prime"] == pytest.approx(expected.d_prime)
    assert table.loc["System A", "d_prime_basis"] == "hits in level vs all human trials"
    # Human clips have no AI system: their level holds no hits, so no d' of its own.
    assert np.isnan(table.loc[MISSING_LEVEL, "d_prime"])


# Mixed model -------------------------------------------------------------------------------------


def test_mixed_model_recovers_d_prime_and_clip_variation():
    data = simulate_study(150, 40, d_prime=1.0, criterion=0.3, cue_weight=0.5, seed=8)
    result = models.detection_mixed_model(data)
    d = result.d_prime
    assert d.ci_low < 1.0 < d.ci_high
    assert d.se == pytest.approx(0.13, abs=0.05)  # 60 clips: the clip sample limits precision
    assert result.criterion.ci_low < 0.3 < result.criterion.ci_high
    clip_sd = next(v["sd"] for v in result.variance_components if v["group"] == "clip")
    assert clip_sd == pytest.approx(0.5, abs=0.2)
    assert result.link == "probit" and result.n_clips == 60 and "Laplace" in result.method


def test_mixed_model_names_degenerate_data_instead_of_failing_obscurely(study):
    only_ai = study[study["is_ai"]]
    with pytest.raises(ModelFitError, match="is_ai"):
        models.detection_mixed_model(only_ai)
    same_answer = study.assign(guessed_ai=True)
    with pytest.raises(ModelFitError, match="guessed_ai"):
        models.detection_mixed_model(same_answer)
    with pytest.raises(ModelFitError, match="no scored trials"):
        models.detection_mixed_model(study.iloc[0:0])
