"""Exports: the files hold exactly the table the statistics read, documented column by column."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from results.data.dataset import Filters, load_dataset
from results.planning.simulate import simulate_study
from results.rendering import export
from results.statistics import detection
from tests.results.conftest import write_simulated_study


@pytest.fixture
def study(sqlite_engine):
    """A simulated study with dropouts, flags, attention trials and missing ratings, stored in SQLite."""
    simulated = simulate_study(
        30,
        10,
        n_clips=20,
        share_incomplete=0.2,
        share_flagged=0.2,
        n_attention_trials=1,
        rating_missing_rate=0.05,
        seed=11,
    )
    write_simulated_study(sqlite_engine, simulated)
    return sqlite_engine


def test_parquet_round_trip_is_exact(study, tmp_path):
    filters = Filters(completed_only=False)
    written = export.export_all(tmp_path, engine=study, filters=filters)
    assert {p.name for p in written} == {
        "trials.csv",
        "trials.parquet",
        "participants.csv",
        "participants.parquet",
        "clips.csv",
        "clips.parquet",
        "versions.csv",
        "versions.parquet",
        "flow.csv",
        "flow.parquet",
        "reasons.csv",
        "reasons.parquet",
        "codebook.csv",
        "codebook.md",
        "codebook.json",
    }
    dataset = load_dataset(filters, study)
    for name, frame in (("trials", dataset.trials), ("participants", dataset.participants), ("clips", dataset.clips)):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{name}.parquet"), frame, check_dtype=True)


def test_csv_round_trip_keeps_values(study, tmp_path):
    filters = Filters(completed_only=False)
    export.export_all(tmp_path, engine=study, filters=filters, formats=["csv"])
    assert not (tmp_path / "trials.parquet").exists()
    original = load_dataset(filters, study).trials
    reread = pd.read_csv(tmp_path / "trials.csv")
    assert list(reread.columns) == list(original.columns)
    assert len(reread) == len(original)
    for column in (
        "participant_id",
        "clip_id",
        "trial_index",
        "confidence",
        "valence",
        "liking",
        "is_ai",
        "guessed_ai",
        "correct",
        "completed",
        "flag_too_fast",
        "feat_source_marker",
    ):
        left = original[column].astype("float64").to_numpy()
        right = reread[column].astype("float64").to_numpy()
        np.testing.assert_allclose(right, left, equal_nan=True, rtol=1e-12, err_msg=column)
    assert (reread["kind"] == original["kind"]).all()
    times = pd.to_datetime(reread["answered_at"], utc=True)
    assert (times == original["answered_at"]).all()


def test_filters_shape_every_exported_table(study, tmp_path):
    everyone = tmp_path / "all"
    completed = tmp_path / "completed"
    export.export_all(everyone, engine=study, filters=Filters(completed_only=False), formats=["csv"])
    export.export_all(completed, engine=study, filters=Filters(completed_only=True), formats=["csv"])
    all_trials, done_trials = pd.read_csv(everyone / "trials.csv"), pd.read_csv(completed / "trials.csv")
    assert done_trials["completed"].all() and not all_trials["completed"].all()
    done_people = pd.read_csv(completed / "participants.csv")
    assert set(done_people["participant_id"]) == set(done_trials["participant_id"])
    clips = pd.read_csv(completed / "clips.csv").set_index("clip_id")
    main = done_trials[done_trials["kind"] == "main"]
    assert (clips["n_ratings"] == main.groupby("clip_id").size().reindex(clips.index, fill_value=0)).all()


def test_codebook_documents_every_exported_column(study, tmp_path):
    export.export_all(tmp_path, engine=study, filters=Filters(completed_only=False))
    book = pd.read_csv(tmp_path / "codebook.csv")
    as_json = json.loads((tmp_path / "codebook.json").read_text())
    markdown = (tmp_path / "codebook.md").read_text()
    for name in export.TABLES:
        columns = list(pd.read_parquet(tmp_path / f"{name}.parquet").columns)
        assert list(book.loc[book["table"] == name, "column"]) == columns
        assert [entry["column"] for entry in as_json["tables"][name]] == columns
        assert all(f"`{c}`" in markdown for c in columns)
    assert book[["type", "allowed", "description"]].notna().all().all()
    assert "completed and incomplete participants" in as_json["filters"]


def test_statistics_recomputed_from_the_exported_file_match_the_app(study, tmp_path):
    filters = Filters(completed_only=True, exclude_attention_failed=True)
    export.export_all(tmp_path, engine=study, filters=filters, formats=["csv"])
    app = detection.detection_summary(load_dataset(filters, study).trials)

    trials = pd.read_csv(tmp_path / "trials.csv")
    main = trials[trials["kind"] == "main"]
    ai, human = main[main["is_ai"]], main[~main["is_ai"]]
    hits, false_alarms = int(ai["guessed_ai"].sum()), int(human["guessed_ai"].sum())
    correct = int((main["is_ai"] == main["guessed_ai"]).sum())
    assert (app.n_trials, app.hit_rate.successes, app.fa_rate.successes) == (len(main), hits, false_alarms)
    low, high = proportion_confint(hits, len(ai), method="wilson")
    assert app.hit_rate.ci_low == pytest.approx(low) and app.hit_rate.ci_high == pytest.approx(high)
    assert app.accuracy.p_value == pytest.approx(stats.binomtest(correct, len(main)).pvalue)

    # Per-participant d' with the log-linear correction, then a one-sample t-test, by hand with scipy.
    per = main.groupby("participant_id").apply(
        lambda g: pd.Series(
            {
                "h": (g["is_ai"] & g["guessed_ai"]).sum(),
                "s": g["is_ai"].sum(),
                "f": (~g["is_ai"] & g["guessed_ai"]).sum(),
                "n": (~g["is_ai"]).sum(),
            }
        ),
        include_groups=False,
    )
    d_prime = stats.norm.ppf((per["h"] + 0.5) / (per["s"] + 1)) - stats.norm.ppf((per["f"] + 0.5) / (per["n"] + 1))
    test = stats.ttest_1samp(d_prime, 0.0)
    assert app.d_prime.mean == pytest.approx(d_prime.mean())
    assert app.d_prime.p_value == pytest.approx(test.pvalue)
    interval = test.confidence_interval()
    assert (app.d_prime.ci_low, app.d_prime.ci_high) == pytest.approx((interval.low, interval.high))


def test_zip_holds_tables_codebook_and_report(study):
    dataset = load_dataset(Filters(), study)
    archive = zipfile.ZipFile(io.BytesIO(export.export_zip(dataset, ["parquet"], report_html="<html></html>")))
    assert set(archive.namelist()) == {
        "trials.parquet",
        "participants.parquet",
        "clips.parquet",
        "versions.parquet",
        "flow.parquet",
        "reasons.parquet",
        "codebook.csv",
        "codebook.md",
        "codebook.json",
        "report.html",
    }
    trials = pd.read_parquet(io.BytesIO(archive.read("trials.parquet")))
    pd.testing.assert_frame_equal(trials, dataset.trials)


def test_unknown_format_is_refused_before_anything_is_written(study, tmp_path):
    with pytest.raises(ValueError, match="xlsx"):
        export.export_all(tmp_path / "out", engine=study, formats=["csv", "xlsx"])
    assert not (tmp_path / "out").exists()


def test_emotion_tests_recomputed_from_the_exported_parquet_match_the_app(study, tmp_path):
    from results.statistics import emotion

    filters = Filters(completed_only=False)
    export.export_all(tmp_path, engine=study, filters=filters, formats=["parquet"])
    app = emotion.emotion_tests(load_dataset(filters, study).trials, ["moved"]).set_index("effect")

    trials = pd.read_parquet(tmp_path / "trials.parquet")
    main = trials[(trials["kind"] == "main") & trials["moved"].notna()]
    means = main.groupby(["participant_id", "guessed_ai"])["moved"].mean().unstack().dropna()
    test = stats.ttest_rel(means[True], means[False])
    perceived = app.loc[emotion.GUESSED_SOURCE_ASSOCIATION]
    assert perceived["n_participants"] == len(means)
    assert perceived["mean_difference"] == pytest.approx((means[True] - means[False]).mean())
    assert perceived["p_value"] == pytest.approx(test.pvalue)


def test_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas():
    import io

    import pandas as pd

    from results.rendering.export import table_to_csv

    frame = pd.DataFrame(
        {
            "comment": ['=HYPERLINK("http://evil")', "+1", "-2+3", "@SUM(A1)", "lovely", None],
            "valence": [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    back = pd.read_csv(io.BytesIO(table_to_csv(frame)))
    assert back["comment"].tolist()[:5] == ['\'=HYPERLINK("http://evil")', "'+1", "'-2+3", "'@SUM(A1)", "lovely"]
    assert pd.isna(back["comment"].iloc[5])
    assert back["valence"].tolist() == [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0]  # numbers stay numbers


def test_exports_carry_the_participant_number_and_never_a_prolific_id(sqlite_engine, tmp_path):
    """Identifiers live apart from answers: they leave only in the Prolific approve/return lists."""
    from core.db import session_scope
    from tests.results.conftest import add_clip, add_participant, add_study_version, add_trial

    with session_scope(sqlite_engine) as session:
        version = add_study_version(session)
        clip = add_clip(session, "ai")
        first = add_participant(
            session,
            version,
            prolific_pid="5f0c2b0e8a1b2c3d4e5f6a7b",
            prolific_study_id="STUDY1",
            prolific_session_id="SESS1",
            completion_code="C0MPLETE",
        )
        second = add_participant(session, version, completed=False)  # an anonymous link: no Prolific id
        add_trial(session, first, 0, clip)
        add_trial(session, second, 0, clip)
    written = export.export_all(tmp_path, engine=sqlite_engine, filters=Filters(completed_only=False))
    participants = pd.read_csv(tmp_path / "participants.csv")
    assert participants["participant_id"].tolist() == [first.id, second.id]
    assert participants["via_prolific"].tolist() == [True, False]
    assert participants.loc[0, "completion_code"] == "C0MPLETE"
    for path in written:
        content = path.read_bytes()
        assert b"5f0c2b0e8a1b2c3d4e5f6a7b" not in content and b"SESS1" not in content, path.name
    codebook = pd.read_csv(tmp_path / "codebook.csv")
    assert not {"prolific_pid", "prolific_study_id", "prolific_session_id"} & set(codebook["column"])
