"""A pilot whose preregistered rules leave nobody: every table path still works on the locked pandas.

Three Prolific participants fail the optional headphone screen, go on and finish, and are then
excluded by the preregistered rule. The export (CSV and Parquet), the report, ``stats``, the results
pages, the Participants page and ``analysis.R`` must all say there is nothing to analyse; with pandas
3's Arrow-backed strings an empty or all-missing text column used to crash the CSV export.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core import db
from core.spreadsheets import neutralise_formulas
from experiment.entry import load_participant
from experiment.questionnaire import save_questionnaire
from experiment.trials import acknowledge_instructions
from human_touch.cli import main
from tests.conftest import require_or_skip
from tests.experiment import drive
from tests.staff_accounts import log_in_as_admin

ROOT = Path(__file__).resolve().parents[2]
RESULTS_PAGES = ["results/pages/overview.py", "results/pages/clips.py", "results/pages/features.py"]


@pytest.fixture
def nobody_analysed(sqlite_data_env):
    """Three Prolific participants who failed the headphone screen and finished anyway."""
    drive.add_clips(7, 7)
    drive.configure()
    for number in range(3):
        token = drive.consent(drive.prolific(f"5f{number:022d}", session_id=f"SESSION{number}"))
        with db.session_scope() as s:
            save_questionnaire(s, load_participant(s, token), drive.QUESTIONNAIRE)
        assert not drive.pass_screening(token, correct=False).passed
        with db.session_scope() as s:
            acknowledge_instructions(s, load_participant(s, token))
        drive.finish_practice_and_trials(token)
        assert drive.step(token) == "debrief"
    return sqlite_data_env


def test_export_report_and_stats_say_nobody_was_analysed(nobody_analysed, tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["export", "--out", str(out)]) == 0
    trials_csv = pd.read_csv(out / "trials.csv")
    assert trials_csv.empty and "participant_id" in trials_csv.columns
    assert pd.read_parquet(out / "trials.parquet").empty
    flow = pd.read_csv(out / "flow.csv")
    assert flow.iloc[0].iloc[-1] == 3 and flow.iloc[-1].iloc[-1] == 0  # arrived 3, analysed 0
    capsys.readouterr()

    assert main(["stats"]) == 0
    headline = json.loads(capsys.readouterr().out)
    fixed = headline["fixed_clips"]["detection"]
    assert fixed["n_participants"] == 0 and fixed["n_trials"] == 0
    assert headline["exclusions"]["n_participants_after"] == 0

    report = tmp_path / "report.html"
    assert main(["report", "--out", str(report)]) == 0
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", report.read_text(encoding="utf-8")))
    assert "Arrived (answered the consent question) 3" in text and "Analysed 0" in text


def test_analysis_r_stops_cleanly_on_a_header_only_export(nobody_analysed, tmp_path):
    require_or_skip(shutil.which("Rscript") is not None, "R (Rscript with lme4)")
    out = tmp_path / "export"
    assert main(["export", "--out", str(out), "--format", "csv"]) == 0
    estimates = tmp_path / "estimates.csv"
    result = subprocess.run(
        ["Rscript", str(ROOT / "results" / "analysis.R"), str(out / "trials.csv"), str(estimates)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "no analysed trials" in result.stderr
    assert pd.read_csv(estimates).empty


@pytest.mark.parametrize("path", [*RESULTS_PAGES, "results/pages/export.py", "experiment/pages/participants.py"])
def test_staff_pages_render_when_nobody_is_analysed(nobody_analysed, path):
    app = AppTest.from_file(str(ROOT / path), default_timeout=120)
    log_in_as_admin(app)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


@pytest.mark.parametrize(
    "dtype", ["str", "string", "object", pd.ArrowDtype(pa.string())], ids=["str", "string", "object", "arrow"]
)
def test_formula_cells_are_neutralised_in_empty_missing_and_arrow_string_columns(dtype):
    frames = {
        "empty": pd.DataFrame({"note": pd.Series([], dtype=dtype)}),
        "missing": pd.DataFrame({"note": pd.Series([None, None], dtype=dtype)}),
        "risky": pd.DataFrame({"note": pd.Series(["=cmd", "ok", None, "-2-3", "@x"], dtype=dtype)}),
    }
    assert neutralise_formulas(frames["empty"]).empty
    assert neutralise_formulas(frames["missing"])["note"].isna().all()
    cells = neutralise_formulas(frames["risky"])["note"].tolist()
    assert cells[0] == "'=cmd" and cells[1] == "ok" and pd.isna(cells[2]) and cells[3] == "'-2-3" and cells[4] == "'@x"
