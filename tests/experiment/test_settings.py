"""Study settings: validation messages, JSON round trip, and the ``human-touch study`` commands."""

import json

import pytest

from core import audit, db
from experiment import repository
from experiment.settings import StudySettings, library_problems, settings_problems
from human_touch import cli


def test_defaults_are_valid_and_round_trip_through_json():
    settings = StudySettings()
    assert settings.validate() is settings
    stored = json.loads(json.dumps(settings.to_dict()))
    assert StudySettings.from_dict(stored) == settings


def test_old_and_future_stored_versions_still_load():
    loaded = StudySettings.from_dict({"n_trials": 8, "a_field_from_the_future": 1})
    assert loaded.n_trials == 8 and loaded.title == StudySettings().title


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"n_trials": 7}, "n_trials must be even"),
        ({"n_trials": 0}, "at least 2"),
        ({"listening_requirement": 1.5}, "listening_requirement must be between 0 and 1"),
        ({"scales": ("valence", "joy")}, "unknown scales ['joy']"),
        ({"scale_points": 10}, "scale_points must be one of [5, 7, 9]"),
        ({"screening": "sometimes"}, "screening must be one of"),
        (
            {"screening_criterion": "custom", "screening_pass": 7},
            "screening_pass must be between 1 and screening_trials (6)",
        ),
        ({"max_same_source_run": 0}, "max_same_source_run must be between 1 and 20"),
        ({"consent_text": "  "}, "consent_text must not be empty"),
        ({"completion_code": "AB CD"}, "completion_code may contain only"),
        ({"completion_url": "ftp://x"}, "completion_url must start with https://"),
        ({"prolific_enabled": True}, "set the completion_code Prolific gave you"),
    ],
)
def test_invalid_settings_are_explained(changes, message):
    settings = StudySettings().with_changes(**changes)
    with pytest.raises(ValueError) as caught:
        settings.validate()
    assert message in str(caught.value)
    assert message in " ".join(settings_problems(settings))


def test_library_problems_name_the_short_source():
    assert library_problems(StudySettings(n_trials=12), {"human": 6, "ai": 7}) == []
    assert library_problems(StudySettings(n_trials=12, practice_trial=False), {"human": 6, "ai": 6}) == []
    (practice,) = library_problems(StudySettings(n_trials=12), {"human": 6, "ai": 6})
    assert practice.startswith("the practice trial needs a clip outside the 12 main clips")
    (problem,) = library_problems(StudySettings(n_trials=12), {"human": 9, "ai": 1})
    assert problem == "n_trials=12 needs 6 ai clips per participant, but the library has only 1 active ai clip"


def test_completion_redirect():
    assert StudySettings().completion_redirect_url == ""
    prolific = StudySettings(prolific_enabled=True, completion_code="C1")
    assert prolific.completion_redirect_url == "https://app.prolific.com/submissions/complete?cc=C1"
    own = StudySettings(completion_url="https://example.org/thanks")
    assert own.completion_redirect_url == "https://example.org/thanks"


def test_cli_show_open_close(sqlite_data_env, capsys):
    assert cli.main(["study", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["study"]["open"] is True and shown["active_clips"] == {"human": 0, "ai": 0}
    assert "is_open" not in shown["settings"]  # a state of the study, not a setting
    assert cli.main(["study", "close"]) == 0
    assert "now closed" in capsys.readouterr().out
    with db.session_scope() as s:
        # Closing stores no settings version: the version in force is still the one shown.
        assert repository.current_settings(s)[0] == shown["version"]
        assert repository.study_is_open(s) is False
        assert [e.action for e in audit.events(s)][:1] == ["study.close"]
    assert cli.main(["study", "close"]) == 0
    assert "already closed" in capsys.readouterr().out
    # Opening checks the library: with no clips it is refused and nothing changes.
    assert cli.main(["study", "open"]) == 2
    assert "needs 6 human clips" in capsys.readouterr().err
    with db.session_scope() as s:
        assert repository.current_settings(s)[0] == shown["version"] and repository.study_is_open(s) is False
        assert len(repository.settings_history(s)) == 1


def test_default_texts_say_what_is_stored_for_how_long_and_how_to_withdraw():
    settings = StudySettings(identifier_retention_days=45)
    english = settings.with_facts(settings.information_text)
    for said in ("participant number", "Prolific ID", "deleted 45 days after you finish", "withdraw", "Contact"):
        assert said in english, said
    assert "anonym" not in english.lower() and "{retention_days}" not in english
    german = settings.localised("de")
    shown = german.with_facts(german.information_text)
    assert "45 Tage" in shown and "Teilnehmernummer" in shown and "zurücktreten" in shown
    assert "anonym" not in german.consent_text.lower() and "Teilnehmernummer" in german.consent_text
    assert settings.unfilled_placeholders() == ["[name of the lab]", "[contact e-mail]"]
    filled = settings.with_changes(
        information_text=settings.information_text.replace("[name of the lab]", "the Music Lab").replace(
            "[contact e-mail]", "lab@example.org"
        )
    )
    assert filled.unfilled_placeholders() == []
    assert settings.with_facts("{not a token} {retention_days}") == "{not a token} 45"
