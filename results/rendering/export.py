"""Exports for analysis elsewhere: trials, participants and clips as CSV and Parquet, with a codebook.

The exported trial table is exactly the filtered table the app's statistics read, so R, SPSS or
a notebook reproduces every number shown in the app. CSV files are UTF-8 with a header row,
``,`` as separator, quoted text, empty fields for missing values, ``true``/``false`` for
booleans, full-precision numbers and UTC timestamps as ``2025-03-01 00:30:04.318366Z``.
Parquet keeps the column types (nullable integers and booleans included).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pyarrow_csv
from sqlalchemy import Engine

from core.spreadsheets import neutralise_formulas
from results.data.codebook import codebook
from results.data.dataset import Dataset, Filters, load_dataset
from results.data.table import with_key_names

FORMATS: tuple[str, ...] = ("csv", "parquet")
TABLES: tuple[str, ...] = ("trials", "participants", "clips", "versions", "flow", "reasons")
CODEBOOK_FIELDS: tuple[str, ...] = ("table", "column", "type", "unit", "allowed", "description")


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """The requested formats, validated.

    Raises
    ------
    ValueError
        When a format is unknown or none is given.
    """
    requested = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    unknown = [f for f in requested if f not in FORMATS]
    if unknown or not requested:
        raise ValueError(f"unknown export format(s) {unknown or '(none given)'}; choose from {', '.join(FORMATS)}")
    return requested


def _tables(dataset: Dataset) -> dict[str, pd.DataFrame]:
    """The exported tables; ``versions`` holds every saved version's settings, ``flow`` the participant flow,
    ``reasons`` one row per reason x cue code (:mod:`results.statistics.reasons`)."""
    from results.data.flow import FLOW_COLUMNS
    from results.data.versions import versions_table
    from results.statistics.reasons import coded_reasons

    flow = dataset.flow if dataset.flow is not None else pd.DataFrame(columns=list(FLOW_COLUMNS))
    # The key also as a name ("G major") beside its numeric code, for readers of the files.
    return {
        "trials": with_key_names(dataset.trials),
        "participants": dataset.participants,
        "clips": with_key_names(dataset.clips),
        "versions": versions_table(dataset.versions),
        "flow": flow,
        "reasons": coded_reasons(dataset),
    }


def codebook_frame(dataset: Dataset) -> pd.DataFrame:
    """Every exported column of every table: type, unit, allowed values and description."""
    rows = [
        {
            "table": name,
            "column": entry.name,
            "type": entry.dtype,
            "unit": entry.unit,
            "allowed": entry.allowed,
            "description": entry.description,
        }
        for name, frame in _tables(dataset).items()
        for entry in codebook(frame, name)
    ]
    return pd.DataFrame(rows, columns=list(CODEBOOK_FIELDS))


def codebook_markdown(dataset: Dataset) -> str:
    """The codebook as Markdown: one section per table, one table row per column."""
    book = codebook_frame(dataset)
    lines = [
        "# Codebook",
        "",
        f"Filters: {dataset.filters.describe()}.",
        "",
        f"Exported {dataset.loaded_at:%Y-%m-%d %H:%M} UTC: {dataset.n_participants} participants, "
        f"{len(dataset.trials)} answered trials ({dataset.n_main_trials} main).",
        "",
        "Missing values are empty fields in CSV and nulls in Parquet. Times are UTC.",
        "",
        *(f"{line}" for line in _study_notes(dataset)),
    ]
    for name in TABLES:
        lines += [f"## {name}", "", "| column | type | unit | allowed | description |", "|---|---|---|---|---|"]
        for row in book[book["table"] == name].itertuples():
            cells = [f"`{row.column}`", row.type, row.unit, row.allowed, row.description]
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _study_notes(dataset: Dataset) -> list[str]:
    """Which versions were analysed, the headphone-screen criteria with their citations, the exclusion rules."""
    from experiment.settings import SCREENING_CRITERIA

    lines = ["## Study versions and preregistered rules", ""]
    if dataset.version_note:
        lines += [dataset.version_note, ""]
    lines += [
        "Every saved version's settings are in the `versions` table; each participant was judged by the "
        "exclusion rules of their version (unless the filters above say otherwise). Headphone-screen pass marks:",
        "",
        *(f"- `{name}`: {text}" for name, text in SCREENING_CRITERIA.items()),
        "",
    ]
    return lines


def codebook_json(dataset: Dataset) -> str:
    """The codebook as JSON: ``{"filters": ..., "tables": {name: [entry, ...]}}``."""
    book = codebook_frame(dataset)
    payload = {
        "filters": dataset.filters.describe(),
        "exported_at": dataset.loaded_at.isoformat(),
        "tables": {
            name: book[book["table"] == name].drop(columns="table").to_dict(orient="records") for name in TABLES
        },
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def table_to_csv(frame: pd.DataFrame) -> bytes:
    """One table as CSV bytes (see the module docstring for the conventions).

    Written by pyarrow: several times faster than pandas on wide tables of floats, and every
    float is printed with the shortest text that reads back to the same value.
    """
    buffer = io.BytesIO()
    pyarrow_csv.write_csv(pa.Table.from_pandas(neutralise_formulas(frame), preserve_index=False), buffer)
    return buffer.getvalue()


def codebook_csv(dataset: Dataset) -> str:
    """The codebook as CSV text, formula-like cells neutralised like every CSV the app writes."""
    return neutralise_formulas(codebook_frame(dataset)).to_csv(index=False)


def table_to_parquet(frame: pd.DataFrame) -> bytes:
    """One table as Parquet bytes (pyarrow), types kept."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow", index=False)
    return buffer.getvalue()


def export_files(dataset: Dataset, formats: Iterable[str] = FORMATS) -> dict[str, bytes]:
    """File name -> content for every table in every format, plus the codebook (CSV, Markdown, JSON)."""
    formats = check_formats(formats)
    files: dict[str, bytes] = {}
    for name, frame in _tables(dataset).items():
        if "csv" in formats:
            files[f"{name}.csv"] = table_to_csv(frame)
        if "parquet" in formats:
            files[f"{name}.parquet"] = table_to_parquet(frame)
    files["codebook.csv"] = codebook_csv(dataset).encode("utf-8")
    files["codebook.md"] = codebook_markdown(dataset).encode("utf-8")
    files["codebook.json"] = codebook_json(dataset).encode("utf-8")
    return files


def export_zip(dataset: Dataset, formats: Iterable[str] = FORMATS, report_html: str | None = None) -> bytes:
    """Every export file in one zip archive (with ``report.html`` when given)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in export_files(dataset, formats).items():
            archive.writestr(name, content)
        if report_html is not None:
            archive.writestr("report.html", report_html)
    return buffer.getvalue()


def write_export(dataset: Dataset, out_dir: Path | str, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write :func:`export_files` of ``dataset`` into ``out_dir`` (created if missing); return the paths."""
    files = export_files(dataset, formats)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files.items():
        path = out / name
        path.write_bytes(content)
        written.append(path)
    return written


def export_all(
    out_dir: Path | str, engine: Engine | None = None, filters: Filters | None = None, formats: Iterable[str] = FORMATS
) -> list[Path]:
    """Write trials, participants and clips (each requested format) and the codebook to ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Folder to write into (created if missing); existing export files are overwritten.
    engine : sqlalchemy.Engine, optional
        Database to read (default: the app's).
    filters : Filters, optional
        Which participants and answers to export (default: completed participants).
    formats : iterable of {"csv", "parquet"}

    Returns
    -------
    list of Path
        The files written, tables first, then the codebook files.

    Raises
    ------
    ValueError
        For an unknown format (nothing is read or written).
    """
    formats = check_formats(formats)
    return write_export(load_dataset(filters, engine), out_dir, formats)
