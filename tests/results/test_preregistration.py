"""Preregistered exclusions, the participant flow, never pooling versions with different scales, the prereg file."""

from __future__ import annotations

import json

import pytest

from core import db
from core.models import StudyVersion
from core.vocabulary import ExclusionRule, Step
from experiment import repository
from experiment.settings import StudySettings
from results.analysis import Analysis
from results.data.dataset import Filters, load_dataset
from results.planning.prereg import deviations, preregistration_markdown, settings_sha256
from results.rendering.report import analysis_report_html
from tests.results.conftest import add_clip, add_participant, add_trial


def _save(session, **changes) -> StudyVersion:
    version_id = repository.save_settings(session, StudySettings().with_changes(**changes), check_library=False)
    return session.get(StudyVersion, version_id)


def _answered(session, version, clips, *, completed=True, flags=None, **fields):
    """A participant of ``version`` who answered one main trial per clip."""
    participant = add_participant(session, version, completed=completed, flags=flags or {}, **fields)
    for index, clip in enumerate(clips):
        right = (index + participant.id) % 3 != 0  # some errors: perfectly separated data break the report's GLMM
        add_trial(session, participant, index, clip, confidence=5 if (clip.source == "ai") == right else 2)
    return participant


@pytest.fixture
def clips(sqlite_engine):
    with db.session_scope(sqlite_engine) as session:
        made = [add_clip(session, source) for source in ("human", "human", "ai", "ai")]
        return [(c.id, c.source) for c in made]


def _clip_rows(session, clips):
    from core.models import Clip

    return [session.get(Clip, clip_id) for clip_id, _ in clips]


def test_rules_saved_before_data_apply_by_default_and_lock_the_version(sqlite_engine, clips):
    rules = (ExclusionRule.INCOMPLETE, ExclusionRule.FAILED_ATTENTION)
    with db.session_scope(sqlite_engine) as session:
        version = _save(session, exclusion_rules=rules)
        rows = _clip_rows(session, clips)
        keep = _answered(session, version, rows)
        inattentive = _answered(session, version, rows, flags={"attention_failed": True})
        quitter = _answered(session, version, rows[:2], completed=False)
        first_version = version.id
        ids = (keep.id, inattentive.id, quitter.id)

    default = load_dataset(engine=sqlite_engine)
    assert set(default.trials["participant_id"]) == {ids[0]}
    assert "preregistered" in default.filters.describe()
    unfiltered = load_dataset(Filters(completed_only=False), sqlite_engine)
    assert set(unfiltered.trials["participant_id"]) == set(ids)
    assert "UNFILTERED" in unfiltered.filters.describe()

    # The running version cannot be edited in place ...
    with pytest.raises(repository.VersionLockedError), db.session_scope(sqlite_engine) as session:
        row = session.get(StudyVersion, first_version)
        row.config = {**row.config, "exclusion_rules": []}
    # ... a change is a new version, and the old participants keep the old rules.
    with db.session_scope(sqlite_engine) as session:
        second = _save(session, exclusion_rules=[]).id
        assert repository.settings_version(session, first_version).exclusion_rules == rules
    assert second != first_version
    again = load_dataset(engine=sqlite_engine)
    assert set(again.trials["participant_id"]) == {ids[0]}
    assert any("changed after" in line and "exclusion_rules" in line for line in deviations(again))


def test_flow_counts_add_up_from_arrival_to_analysis(sqlite_engine, clips):
    with db.session_scope(sqlite_engine) as session:
        version = _save(session, planned_n=10)
        rows = _clip_rows(session, clips)
        for _ in range(3):
            repository.record_decline(session, version.id)
        add_participant(session, version, completed=False, step=Step.SCREENED_OUT, screening_passed=False)
        add_participant(session, version, completed=False, step=Step.QUESTIONNAIRE)  # left before any trial
        _answered(session, version, rows[:1], completed=False)  # left during the trials
        _answered(session, version, rows, screening_passed=False)  # optional screen failed
        _answered(session, version, rows, flags={"attention_failed": True})
        _answered(session, version, rows, flags={"too_fast": True})  # not a chosen rule: analysed
        for _ in range(2):
            _answered(session, version, rows)

    dataset = load_dataset(engine=sqlite_engine)
    flow = dataset.flow
    stages = dict(zip(flow["stage"], flow["removed"], strict=True))
    assert flow["remaining"].iloc[0] == 3 + 8  # declines + consented
    assert stages["Declined consent"] == 3
    assert stages["Screened out (failed the required headphone screen)"] == 1
    assert stages["Dropped out (left before the debrief)"] == 2
    assert stages["Excluded: failed the headphone screen"] == 1
    assert stages["Excluded: failed an attention check"] == 1
    arrived, analysed = flow["remaining"].iloc[0], flow["remaining"].iloc[-1]
    assert arrived - flow["removed"].sum() == analysed == dataset.n_participants == 3
    assert "Analysed 3 participants; 10 were planned." in deviations(dataset)
    report = analysis_report_html(Analysis(dataset))
    assert report.index("Participant flow") < report.index("<h2>Data</h2>") and "10 were planned" in report


def test_versions_with_different_scales_are_not_pooled(sqlite_engine, clips):
    with db.session_scope(sqlite_engine) as session:
        rows = _clip_rows(session, clips)
        seven = _save(session, scale_points=7)
        old = {_answered(session, seven, rows).id for _ in range(2)}
        nine = _save(session, scale_points=9)
        new = {_answered(session, nine, rows).id for _ in range(2)}
        seven_id = seven.id

    latest = load_dataset(engine=sqlite_engine)
    assert set(latest.trials["participant_id"]) == new
    assert "never pooled" in latest.version_note and str(seven_id) in latest.version_note
    assert latest.flow["remaining"].iloc[-1] == 2
    chosen = load_dataset(Filters(preregistered=True, study_versions=(seven_id,)), sqlite_engine)
    assert set(chosen.trials["participant_id"]) == old and chosen.version_note == ""


def test_preregistration_file_holds_settings_rules_plan_and_analysis():
    settings = StudySettings().with_changes(planned_n=120, exclusion_rules=[ExclusionRule.TOO_FAST])
    text = preregistration_markdown(4, settings, {"human": 20, "ai": 20})
    record = json.loads(text.split("```json\n", 1)[1].split("\n```", 1)[0])
    assert record["study_version_id"] == 4 and record["planned_n"] == 120
    assert record["exclusion_rules"] == ["too_fast"]
    assert record["settings"] == settings.to_dict() and record["settings_sha256"] == settings_sha256(settings)
    assert "Milne et al. (2021)" in record["design"]["headphone_screen"]["citation"]
    assert record["design"]["headphone_screen"]["pass_mark"] == 6
    assert "GLMM" in record["analysis"]["detection_model"] and "Planned number" in text


def test_preregistration_states_hypotheses_in_words_and_warns_without_a_planned_n():
    own = "Liking is lower for AI clips (one-sided)."
    settings = StudySettings().with_changes(
        practice_trial=True, repeat_check=False, conditions=["blind", "labelled"], hypotheses=own
    )
    text = preregistration_markdown(2, settings, {"human": 9, "ai": 9}).split("## Machine-readable record")[0]
    questions = text.split("## Research questions and hypotheses", 1)[1].split("## Sample", 1)[0]
    assert "RQ1" in questions and "d′ > 0" in questions and "RQ2" in questions and "liking" in questions
    assert "RQ3" in questions and "label" in questions and own in questions
    assert "practice trial: yes" in text and "repeated clip: no" in text
    assert "True" not in text and "False" not in text and "9 AI, 9 human" in text
    assert "Planned number of analysed participants: not set." in text and "Warning: no planned sample size" in text
    planned = preregistration_markdown(2, settings.with_changes(planned_n=80), {"human": 9, "ai": 9})
    assert "Planned number of analysed participants: 80." in planned and "Warning" not in planned
    rate_only = preregistration_markdown(2, StudySettings().with_changes(conditions=["rate_only"]), None)
    assert "RQ1" not in rate_only and "None written" in rate_only


def test_preregistration_marks_every_test_confirmatory_or_exploratory():
    settings = StudySettings().with_changes(conditions=["blind", "labelled"])
    text = preregistration_markdown(3, settings, {"human": 9, "ai": 9})
    section = text.split("## Confirmatory and exploratory tests", 1)[1].split("## Sample", 1)[0]
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ")[1:3] for line in section.splitlines() if " | " in line}
    assert rows["d′ = 0, likelihood-ratio test of the probit GLMM"] == ["confirmatory", "RQ1"]
    assert rows["effect of the announced label per rating scale, Holm over scales"] == ["confirmatory", "RQ3"]
    assert rows["criterion c = 0 (response bias)"][0] == "exploratory"
    assert rows["accuracy and AUC against 50 %"][0] == "exploratory"  # one p-value for RQ1: d′'s
    record = json.loads(text.split("```json\n", 1)[1].split("\n```", 1)[0])
    roles = {t["test"]: t["role"] for t in record["tests"]}
    confirmatory = {"d_prime", "equivalence", "emotion", "label"}
    assert {test for test, role in roles.items() if role == "confirmatory"} == confirmatory
    assert roles["moderators"] == roles["breakdowns"] == roles["fixed_clips"] == "exploratory"
    assert "pairing" not in roles and "asked" not in roles  # not this study's design
    rate_only = json.loads(
        preregistration_markdown(3, StudySettings().with_changes(conditions=["rate_only"]), None)
        .split("```json\n", 1)[1]
        .split("\n```", 1)[0]
    )
    assert "d_prime" not in {t["test"] for t in rate_only["tests"]}


def test_stored_versions_keep_what_they_did_before_rules_were_settings():
    legacy = StudySettings.from_dict({"screening_pass": 5, "scale_points": 9})
    assert legacy.screening_pass_mark == 5 and legacy.exclusion_rules == (ExclusionRule.INCOMPLETE,)
    assert StudySettings().screening_pass_mark == 6  # Milne et al. 2021: all 6 of 6
    assert StudySettings().with_changes(screening_criterion="woods2017").screening_pass_mark == 5


def test_deviations_name_every_setting_changed_after_participants_took_part(sqlite_engine, clips):
    """Versions 2-5 switch the trial count, rate-only and labelled and back: each step is named (issue 24)."""
    neutral = {"title": "A listening study", "information_text": "You will hear short pieces of music."}
    with db.session_scope(sqlite_engine) as session:
        rows = _clip_rows(session, clips)
        first = _save(session, n_trials=12, **neutral)
        _answered(session, first, rows)
        _save(session, n_trials=4, **neutral)
        _save(session, n_trials=4, conditions=["blind", "rate_only"], **neutral)
        _save(session, n_trials=4, conditions=["blind", "labelled"], **neutral)
        last = _save(session, n_trials=4, **neutral)  # blind only again
        _answered(session, last, rows)
        _save(session, n_trials=4, ask_comment=True, **neutral)

    found = deviations(load_dataset(engine=sqlite_engine))
    (during,) = [line for line in found if line.startswith("Settings changed during data collection")]
    assert f"(version {first.id} to {last.id})" in during
    assert "n_trials (12 → 4)" in during
    # Rate-only and labelled came and went: each switch is named, though the end is blind again.
    assert "conditions (blind → blind, rate_only → blind, labelled → blind)" in during
    (after,) = [line for line in found if line.startswith("Settings were changed after")]
    assert "ask_comment (no → yes)" in after and "n_trials" not in after


def test_a_pairing_design_is_preregistered_with_its_question_features_and_analysis():
    within = StudySettings().with_changes(
        trial_format="paired", pairing_design="within", pairing_features=["timbre", "tempo"], practice_trial=False
    )
    text = preregistration_markdown(3, within, {"human": 8, "ai": 8})
    words = text.split("## Machine-readable record")[0]
    record = json.loads(text.split("```json\n", 1)[1].split("\n```", 1)[0])
    assert "RQ1b" in words and "d′(similar) − d′(random) > 0" in words
    assert "pairs: similar and random pairs within participants" in words and "similarity on timbre, tempo" in words
    assert record["design"]["pairing_design"] == "within"
    assert record["design"]["pairing_features"] == ["timbre", "tempo"]
    assert "sqrt(2) times the pairing coefficient" in record["analysis"]["pairing"] and "**Pairing**" in words
    # All pairs of one kind compare nothing: no pairing question; single clips have no pairs at all.
    similar = preregistration_markdown(3, within.with_changes(pairing_design="similar"), None)
    assert "RQ1b" not in similar and "pairs: similar pairs: each AI clip" in similar
    assert '"pairing"' not in similar.split("```json")[1].split('"settings"')[0]
    single = preregistration_markdown(3, StudySettings(), None)
    assert "pairs:" not in single and '"pairing_design": "off"' not in single.split('"settings"')[0]


def test_a_pairing_design_changed_during_data_collection_is_a_deviation(sqlite_engine, clips):
    paired = {"trial_format": "paired", "practice_trial": False, "attention_check": False, "repeat_check": False}
    with db.session_scope(sqlite_engine) as session:
        rows = _clip_rows(session, clips)
        first = _save(session, n_trials=4, pairing_design="similar", **paired)
        _answered(session, first, rows)
        last = _save(session, n_trials=8, pairing_design="within", pairing_features=["timbre"], **paired)
        _answered(session, last, rows)
    (during,) = [line for line in deviations(load_dataset(engine=sqlite_engine)) if "during data collection" in line]
    assert "pairing_design (similar → within)" in during
    assert "pairing_features" in during  # named only: its values are longer than a deviation quotes
