"""A self-contained HTML report of the results: headline numbers, figures, methods, data provenance.

The report is one HTML file with inline CSS and the figures rendered to inline SVG (with
vl-convert, offline), so it can be mailed, archived with a preregistration or opened years
later without the app. Every figure and table states the participants and trials it rests on.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from core.vocabulary import TrialKind
from results.analysis import Analysis, Failure
from results.data.dataset import exclusion_lines
from results.planning.prereg import flow_and_deviations_html
from results.rendering import charts, clip_charts
from results.rendering.formatting import format_number, format_p, format_percent
from results.rendering.labels import VALUE_LABELS, feature_label, scale_label
from results.rendering.report_designs import design_section
from results.rendering.report_detection import breakdown_section, detection_section, moderator_section
from results.rendering.report_emotion import emotion_analysis_html, ordinal_model_html
from results.rendering.report_html import REPORT_CSS, esc, format_interval, html_figure, html_table
from results.rendering.stats import ROC_METHOD
from results.statistics import emotion, lens, models
from results.statistics.emotion_ordinal import SENSITIVITY_LABEL, OrdinalEmotionModel
from results.statistics.roles import role_tag


def _effect_label(effect: str) -> str:
    """Readable name of an emotion-test effect (``true_source``, ``guessed_source_association``)."""
    return VALUE_LABELS["effect"].get(effect, effect.replace("_", " "))


def _emotion_test_rows(tests) -> list[list[str]]:
    """One table row per scale and effect of the paired emotion tests (participants as the unit)."""
    return [
        [
            scale_label(row.scale),
            _effect_label(row.effect),
            str(row.n_participants),
            format_number(row.mean_ai),
            format_number(row.mean_human),
            f"{format_number(row.mean_difference)} {format_interval(row.ci_low, row.ci_high)}",
            f"t({format_number(row.df, 0)}) = {format_number(row.t)}",
            format_p(row.p_value),
            format_p(row.p_holm),
            f"{format_number(row.cohen_dz)} {format_interval(row.dz_ci_low, row.dz_ci_high)}",
        ]
        for row in tests.itertuples()
    ]


def _emotion_section(analysis: Analysis) -> str:
    scales = analysis.scales
    if not scales:
        return "<h2>How did the clips make listeners feel?</h2><p>No ratings under these filters.</p>"
    by_source = analysis.emotion_by_source
    rows = _emotion_test_rows(analysis.emotion_tests)
    parts = [
        "<h2>How did the clips make listeners feel?</h2>",
        '<p class="meta">True source: AI vs human clips (an effect: the design assigned the source). Guessed '
        "source association: clips the same listener judged AI vs judged human, whatever their true source. "
        "It is an association, not an effect of the AI label: the guess and the rating both come from the "
        "listening experience.</p>",
        f'<p class="meta">The emotion analysis: {esc(role_tag("emotion"))}.</p>',
        emotion_analysis_html(analysis.emotion_analysis)
        if analysis.plan.emotion_models
        else '<p class="meta">The emotion analysis (the ordinal mixed model per scale, over participants and '
        "clips) is in the report when the emotion models are fitted.</p>",
        "<h3>Paired tests (participants as the unit; clips fixed)</h3>",
        f'<p class="meta">{esc(role_tag("emotion_paired"))}.</p>',
        html_table(
            [
                "Scale",
                "Effect",
                "Participants",
                "Mean AI",
                "Mean human",
                "Difference [95% CI]",
                "t",
                "p",
                "p (Holm)",
                "d_z [95% CI]",
            ],
            rows,
            numeric=tuple(range(2, 10)),
        ),
        '<div class="grid">',
    ]
    for scale in scales:
        cells = by_source[by_source["scale"] == scale]
        parts.append(
            html_figure(
                charts.emotion_interaction_chart(by_source, scale, emotion.infer_scale_points(analysis.trials, scales)),
                f"{scale}: cell means with 95% t intervals over participants "
                f"(up to {int(cells['n_participants'].max())} participants per cell, "
                f"{int(cells['n_ratings'].sum())} ratings).",
            )
        )
    parts.append("</div>")
    return "\n".join(parts)


def _clips_section(analysis: Analysis) -> str:
    summary, top_k, n_participants = analysis.clip_summary, analysis.plan.top_k, analysis.n_participants
    if summary.empty:
        return ""

    def listing(frame: pd.DataFrame) -> str:
        rows = [
            [
                f"#{row.clip_id}",
                row.clip_title if isinstance(row.clip_title, str) else "",
                str(row.n_ratings),
                f"{format_percent(row.shrunk_judged_ai)} "
                f"{format_interval(row.shrunk_ci_low, row.shrunk_ci_high, format_percent)}",
                format_percent(row.prop_judged_ai),
                format_number(row.mean_confidence),
            ]
            for row in frame.itertuples()
        ]
        return html_table(
            ["Clip", "Title", "Ratings", "Judged AI, shrunken [95% CI]", "Judged AI, raw", "Mean confidence (1-6)"],
            rows,
            numeric=(2, 3, 4, 5),
        )

    return "\n".join(
        [
            "<h2>Clips</h2>",
            html_figure(
                clip_charts.clip_judged_ai_chart(summary, n_participants),
                f"Proportion of 'AI' judgements per clip with Wilson 95% intervals ({len(summary)} clips, "
                f"{int(summary['n_ratings'].sum())} trials, {n_participants} participants).",
            ),
            f"<h3>Most human-sounding AI clips (top {top_k})</h3>",
            listing(analysis.most_human_sounding_ai),
            f"<h3>Most AI-sounding human clips (top {top_k})</h3>",
            listing(analysis.most_ai_sounding_human),
        ]
    )


def _lens_rows(summary: lens.LensSummary) -> list[list[str]]:
    """Rows of the lens-model table: achievement, and when the cue models were fitted R, G and C."""
    achievement = summary.achievement
    rows = [
        [
            "Achievement r (source vs proportion judged AI)",
            format_number(achievement.r),
            format_interval(achievement.ci_low, achievement.ci_high),
            f"{summary.n_clips} clips",
        ]
    ]
    if summary.environment is not None and summary.judgement is not None:  # fitted together
        rows += [
            [
                "Environment R (cues predict the source)",
                format_number(summary.environment.multiple_r),
                "",
                f"{summary.n_clips_model} clips",
            ],
            [
                "Listener R (cues predict judgements)",
                format_number(summary.judgement.multiple_r),
                "",
                f"{summary.n_clips_model} clips",
            ],
            ["Matching G", format_number(summary.matching_g), "", ""],
            ["Unmodelled agreement C", format_number(summary.unmodelled_c), "", ""],
        ]
    return rows


def _lens_section(analysis: Analysis) -> str:
    associations, n_participants, df = analysis.feature_associations, analysis.n_participants, analysis.trials
    if associations.empty:
        return "<h2>Acoustic features (lens model)</h2><p>The clips have no acoustic features.</p>"
    summary = analysis.lens_summary
    rows = _lens_rows(summary)
    parts = [
        "<h2>Acoustic features (lens model)</h2>",
        f'<p class="meta">{esc(role_tag("features"))}.</p>',
        html_table(["Quantity", "Value", "95% interval", "n"], rows, numeric=(1, 2, 3)),
    ]
    if summary.cues:
        parts.append(
            f'<p class="meta">Cues: {esc(", ".join(feature_label(c) for c in summary.cues))} '
            f"({esc(summary.cue_selection)}; choosing cues on the same data flatters both R).</p>"
        )
    n_trials = analysis.n_trials
    parts.append(
        html_figure(
            clip_charts.lens_chart(associations, n_participants, n_trials),
            f"Per-feature correlations across {int(associations['n_clips'].max())} clips with the true "
            f"source and with the proportion judged AI (95% Fisher-z intervals; {n_trials} trials of "
            f"{n_participants} participants).",
        )
    )
    ranked = associations.assign(strength=associations["judgement_r"].abs()).dropna(subset=["strength"])
    if len(ranked):
        feature = ranked.sort_values("strength", ascending=False)["feature"].iloc[0]
        clips = analysis.clip_summary.merge(df.groupby("clip_id")[[feature]].first().reset_index(), on="clip_id")
        parts.append(
            html_figure(
                clip_charts.feature_scatter_chart(clips, feature, n_participants),
                f"The feature most associated with listeners' judgements, clips as points "
                f"({len(clips)} clips, {n_trials} trials, {n_participants} participants).",
            )
        )
    return "\n".join(parts)


def _mixed_models_section(analysis: Analysis) -> tuple[str, list[str]]:
    """(HTML, methods sentences) of the detection GLMM and, with the plan's emotion models, per scale the ordinal
    model (the emotion analysis) and the LMM (its sensitivity check)."""
    parts, methods = ["<h2>Mixed models</h2>"], []
    # (title, key of its test's role in results.statistics.roles or "" for a model that describes, fitted model)
    results: list[tuple[str, str, models.DetectionModel | models.EmotionModel | OrdinalEmotionModel | Failure]]
    results = [("Detection (probit GLMM)", "", analysis.detection_model)]
    if analysis.plan.emotion_models:
        for scale in analysis.scales:
            results += [
                (
                    f"Emotion: {scale} (ordinal CLMM, the emotion analysis)",
                    "emotion",
                    analysis.emotion_ordinal_model(scale),
                ),
                (f"Emotion: {scale} (LMM, {SENSITIVITY_LABEL})", "emotion_linear", analysis.emotion_model(scale)),
            ]
    for title, role, result in results:
        parts.append(f"<h3>{esc(title)}</h3>")
        if role:
            parts.append(f'<p class="meta">{esc(role_tag(role))}.</p>')
        if isinstance(result, Failure):
            parts.append(f"<p>Not fitted: {esc(result.reason)}</p>")
            continue
        parts.append(ordinal_model_html(result) if isinstance(result, OrdinalEmotionModel) else _model_html(result))
        methods.append(result.method)
    return "\n".join(parts), methods


def _model_html(result: models.DetectionModel | models.EmotionModel) -> str:
    """What a fitted model rests on, its coefficient table and its variance components."""
    n = ", ".join(f"{count} {name}" for name, count in models.rests_on(result).items())
    rows = [
        [
            r["term"],
            format_number(r["estimate"], 3),
            format_interval(r["ci_low"], r["ci_high"]),
            format_number(r["se"], 3),
            format_number(r["z"]),
            format_p(r["p_value"]),
        ]
        for r in result.fixed_effects
    ]
    return "\n".join(
        [
            f'<p class="meta">Rests on {esc(n)}.'
            + ("" if result.converged else " The optimiser did not report convergence.")
            + "</p>",
            # Wald columns, labelled so: d' and c are tested by the likelihood ratio in the headline (one p-value
            # per question there); this table describes the fitted model.
            html_table(
                [
                    "Term",
                    "Estimate",
                    "95% CI (Wald)",
                    "SE",
                    "Wald " + ("z" if isinstance(result, models.DetectionModel) else "t"),
                    "Wald p",
                ],
                rows,
                numeric=(1, 2, 3, 4, 5),
            ),
            html_table(
                ["Random effect", "Term", "SD"],
                [[v["group"], v["term"], format_number(v["sd"], 3)] for v in result.variance_components],
                numeric=(2,),
            ),
        ]
    )


ROLES_HEADER = ["Test", "Role", "Question", "Generalises over"]


def _roles_section(analysis: Analysis) -> str:
    """The tests of the designs in the data with their preregistered roles, as the Overview and the preregistration
    list them (:mod:`results.statistics.roles`); each test's section below carries its tag."""
    rows = [[r.test, r.role, r.question, r.generalises] for r in analysis.test_roles]
    return "\n".join(
        [
            "<h2>Confirmatory and exploratory tests (as preregistered)</h2>",
            html_table(ROLES_HEADER, rows),
            '<p class="meta">Only a confirmatory test answers its research question (one p-value each); every other '
            "p-value in this report is exploratory.</p>",
        ]
    )


def _data_section(analysis: Analysis) -> str:
    df, filters_description, counts = analysis.trials, analysis.dataset.filters.describe(), analysis.dataset.counts
    main = df[df["kind"] == TrialKind.MAIN] if len(df) else df
    versions = ", ".join(str(v) for v in sorted(df["study_version_id"].unique())) if len(df) else "none"
    first = main["answered_at"].min() if len(main) else None
    last = main["answered_at"].max() if len(main) else None
    n_attention = int((df["kind"] == TrialKind.ATTENTION).sum()) if len(df) else 0
    n_repeat = int((df["kind"] == TrialKind.REPEAT).sum()) if len(df) else 0
    rows = [
        ["Filters", filters_description],
        [
            "Participants",
            f"{df['participant_id'].nunique() if len(df) else 0} with an answered trial; {analysis.n_participants} "
            "with a judged main trial (what the detection statistics rest on)",
        ],
        ["Answered trials", f"{len(df)} ({len(main)} main, {n_attention} attention, {n_repeat} repeat)"],
        ["Clips heard", str(main["clip_id"].nunique() if len(main) else 0)],
        ["Study version(s)", versions],
        ["Answers from", f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC" if first is not None else "n/a"],
    ]
    rows += [["Exclusions", line] for line in exclusion_lines(counts or {})]
    return "<h2>Data</h2>" + html_table(["Item", "Value"], rows)


EMOTION_METHODS = (
    "Emotion ratings: each participant's ratings are averaged per condition first (participants are the unit). "
    "The true-source effect compares AI with human clips, the guessed-source association clips judged AI with "
    "clips judged human (an association, not a causal label effect), both by paired t-tests with t intervals "
    "of the mean difference and Cohen's d_z with an exact noncentral-t interval; Holm's correction across "
    "scales within each effect. These paired tests treat clips as fixed; the ordinal mixed model of each scale "
    "(the emotion analysis) gives the true-source effect over clips and listeners, with the linear mixed model as "
    "its sensitivity check."
)
LENS_METHODS = (
    "Lens model (Brunswik; Juslin 2000): per clip, the proportion of 'AI' judgements over all listeners. Each "
    "feature's point-biserial correlation with the true source (cue validity) and Pearson correlation with the "
    "proportion judged AI (cue use), Fisher-z 95% intervals, Benjamini-Hochberg FDR across features. Linear "
    "environment and judgement models on the strongest cues give R_e, R_s, matching G and unmodelled C."
)


def build_report_html(
    analysis: Analysis, *, title: str = "Human Touch: results report", preamble_html: str = ""
) -> str:
    """The full report of one :class:`~results.analysis.Analysis` as a self-contained HTML document.

    Parameters
    ----------
    analysis : Analysis
        The data set, its filters and counts, and the plan (breakdowns, emotion models, ``top_k``); every
        number is read from it, so the report agrees with the pages and ``human-touch stats``.
    title : str
        Heading and HTML title.
    preamble_html : str
        Sections placed before "Data" (the participant flow and the deviations from the
        preregistration, :func:`results.planning.prereg.flow_and_deviations_html`).

    Returns
    -------
    str
        HTML with inline CSS and inline SVG figures; no external resources.
    """
    generated = datetime.now(UTC)
    filters_description = analysis.dataset.filters.describe()
    detection_html, detection_methods = detection_section(analysis)
    methods = [detection_methods, ROC_METHOD]
    body = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">Generated {generated:%Y-%m-%d %H:%M} UTC. Filters: {esc(filters_description)}.</p>',
        preamble_html,
        _data_section(analysis),
        _roles_section(analysis),
        detection_html,
    ]
    if analysis.n_participants:
        body += [
            breakdown_section(analysis),
            moderator_section(analysis),
            _emotion_section(analysis),
            _clips_section(analysis),
            _lens_section(analysis),
        ]
        methods += [EMOTION_METHODS, LENS_METHODS]
        mixed_html, mixed_methods = _mixed_models_section(analysis)
        body.append(mixed_html)
        methods += mixed_methods
    body.append(design_section(analysis))  # '' unless labelled, rate-only or paired answers
    body += [
        "<h2>Methods</h2>",
        *(f"<p>{esc(m)}</p>" for m in methods),
        "<p>Software: Human Touch; statistics with scipy and statsmodels; figures with Altair/Vega-Lite.</p>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{REPORT_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def analysis_report_html(analysis: Analysis) -> str:
    """The report of ``analysis``, opening with its participant flow and the deviations from the preregistration."""
    return build_report_html(analysis, preamble_html=flow_and_deviations_html(analysis.dataset))
