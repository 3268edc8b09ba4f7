"""``human-touch export``, ``human-touch stats`` and ``human-touch report``: results from the shell.

All three take the same filter flags as the results pages, so a number printed here is the
number shown in the app under the same filters. The heavy modules (statistics, charts) are
imported inside the commands, so that every other ``human-touch`` command starts quickly.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from results.data.dataset import Dataset, Filters, load_dataset

if TYPE_CHECKING:
    from results.analysis import Analysis


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """The filter flags shared by every results command (see :class:`results.data.dataset.Filters`)."""
    from experiment.cli import add_study_option

    add_study_option(parser)
    group = parser.add_argument_group(
        "filters (default: each study version's preregistered exclusion rules; any exclusion flag below "
        "replaces them with your own choice, labelled as not preregistered)"
    )
    group.add_argument(
        "--unfiltered", action="store_true", help="no exclusions at all (every participant with an answer)"
    )
    group.add_argument(
        "--include-incomplete", action="store_true", help="keep participants who did not reach the debrief"
    )
    group.add_argument(
        "--exclude-failed-screening", action="store_true", help="drop participants who failed the headphone screening"
    )
    group.add_argument(
        "--exclude-attention-failed", action="store_true", help="drop participants who failed an attention check"
    )
    group.add_argument(
        "--exclude-too-fast", action="store_true", help="drop participants flagged for answering too fast"
    )
    group.add_argument(
        "--exclude-inconsistent",
        action="store_true",
        help="drop participants who answered the repeated clip inconsistently",
    )
    group.add_argument(
        "--from",
        dest="date_from",
        type=_date,
        metavar="YYYY-MM-DD",
        help="keep participants whose first answer is on or after this UTC date",
    )
    group.add_argument(
        "--to",
        dest="date_to",
        type=_date,
        metavar="YYYY-MM-DD",
        help="keep participants whose first answer is on or before this UTC date",
    )
    group.add_argument(
        "--study-version",
        dest="study_versions",
        type=int,
        action="append",
        metavar="ID",
        help="keep participants who answered under this study version (repeat for several)",
    )
    group.add_argument(
        "--include-simulated",
        action="store_true",
        help="also the simulated demo participants (human-touch demo participants); never real data",
    )


def filters_from_args(args: argparse.Namespace) -> Filters:
    """The :class:`Filters` the flags describe: the preregistered rules unless an exclusion flag is given."""
    custom = (
        args.include_incomplete,
        args.exclude_failed_screening,
        args.exclude_attention_failed,
        args.exclude_too_fast,
        args.exclude_inconsistent,
    )
    return Filters(
        preregistered=not any(custom) and not args.unfiltered,
        completed_only=not (args.include_incomplete or args.unfiltered),
        exclude_failed_screening=args.exclude_failed_screening,
        exclude_attention_failed=args.exclude_attention_failed,
        exclude_too_fast=args.exclude_too_fast,
        exclude_inconsistent=args.exclude_inconsistent,
        date_from=args.date_from,
        date_to=args.date_to,
        study_versions=tuple(args.study_versions) if args.study_versions else None,
        include_simulated=getattr(args, "include_simulated", False),
    )


def _check_dates(filters: Filters) -> str | None:
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        return f"--from {filters.date_from} is after --to {filters.date_to}"
    return None


def _load_filtered(
    args: argparse.Namespace, command_problem: str | None = None, action: str = "results.read"
) -> tuple[Filters, Dataset] | None:
    """The filters the flags describe and the dataset under them, or None after printing why not.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed flags of a results command (see :func:`add_filter_arguments`).
    command_problem : str or None
        A problem the command found in its own flags; reported only if the filters have none.
    action : str
        What the command does with the data, for the audit trail ("export.write", "report.write");
        reading to the terminal ("results.read") is not audited.

    Raises
    ------
    core.access.Refused
        The command's identity may not read this study's results (the CLI prints why).
    """
    from dataclasses import replace

    from core import audit, db
    from core.access import Permission
    from experiment.cli import study_for

    filters = filters_from_args(args)
    problem = _check_dates(filters) or command_problem
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return None
    with db.session_scope() as session:
        permission = Permission.EXPORT if action != "results.read" else Permission.VIEW_RESULTS
        study, actor = study_for(session, args, permission)
        if action != "results.read":
            audit.record(session, actor, action, study_id=study.id, detail={"filters": filters.describe()})
    filters = replace(filters, study_id=study.id)
    return filters, load_dataset(filters)


def _analysis(dataset: Dataset, args: argparse.Namespace) -> Analysis:
    """The one analysis every output of a command reads; ``--mixed-models`` adds the emotion models."""
    from results.analysis import Analysis, AnalysisPlan

    return Analysis(
        dataset,
        AnalysisPlan(
            emotion_models=bool(getattr(args, "mixed_models", False)),
            bootstrap_samples=int(getattr(args, "bootstrap", 0) or 0),
        ),
    )


def _cmd_export(args: argparse.Namespace) -> int:
    from results.rendering import export

    formats: tuple[str, ...] = ()
    format_problem = None
    try:
        formats = export.check_formats(args.format.split(","))
    except ValueError as exc:
        format_problem = str(exc)
    loaded = _load_filtered(args, format_problem, action="export.write")
    if loaded is None:
        return 2
    filters, dataset = loaded
    written = export.write_export(dataset, args.out, formats)
    if args.report:
        from results.rendering.report import analysis_report_html

        path = Path(args.out) / "report.html"
        path.write_text(analysis_report_html(_analysis(dataset, args)), encoding="utf-8")
        written.append(path)
    for path in written:
        print(path)
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    loaded = _load_filtered(args)
    if loaded is None:
        return 2
    from results.rendering.stats import analysis_stats

    filters, dataset = loaded
    payload = {
        "filters": filters.describe(),
        "exclusions": dataset.counts,
        **analysis_stats(_analysis(dataset, args)),
    }
    json.dump(payload, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    loaded = _load_filtered(args, action="report.write")
    if loaded is None:
        return 2
    from results.rendering.report import analysis_report_html

    _, dataset = loaded
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(analysis_report_html(_analysis(dataset, args)), encoding="utf-8")
    print(out)
    return 0


def _positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (argparse turns the ValueError into a clear message)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_bootstrap_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap",
        type=_positive_int,
        default=0,
        metavar="N",
        help="also the parametric-bootstrap test of d' = 0 with N samples (small-sample p with its Monte-Carlo "
        "error, beside the chi-square LR test; two GLMM refits a sample, e.g. 200 samples take minutes)",
    )


_MIXED_HELP = (
    "also fit the emotion analysis: per scale the ordinal mixed model, with the linear one as its sensitivity "
    "check (crossed participant and clip effects; about 2 s a scale)"
)


def register(subparsers) -> None:
    """Add ``export``, ``stats`` and ``report`` to the ``human-touch`` command line."""
    export_parser = subparsers.add_parser("export", help="write trials, participants, clips and the codebook")
    export_parser.add_argument("--out", required=True, type=Path, help="folder to write into")
    export_parser.add_argument(
        "--format", default="csv,parquet", help="comma-separated formats: csv, parquet (default both)"
    )
    export_parser.add_argument("--report", action="store_true", help="also write report.html")
    export_parser.add_argument("--mixed-models", action="store_true", help=_MIXED_HELP)
    add_filter_arguments(export_parser)
    export_parser.set_defaults(handler=_cmd_export)

    stats_parser = subparsers.add_parser("stats", help="print the headline statistics as JSON")
    stats_parser.add_argument("--mixed-models", action="store_true", help=_MIXED_HELP)
    _add_bootstrap_argument(stats_parser)
    add_filter_arguments(stats_parser)
    stats_parser.set_defaults(handler=_cmd_stats)

    report_parser = subparsers.add_parser("report", help="write the self-contained HTML report")
    report_parser.add_argument("--out", required=True, type=Path, help="HTML file to write")
    report_parser.add_argument("--mixed-models", action="store_true", help=_MIXED_HELP)
    _add_bootstrap_argument(report_parser)
    add_filter_arguments(report_parser)
    report_parser.set_defaults(handler=_cmd_report)

    from results.archive_cli import register_archive_commands
    from results.planning.cli import register as register_planning

    register_planning(subparsers)
    register_archive_commands()
