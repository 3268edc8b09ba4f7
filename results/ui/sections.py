"""Streamlit sections shared by the results pages: headline metrics, breakdowns, model fits.

Each section draws statistics from :mod:`results.detection`, :mod:`results.emotion` and
:mod:`results.lens`; every figure and table names the participants and trials it rests on.
"""

from __future__ import annotations

import mimetypes
from datetime import datetime

import pandas as pd
import streamlit as st

from core.config import database_url, paths
from core.vocabulary import SCALES, Source
from results import charts, detection, emotion, lens
from results.table import feature_columns
from results.dataset import Dataset, Filters
from results.formatting import format_number, format_percent
from results.ui.filters import CACHE_TTL_S, cached_dataset

BREAKDOWN_CHOICES: dict[str, str] = {
    "training_years": "Years of musical training",
    "practice_years": "Years of daily practice",
    "training_self_rating": "Self-rated musicianship (1-7)",
    "ai_exposure": "AI music heard before",
    "ai_attitude": "Attitude to AI music (1-7)",
    "age_band": "Age band",
    "genre": "Genre",
    "vocals": "Vocals",
    "ai_system": "AI system (AI clips only)",
}


def detection_metrics(summary: dict, roc: detection.ROC) -> None:
    """Four headline metrics, each with its 95 % interval and n."""
    acc, d = summary["accuracy"], summary["d_prime"]
    columns = st.columns(4)
    columns[0].metric("Participants / main trials", f"{summary['n_participants']} / {summary['n_trials']}")
    columns[1].metric("Accuracy", format_percent(acc["estimate"]), help=(
        f"95% Wilson interval {format_percent(acc['ci_low'])} to {format_percent(acc['ci_high'])}; "
        f"{acc['successes']} of {acc['n']} "
        f"trials correct; binomial test against 50%: p = {format_number(acc['p_value'], 4)}"),
        delta_color="off", delta_arrow="off",
        delta=f"[{format_percent(acc['ci_low'])}, {format_percent(acc['ci_high'])}]")
    columns[2].metric("Mean d′", format_number(d["mean"]),
                      delta=f"[{format_number(d['ci_low'])}, {format_number(d['ci_high'])}]",
                      delta_color="off", delta_arrow="off", help=(
                          f"Mean of {d['n']} participants' d′ with a 95% t interval; t-test against 0: "
                          f"p = {format_number(d['p_value'], 4)}"))
    columns[3].metric("AUC (confidence)", format_number(roc.auc),
                      delta=f"[{format_number(roc.auc_ci[0])}, {format_number(roc.auc_ci[1])}]",
                      delta_color="off", delta_arrow="off",
                      help="Area under the confidence ROC; 95% bootstrap interval over participants")


def breakdown_section(trials: pd.DataFrame, by: str) -> None:
    """Detection per group of ``by``: chart and table."""
    table = detection.breakdown(trials, by)
    if table.empty:
        st.info("No scored trials to break down.")
        return
    label = BREAKDOWN_CHOICES.get(by, by)
    st.altair_chart(charts.breakdown_chart(table, label), width="content")
    shown = table[["level", "n_participants", "n_trials", "hits", "false_alarms", "hit_rate", "fa_rate",
                   "d_prime", "criterion", "d_prime_basis", "accuracy", "accuracy_ci_low", "accuracy_ci_high",
                   "mean_participant_d_prime", "mean_participant_d_prime_ci_low", "mean_participant_d_prime_ci_high"]]
    st.dataframe(shown.rename(columns={"level": label}), hide_index=True)
    st.caption("hit_rate, fa_rate, d_prime and criterion come from the group's pooled counts with the log-linear "
               "correction; the mean participant d′ averages participants' own d′ in the group.")


# Model fits are keyed on the data's read time too (``loaded_at``, hashed by st.cache_data but not
# otherwise used), so fresh data after "Refresh data" is refitted rather than served from the cache.
@st.cache_data(ttl=CACHE_TTL_S, show_spinner="Fitting the detection mixed model ...")
def _detection_mixed_model(filters: Filters, url: str, loaded_at: datetime) -> dict:
    return detection.detection_mixed_model(cached_dataset(filters, url).trials)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner="Fitting the emotion mixed model ...")
def _emotion_mixed_model(filters: Filters, url: str, loaded_at: datetime, scale: str) -> dict:
    return emotion.emotion_mixed_model(cached_dataset(filters, url).trials, scale)


def show_model_result(result: dict) -> None:
    """A mixed-model result: n, fixed effects with Wald 95 % intervals, variance components, method."""
    if "error" in result:
        st.warning(f"No model: {result['error']}")
        return
    counts = {key: result[key] for key in ("n_trials", "n_ratings", "n_participants", "n_clips") if key in result}
    st.caption(", ".join(f"{value} {key.removeprefix('n_')}" for key, value in counts.items())
               + ("" if result.get("converged", True) else " — the optimiser did not report convergence; "
                  "treat the estimates with care"))
    st.dataframe(pd.DataFrame(result["fixed_effects"]), hide_index=True)
    st.dataframe(pd.DataFrame(result["variance_components"]), hide_index=True)
    st.caption(result.get("method", ""))


def mixed_model_section(dataset: Dataset) -> None:
    """Detection mixed model (participants and clips as crossed random effects), fitted on request."""
    st.subheader("Mixed model")
    st.caption("Probit model of 'judged AI' with participants and clips as crossed random effects: the 'is_ai' "
               "coefficient is d′ for a typical listener on a typical clip, and its interval allows for both "
               "samples. Fitted on request because it can take a while on a large study.")
    if not st.toggle("Fit the detection mixed model", key="overview_fit_detection_model"):
        return
    result = _detection_mixed_model(dataset.filters, database_url(), dataset.loaded_at)
    if "d_prime" in result:
        d, c = result["d_prime"], result["criterion"]
        left, right = st.columns(2)
        left.metric("d′ (mixed model)", format_number(d["estimate"]),
                    delta=f"[{format_number(d['ci_low'])}, {format_number(d['ci_high'])}]",
                    delta_color="off", delta_arrow="off",
                    help=f"Wald 95% interval; p = {format_number(d['p_value'], 4)}")
        right.metric("Criterion c (mixed model)", format_number(c["estimate"]),
                     delta=f"[{format_number(c['ci_low'])}, {format_number(c['ci_high'])}]",
                     delta_color="off", delta_arrow="off",
                     help=f"Wald 95% interval; p = {format_number(c['p_value'], 4)}")
    show_model_result(result)


def emotion_section(dataset: Dataset) -> None:
    """Emotion ratings by true and by perceived source: 2 x 2 charts, paired tests, mixed models."""
    trials = dataset.trials
    scales = [s for s in SCALES if trials[s].notna().any()]
    if not scales:
        st.info("No emotion ratings under these filters.")
        return
    st.write("Do ratings differ between AI and human clips (**true source**), and between clips a listener "
             "*believed* were AI or human (**perceived source**, the 'AI label' effect)? Parallel lines: no "
             "interaction; a drop from left to right: clips judged AI were rated lower.")
    by_source = emotion.emotion_by_source(trials, scales)
    columns = st.columns(2)
    for position, scale in enumerate(scales):
        columns[position % 2].altair_chart(charts.emotion_interaction_chart(by_source, scale), width="content")
    st.subheader("Paired tests (participants as the unit)")
    tests = emotion.emotion_tests(trials, scales)
    st.dataframe(tests, hide_index=True)
    st.caption("Mean difference = AI minus human, in scale points, with a 95% t interval; Cohen's d_z with an "
               "exact interval; p_holm: Holm correction across scales within each effect.")
    st.subheader("Mixed model per scale")
    scale = st.selectbox("Scale", scales, key="overview_emotion_model_scale")
    if st.toggle("Fit the emotion mixed model", key="overview_fit_emotion_model"):
        show_model_result(_emotion_mixed_model(dataset.filters, database_url(), dataset.loaded_at, scale))


_OVERVIEW_COLUMNS = ("clip_id", "clip_title", "clip_creator", "source", "ai_system", "ai_version", "genre", "vocals",
                     "pair_id", "n_ratings", "prop_judged_ai", "prop_ci_low", "prop_ci_high", "mean_confidence",
                     *(f"mean_{s}" for s in SCALES))


def clip_overview_table(summary: pd.DataFrame, clips: pd.DataFrame) -> pd.DataFrame:
    """One row per rated clip: catalogue fields next to how it was judged and rated."""
    catalogue = clips[["clip_id", "clip_creator", "ai_version", "pair_id"]]
    table = summary.merge(catalogue, on="clip_id", how="left")
    return table[[c for c in _OVERVIEW_COLUMNS if c in table.columns]]


def fooling_clips_section(trials: pd.DataFrame) -> None:
    """The AI clips most often taken for human and the human clips most often taken for AI."""
    left, right = st.columns([1, 1])
    k = left.number_input("Clips per list", min_value=1, max_value=50, value=5, key="clips_top_k")
    min_ratings = right.number_input("Only clips with at least this many ratings", min_value=1, value=5,
                                     key="clips_min_ratings")
    shown = ["clip_id", "clip_title", "n_ratings", "prop_judged_ai", "prop_ci_low", "prop_ci_high", "mean_confidence"]
    config = {"prop_judged_ai": st.column_config.NumberColumn("judged AI", format="percent"),
              "prop_ci_low": st.column_config.NumberColumn("95% CI low", format="percent"),
              "prop_ci_high": st.column_config.NumberColumn("95% CI high", format="percent")}
    left, right = st.columns(2)
    with left:
        st.markdown("**Most human-sounding AI clips**")
        st.dataframe(lens.most_human_sounding_ai(trials, int(k), min_ratings=int(min_ratings))[shown + ["ai_system"]],
                     hide_index=True, column_config=config)
    with right:
        st.markdown("**Most AI-sounding human clips**")
        st.dataframe(lens.most_ai_sounding_human(trials, int(k), min_ratings=int(min_ratings))[shown],
                     hide_index=True, column_config=config)


def served_audio(served_name: str) -> tuple[bytes, str] | None:
    """The bytes participants heard for a clip and their MIME type, or None when the file is missing."""
    path = paths().clips / served_name
    if not path.is_file():
        return None
    return path.read_bytes(), mimetypes.guess_type(path.name)[0] or "audio/mpeg"


def clip_detail(summary: pd.DataFrame, clips: pd.DataFrame) -> None:
    """Pick a clip: its judgement with interval and n, mean ratings, a player and its features."""
    rated = summary.merge(clips, on=["clip_id"], how="left", suffixes=("", "_catalogue"))
    labels = {int(row.clip_id): f"#{row.clip_id} · {row.source} · {row.clip_title or 'untitled'}"
              for row in rated.itertuples()}
    clip_id = st.selectbox("Clip", options=list(labels), format_func=labels.get, key="clips_detail")
    row = rated[rated["clip_id"] == clip_id].iloc[0]
    columns = st.columns(3)
    columns[0].metric("Judged AI", format_percent(row["prop_judged_ai"]),
                      delta=f"[{format_percent(row['prop_ci_low'])}, {format_percent(row['prop_ci_high'])}]",
                      delta_color="off",
                      delta_arrow="off", help=f"Wilson 95% interval; {row['n_ratings']} ratings")
    columns[1].metric("Mean confidence (1 sure human … 6 sure AI)", format_number(row["mean_confidence"]))
    columns[2].metric("Ratings", int(row["n_ratings"]))
    creator = row["ai_system"] if row["source"] == Source.AI else row["clip_creator"]
    st.write(f"**{row['clip_title'] or 'Untitled'}** — {'AI' if row['source'] == 'ai' else 'human'}"
             f"{f', {creator}' if isinstance(creator, str) else ''}"
             f"{f', genre {row.genre}' if isinstance(row.genre, str) else ''}")
    audio = served_audio(str(row["served_name"])) if isinstance(row["served_name"], str) else None
    if audio is None:
        st.warning("The audio file of this clip is not in the data folder.")
    else:
        st.audio(audio[0], format=audio[1])
    means = {scale: row[f"mean_{scale}"] for scale in SCALES}
    st.dataframe(pd.DataFrame({"scale": list(means), "mean rating": [format_number(v) for v in means.values()]}),
                 hide_index=True)
    features = feature_columns(clips)
    if features:
        values = pd.DataFrame({"feature": [f.removeprefix("feat_") for f in features],
                               "value": [row[f] for f in features]})
        st.dataframe(values, hide_index=True)


def lens_summary_section(trials: pd.DataFrame) -> None:
    """Achievement and its lens-model decomposition across clips, with the caveat on cue selection."""
    summary = lens.lens_summary(trials)
    achievement = summary["achievement"]
    columns = st.columns(4)
    columns[0].metric("Achievement r", format_number(achievement["r"]),
                      delta=f"[{format_number(achievement['ci_low'])}, {format_number(achievement['ci_high'])}]",
                      delta_color="off",
                      delta_arrow="off", help=f"Correlation across {summary['n_clips']} clips between the true source "
                                              "and the proportion judged AI (Fisher-z 95% interval)")
    if summary["environment"] is None:
        st.caption("Too few clips or usable features to fit the lens models.")
        return
    columns[1].metric("Environment R (cues → source)", format_number(summary["environment"]["multiple_r"]))
    columns[2].metric("Listener R (cues → judgements)", format_number(summary["judgement"]["multiple_r"]))
    columns[3].metric("Matching G", format_number(summary["matching_g"]))
    st.caption(f"Linear models over {summary['n_clips_model']} clips with the cues "
               f"{', '.join(c.removeprefix('feat_') for c in summary['cues'])} ({summary['cue_selection']}; "
               "choosing cues on the same data flatters both R). Unmodelled agreement "
               f"C = {format_number(summary['unmodelled_c'])}.")
