"""`human-touch prepare`: one command readies an empty data folder, and running it again is harmless."""

from sqlalchemy import inspect

from core import db
from human_touch.cli import main as cli_main


def test_prepare_on_an_empty_folder_migrates_and_prints_the_password_once(data_env, capsys):
    assert cli_main(["prepare", "--no-demo"]) == 0
    first = capsys.readouterr().out
    assert "staff password" in first.lower()
    tables = set(inspect(db.get_engine()).get_table_names())
    assert {"clips", "participants", "trials", "responses", "study_versions"} <= tables
    from core import auth

    assert auth.configured_hash() is not None  # the credential lives in the database

    assert cli_main(["prepare", "--no-demo"]) == 0
    assert "staff password" not in capsys.readouterr().out.lower()
