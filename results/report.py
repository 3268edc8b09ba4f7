"""A self-contained HTML report of the results: headline numbers, figures, methods, data provenance.

The report is one HTML file with inline CSS and the figures rendered to inline SVG (with
vl-convert, offline), so it can be mailed, archived with a preregistration or opened years
later without the app. Every figure and table states the participants and trials it rests on.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import pandas as pd

from core.vocabulary import SCALES, TrialKind
from results import charts, clip_charts, detection, emotion, lens, models
from results.breakdown import breakdown
from results.breakdown_model import breakdown_model
from results.chart_parts import to_svg
from results.dataset import exclusion_lines
from results.equivalence import detection_decision
from results.formatting import format_number, format_p, format_percent
from results.headline import FIXED_CLIPS_LABEL, HeadlineDetection, headline_detection
from results.mixed import ModelFitError
from results.moderators import moderator_model
from results.roc import roc_from_confidence
from results.stats import BREAKDOWN_COLUMNS, ROC_METHOD

BREAKDOWN_LABELS = {
    "training_years": "Years of musical training",
    "ai_exposure": "AI music heard before",
    "genre": "Genre",
    "vocals": "Vocals",
    "ai_system": "AI system (AI clips only)",
}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:980px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0} th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left}
th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.grid{display:flex;flex-wrap:wrap;gap:0 1.5em}
figure{margin:1.2em 0} figcaption{font-size:.9em;color:#555} .meta{color:#555;font-size:.95em}
.note{background:#f7f7f2;border-left:4px solid #bbb;padding:.5em .8em}
"""


def _esc(text) -> str:
    return html.escape(str(text))


def _interval(low, high, fmt=format_number) -> str:
    return f"[{fmt(low)}, {fmt(high)}]"


def _table(header: list[str], rows: list[list[str]], numeric: tuple[int, ...] = ()) -> str:
    """An HTML table; the columns at the ``numeric`` positions are right-aligned and never wrapped."""
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{_esc(c)}</td>' if i in numeric else f"<td>{_esc(c)}</td>" for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(chart, caption: str) -> str:
    return f"<figure>{to_svg(chart)}<figcaption>{_esc(caption)}</figcaption></figure>"


def _headline_html(top: HeadlineDetection) -> str:
    """The headline table: d' and c from the GLMM, accuracy and AUC with two-way clustered intervals."""
    rows = []
    model = top.model
    if model is not None:
        for label, term in (("d′ (probit GLMM)", model.d_prime), ("Criterion c (probit GLMM)", model.criterion)):
            rows.append(
                [
                    label,
                    format_number(term.estimate),
                    _interval(term.ci_low, term.ci_high) + " profile",
                    f"LR = {format_number(term.lr_statistic)}, F(1, {format_number(term.df, 0)}), "
                    f"p {format_p(term.p_value)}",
                ]
            )
    for label, value, fmt in (
        ("Accuracy", top.accuracy, format_percent),
        ("AUC (confidence ROC)", top.auc, format_number),
    ):
        if value is not None:
            rows.append(
                [
                    label,
                    fmt(value.estimate),
                    _interval(value.ci_low, value.ci_high, fmt),
                    f"vs 50%: t({format_number(value.df, 0)}) = "
                    f"{format_number((value.estimate - value.chance) / value.se)}, p {format_p(value.p_value)}",
                ]
            )
    status = (
        f"GLMM {_esc(model.random_structure)}: {_esc(model.fit_status)}."
        if model is not None
        else f"The GLMM could not be fitted: {_esc(top.model_error)}."
    )
    decision = detection_decision(top)
    return "\n".join(
        [
            f'<p class="note"><strong>{_esc(decision.sentence)}</strong> Default equivalence margins; set your own on '
            "the Overview.</p>",
            f'<p class="meta">Headline: inference over participants <em>and</em> clips ({top.n_participants} '
            f"participants, {top.n_clips} clips, {top.n_trials} main trials). {status}</p>",
            _table(["Measure", "Estimate", "95% interval", "Test"], rows, numeric=(1, 2)),
        ]
    )


def _detection_section(df: pd.DataFrame) -> tuple[str, str]:
    """(HTML of the detection section, methods sentence)."""
    summary = detection.detection_summary(df)
    n_p, n_t = summary.n_participants, summary.n_trials
    if n_t == 0:
        return "<h2>Could listeners tell?</h2><p>No answered main trials under these filters.</p>", summary.methods
    top = headline_detection(df)
    per_participant = detection.per_participant_sdt(df)
    roc = roc_from_confidence(df)
    hit, fa, acc = summary.hit_rate, summary.fa_rate, summary.accuracy
    d, c = summary.d_prime, summary.criterion
    rows = [
        [
            "Hit rate (AI clips judged AI)",
            format_percent(hit.estimate),
            _interval(hit.ci_low, hit.ci_high, format_percent),
            f"{hit.successes} of {hit.n} AI trials",
            "",
        ],
        [
            "False-alarm rate (human clips judged AI)",
            format_percent(fa.estimate),
            _interval(fa.ci_low, fa.ci_high, format_percent),
            f"{fa.successes} of {fa.n} human trials",
            "",
        ],
        [
            "Accuracy",
            format_percent(acc.estimate),
            _interval(acc.ci_low, acc.ci_high, format_percent),
            f"{acc.successes} of {acc.n} trials",
            f"binomial test vs 50%: p {format_p(acc.p_value)}",
        ],
        [
            "Mean d′ (per participant)",
            format_number(d.mean),
            _interval(d.ci_low, d.ci_high),
            f"{d.n} participants",
            f"t({format_number(d.df, 0)}) = {format_number(d.t)}, p {format_p(d.p_value)}",
        ],
        [
            "Mean criterion c (per participant)",
            format_number(c.mean),
            _interval(c.ci_low, c.ci_high),
            f"{c.n} participants",
            f"t({format_number(c.df, 0)}) = {format_number(c.t)}, p {format_p(c.p_value)}",
        ],
        [
            "AUC (confidence ROC)",
            format_number(roc.auc),
            _interval(*roc.auc_ci),
            f"{n_p} participants, {n_t} trials",
            "bootstrap over participants",
        ],
    ]
    rests_on = f"{n_p} participants, {n_t} main trials"
    parts = [
        "<h2>Could listeners tell?</h2>",
        f'<p class="meta">Rests on {_esc(rests_on)}. "AI" is the signal: a hit is an AI clip judged AI, '
        "a false alarm a human clip judged AI. Positive c means reluctant to answer “AI”.</p>",
        _headline_html(top),
        f"<h3>Pooled and per-participant statistics ({_esc(FIXED_CLIPS_LABEL)})</h3>",
        _table(["Measure", "Estimate", "95% interval", "n", "Test"], rows, numeric=(1, 2)),
        _figure(charts.hit_fa_chart(summary), f"Hits and false alarms with Wilson 95% intervals ({rests_on})."),
        _figure(
            charts.dprime_distribution_chart(per_participant, summary),
            f"Per-participant d′ ({d.n} participants with both AI and human trials; {n_t} trials).",
        ),
        _figure(charts.roc_chart(roc, n_p, n_t), f"Empirical ROC from the 6-point confidence scale ({rests_on})."),
    ]
    methods = top.methods + (" " + top.model.method if top.model is not None else "")
    return "\n".join(parts), methods + " " + summary.methods


def _breakdown_section(df: pd.DataFrame) -> str:
    parts = [
        "<h3>Detection by group</h3>",
        '<p class="meta">d′ per group from the probit GLMM with the group as a fixed effect (95% Wald '
        "interval; the likelihood-ratio test says whether d′ differs between groups) and the pooled accuracy "
        "(95% Wilson interval, treats clips as fixed). A group holding only AI clips (an AI system) is "
        "measured against all human clips.</p>",
    ]
    for column in BREAKDOWN_COLUMNS:
        if column not in df.columns:
            continue
        table = breakdown(df, column)
        if table.empty:
            continue
        try:
            model = breakdown_model(df, column)
        except ModelFitError as error:
            parts += [f"<h4>{_esc(BREAKDOWN_LABELS.get(column, column))}</h4>", f"<p>Not modelled: {_esc(error)}</p>"]
            continue
        pooled = table.set_index("level")
        rows = [
            [
                row.level,
                str(int(pooled.loc[row.level, "n_participants"])) if row.level in pooled.index else "",
                str(row.n_trials),
                f"{format_number(row.d_prime)} {_interval(row.ci_low, row.ci_high)}",
                _pooled_accuracy(pooled, row.level),
            ]
            for row in model.levels.itertuples()
        ]
        test = (
            f"Equal d′ across groups: LR = {format_number(model.lr_statistic)}, "
            f"F({format_number(model.df_numerator, 0)}, {format_number(model.df_denominator, 0)}), "
            f"p {format_p(model.p_value)}. Fit: {model.fit_status}."
        )
        parts += [
            f"<h4>{_esc(BREAKDOWN_LABELS.get(column, column))}</h4>",
            _table(
                ["Group", "Participants", "Trials", "d′ (GLMM) [95% CI]", "Accuracy [95% CI]"],
                rows,
                numeric=(1, 2, 3, 4),
            ),
            f'<p class="meta">{_esc(test)}</p>',
        ]
    return "\n".join(parts)


def _pooled_accuracy(pooled: pd.DataFrame, level: object) -> str:
    """Pooled accuracy of one breakdown level with its interval, or "" when the level has no pooled row."""
    if level not in pooled.index:
        return ""
    interval = _interval(pooled.loc[level, "accuracy_ci_low"], pooled.loc[level, "accuracy_ci_high"], format_percent)
    return f"{format_percent(pooled.loc[level, 'accuracy'])} {interval}"


def _moderator_section(df: pd.DataFrame) -> str:
    """Effects of training, AI exposure and attitude on d' and c (:func:`results.moderators.moderator_model`)."""
    try:
        model = moderator_model(df)
    except ModelFitError as error:
        return f"<h3>Moderators</h3><p>Not modelled: {_esc(error)}</p>"
    rows = [
        [
            row.label,
            "d′" if row.effect_on == "d_prime" else "c",
            format_number(row.sd),
            f"{format_number(row.estimate)} {_interval(row.ci_low, row.ci_high)}",
            format_p(row.p_value),
        ]
        for row in model.table.itertuples()
    ]
    return "\n".join(
        [
            "<h3>Moderators</h3>",
            f'<p class="meta">Change per SD of the moderator ({model.n_participants} participants with every '
            f"moderator answered, {model.n_trials} trials). {_esc(model.method)} Fit: {_esc(model.fit_status)}.</p>",
            _table(["Moderator", "Effect on", "SD", "Change per SD [95% CI]", "p"], rows, numeric=(2, 3, 4)),
        ]
    )


def _effect_label(effect: str) -> str:
    """Readable name of an emotion-test effect (``true_source``, ``guessed_source_association``)."""
    return effect.replace("_", " ").replace("guessed source association", "guessed source (association)")


def _emotion_section(df: pd.DataFrame) -> str:
    scales = [s for s in SCALES if s in df.columns and df[s].notna().any()]
    if not scales:
        return "<h2>How did the clips make listeners feel?</h2><p>No ratings under these filters.</p>"
    by_source = emotion.emotion_by_source(df, scales)
    tests = emotion.emotion_tests(df, scales)
    rows = [
        [
            row.scale,
            _effect_label(row.effect),
            str(row.n_participants),
            format_number(row.mean_ai),
            format_number(row.mean_human),
            f"{format_number(row.mean_difference)} {_interval(row.ci_low, row.ci_high)}",
            f"t({format_number(row.df, 0)}) = {format_number(row.t)}",
            format_p(row.p_value),
            format_p(row.p_holm),
            f"{format_number(row.cohen_dz)} {_interval(row.dz_ci_low, row.dz_ci_high)}",
        ]
        for row in tests.itertuples()
    ]
    parts = [
        "<h2>How did the clips make listeners feel?</h2>",
        '<p class="meta">True source: AI vs human clips (an effect: the design assigned the source). Guessed '
        "source association: clips the same listener judged AI vs judged human, whatever their true source. "
        "It is an association, not an effect of the AI label: the guess and the rating both come from the "
        "listening experience.</p>",
        _table(
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
            _figure(
                charts.emotion_interaction_chart(by_source, scale),
                f"{scale}: cell means with 95% t intervals over participants "
                f"(up to {int(cells['n_participants'].max())} participants per cell, "
                f"{int(cells['n_ratings'].sum())} ratings).",
            )
        )
    parts.append("</div>")
    return "\n".join(parts)


def _clips_section(df: pd.DataFrame, top_k: int, n_participants: int) -> str:
    summary = lens.clip_summary(df)
    if summary.empty:
        return ""

    def listing(frame: pd.DataFrame) -> str:
        rows = [
            [
                f"#{row.clip_id}",
                row.clip_title if isinstance(row.clip_title, str) else "",
                str(row.n_ratings),
                f"{format_percent(row.shrunk_judged_ai)} "
                f"{_interval(row.shrunk_ci_low, row.shrunk_ci_high, format_percent)}",
                format_percent(row.prop_judged_ai),
                format_number(row.mean_confidence),
            ]
            for row in frame.itertuples()
        ]
        return _table(
            ["Clip", "Title", "Ratings", "Judged AI, shrunken [95% CI]", "Judged AI, raw", "Mean confidence (1-6)"],
            rows,
            numeric=(2, 3, 4, 5),
        )

    return "\n".join(
        [
            "<h2>Clips</h2>",
            _figure(
                clip_charts.clip_judged_ai_chart(summary, n_participants),
                f"Proportion of 'AI' judgements per clip with Wilson 95% intervals ({len(summary)} clips, "
                f"{int(summary['n_ratings'].sum())} trials, {n_participants} participants).",
            ),
            f"<h3>Most human-sounding AI clips (top {top_k})</h3>",
            listing(lens.most_human_sounding_ai(df, top_k)),
            f"<h3>Most AI-sounding human clips (top {top_k})</h3>",
            listing(lens.most_ai_sounding_human(df, top_k)),
        ]
    )


def _lens_section(df: pd.DataFrame, n_participants: int) -> str:
    associations = lens.feature_associations(df)
    if associations.empty:
        return "<h2>Acoustic features (lens model)</h2><p>The clips have no acoustic features.</p>"
    summary = lens.lens_summary(df)
    achievement = summary.achievement
    rows = [
        [
            "Achievement r (source vs proportion judged AI)",
            format_number(achievement.r),
            _interval(achievement.ci_low, achievement.ci_high),
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
    parts = [
        "<h2>Acoustic features (lens model)</h2>",
        _table(["Quantity", "Value", "95% interval", "n"], rows, numeric=(1, 2, 3)),
    ]
    if summary.cues:
        parts.append(
            f'<p class="meta">Cues: {_esc(", ".join(c.removeprefix("feat_") for c in summary.cues))} '
            f"({_esc(summary.cue_selection)}; choosing cues on the same data flatters both R).</p>"
        )
    n_trials = int(detection.main_trials(df)["clip_id"].size)
    parts.append(
        _figure(
            clip_charts.lens_chart(associations, n_participants, n_trials),
            f"Per-feature correlations across {int(associations['n_clips'].max())} clips with the true "
            f"source and with the proportion judged AI (95% Fisher-z intervals; {n_trials} trials of "
            f"{n_participants} participants).",
        )
    )
    ranked = associations.assign(strength=associations["judgement_r"].abs()).dropna(subset=["strength"])
    if len(ranked):
        feature = ranked.sort_values("strength", ascending=False)["feature"].iloc[0]
        clips = lens.clip_summary(df).merge(df.groupby("clip_id")[[feature]].first().reset_index(), on="clip_id")
        parts.append(
            _figure(
                clip_charts.feature_scatter_chart(clips, feature, n_participants),
                f"The feature most associated with listeners' judgements, clips as points "
                f"({len(clips)} clips, {n_trials} trials, {n_participants} participants).",
            )
        )
    return "\n".join(parts)


def _mixed_models_section(df: pd.DataFrame) -> tuple[str, list[str]]:
    """(HTML, methods sentences) of the detection GLMM and one emotion LMM per scale."""
    parts, methods = ["<h2>Mixed models</h2>"], []
    scales = [s for s in SCALES if s in df.columns and df[s].notna().any()]
    fits: list[tuple[str, Callable[[], models.DetectionModel | models.EmotionModel]]]
    fits = [("Detection (probit GLMM)", partial(models.detection_mixed_model, df))]
    fits += [(f"Emotion: {scale} (LMM)", partial(models.emotion_mixed_model, df, scale)) for scale in scales]
    for title, fit in fits:
        parts.append(f"<h3>{_esc(title)}</h3>")
        try:
            result = fit()
        except ModelFitError as error:
            parts.append(f"<p>Not fitted: {_esc(str(error))}</p>")
            continue
        parts.append(_model_html(result))
        methods.append(result.method)
    return "\n".join(parts), methods


def _model_html(result: models.DetectionModel | models.EmotionModel) -> str:
    """What a fitted model rests on, its coefficient table and its variance components."""
    n = ", ".join(f"{count} {name}" for name, count in models.rests_on(result).items())
    rows = [
        [
            r["term"],
            format_number(r["estimate"], 3),
            _interval(r["ci_low"], r["ci_high"]),
            format_number(r["se"], 3),
            format_number(r["z"]),
            format_p(r["p_value"]),
        ]
        for r in result.fixed_effects
    ]
    return "\n".join(
        [
            f'<p class="meta">Rests on {_esc(n)}.'
            + ("" if result.converged else " The optimiser did not report convergence.")
            + "</p>",
            _table(["Term", "Estimate", "95% CI", "SE", "z", "p"], rows, numeric=(1, 2, 3, 4, 5)),
            _table(
                ["Random effect", "Term", "SD"],
                [[v["group"], v["term"], format_number(v["sd"], 3)] for v in result.variance_components],
                numeric=(2,),
            ),
        ]
    )


def _data_section(df: pd.DataFrame, filters_description: str, counts: dict | None) -> str:
    main = df[df["kind"] == TrialKind.MAIN] if len(df) else df
    versions = ", ".join(str(v) for v in sorted(df["study_version_id"].unique())) if len(df) else "none"
    first = main["answered_at"].min() if len(main) else None
    last = main["answered_at"].max() if len(main) else None
    n_attention = int((df["kind"] == TrialKind.ATTENTION).sum()) if len(df) else 0
    n_repeat = int((df["kind"] == TrialKind.REPEAT).sum()) if len(df) else 0
    rows = [
        ["Filters", filters_description],
        ["Participants", str(df["participant_id"].nunique() if len(df) else 0)],
        ["Answered trials", f"{len(df)} ({len(main)} main, {n_attention} attention, {n_repeat} repeat)"],
        ["Clips heard", str(main["clip_id"].nunique() if len(main) else 0)],
        ["Study version(s)", versions],
        ["Answers from", f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC" if first is not None else "n/a"],
    ]
    rows += [["Exclusions", line] for line in exclusion_lines(counts or {})]
    return "<h2>Data</h2>" + _table(["Item", "Value"], rows)


EMOTION_METHODS = (
    "Emotion ratings: each participant's ratings are averaged per condition first (participants are the unit). "
    "The true-source effect compares AI with human clips, the guessed-source association clips judged AI with "
    "clips judged human (an association, not a causal label effect), both by paired t-tests with t intervals "
    "of the mean difference and Cohen's d_z with an exact noncentral-t interval; Holm's correction across "
    "scales within each effect. These paired tests treat clips as fixed; the mixed model of each scale gives "
    "the true-source effect over clips and listeners."
)
LENS_METHODS = (
    "Lens model (Brunswik; Juslin 2000): per clip, the proportion of 'AI' judgements over all listeners. Each "
    "feature's point-biserial correlation with the true source (cue validity) and Pearson correlation with the "
    "proportion judged AI (cue use), Fisher-z 95% intervals, Benjamini-Hochberg FDR across features. Linear "
    "environment and judgement models on the strongest cues give R_e, R_s, matching G and unmodelled C."
)


def build_report_html(
    df: pd.DataFrame,
    filters_description: str,
    counts: dict | None = None,
    *,
    include_mixed_models: bool = False,
    top_k: int = 5,
    title: str = "Human Touch: results report",
) -> str:
    """The full report as one self-contained HTML document.

    Parameters
    ----------
    df : pandas.DataFrame
        The filtered tidy trial table (:func:`results.dataset.load_dataset`).
    filters_description : str
        The filters in words (:meth:`results.dataset.Filters.describe`), printed in the report.
    counts : dict, optional
        What the filters removed (``results.filters.apply_filters`` counts), listed under "Data".
    include_mixed_models : bool
        Also fit and report the detection GLMM and the emotion LMMs (seconds to a minute).
    top_k : int
        Clips per list of most human-sounding AI and most AI-sounding human clips.
    title : str
        Heading and HTML title.

    Returns
    -------
    str
        HTML with inline CSS and inline SVG figures; no external resources.
    """
    generated = datetime.now(UTC)
    n_participants = int(detection.main_trials(df)["participant_id"].nunique()) if len(df) else 0
    detection_html, detection_methods = _detection_section(df)
    methods = [detection_methods, ROC_METHOD]
    body = [
        f"<h1>{_esc(title)}</h1>",
        f'<p class="meta">Generated {generated:%Y-%m-%d %H:%M} UTC. Filters: {_esc(filters_description)}.</p>',
        _data_section(df, filters_description, counts),
        detection_html,
    ]
    if n_participants:
        body += [
            _breakdown_section(df),
            _moderator_section(df),
            _emotion_section(df),
            _clips_section(df, top_k, n_participants),
            _lens_section(df, n_participants),
        ]
        methods += [EMOTION_METHODS, LENS_METHODS]
        if include_mixed_models:
            mixed_html, mixed_methods = _mixed_models_section(df)
            body.append(mixed_html)
            methods += mixed_methods
        else:
            body.append(
                '<p class="note">Mixed models (crossed random effects for participants and clips) were not '
                "fitted for this report; see the results pages or build the report with mixed models.</p>"
            )
    body += [
        "<h2>Methods</h2>",
        *(f"<p>{_esc(m)}</p>" for m in methods),
        "<p>Software: Human Touch; statistics with scipy and statsmodels; figures with Altair/Vega-Lite.</p>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
