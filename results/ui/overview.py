"""The results overview page: could listeners tell, how did the clips make them feel, and by group.

Everything drawn here is read from the page's :class:`~results.analysis.Analysis` (the one the other
results pages and the Export page's report share).

Draws statistics from :mod:`results.statistics.detection`, :mod:`results.statistics.roc`,
:mod:`results.statistics.breakdown`,
:mod:`results.statistics.emotion` and :mod:`results.statistics.models`; every figure and table names the participants
and trials it rests on.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from results.analysis import BREAKDOWN_ATTRIBUTES, Analysis, Failure
from results.mixed.bootstrap import DEFAULT_SAMPLES
from results.rendering import charts
from results.rendering.formatting import format_number, format_percent
from results.rendering.report_emotion import EMOTION_ANALYSIS_CAPTION, EMOTION_ANALYSIS_LABELS
from results.rendering.sentences import (
    OVER_PARTICIPANTS_AND_CLIPS,
    decision_sentence,
    headline_sentence,
    margin_words,
    zroc_sentence,
)
from results.statistics import emotion, models
from results.statistics.detection import DetectionSummary
from results.statistics.emotion_ordinal import SENSITIVITY_LABEL
from results.statistics.equivalence import DETECTION, EQUIVALENT
from results.statistics.headline import FIXED_CLIPS_LABEL, HeadlineDetection
from results.statistics.roles import role_tag
from results.ui.designs import design_section
from results.ui.filters import page_analysis
from results.ui.flow import show_flow
from results.ui.machine import machine_line
from results.ui.tables import show_table


def overview_page() -> None:
    """The whole page: the answer in words, then detection, emotion and by-group tabs under the sidebar's filters."""
    st.title("Results overview")
    analysis = page_analysis()
    st.markdown(f"**{headline_sentence(analysis.headline)}**")
    show_flow(analysis.dataset)
    roles_section(analysis)
    detection_tab, emotion_tab, groups_tab = st.tabs(["Detection", "Emotion", "By group"])
    with detection_tab:
        detection_section(analysis)
    with emotion_tab:
        emotion_section(analysis)
    with groups_tab:
        by = st.selectbox(
            "Break detection down by",
            options=list(BREAKDOWN_ATTRIBUTES),
            format_func=BREAKDOWN_ATTRIBUTES.__getitem__,
            key="overview_breakdown_by",
        )
        breakdown_section(analysis, by)
        moderator_section(analysis)
    design_section(analysis)  # only when labelled, rate-only or paired answers exist


def roles_section(analysis: Analysis) -> None:
    """Which of the page's tests are confirmatory (the preregistered questions) and which exploratory.

    The table the preregistration prints (:mod:`results.statistics.roles`), for the designs in the data; every
    test below carries its tag too.
    """
    with st.expander("Confirmatory and exploratory tests (as preregistered)"):
        show_table(
            pd.DataFrame(
                [
                    {"Test": r.test, "Role": r.role, "Question": r.question, "Generalises over": r.generalises}
                    for r in analysis.test_roles
                ]
            ),
            empty="No tests.",
        )
        st.caption(
            "Only a confirmatory test answers its research question (one p-value each); every other p-value on "
            "these pages is exploratory."
        )


def detection_section(analysis: Analysis) -> None:
    """Headline metrics, hits vs false alarms, per-participant d', the ROC, the mixed model and methods."""
    summary, roc, top = analysis.summary, analysis.roc, analysis.headline
    headline_metrics(top)
    bootstrap_line(analysis)
    decision_line(analysis)
    with st.expander(f"Pooled binomial and per-participant t-tests ({FIXED_CLIPS_LABEL}; exploratory)"):
        detection_metrics(summary)
        st.altair_chart(charts.hit_fa_chart(summary), width="content")
        st.altair_chart(charts.dprime_distribution_chart(analysis.per_participant, summary), width="content")
    st.altair_chart(charts.roc_chart(roc, summary.n_participants, summary.n_trials), width="content")
    machine_line(analysis.dataset, roc)
    zroc = analysis.zroc
    (st.warning if zroc is not None and zroc.unequal else st.caption)(zroc_sentence(zroc))
    mixed_model_section(analysis)
    with st.expander("Methods"):
        st.write(top.methods)
        if top.model is not None:
            st.write(top.model.method)
        if analysis.zroc is not None:
            st.write(analysis.zroc.method)
        st.write(summary.methods)


def bootstrap_line(analysis: Analysis) -> None:
    """On request, the parametric-bootstrap test of d' = 0 (the small-sample test) beside the chi-square LR test."""
    if analysis.headline.model is None:
        return
    n_samples = DEFAULT_SAMPLES
    asked = st.button(
        f"Parametric bootstrap of d′ = 0 ({n_samples} samples, minutes)",
        key="overview_bootstrap",
        help="Simulates the study without detection from the fitted GLMM and refits it twice per sample: the "
        "small-sample p-value of the headline d′ test, with its Monte-Carlo error.",
    )
    if not asked and not analysis.computed("d_prime_bootstrap"):
        return
    with st.spinner(f"Refitting the GLMM on {n_samples} simulated studies ..."):
        test = analysis.d_prime_bootstrap(n_samples)
    if isinstance(test, Failure):
        st.warning(f"No parametric bootstrap: {test.reason}")
        return
    st.caption(
        f"d′ = 0, parametric bootstrap: p = {format_number(test.p_value, 3)} ± {format_number(test.mc_se, 3)} "
        f"(Monte-Carlo SE, {test.n_samples} samples); chi-square LR test: p = {format_number(test.chi2_p_value, 4)}."
    )


def _metric(column, label: str, value, fmt, help_text: str) -> None:
    column.metric(
        label,
        fmt(value.estimate),
        delta=f"[{fmt(value.ci_low)}, {fmt(value.ci_high)}]",
        delta_color="off",
        delta_arrow="off",
        help=help_text,
    )


def decision_line(analysis: Analysis) -> None:
    """The verdict (detection, reversed detection, equivalent to chance or inconclusive) under one d' margin."""
    margin = st.number_input(
        "Equivalence margin for d′ (±, the preregistered one)",
        0.01,
        2.0,
        analysis.plan.d_prime_margin,
        0.05,
        key="overview_d_prime_margin",
        help="Set on d′; its accuracy and AUC equivalents follow at this study's clip and participant SDs.",
    )
    decision = analysis.decision(margin)
    show = st.success if decision.verdict == DETECTION else st.info if decision.verdict == EQUIVALENT else st.warning
    show(decision_sentence(decision))
    st.caption(
        f"{role_tag('equivalence')}. Margin {margin_words(decision.margins)}: the detection test is quoted first, "
        "then the TOST."
    )


def headline_metrics(top: HeadlineDetection) -> None:
    """d', c, accuracy and AUC with inference over participants and clips, and the GLMM's fit status."""
    st.caption(
        f"Headline: {OVER_PARTICIPANTS_AND_CLIPS} ({top.n_participants} participants, "
        f"{top.n_clips} clips, {top.n_trials} main trials)."
    )
    columns = st.columns(4)
    if top.model is not None:
        for column, label, term in (
            (columns[0], "d′ (GLMM)", top.model.d_prime),
            (columns[1], "Criterion c (GLMM)", top.model.criterion),
        ):
            _metric(
                column,
                label,
                term,
                format_number,
                f"Probit GLMM, profile-likelihood 95% interval; likelihood-ratio test against 0 on "
                f"F(1, {term.df:.0f}): p = {format_number(term.p_value, 4)}",
            )
        st.caption(f"GLMM {top.model.random_structure}: {top.model.fit_status}.")
        st.caption(
            f"d′: {role_tag('d_prime')}. c: {role_tag('criterion')}. Accuracy and AUC: {role_tag('accuracy_auc')}."
        )
    else:
        st.warning(f"The detection GLMM could not be fitted: {top.model_error}")
    for column, label, value, fmt in (
        (columns[2], "Accuracy", top.accuracy, format_percent),
        (columns[3], "AUC (confidence)", top.auc, format_number),
    ):
        if value is not None:
            _metric(
                column,
                label,
                value,
                fmt,
                f"95% interval with two-way cluster-robust SE (participants and clips); t-test against 50% "
                f"on t({value.df:.0f}): p = {format_number(value.p_value, 4)}",
            )


def detection_metrics(summary: DetectionSummary) -> None:
    """The fixed-clip statistics (pooled accuracy, mean per-participant d'), each with its 95 % interval and n."""
    acc, d = summary.accuracy, summary.d_prime
    columns = st.columns(3)
    columns[0].metric("Participants / main trials", f"{summary.n_participants} / {summary.n_trials}")
    columns[1].metric(
        "Accuracy (clips fixed)",
        format_percent(acc.estimate),
        help=(
            f"95% Wilson interval {format_percent(acc.ci_low)} to {format_percent(acc.ci_high)}; "
            f"{acc.successes} of {acc.n} "
            f"trials correct; binomial test against 50%: p = {format_number(acc.p_value, 4)}"
        ),
        delta_color="off",
        delta_arrow="off",
        delta=f"[{format_percent(acc.ci_low)}, {format_percent(acc.ci_high)}]",
    )
    columns[2].metric(
        "Mean d′ (clips fixed)",
        format_number(d.mean),
        delta=f"[{format_number(d.ci_low)}, {format_number(d.ci_high)}]",
        delta_color="off",
        delta_arrow="off",
        help=(
            f"Mean of {d.n} participants' d′ with a 95% t interval; t-test against 0: p = {format_number(d.p_value, 4)}"
        ),
    )


def _holm_words(analysis: Analysis, by: str) -> str:
    """ "; Holm-adjusted p = ... (family)" once the family's breakdowns are fitted, else a button that fits them.

    Holm needs every breakdown of the family (the report's, plus this one), a GLMM fit each: the page
    fits them on request, or finds them fitted by the report or an earlier request.
    """
    asked = st.button(
        "Holm-adjust over the report's breakdowns (fits each)",
        key="overview_breakdown_holm",
        help="Picking the one attribute that differs out of several is a multiple comparison: Holm's method "
        "adjusts its p-value over the family.",
    )
    if not asked and not analysis.computed("breakdown_family"):
        return ""
    with st.spinner("Fitting the other breakdowns of the family ..."):
        family = analysis.breakdown_family(shown=by)
    return f"; Holm-adjusted p = {format_number(family.p_holm(by), 4)} ({family.family})"


def moderator_section(analysis: Analysis) -> None:
    """Training, AI exposure and attitude as moderators of d' and c, raw and Holm-adjusted p side by side."""
    st.subheader("Moderators of detection")
    st.caption(role_tag("moderators"))
    asked = st.button("Fit the moderator model (training, AI exposure, attitude)", key="overview_moderators")
    if not asked and not analysis.computed("moderators"):
        return
    with st.spinner("Fitting the moderator model ..."):
        model = analysis.moderators
    if isinstance(model, Failure):
        st.info(f"No moderator model: {model.reason}")
        return
    show_table(
        model.table.drop(columns=["moderator"]),
        empty="No moderator was answered.",
        column_config={"label": "Moderator", "effect_on": "Effect on", "p_value": "p", "p_holm": "p (Holm)"},
    )
    st.caption(
        f"Change per SD of the moderator; {model.n_participants} participants with every moderator answered, "
        f"{model.n_trials} trials. p (Holm): {model.family}. {model.method} Fit: {model.fit_status}."
    )


def breakdown_section(analysis: Analysis, by: str) -> None:
    """Detection per group of ``by``: d' per level from the GLMM with the test of equal d', chart and pooled table."""
    table = analysis.breakdown(by)
    if table.empty:
        st.info("No scored trials to break down.")
        return
    label = BREAKDOWN_ATTRIBUTES.get(by, by)
    with st.spinner("Fitting the detection model by group ..."):
        model = analysis.breakdown_model(by)
    if isinstance(model, Failure):
        st.warning(f"No model of d′ by {label}: {model.reason}")
    else:
        st.altair_chart(charts.breakdown_chart(model.levels, label), width="content")
        show_table(
            model.levels,
            empty=f"No group of {label.lower()} has scored trials.",
            column_config={"level": label, "d_prime": "d′ (GLMM)"},
        )
        st.caption(
            f"{role_tag('breakdowns')}. Equal d′ across groups: LR = {format_number(model.lr_statistic)}, "
            f"F({model.df_numerator:.0f}, {model.df_denominator:.0f}), p = {format_number(model.p_value, 4)}"
            f"{_holm_words(analysis, by)}. {model.method} Fit: {model.fit_status}."
        )
    shown = table[
        [
            "level",
            "n_participants",
            "n_trials",
            "hits",
            "false_alarms",
            "hit_rate",
            "fa_rate",
            "d_prime",
            "criterion",
            "d_prime_basis",
            "accuracy",
            "accuracy_ci_low",
            "accuracy_ci_high",
        ]
    ]
    show_table(shown, empty="No scored trials to break down.", column_config={"level": label})
    st.caption(
        f"Pooled counts per group ({FIXED_CLIPS_LABEL}): hit rate, false-alarm rate, d′ and criterion with the "
        "log-linear correction."
    )


def show_model_result(result: models.DetectionModel | models.EmotionModel | Failure) -> None:
    """A fitted model (n, fixed effects with Wald 95 % intervals, variance components, method) or why there is none."""
    if isinstance(result, Failure):
        st.warning(f"No model: {result.reason}")
        return
    st.caption(
        ", ".join(f"{count} {name}" for name, count in models.rests_on(result).items())
        + ("" if result.converged else " — the optimiser did not report convergence; treat the estimates with care")
    )
    show_table(pd.DataFrame(result.fixed_effects), empty="The model has no fixed effects to show.")
    show_table(pd.DataFrame(result.variance_components), empty="The model has no variance components to show.")
    st.caption(result.method)


def mixed_model_section(analysis: Analysis) -> None:
    """The detection GLMM behind the headline: fixed effects, variance components, fit status."""
    st.subheader("Mixed model")
    st.caption(
        "Probit model of 'judged AI' with participants and clips as crossed random effects: the 'is_ai' "
        "coefficient is d′ for a typical listener on a typical clip, and its interval allows for both "
        "samples."
    )
    if not st.toggle("Show the detection mixed model", key="overview_fit_detection_model"):
        return
    show_model_result(analysis.detection_model)


def emotion_section(analysis: Analysis) -> None:
    """Emotion ratings by true and by perceived source: 2 x 2 charts, paired tests, mixed models."""
    trials, scales = analysis.trials, analysis.scales
    if not scales:
        st.info("No emotion ratings under these filters.")
        return
    st.write(
        "Do ratings differ between AI and human clips (**true source**), and between clips a listener "
        "*believed* were AI or human (**guessed source**: an association, not an effect of the label, since "
        "the guess and the rating both come from the listening experience)? Parallel lines: no "
        "interaction; a drop from left to right: clips judged AI were rated lower."
    )
    by_source = analysis.emotion_by_source
    columns = st.columns(2)
    points = emotion.infer_scale_points(trials, scales)
    for position, scale in enumerate(scales):
        columns[position % 2].altair_chart(charts.emotion_interaction_chart(by_source, scale, points), width="content")
    emotion_analysis_section(analysis)
    st.subheader("Paired tests (participants as the unit; clips fixed)")
    tests = analysis.emotion_tests
    show_table(tests, empty="Paired tests need participants who rated both AI and human clips (or both judgements).")
    st.caption(
        "Mean difference = AI minus human, in scale points, with a 95% t interval; Cohen's d_z with an "
        f"exact interval; p_holm: Holm correction across scales within each effect. {FIXED_CLIPS_LABEL.capitalize()}. "
        f"{role_tag('emotion_paired')}."
    )


def emotion_analysis_section(analysis: Analysis) -> None:
    """The emotion analysis: the ordinal mixed model per scale, the linear model beside it as a sensitivity check.

    Fitted on request (about two seconds a scale for 60 x 12 ratings, then kept in the page's Analysis).
    """
    st.subheader("The emotion analysis: ordinal mixed model per scale")
    st.caption(f"{role_tag('emotion')}. {EMOTION_ANALYSIS_CAPTION}")
    if not st.toggle("Fit the emotion models (a few seconds per scale)", key="overview_fit_emotion_model"):
        return
    with st.spinner("Fitting the ordinal and linear mixed models of every scale ..."):
        table = analysis.emotion_analysis
    show_table(table, empty="No scale has ratings to model.", column_config=EMOTION_ANALYSIS_LABELS)
    scale = st.selectbox("Model details for", analysis.scales, key="overview_emotion_model_scale")
    ordinal = analysis.emotion_ordinal_model(scale)
    if isinstance(ordinal, Failure):
        st.warning(f"No ordinal model: {ordinal.reason}")
    else:
        rests_on = f"{ordinal.n_ratings} ratings, {ordinal.n_participants} participants, {ordinal.n_clips} clips"
        st.caption(f"{rests_on}; {ordinal.fit_status}")
        estimates = pd.DataFrame([ordinal.effect, *ordinal.thresholds]).rename(columns={"z": "t (is_ai) / z"})
        show_table(estimates, empty="The model has no estimates to show.")
        show_table(pd.DataFrame(ordinal.variance_components), empty="The model has no variance components to show.")
        st.caption(ordinal.method)
    st.markdown(f"**{SENSITIVITY_LABEL.capitalize()}**")
    show_model_result(analysis.emotion_model(scale))
