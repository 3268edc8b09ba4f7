"""The reasons view's data (issue 26): reasons by guess and truth, coded by cue words, with shares and intervals,
and exported as a tidy table that the codebook explains."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import db
from experiment import paired_trials, repository
from experiment.answers import Answer
from experiment.entry import load_participant
from experiment.questionnaire import save_after_trials
from experiment.reason_cues import DEFAULT_REASON_CUES, parse_cues
from experiment.trials import current_trial, submit_answer
from results.data.dataset import PREREGISTERED, load_dataset
from results.rendering.export import codebook_frame, codebook_markdown, write_export
from results.statistics.reasons import (
    code_reasons,
    coded_reasons,
    cue_examples,
    cue_summary,
    mentions_by_guess_and_truth,
    reasons_given,
)
from tests.experiment.drive import QUESTIONNAIRE, add_clips, configure, good_answer, reach_trials, shown_seconds_ago
from tests.staff_accounts import log_in_as_admin

CUES = parse_cues(DEFAULT_REASON_CUES)


def _trials(rows: list[tuple[int, int, str, str, str | None]]) -> pd.DataFrame:
    """A trial table of single-clip main trials: (participant, trial, source, guess, reason)."""
    frame = pd.DataFrame(rows, columns=["participant_id", "trial_index", "source", "guess", "reason"])
    frame["kind"] = "main"
    frame["clip_id"] = frame["trial_index"] + 100
    frame["correct"] = (frame["source"] == frame["guess"]).astype("boolean")
    frame["pair_trial"] = pd.array([None] * len(frame), dtype="Int64")
    return frame


def test_reasons_are_listed_with_their_guess_and_truth_and_coded_once_per_cue():
    trials = _trials(
        [
            (1, 0, "ai", "ai", "The vocals were too perfect"),
            (1, 1, "human", "ai", "  "),  # blank: no reason
            (2, 0, "human", "human", "Die Stimme und der Gesang"),
            (2, 1, "ai", "human", None),
        ]
    )
    reasons = reasons_given(trials)
    assert reasons[["participant_id", "asked", "guess", "truth", "correct"]].values.tolist() == [
        [1, "guess", "ai", "ai", True],
        [2, "guess", "human", "human", True],
    ]
    coded = code_reasons(reasons, CUES)
    assert len(coded) == 2 * len(CUES)  # one row per reason x cue code
    mentioned = coded[coded["mentioned"]]
    assert sorted(zip(mentioned["reason_id"], mentioned["cue"], mentioned["matched"], strict=True)) == [
        (1, "perfection", "perfect"),
        (1, "voice", "vocals"),
        (2, "voice", "stimme; gesang"),
    ]
    assert cue_examples(coded)["voice"] == ["The vocals were too perfect", "Die Stimme und der Gesang"]
    table = mentions_by_guess_and_truth(coded)
    assert table.loc[("ai", "ai"), "voice"] == 1 and table.loc[("human", "human"), "voice"] == 1


def test_the_share_correct_per_cue_counts_guesses_and_its_interval_takes_participants_as_the_unit():
    rows = []
    # Ten participants; "vocals" reasons are right 3 times in 4, "lyrics" reasons right once in 4.
    for person in range(10):
        for trial in range(4):
            rows.append((person, trial, "ai", "ai" if trial < 3 else "human", "vocals"))
        for trial in range(4, 8):
            rows.append((person, trial, "ai", "ai" if trial == 4 else "human", "the lyrics"))
    summary = cue_summary(code_reasons(reasons_given(_trials(rows)), CUES)).set_index("cue")
    assert summary.loc["voice", "share_correct"] == pytest.approx(0.75)
    assert summary.loc["lyrics", "share_correct"] == pytest.approx(0.25)
    assert summary.loc["voice", "share_correct_without"] == pytest.approx(0.25)
    assert summary.loc["voice", "n_participants"] == 10 and summary.loc["voice", "n_guesses"] == 40
    # Every participant alike: participants do not vary, so the interval is the point.
    assert summary.loc["voice", "ci_low"] == pytest.approx(0.75) and summary.loc["voice", "ci_high"] == pytest.approx(
        0.75
    )
    assert summary.loc["mix", "n_reasons"] == 0 and np.isnan(summary.loc["mix", "share_correct"])


def test_the_interval_widens_with_participants_who_differ():
    rows = []
    for person in range(20):  # half the participants always right, half always wrong
        right = person % 2 == 0
        rows += [(person, trial, "ai", "ai" if right else "human", "vocals") for trial in range(5)]
    summary = cue_summary(code_reasons(reasons_given(_trials(rows)), CUES)).set_index("cue")
    low, high = summary.loc["voice", ["ci_low", "ci_high"]]
    assert summary.loc["voice", "share_correct"] == pytest.approx(0.5)
    # Participants, not trials, are the unit: 20 people of 0 % or 100 % give about +-0.22, not +-0.10.
    assert 0.2 < low < 0.35 and 0.65 < high < 0.8


def _answer_single(token: str, reason: str | None, right: bool) -> None:
    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = current_trial(s, participant)
        shown_seconds_ago(s, participant, view.trial_index, view.duration_s)

        truth = repository.trial_at(s, participant, view.trial_index).clip.source
        confidence = (6 if truth == "ai" else 1) if right else (1 if truth == "ai" else 6)
        answer = dataclasses.replace(good_answer(view, confidence=confidence), reason=reason)
        assert submit_answer(s, participant, view.trial_index, answer).status == "recorded"


@pytest.mark.usefixtures("data_env")
def test_reasons_from_the_real_journey_are_exported_as_a_tidy_table_the_codebook_explains(tmp_path):
    add_clips(4, 4)
    fast = dict(screening="off", practice_trial=False, attention_check=False, repeat_check=False, n_trials=2)
    configure(ask_reason="per_trial", **fast)
    token = reach_trials()
    _answer_single(token, "Die Stimme klang zu perfekt", right=True)
    _answer_single(token, "", right=False)
    with db.session_scope() as s:
        save_after_trials(s, load_participant(s, token), QUESTIONNAIRE)
    configure(ask_reason="at_end", reason_cues="voice: vocal, stimme\ndrums: drum, schlagzeug", **fast)
    later = reach_trials()
    _answer_single(later, None, right=True)
    _answer_single(later, None, right=False)
    with db.session_scope() as s:
        save_after_trials(s, load_participant(s, later), QUESTIONNAIRE, "The drums, mostly")

    dataset = load_dataset(PREREGISTERED)
    coded = coded_reasons(dataset)
    # The newest version's cue list codes every reason; the at-end reason speaks for both guesses.
    assert sorted(set(coded["cue"])) == ["drums", "voice"]
    reasons = coded.drop_duplicates("reason_id").set_index("asked")
    assert reasons.loc["guess", "reason"] == "Die Stimme klang zu perfekt" and bool(reasons.loc["guess", "correct"])
    assert reasons.loc["at_end", ["n_guesses", "n_correct"]].tolist() == [2, 1]
    mentioned = coded[coded["mentioned"]]
    assert sorted(zip(mentioned["asked"], mentioned["cue"], strict=True)) == [("at_end", "drums"), ("guess", "voice")]
    assert dataset.participants["reason_at_end"].dropna().tolist() == ["The drums, mostly"]

    paths = write_export(dataset, tmp_path, ("csv",))
    exported = pd.read_csv(next(p for p in paths if p.name == "reasons.csv"))
    assert len(exported) == 2 * 2 and set(exported["cue_terms"]) == {"vocal, stimme", "drum, schlagzeug"}
    book = codebook_frame(dataset)
    assert list(book[book["table"] == "reasons"]["column"]) == list(exported.columns)
    assert "## reasons" in codebook_markdown(dataset)
    cue_entry = book[(book["table"] == "reasons") & (book["column"] == "cue")].iloc[0]
    assert cue_entry["allowed"] == "voice = vocal, stimme; drums = drum, schlagzeug"  # the codes explained


@pytest.mark.usefixtures("data_env")
def test_a_pair_s_reason_is_one_reason_with_the_pair_s_choice():
    add_clips(4, 4, paired=True)
    configure(trial_format="paired", n_trials=2, ask_reason="per_trial", screening="off", practice_trial=False)
    token = reach_trials()
    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = paired_trials.current_pair(s, participant)
        for clip in view.clips:
            shown_seconds_ago(s, participant, clip.trial_index, 2 * clip.duration_s)
        answers = [Answer(confidence=None, valence=5, arousal=5, moved=5, liking=5, plays=1, listened_s=99)] * 2
        assert paired_trials.submit_pair(s, participant, 1, answers, 2, 3, "the mix").status == "recorded"
    with db.session_scope() as s:
        save_after_trials(s, load_participant(s, token), QUESTIONNAIRE)
    reasons = reasons_given(load_dataset(PREREGISTERED).trials)
    assert reasons[["asked", "guess", "reason", "n_guesses"]].values.tolist() == [["pair", "position 2", "the mix", 1]]
    assert reasons["truth"].iloc[0] in ("AI at position 1", "AI at position 2")
    assert bool(reasons["correct"].iloc[0]) == (reasons["truth"].iloc[0] == "AI at position 2")


def test_the_reasons_page_shows_the_cues_their_shares_and_examples(sqlite_data_env):
    add_clips(4, 4)
    configure(
        ask_reason="per_trial",
        screening="off",
        practice_trial=False,
        attention_check=False,
        repeat_check=False,
        n_trials=2,
    )
    for reasons in (("The vocals, too clean", "the drums looped"), ("Gesang und Stimme", None)):
        token = reach_trials()
        _answer_single(token, reasons[0], right=True)
        _answer_single(token, reasons[1], right=False)
        with db.session_scope() as s:
            save_after_trials(s, load_participant(s, token), QUESTIONNAIRE)
    app = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "results/pages/reasons.py"), default_timeout=120)
    log_in_as_admin(app)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Reasons"
    text = " ".join(m.value for m in app.markdown)
    assert "**voice**: “The vocals, too clean” · “Gesang und Stimme”" in text
    assert "**instruments**: “the drums looped”" in text
    cues = app.dataframe[0].value.set_index("Cue")
    assert cues.loc["voice"].tolist() == [2, 2, 2, "100 % [100 %, 100 %]", "0 %"]  # both voice guesses right
    assert cues.loc["instruments"].tolist() == [1, 1, 1, "0 %", "100 %"]  # one participant: no interval
    assert any("participants as the unit" in c.value for c in app.caption)
