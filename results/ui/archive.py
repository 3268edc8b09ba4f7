"""The study's archive on its staff page: download it, download the replication package, import an archive.

The files are built when a button is clicked (the buttons get callables), and each build checks the
account's permission again on the server (``core.access``): hiding a button is not the check.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st

from core import access, audit, db, ui
from core.access import Permission
from experiment.studies import StudyRef
from results import archive


def _built(
    account: access.Account, actor: audit.Actor, study: StudyRef, permissions: tuple[Permission, ...], build
) -> Callable[[], bytes]:
    """``build(session, study_id, actor)`` in its own transaction, once the account holds every permission."""

    def run() -> bytes:
        with db.session_scope() as session:
            for permission in permissions:
                access.check(session, account, permission, study.id)
            return build(session, study.id, actor)

    return run


def _archive(session, study_id: int, actor: audit.Actor) -> bytes:
    return archive.archive_bytes(session, study_id, actor)[0]


def archive_section(study: StudyRef) -> None:
    """Download the archive and the replication package of ``study`` (as allowed), and import an archive."""
    account = ui.current_account()
    if account is None:
        return
    with db.session_scope() as session:
        may_archive = access.allowed(session, account, Permission.ARCHIVE, study.id)
        may_export = access.allowed(session, account, Permission.EXPORT, study.id)
    actor = ui.current_actor()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    if may_archive:
        st.subheader("Archive")
        st.write(
            "One zip with every settings version, the clips exactly as participants hear them, the "
            "preregistration and the codebook: another Human Touch server imports it and runs the same study. "
            "The replication package adds the data, `analysis.R` and the archive's SHA-256, ready for OSF."
        )
        left, right = st.columns(2)
        left.download_button(
            "Download the archive",
            data=_built(account, actor, study, (Permission.ARCHIVE,), _archive),
            file_name=f"{study.slug}-archive-{stamp}.zip",
            mime="application/zip",
            key=f"archive_download_{study.id}",
        )
        if may_export:
            right.download_button(
                "Download the replication package",
                data=_built(account, actor, study, (Permission.ARCHIVE, Permission.EXPORT), archive.replication_bytes),
                file_name=f"{study.slug}-replication-{stamp}.zip",
                mime="application/zip",
                key=f"replication_download_{study.id}",
            )
    import_section(key=f"archive_import_{study.id}")


def import_section(key: str = "archive_import") -> None:
    """Import an archive as a new study (shown to accounts that may create studies)."""
    account = ui.current_account()
    if account is None:
        return
    with db.session_scope() as session:
        if not access.allowed(session, account, Permission.CREATE_STUDY, None):
            return
    st.subheader("Import an archive")
    uploaded = st.file_uploader("A study archive (zip)", type=["zip"], key=f"{key}_file")
    slug = st.text_input("Short name for the new study (optional)", key=f"{key}_slug").strip().lower()
    if not st.button("Import", key=f"{key}_button", disabled=uploaded is None) or uploaded is None:
        return
    try:
        with db.session_scope() as session:
            access.check(session, account, Permission.CREATE_STUDY, None)
            study = archive.import_archive(session, uploaded.getvalue(), ui.current_actor(), slug=slug or None)
    except (archive.ArchiveError, access.Refused) as error:
        # Plain text: the reason may quote names from the uploaded file, which must not render as Markdown.
        st.error("The archive was refused; nothing was imported.")
        st.text(str(error))
        return
    # The slug is checked (letters, digits, hyphens); the archived name is shown as plain text.
    st.success(f"Imported as the study `{study.slug}`; its link is `/?study={study.slug}`.")
    st.text(f"Name: {study.name}")
