"""Codebook entries of the study-level export tables: every saved version's settings, and the participant flow."""

from __future__ import annotations

from results.codebook import Column

VERSION_COLUMNS: tuple[Column, ...] = (
    Column("study_version_id", "int64", "", "positive integer", "Study settings version (every save is a new one)."),
    Column("created_at", "datetime64[ns, UTC]", "UTC time", "ISO 8601", "When the version was saved."),
    Column("note", "str", "", "free text", "The organiser's note on the version (e.g. opened, closed)."),
    Column("scale_points", "int64", "scale points", "5, 7, 9", "Points on every rating scale in this version."),
    Column(
        "scales",
        "str",
        "",
        "comma-separated scale names",
        "Rating scales asked; versions differing here or in scale_points are never pooled.",
    ),
    Column("n_trials", "int64", "count", "2..200, even", "Main trials per participant."),
    Column("screening", "str", "", "required, optional, off", "How the Huggins-pitch headphone screen was used."),
    Column(
        "screening_criterion",
        "str",
        "",
        "milne2021, woods2017, custom",
        "Pass mark of the headphone screen: "
        "milne2021 = all 6 of 6 correct (Milne et al. 2021, Behav. Res. Methods 53:1551-1562, the criterion "
        "for this test); woods2017 = 5 of 6 (Woods et al. 2017's criterion for their antiphase test); custom.",
    ),
    Column("screening_pass_mark", "int64", "count", ">= 1", "Correct screening answers needed to pass."),
    Column(
        "exclusion_rules",
        "str",
        "",
        "comma-separated: incomplete, failed_screening, failed_attention, too_fast, inconsistent",
        "Preregistered exclusion rules applied to this version's participants.",
    ),
    Column("planned_n", "int64", "participants", ">= 0 (0 = not planned)", "Planned number of analysed participants."),
    Column(
        "settings_json", "str", "", "JSON object", "Every setting of the version (experiment.settings.StudySettings)."
    ),
)

FLOW_COLUMNS: tuple[Column, ...] = (
    Column(
        "stage",
        "str",
        "",
        "stage name",
        "Stage of the participant flow, from arrival (consent answered) to "
        "analysis; each person is counted at the first stage that removed them.",
    ),
    Column("removed", "Int64", "participants", ">= 0, missing on the first and last rows", "Removed at this stage."),
    Column(
        "remaining", "int64", "participants", ">= 0", "Left after this stage; arrived minus all removed = analysed."
    ),
)
