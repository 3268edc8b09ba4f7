"""A self-contained HTML report of the results: headline numbers, figures, methods, data provenance.

The report is one HTML file with inline CSS and the figures rendered to inline SVG (with
vl-convert, offline), so it can be mailed, archived with a preregistration or opened years
later without the app. Every figure and table states the participants and trials it rests on.
"""

from __future__ import annotations

import html
import math
from datetime import datetime, timezone

import pandas as pd

from results import charts, detection
from results.dataset import exclusion_lines

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:980px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0} th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left}
th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.2em 0} figcaption{font-size:.9em;color:#555} .meta{color:#555;font-size:.95em}
.note{background:#f7f7f2;border-left:4px solid #bbb;padding:.5em .8em}
"""


def _esc(text) -> str:
    return html.escape(str(text))


def _num(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def _pct(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{100 * value:.1f}%"


def _p(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return "< .001" if value < 0.001 else f"{value:.3f}"


def _interval(low, high, fmt=_num) -> str:
    return f"[{fmt(low)}, {fmt(high)}]"


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{_esc(c)}</td>' if i >= numeric_from else f"<td>{_esc(c)}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(chart, caption: str) -> str:
    return f"<figure>{charts.to_svg(chart)}<figcaption>{_esc(caption)}</figcaption></figure>"


def _detection_section(df: pd.DataFrame) -> tuple[str, str]:
    """(HTML of the detection section, methods sentence)."""
    summary = detection.detection_summary(df)
    n_p, n_t = summary["n_participants"], summary["n_trials"]
    if n_t == 0:
        return "<h2>Could listeners tell?</h2><p>No answered main trials under these filters.</p>", summary["methods"]
    per_participant = detection.per_participant_sdt(df)
    roc = detection.roc_from_confidence(df)
    hit, fa, acc = summary["hit_rate"], summary["fa_rate"], summary["accuracy"]
    d, c = summary["d_prime"], summary["criterion"]
    rows = [
        ["Hit rate (AI clips judged AI)", _pct(hit["estimate"]), _interval(hit["ci_low"], hit["ci_high"], _pct),
         f"{hit['successes']} of {hit['n']} AI trials", ""],
        ["False-alarm rate (human clips judged AI)", _pct(fa["estimate"]), _interval(fa["ci_low"], fa["ci_high"], _pct),
         f"{fa['successes']} of {fa['n']} human trials", ""],
        ["Accuracy", _pct(acc["estimate"]), _interval(acc["ci_low"], acc["ci_high"], _pct),
         f"{acc['successes']} of {acc['n']} trials", f"binomial test vs 50%: p {_p(acc['p_value'])}"],
        ["Mean d′ (per participant)", _num(d["mean"]), _interval(d["ci_low"], d["ci_high"]),
         f"{d['n']} participants", f"t({_num(d['df'], 0)}) = {_num(d['t'])}, p {_p(d['p_value'])}"],
        ["Mean criterion c (per participant)", _num(c["mean"]), _interval(c["ci_low"], c["ci_high"]),
         f"{c['n']} participants", f"t({_num(c['df'], 0)}) = {_num(c['t'])}, p {_p(c['p_value'])}"],
        ["AUC (confidence ROC)", _num(roc.auc), _interval(*roc.auc_ci), f"{n_p} participants, {n_t} trials",
         "bootstrap over participants"],
    ]
    rests_on = f"{n_p} participants, {n_t} main trials"
    parts = [
        "<h2>Could listeners tell?</h2>",
        f'<p class="meta">Rests on {_esc(rests_on)}. "AI" is the signal: a hit is an AI clip judged AI, '
        "a false alarm a human clip judged AI. Positive c means reluctant to answer “AI”.</p>",
        _table(["Measure", "Estimate", "95% interval", "n", "Test"], rows),
        _figure(charts.hit_fa_chart(summary), f"Hits and false alarms with Wilson 95% intervals ({rests_on})."),
        _figure(charts.dprime_distribution_chart(per_participant, summary),
                f"Per-participant d′ ({d['n']} participants with both AI and human trials; {n_t} trials)."),
        _figure(charts.roc_chart(roc, n_p, n_t), f"Empirical ROC from the 6-point confidence scale ({rests_on})."),
    ]
    return "\n".join(parts), summary["methods"]


def _data_section(df: pd.DataFrame, filters_description: str, counts: dict | None) -> str:
    main = df[df["kind"] == "main"] if len(df) else df
    versions = ", ".join(str(v) for v in sorted(df["study_version_id"].unique())) if len(df) else "none"
    first = main["answered_at"].min() if len(main) else None
    last = main["answered_at"].max() if len(main) else None
    rows = [
        ["Filters", filters_description],
        ["Participants", str(df["participant_id"].nunique() if len(df) else 0)],
        ["Answered trials", f"{len(df)} ({len(main)} main, {int((df['kind'] == 'attention').sum()) if len(df) else 0} "
                            f"attention, {int((df['kind'] == 'repeat').sum()) if len(df) else 0} repeat)"],
        ["Clips heard", str(main["clip_id"].nunique() if len(main) else 0)],
        ["Study version(s)", versions],
        ["Answers from", f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC" if first is not None else "n/a"],
    ]
    rows += [["Exclusions", line] for line in exclusion_lines(counts or {})]
    return "<h2>Data</h2>" + _table(["", ""], rows, numeric_from=99)


def build_report_html(df: pd.DataFrame, filters_description: str, counts: dict | None = None,
                      title: str = "Human Touch: results report") -> str:
    """The full report as one self-contained HTML document.

    Parameters
    ----------
    df : pandas.DataFrame
        The filtered tidy trial table (:func:`results.dataset.load_dataset`).
    filters_description : str
        The filters in words (:meth:`results.dataset.Filters.describe`), printed in the report.
    counts : dict, optional
        What the filters removed (``results.filters.apply_filters`` counts), listed under "Data".
    title : str
        Heading and HTML title.

    Returns
    -------
    str
        HTML with inline CSS and inline SVG figures; no external resources.
    """
    generated = datetime.now(timezone.utc)
    detection_html, detection_methods = _detection_section(df)
    methods = [detection_methods]
    body = [
        f"<h1>{_esc(title)}</h1>",
        f'<p class="meta">Generated {generated:%Y-%m-%d %H:%M} UTC. Filters: {_esc(filters_description)}.</p>',
        _data_section(df, filters_description, counts),
        detection_html,
        "<h2>Methods</h2>",
        *(f"<p>{_esc(m)}</p>" for m in methods),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
