"""The HTML report: self-contained, with the headline numbers and the n behind every figure."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from results.analysis import Analysis, AnalysisPlan
from results.data.dataset import Dataset, Filters
from results.data.table import empty_trial_table
from results.planning.designs_simulate import simulate_design_study
from results.planning.simulate import simulate_study
from results.rendering.report import build_report_html
from results.rendering.report_designs import design_section
from results.statistics import detection, emotion, models
from results.statistics.emotion_ordinal import emotion_ordinal_model
from results.statistics.roc import roc_from_confidence


@pytest.fixture(scope="module")
def trials():
    return simulate_study(30, 12, n_clips=24, n_attention_trials=1, seed=8)


@pytest.fixture(scope="module")
def html(trials):
    counts = {
        "n_participants_before": 35,
        "n_trials_before": 420,
        "n_participants_after": 30,
        "n_trials_after": 360,
        "steps": [{"step": "completed", "n_participants": 30, "n_trials": 360}],
    }
    dataset = Dataset(trials, pd.DataFrame(), pd.DataFrame(), counts, Filters(completed_only=True))
    return build_report_html(Analysis(dataset))


def test_report_shows_the_headline_numbers(trials, html):
    summary = detection.detection_summary(trials)
    roc = roc_from_confidence(trials)
    hit, d = summary.hit_rate, summary.d_prime
    assert f"{100 * hit.estimate:.1f}%" in html
    assert f"[{100 * hit.ci_low:.1f}%, {100 * hit.ci_high:.1f}%]" in html
    assert f"{hit.successes} of {hit.n} AI trials" in html
    assert f"{d.mean:.2f}" in html and f"[{d.ci_low:.2f}, {d.ci_high:.2f}]" in html
    assert f"AUC = {roc.auc:.2f} [{roc.auc_ci[0]:.2f}, {roc.auc_ci[1]:.2f}]" in html
    moved = emotion.emotion_tests(trials, ["moved"]).set_index("effect").loc[emotion.GUESSED_SOURCE_ASSOCIATION]
    assert f"{moved['mean_difference']:.2f} [{moved['ci_low']:.2f}, {moved['ci_high']:.2f}]" in html


def test_report_states_data_filters_and_n_for_every_figure(trials, html):
    n_participants = trials["participant_id"].nunique()
    n_main = int((trials["kind"] == "main").sum())
    assert "completed participants only; no quality exclusions" in html
    assert f"Rests on {n_participants} participants, {n_main} main trials" in html
    assert "Before filtering: 35 participants, 420 main trials." in html
    assert "After &#x27;completed&#x27;: 30 participants, 360 main trials." in html
    assert "Study version(s)" in html
    figures = re.findall(r"<figure>(.*?)</figure>", html, flags=re.S)
    assert len(figures) >= 8
    for figure in figures:
        caption = re.search(r"<figcaption>(.*?)</figcaption>", figure, flags=re.S).group(1)
        assert re.search(r"\d+ (participants|clips|ratings|trials)", caption), caption
        assert figure.lstrip().startswith("<svg")


def test_report_is_self_contained(html):
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "<link" not in html
    assert not re.search(r"""(src|href)=["']?https?://""", html)


def test_report_with_mixed_models_reports_their_estimates(trials):
    html = build_report_html(Analysis.of_trials(trials, AnalysisPlan(emotion_models=True)))
    model = models.detection_mixed_model(trials)
    is_ai = next(row for row in model.fixed_effects if row["term"] == "is_ai")
    assert "Detection (probit GLMM)" in html
    assert f"{is_ai['estimate']:.3f}" in html
    assert model.method in html.replace("&#x27;", "'")
    # The emotion analysis is the ordinal model, the linear model beside it as the sensitivity check.
    assert "The emotion analysis: ordinal mixed model per scale" in html
    assert "Emotion: moved (LMM, sensitivity check (linear model))" in html
    effect = emotion_ordinal_model(trials, "moved").effect
    assert f"{effect['estimate']:.2f} [{effect['ci_low']:.2f}, {effect['ci_high']:.2f}]" in html


def test_report_of_an_empty_table_says_so():
    html = build_report_html(Analysis.of_trials(empty_trial_table()))
    assert "No answered main trials under these filters." in html


def _role_tags_after(html: str, heading: str) -> str:
    """The first role note (class "meta") after ``heading``, unescaped."""
    start = html.index(heading)
    found = re.search(r'<p class="meta">([^<]*?(?:Confirmatory|Exploratory) \([^<]*?\))', html[start:])
    assert found, heading
    return found.group(1).replace("&#x27;", "'")


def test_report_tags_each_test_confirmatory_or_exploratory_as_preregistered(trials, html):
    # The table the Overview and the preregistration show, for the designs in the data (a blind study).
    roles = Analysis.of_trials(trials).test_roles
    table = re.search(r"Confirmatory and exploratory tests \(as preregistered\)</h2>(.*?)</table>", html, re.S)
    assert table, "the report lists the tests with their roles"
    listed = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>", table.group(1))
    assert [(test.replace("&#x27;", "'"), role) for test, role, _ in listed] == [(r.test, r.role) for r in roles]
    assert {r.key for r in roles} >= {"d_prime", "criterion", "fixed_clips", "moderators"}
    assert "pairing" not in {r.key for r in roles} and "label" not in {r.key for r in roles}
    # Each test carries its tag where the report shows it.
    assert "d′: Confirmatory (RQ1). c: Exploratory (no hypothesis). Accuracy and AUC: Exploratory (RQ1 on other" in html
    assert "Confirmatory (RQ1, when detection is not shown)" in html  # the equivalence verdict
    assert (
        _role_tags_after(html, "Pooled binomial and per-participant t-tests") == "Exploratory (clips treated as fixed)"
    )
    assert "Equal-variance check (Exploratory (model check of d′))" in html
    assert _role_tags_after(html, "<h3>Moderators</h3>") == "Exploratory (no hypothesis)"
    assert _role_tags_after(html, "Detection by group").startswith("Exploratory (no hypothesis)")
    assert "The emotion analysis: Confirmatory (RQ2)" in html
    assert _role_tags_after(html, "<h3>Paired tests") == "Exploratory (clips treated as fixed)"
    assert _role_tags_after(html, "Acoustic features (lens model)") == "Exploratory (no hypothesis)"


def test_report_tags_the_emotion_models_and_the_design_effects(trials):
    html = build_report_html(Analysis.of_trials(trials, AnalysisPlan(emotion_models=True)))
    assert _role_tags_after(html, "Emotion: moved (ordinal CLMM") == "Confirmatory (RQ2)"
    assert _role_tags_after(html, "Emotion: moved (LMM") == "Exploratory (sensitivity check of RQ2)"
    study = simulate_design_study(40, 12, seed=5, scales=("moved",))  # blind and labelled participants
    designs = design_section(Analysis.of_trials(study))
    assert _role_tags_after(designs, "<h3>Effect of the AI label</h3>") == "Confirmatory (RQ3)"
    assert "label" in {role.key for role in Analysis.of_trials(study).test_roles}  # and in the roles table
