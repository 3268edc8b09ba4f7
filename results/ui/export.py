"""The export page: one-click downloads of the data (CSV/Parquet), the codebook and the HTML report.

Files are built when a button is clicked (the buttons get callables), not on every rerun of the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st

from core import audit, db, ui
from core.access import Permission
from results.data.dataset import Dataset
from results.rendering import export
from results.rendering.report import analysis_report_html
from results.ui.filters import filtered_analysis, results_study, show_data_caption, stop_if_empty
from results.ui.flow import prereg_download


def _audited(what: str, dataset: Dataset, build: Callable[[], bytes | str]) -> Callable[[], bytes | str]:
    """``build``, recording in the audit trail that it ran (a download is built when clicked, not drawn)."""
    actor, study_id, filters = ui.current_actor(), dataset.filters.study_id, dataset.filters.describe()

    def audited() -> bytes | str:
        data = build()
        with db.session_scope() as session:
            audit.record(session, actor, "export.download", study_id=study_id, target=what, detail={"filters": filters})
        return data

    return audited


def export_page() -> None:
    """The whole page under the sidebar's filters."""
    st.title("Export")
    analysis = filtered_analysis()
    dataset = analysis.dataset
    study_id = results_study()
    ui.require(Permission.EXPORT, study_id)
    show_data_caption(dataset)
    if dataset.n_main_trials == 0:  # the preregistration is wanted before any data exist
        prereg_download(study_id)
    stop_if_empty(dataset)
    st.write(
        f"The files hold exactly the rows the results pages use under these filters: "
        f"**{dataset.n_participants} participants**, **{len(dataset.trials)} answered trials** "
        f"({dataset.n_main_trials} main), **{len(dataset.clips)} clips**. The codebook lists every column "
        "with its type, unit and allowed values."
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    formats = st.multiselect(
        "Table formats", options=list(export.FORMATS), default=list(export.FORMATS), key="export_formats"
    )
    include_report = st.checkbox("Include the HTML report in the zip", value=True, key="export_include_report")

    def report() -> str:
        # The page's analysis: every model the Overview fitted under these filters is reused, not refitted.
        return analysis_report_html(analysis)

    if not formats:
        st.warning("Choose at least one format.")
    else:
        st.download_button(
            "Download everything (zip)",
            type="primary",
            file_name=f"human-touch-{stamp}.zip",
            mime="application/zip",
            key="export_zip",
            data=_audited(
                "everything.zip",
                dataset,
                lambda: export.export_zip(dataset, formats, report() if include_report else None),
            ),
        )
    _single_files(dataset, stamp)
    st.subheader("Report")
    st.write(
        "A self-contained HTML report (figures inline, no internet needed to open it) with the headline "
        "numbers, methods, filters, study versions and the n behind every figure."
    )
    st.download_button(
        "Download the report (HTML)",
        data=_audited("report.html", dataset, report),
        file_name=f"human-touch-report-{stamp}.html",
        mime="text/html",
        key="export_report",
    )
    st.subheader("Preregistration")
    prereg_download(study_id)


def _single_files(dataset: Dataset, stamp: str) -> None:
    """Buttons for the trial table and the codebook on their own."""
    st.subheader("Single files")
    left, middle, right = st.columns(3)
    left.download_button(
        "Trials (CSV)",
        data=_audited("trials.csv", dataset, lambda: export.table_to_csv(dataset.trials)),
        file_name=f"trials-{stamp}.csv",
        mime="text/csv",
        key="export_trials_csv",
    )
    middle.download_button(
        "Codebook (Markdown)",
        data=lambda: export.codebook_markdown(dataset),
        file_name="codebook.md",
        mime="text/markdown",
        key="export_codebook_md",
    )
    right.download_button(
        "Codebook (CSV)",
        data=lambda: export.codebook_csv(dataset),
        file_name="codebook.csv",
        mime="text/csv",
        key="export_codebook_csv",
    )
