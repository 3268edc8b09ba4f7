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
    assert "username: admin" in first
    from core import repository

    with db.session_scope() as session:  # the credential lives in the database, as the admin account
        admin = repository.account_by_username(session, "admin")
        assert admin is not None and admin.is_admin and admin.password_hash.startswith("scrypt$")

    assert cli_main(["prepare", "--no-demo"]) == 0
    assert "staff password" not in capsys.readouterr().out.lower()


def test_the_first_run_banner_names_the_configured_port_not_8501(tmp_path, monkeypatch):
    from core import config

    monkeypatch.chdir(tmp_path)
    for name in ("HUMAN_TOUCH_STAFF_URL", "STREAMLIT_SERVER_PORT", "STREAMLIT_SERVER_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    assert config.staff_url() == "http://localhost:8501/staff"  # Streamlit's default
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "config.toml").write_text('[server]\nport = 8600\nbaseUrlPath = "lab"\n')
    assert config.staff_url() == "http://localhost:8600/lab/staff"
    monkeypatch.setenv("STREAMLIT_SERVER_PORT", "9000")
    assert config.staff_url() == "http://localhost:9000/lab/staff"
    assert config.staff_url(8123, "127.0.0.1", "") == "http://127.0.0.1:8123/staff"  # the running server's own
    monkeypatch.setenv("HUMAN_TOUCH_STAFF_URL", "https://lab.example.org/staff")
    assert config.staff_url(8123) == "https://lab.example.org/staff"


def test_prepare_prints_the_staff_url_it_is_given(data_env):
    from core.bootstrap import prepare_ground

    printed: list[str] = []
    prepare_ground(echo=printed.append, staff_url="http://127.0.0.1:8765/staff")
    assert "http://127.0.0.1:8765/staff" in "".join(printed)
    assert "8501" not in "".join(printed)
