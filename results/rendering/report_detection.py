"""The report's detection sections: could listeners tell, by group, and what moderates it.

Headline GLMM detection with its decision, pooled and per-participant signal detection statistics
with figures, d' per group from the breakdown GLMM, and the moderator model (:mod:`results.rendering.report`
assembles them).
"""

from __future__ import annotations

import pandas as pd

from results.analysis import BREAKDOWN_ATTRIBUTES, Analysis, Failure
from results.rendering import charts
from results.rendering.formatting import format_number, format_p, format_percent
from results.rendering.report_html import esc, format_interval, html_figure, html_table
from results.rendering.sentences import decision_sentence, headline_sentence, zroc_sentence
from results.statistics import detection
from results.statistics.equivalence import Decision
from results.statistics.headline import FIXED_CLIPS_LABEL, HeadlineDetection
from results.statistics.roles import role_tag


def _headline_html(top: HeadlineDetection, decision: Decision) -> str:
    """The headline table: d' and c from the GLMM, accuracy and AUC with two-way clustered intervals."""
    rows = []
    model = top.model
    if model is not None:
        for label, term in (("d′ (probit GLMM)", model.d_prime), ("Criterion c (probit GLMM)", model.criterion)):
            rows.append(
                [
                    label,
                    format_number(term.estimate),
                    format_interval(term.ci_low, term.ci_high) + " profile",
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
                    format_interval(value.ci_low, value.ci_high, fmt),
                    f"vs 50%: t({format_number(value.df, 0)}) = "
                    f"{format_number((value.estimate - value.chance) / value.se)}, p {format_p(value.p_value)}",
                ]
            )
    status = (
        f"GLMM {esc(model.random_structure)}: {esc(model.fit_status)}."
        if model is not None
        else f"The GLMM could not be fitted: {esc(top.model_error)}."
    )
    return "\n".join(
        [
            f'<p class="note"><strong>{esc(headline_sentence(top))}</strong></p>',
            f'<p class="note">{esc(decision_sentence(decision))} The margin is the analysis plan\'s; '
            f"the Overview shows the verdict under any other. {esc(role_tag('equivalence'))}.</p>",
            f'<p class="meta">Headline: inference over participants <em>and</em> clips ({top.n_participants} '
            f"participants, {top.n_clips} clips, {top.n_trials} main trials). {status}</p>",
            html_table(["Measure", "Estimate", "95% interval", "Test"], rows, numeric=(1, 2)),
            f'<p class="meta">d′: {esc(role_tag("d_prime"))}. c: {esc(role_tag("criterion"))}. Accuracy and AUC: '
            f"{esc(role_tag('accuracy_auc'))}.</p>",
        ]
    )


def _bootstrap_html(analysis: Analysis) -> str:
    """The plan's parametric-bootstrap test of d' = 0 beside the chi-square LR test ("" when not asked for)."""
    if analysis.plan.bootstrap_samples <= 0 or analysis.headline.model is None:
        return ""
    test = analysis.d_prime_bootstrap(analysis.plan.bootstrap_samples)
    if isinstance(test, Failure):
        return f'<p class="meta">No parametric bootstrap of d′: {esc(test.reason)}</p>'
    return f'<p class="meta">Small-sample test of d′ = 0: {esc(test.method)}.</p>'


def _detection_rows(summary: detection.DetectionSummary) -> list[list[str]]:
    """Rows of the fixed-clips table: rates, accuracy, mean d' and c, each with interval, n and test."""
    hit, fa, acc = summary.hit_rate, summary.fa_rate, summary.accuracy
    d, c = summary.d_prime, summary.criterion
    return [
        [
            "Hit rate (AI clips judged AI)",
            format_percent(hit.estimate),
            format_interval(hit.ci_low, hit.ci_high, format_percent),
            f"{hit.successes} of {hit.n} AI trials",
            "",
        ],
        [
            "False-alarm rate (human clips judged AI)",
            format_percent(fa.estimate),
            format_interval(fa.ci_low, fa.ci_high, format_percent),
            f"{fa.successes} of {fa.n} human trials",
            "",
        ],
        [
            "Accuracy",
            format_percent(acc.estimate),
            format_interval(acc.ci_low, acc.ci_high, format_percent),
            f"{acc.successes} of {acc.n} trials",
            f"binomial test vs 50%: p {format_p(acc.p_value)}",
        ],
        [
            "Mean d′ (per participant)",
            format_number(d.mean),
            format_interval(d.ci_low, d.ci_high),
            f"{d.n} participants",
            f"t({format_number(d.df, 0)}) = {format_number(d.t)}, p {format_p(d.p_value)}",
        ],
        [
            "Mean criterion c (per participant)",
            format_number(c.mean),
            format_interval(c.ci_low, c.ci_high),
            f"{c.n} participants",
            f"t({format_number(c.df, 0)}) = {format_number(c.t)}, p {format_p(c.p_value)}",
        ],
    ]


def detection_section(analysis: Analysis) -> tuple[str, str]:
    """(HTML of the detection section, methods sentence)."""
    summary = analysis.summary
    n_p, n_t = summary.n_participants, summary.n_trials
    if n_t == 0:
        return "<h2>Could listeners tell?</h2><p>No answered main trials under these filters.</p>", summary.methods
    top, roc = analysis.headline, analysis.roc
    rows = _detection_rows(summary)
    d = summary.d_prime
    rests_on = f"{n_p} participants, {n_t} main trials"
    parts = [
        "<h2>Could listeners tell?</h2>",
        f'<p class="meta">Rests on {esc(rests_on)}. "AI" is the signal: a hit is an AI clip judged AI, '
        "a false alarm a human clip judged AI. Positive c means reluctant to answer “AI”.</p>",
        _headline_html(top, analysis.decision()),
        _bootstrap_html(analysis),
        f"<h3>Pooled binomial and per-participant t-tests ({esc(FIXED_CLIPS_LABEL)})</h3>",
        f'<p class="meta">{esc(role_tag("fixed_clips"))}.</p>',
        html_table(["Measure", "Estimate", "95% interval", "n", "Test"], rows, numeric=(1, 2)),
        html_figure(
            charts.hit_fa_chart(summary), f"Hits and false alarms with Wilson 95% intervals ({rests_on}; clips fixed)."
        ),
        html_figure(
            charts.dprime_distribution_chart(analysis.per_participant, summary),
            f"Per-participant d′ ({d.n} participants with both AI and human trials; {n_t} trials; clips fixed).",
        ),
        html_figure(
            charts.roc_chart(roc, n_p, n_t),
            f"Empirical ROC from the 6-point confidence scale ({rests_on}); the AUC interval generalises "
            "over participants and clips.",
        ),
        f'<p class="meta">Equal-variance check ({esc(role_tag("zroc"))}): {esc(zroc_sentence(analysis.zroc))}</p>',
    ]
    methods = top.methods + (" " + top.model.method if top.model is not None else "")
    methods += " " + analysis.zroc.method if analysis.zroc is not None else ""
    return "\n".join(parts), methods + " " + summary.methods


def breakdown_section(analysis: Analysis) -> str:
    parts = [
        "<h3>Detection by group</h3>",
        '<p class="meta">d′ per group from the probit GLMM with the group as a fixed effect (95% Wald '
        "interval; the likelihood-ratio test says whether d′ differs between groups) and the pooled accuracy "
        "(95% Wilson interval, treats clips as fixed). A group holding only AI clips (an AI system) is "
        "measured against all human clips.</p>",
    ]
    family = analysis.breakdown_family()
    parts.append(f'<p class="meta">{esc(role_tag("breakdowns"))}. Multiplicity: {esc(family.family)}.</p>')
    for column in analysis.plan.breakdowns:
        if column not in analysis.trials.columns:
            continue
        table = analysis.breakdown(column)
        if table.empty:
            continue
        label = BREAKDOWN_ATTRIBUTES.get(column, column)
        model = analysis.breakdown_model(column)
        if isinstance(model, Failure):
            parts += [f"<h4>{esc(label)}</h4>", f"<p>Not modelled: {esc(model.reason)}</p>"]
            continue
        pooled = table.set_index("level")
        rows = [
            [
                row.level,
                str(int(pooled.loc[row.level, "n_participants"])) if row.level in pooled.index else "",
                str(row.n_trials),
                f"{format_number(row.d_prime)} {format_interval(row.ci_low, row.ci_high)}",
                _pooled_accuracy(pooled, row.level),
            ]
            for row in model.levels.itertuples()
        ]
        test = (
            f"Equal d′ across groups: LR = {format_number(model.lr_statistic)}, "
            f"F({format_number(model.df_numerator, 0)}, {format_number(model.df_denominator, 0)}), "
            f"p {format_p(model.p_value)}, Holm-adjusted p {format_p(family.p_holm(column))}. "
            f"Fit: {model.fit_status}."
        )
        parts += [
            f"<h4>{esc(label)}</h4>",
            html_table(
                ["Group", "Participants", "Trials", "d′ (GLMM) [95% CI]", "Accuracy [95% CI]"],
                rows,
                numeric=(1, 2, 3, 4),
            ),
            f'<p class="meta">{esc(test)}</p>',
        ]
    return "\n".join(parts)


def _pooled_accuracy(pooled: pd.DataFrame, level: object) -> str:
    """Pooled accuracy of one breakdown level with its interval, or "" when the level has no pooled row."""
    if level not in pooled.index:
        return ""
    interval = format_interval(
        pooled.loc[level, "accuracy_ci_low"], pooled.loc[level, "accuracy_ci_high"], format_percent
    )
    return f"{format_percent(pooled.loc[level, 'accuracy'])} {interval}"


def moderator_section(analysis: Analysis) -> str:
    """Effects of training, AI exposure and attitude on d' and c
    (:func:`results.statistics.moderators.moderator_model`)."""
    model, role = analysis.moderators, f'<p class="meta">{esc(role_tag("moderators"))}.</p>'
    if isinstance(model, Failure):
        return f"<h3>Moderators</h3>{role}<p>Not modelled: {esc(model.reason)}</p>"
    rows = [
        [
            row.label,
            "d′" if row.effect_on == "d_prime" else "c",
            format_number(row.sd),
            f"{format_number(row.estimate)} {format_interval(row.ci_low, row.ci_high)}",
            format_p(row.p_value),
            format_p(row.p_holm),
        ]
        for row in model.table.itertuples()
    ]
    return "\n".join(
        [
            "<h3>Moderators</h3>",
            role,
            f'<p class="meta">Change per SD of the moderator ({model.n_participants} participants with every '
            f"moderator answered, {model.n_trials} trials). {esc(model.method)} Fit: {esc(model.fit_status)}. "
            f"p (Holm): {esc(model.family)}.</p>",
            html_table(
                ["Moderator", "Effect on", "SD", "Change per SD [95% CI]", "p", "p (Holm)"], rows, numeric=(2, 3, 4, 5)
            ),
        ]
    )
