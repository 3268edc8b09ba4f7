"""The archive section of a study's staff page: who sees which download, and the server-side check behind them."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core import access, db
from experiment import studies
from results.ui import archive as archive_ui
from tests.staff_accounts import log_in_as_admin

TIMEOUT_S = 60


def _section_page() -> None:
    from core import db
    from experiment import studies
    from results.ui.archive import archive_section

    with db.session_scope() as session:
        study = studies.default(session)
    archive_section(study)


def _researcher(study_id: int) -> access.Account:
    operator = access.operator()
    with db.session_scope() as session:
        access.create_account(session, operator, operator.actor(), "rita")
        access.set_role(session, operator, operator.actor(), study_id, "rita", access.Role.RESEARCHER)
        return next(account for account, _ in access.all_accounts(session) if account.username == "rita")


def test_an_admin_gets_both_downloads_and_the_import(sqlite_data_env):
    app = AppTest.from_function(_section_page, default_timeout=TIMEOUT_S)
    log_in_as_admin(app)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    labels = [button.proto.label for button in app.get("download_button")]
    assert labels == ["Download the archive", "Download the replication package"]
    assert [h.value for h in app.subheader] == ["Archive", "Import an archive"]


def test_a_researcher_gets_no_archive_and_the_server_refuses_one(sqlite_data_env):
    with db.session_scope() as session:
        study = studies.default(session)
    rita = _researcher(study.id)
    app = AppTest.from_function(_section_page, default_timeout=TIMEOUT_S)
    app.session_state["_staff_authenticated"] = True
    app.session_state["_staff_account_id"] = rita.id
    with db.session_scope() as session:
        app.session_state["_staff_session_epoch"] = access.session_epoch(session, rita.id)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.session_state["_staff_authenticated"]  # logged in as rita, not turned away as a stranger
    assert not app.get("download_button") and not app.subheader
    build = archive_ui._built(rita, rita.actor(), study, (access.Permission.ARCHIVE,), archive_ui._archive)
    with pytest.raises(access.Refused):
        build()
