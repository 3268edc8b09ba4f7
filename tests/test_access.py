"""Roles per study, checked on the server: who may do what, audited changes, invitations, the CLI's identity."""

import io
import re
import sys
from pathlib import Path

import pytest

from core import access, audit, auth, db, proxies
from core.access import Permission, Refused, Role
from core.models import Study
from core.plain_text import as_plain_markdown
from human_touch.cli import main as cli_main
from tests.staff_accounts import make_account


def _study(slug: str) -> int:
    with db.session_scope() as session:
        study = Study(slug=slug, name=slug.title())
        session.add(study)
        session.flush()
        return study.id


def _account(username: str) -> access.Account:
    with db.session_scope() as session:
        account = access.live_account(session, _id(session, username))
        assert account is not None
        return account


def _id(session, username: str) -> int:
    from core import repository

    return repository.account_by_username(session, username).id


def test_roles_grant_what_they_say_and_nothing_on_other_studies(data_env):
    a, b = _study("study-a"), _study("study-b")
    make_account("admin", "admin password")
    for name in ("rita", "olga", "oscar"):
        make_account(name, is_admin=False)
    admin = _account("admin")
    with db.session_scope() as session:
        for name, role in (("rita", Role.RESEARCHER), ("olga", Role.ORGANISER), ("oscar", Role.OWNER)):
            access.add_member(session, admin, admin.actor(), a, name, role)
    rita, olga, oscar = (_account(n) for n in ("rita", "olga", "oscar"))
    with db.session_scope() as session:
        assert access.allowed(session, rita, Permission.EXPORT, a)
        assert not access.allowed(session, rita, Permission.EDIT_SETTINGS, a)  # read only
        assert access.allowed(session, olga, Permission.EDIT_SETTINGS, a)
        assert not access.allowed(session, olga, Permission.MANAGE_MEMBERS, a)
        assert access.allowed(session, oscar, Permission.VIEW_AUDIT, a)
        assert access.permissions(session, oscar, b) == frozenset()  # nothing on another study
        assert access.studies_visible_to(session, rita) == [a]
        assert access.studies_visible_to(session, admin) == [a, b]
        assert not access.allowed(session, oscar, Permission.MANAGE_ACCOUNTS, None)
        with pytest.raises(Refused, match="Your role on this study does not allow changing the study's settings"):
            access.check(session, rita, Permission.EDIT_SETTINGS, a)
        # Only an owner changes people, and a study keeps an owner.
        with pytest.raises(Refused):
            access.change_member(session, olga, olga.actor(), a, "rita", Role.OWNER)
        with pytest.raises(Refused, match="needs an owner"):
            access.remove_member(session, oscar, oscar.actor(), a, "oscar")
        access.remove_member(session, oscar, oscar.actor("198.51.100.1"), a, "rita")
    with db.session_scope() as session:
        trail = [(e.action, e.actor, e.target, e.study_id) for e in audit.events(session, a)]
        assert trail[0] == ("member.remove", "oscar", "rita", a)
        assert access.live_account(session, rita.id, epoch=0) is None  # her open sessions ended


def test_an_invitation_sets_a_password_once_and_disabling_ends_the_account(data_env):
    make_account("admin", "admin password")
    admin = _account("admin")
    with db.session_scope() as session:
        access.create_account(session, admin, admin.actor(), "Nina", display_name="Nina N.")
        token = access.invite(session, admin, admin.actor(), "nina")
    with db.session_scope() as session:
        access.accept_invitation(session, token, "nina's password", "198.51.100.2")
    assert auth.attempt_login("nina", "nina's password", "198.51.100.2").ok
    with pytest.raises(Refused, match="unknown, used or expired"), db.session_scope() as session:
        access.accept_invitation(session, token, "another password", None)
    with db.session_scope() as session:
        access.set_disabled(session, admin, admin.actor(), "nina", True)
    assert not auth.attempt_login("nina", "nina's password", "198.51.100.3").ok


def test_the_command_line_acts_as_the_operator_or_as_the_token_holder(data_env, monkeypatch, capsys):
    study = _study("study-a")
    auth.ensure_admin_account()
    monkeypatch.setattr(sys, "stdin", io.StringIO("rita's password\n"))
    assert cli_main(["staff", "add-user", "rita", "--stdin"]) == 0
    assert cli_main(["staff", "grant", "rita", "--study", "study-a", "--role", "researcher"]) == 0
    assert cli_main(["staff", "token", "--user", "rita"]) == 0
    token = capsys.readouterr().out.split("HUMAN_TOUCH_TOKEN=")[1].split()[0]

    monkeypatch.setenv(access.TOKEN_ENV, token)
    with db.session_scope() as session:
        actor = access.require_cli(session, Permission.EXPORT, study)
        assert (actor.name, actor.client) == ("rita", "cli")
        with pytest.raises(Refused, match="does not allow changing the study's settings"):
            access.require_cli(session, Permission.EDIT_SETTINGS, study)
    assert cli_main(["staff", "grant", "rita", "--study", "study-a", "--role", "owner"]) == 2
    assert "does not allow" in capsys.readouterr().err
    monkeypatch.setenv(access.TOKEN_ENV, "ht_made_up")
    assert cli_main(["staff", "list"]) == 2

    monkeypatch.delenv(access.TOKEN_ENV)
    assert cli_main(["staff", "list"]) == 0
    assert "rita\trita\t-\tstudy-a:researcher" in capsys.readouterr().out
    with db.session_scope() as session:
        actions = [e.action for e in audit.events(session)]
    assert {"account.create", "member.add", "account.token", "account.password"} <= set(actions)


def test_the_client_address_comes_from_x_real_ip_only_through_a_trusted_proxy(monkeypatch):
    assert proxies.client_address("127.0.0.1", "203.0.113.5") == "203.0.113.5"
    assert proxies.client_address("198.51.100.9", "203.0.113.5") == "198.51.100.9"  # anyone else: the peer
    assert proxies.client_address("127.0.0.1", "not an address") == "127.0.0.1"
    monkeypatch.setenv("HUMAN_TOUCH_TRUSTED_PROXIES", "10.0.0.0/8")
    assert proxies.client_address("10.1.2.3", "203.0.113.5") == "203.0.113.5"
    assert proxies.client_address("127.0.0.1", "203.0.113.5") == "127.0.0.1"


def test_staff_text_is_escaped_so_that_markdown_shows_it_as_typed():
    creator = "![x](https://elsewhere.example/p.png) [click](https://evil.example) <img src=x> *Bach* $x$"
    escaped = as_plain_markdown(creator)
    # Every character that could start an image, link, HTML tag, emphasis or maths is escaped ...
    assert re.search(r"(?<!\\)[!\[\]()<>*$]", escaped) is None, escaped
    # ... and removing the escapes gives back exactly what was typed.
    assert escaped.replace("\\", "") == creator


def test_staff_markdown_shown_to_participants_keeps_its_links_but_loads_no_image(sqlite_data_env):
    """An information sheet with an image from another host reaches the participant's page as a plain link."""
    from streamlit.testing.v1 import AppTest

    from core.plain_text import markdown_without_images
    from experiment import repository
    from experiment.settings import StudySettings
    from tests.experiment.playable_clips import add_playable_clips

    assert markdown_without_images("a ![pixel](https://elsewhere.example/p.png) and **bold**") == (
        "a \\![pixel](https://elsewhere.example/p.png) and **bold**"
    )
    assert markdown_without_images("already \\![escaped](x)") == "already \\![escaped](x)"
    add_playable_clips(3, 3.0)
    text = "Welcome. ![tracker](https://elsewhere.example/pixel.png) See [our lab](https://lab.example.org)."
    with db.session_scope() as session:
        repository.save_settings(
            session,
            StudySettings(n_trials=2, information_text=text, consent_text="![c](https://x.example/c.png) I agree."),
        )
    page = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "experiment" / "pages" / "participate.py"))
    page.run(timeout=60)
    shown = " ".join(str(element.value) for element in page.markdown)
    assert "[our lab](https://lab.example.org)" in shown  # links stay
    assert re.search(r"(?<!\\)!\[", shown) is None, shown  # no image syntax left to load
