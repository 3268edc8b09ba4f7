"""The preregistration file, and the report's account of what happened: flow table and deviations.

:func:`preregistration_markdown` writes one Markdown file with the study version's settings, the
design, the exclusion rules, the planned sample size and the analysis that will be run, ending
in the same content as a JSON block (machine-readable, and hashed so the posted file can be
matched to the version later). It can be posted before data collection.

:func:`deviations` lists where the analysed data depart from it: another number of participants
than planned, settings that changed while data came in or afterwards, versions left out for
their scales, exclusions other than the preregistered ones.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from core.vocabulary import EXCLUSION_RULE_LABELS, Condition, PairingDesign, ScreeningMode, TrialFormat
from experiment.reason_cues import parse_cues
from experiment.settings import EXCLUSION_RULES, SCREENING_CRITERIA, StudySettings
from results.data.dataset import Dataset
from results.data.versions import settings_differences
from results.rendering.formatting import format_count_change
from results.rendering.report_html import esc, html_table
from results.statistics.equivalence import DEFAULT_D_PRIME_MARGIN
from results.statistics.headline import METHODS as HEADLINE_METHODS
from results.statistics.pairing_effect import METHODS as PAIRING_METHODS
from results.statistics.roles import TestRole, roles_for, study_designs

ANALYSIS = {
    "headline": HEADLINE_METHODS,
    "detection_model": (
        "Probit GLMM guessed_ai ~ is_ai + (1 + is_ai || participant) + (1 | clip), is_ai coded -0.5/+0.5; "
        "d' = is_ai coefficient, c = -intercept; likelihood-ratio test of d' = 0 and profile-likelihood 95% "
        "interval on F(1, clips - 2); simpler random structures only if the fit fails, stated in the report."
    ),
    "decision": (
        "Detection: the d' test rejects d' = 0 (alpha = 0.05) with d' > 0; reversed detection: it rejects with "
        "d' < 0 (a systematic reversal). Otherwise equivalent to chance within the preregistered margin "
        f"+-{DEFAULT_D_PRIME_MARGIN:g} d' when the two one-sided tests (TOST, alpha = 0.05 each, inverting the "
        "d' interval) put d' inside it; else inconclusive. The margin is set on d' (GLMM scale); its accuracy "
        "and AUC equivalents are reported at the study's estimated random-effect SDs."
    ),
    "emotion": (
        "Per rating scale, the true-source effect (AI minus human clips) from a linear mixed model with crossed "
        "participant and clip effects, without the listener's guess (a collider); ratings by guessed source are "
        "reported as an association only."
    ),
    "pooling": "Study versions whose rating scales differ are never pooled; each participant is judged by "
    "the exclusion rules of the version they took part under.",
}
"""The analysis that will be run, in the words the preregistration uses."""

PAIRING_WORDS: dict[str, str] = {
    PairingDesign.OFF: "by the library's pair ids (clips without one paired at random)",
    PairingDesign.SIMILAR: "similar pairs: each AI clip with the human clip nearest to it in the features",
    PairingDesign.RANDOM: "random pairs of the same clips",
    PairingDesign.WITHIN: "similar and random pairs within participants (half of each participant's pairs each, "
    "which half at random)",
    PairingDesign.BETWEEN: "similar or random pairs between participants (randomised, balanced over arrivals)",
}
"""How a paired study makes its pairs (:class:`core.vocabulary.PairingDesign`), as the preregistration says it."""


def pairing_is_a_factor(settings: StudySettings) -> bool:
    """Whether the study compares similar with random pairs (pairing type randomised within or between)."""
    return settings.trial_format == TrialFormat.PAIRED and settings.pairing_design in (
        PairingDesign.WITHIN,
        PairingDesign.BETWEEN,
    )


def analysis_for(settings: StudySettings) -> dict[str, str]:
    """:data:`ANALYSIS`, with the pairing comparison when the design randomises the pairing type."""
    return {**ANALYSIS, "pairing": PAIRING_METHODS} if pairing_is_a_factor(settings) else dict(ANALYSIS)


PLANNED_N_WARNING = (
    "**Warning: no planned sample size is set.** Without one, the number of participants can be chosen "
    "after seeing the data; set the planned N in the study settings (Results → Plan recommends one) "
    "before posting this preregistration."
)


SOURCE_WORDS = {"ai": "AI", "human": "human"}


def yes_no(value: bool) -> str:
    """A switch as a word for people: ``"yes"`` or ``"no"``."""
    return "yes" if value else "no"


def research_questions(settings: StudySettings) -> list[str]:
    """The research questions the study's analysis answers, each with its hypothesis and test (Markdown lines).

    Derived from the design: detection for blind conditions, the true-source emotion effect per
    rating scale, the label effect when clips are labelled, and the exploratory feature analyses.
    The researchers' own hypotheses (``settings.hypotheses``) follow under their own heading.
    """
    conditions = set(settings.conditions)
    scales = ", ".join(settings.scales) or "none"
    lines = []
    if Condition.BLIND in conditions:
        lines.append(
            "- **RQ1 (confirmatory): can listeners tell AI-generated from human-composed music?** "
            'H1: sensitivity d′ > 0 ("AI" is the signal), generalising over participants and clips. '
            f"H0 of chance (d′ = 0) is judged equivalent within ±{DEFAULT_D_PRIME_MARGIN:g} d′ by TOST when "
            "detection is not shown (the decision rule under Analysis)."
        )
    lines.append(
        "- **RQ2 (confirmatory): do AI and human clips differ in how they make listeners feel?** "
        f"H2, per rating scale ({scales}): the true-source effect (AI minus human clips) differs from 0, "
        "Holm-corrected over the scales. Ratings by the listener's guessed source are an association only."
    )
    if pairing_is_a_factor(settings):
        lines.append(
            "- **RQ1b (confirmatory): are AI clips easier to tell in similar pairs than in random pairs?** "
            "H1b: d′(similar) − d′(random) > 0, generalising over participants and clips (the pairing analysis)."
        )
    if Condition.LABELLED in conditions:
        lines.append(
            "- **RQ3 (confirmatory): does being told a clip is AI change the ratings?** H3: the announced "
            "label (randomised, true or reversed) shifts each rating scale, Holm-corrected over the scales."
        )
    lines.append(
        "- **Exploratory: which acoustic features go with the true source and with listeners' judgements** "
        "(lens model, false-discovery-rate controlled); no hypothesis, reported as exploratory."
    )
    if settings.ask_reason != "off":
        lines.append(
            "- **Exploratory: what listeners say made them think so.** The free-text reasons are coded by the "
            "cue words under Design; per cue, the share of correct guesses among those whose reason mentions it, "
            "with an interval over participants; descriptive, no test."
        )
    own = settings.hypotheses.strip()
    lines += ["", "### The researchers' own hypotheses", ""]
    lines.append(own if own else "None written (Study settings → Preregistration).")
    return lines


REASON_MODE_WORDS: dict[str, str] = {
    "off": "not asked",
    "per_trial": 'asked after every guess ("What made you think so?", optional)',
    "at_end": 'asked once after the last clip ("What made you think so?", optional)',
}


def _cue_lines(settings: StudySettings) -> list[str]:
    """The coding scheme of the reasons (cue code: terms), when reasons are asked."""
    if settings.ask_reason == "off":
        return []
    return [
        "- reasons are coded by cue words (a term matches words beginning with it; *term inside words too):",
        *(f"  - `{code}`: {', '.join(terms)}" for code, terms in parse_cues(settings.reason_cues).items()),
    ]


def planned_tests(settings: StudySettings) -> list[TestRole]:
    """Every test the study's results will show, each marked confirmatory or exploratory
    (:mod:`results.statistics.roles`, the table the Overview tags its tests with)."""
    paired = settings.trial_format == TrialFormat.PAIRED
    return roles_for(study_designs(settings.conditions, paired, pairing_is_a_factor(settings)))


def planned_tests_markdown(settings: StudySettings) -> list[str]:
    """The section (after a blank line) with the tests as a Markdown table: test, role, question, generalises over."""
    lines = [
        "",
        "## Confirmatory and exploratory tests",
        "",
        "Only the confirmatory tests answer the research questions above (one p-value each); every other test is "
        "exploratory and reported as such.",
        "",
        "| Test | Role | Question | Generalises over |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r.test} | {r.role} | {r.question} | {r.generalises} |" for r in planned_tests(settings)]
    return lines


def settings_sha256(settings: StudySettings) -> str:
    """SHA-256 of the settings as canonical JSON (sorted keys): identifies a version's settings."""
    return hashlib.sha256(json.dumps(settings.to_dict(), sort_keys=True).encode()).hexdigest()


def preregistration_record(
    version_id: int, settings: StudySettings, clips_per_source: dict[str, int] | None = None
) -> dict:
    """The preregistration as a JSON-ready dict."""
    return {
        "format": "human-touch preregistration 1",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "study_version_id": version_id,
        "settings_sha256": settings_sha256(settings),
        "planned_n": settings.planned_n,
        "hypotheses": settings.hypotheses,
        "design": {
            "main_trials_per_participant": settings.n_trials,
            "sources_per_participant": {"human": settings.n_trials // 2, "ai": settings.n_trials // 2},
            "clips_in_library": clips_per_source or {},
            "scales": list(settings.scales),
            "scale_points": settings.scale_points,
            "listening_requirement": settings.listening_requirement,
            "trial_format": str(settings.trial_format),
            **(_pairing_record(settings) if settings.trial_format == TrialFormat.PAIRED else {}),
            "reasons": {"asked": str(settings.ask_reason), "cues": parse_cues(settings.reason_cues)},
            "headphone_screen": {
                "mode": str(settings.screening),
                "trials": settings.screening_trials,
                "pass_mark": settings.screening_pass_mark,
                "criterion": str(settings.screening_criterion),
                "citation": SCREENING_CRITERIA[settings.screening_criterion],
            },
        },
        "exclusion_rules": [rule for rule in EXCLUSION_RULES if rule in settings.exclusion_rules],
        "analysis": analysis_for(settings),
        "tests": [
            {"test": r.key, "role": r.role, "question": r.question, "generalises_over": r.generalises}
            for r in planned_tests(settings)
        ],
        "settings": settings.to_dict(),
    }


def _pairing_record(settings: StudySettings) -> dict[str, object]:
    """A paired study's pairing design and, when pairs are matched by similarity, the features used."""
    record: dict[str, object] = {"pairing_design": str(settings.pairing_design)}
    if settings.pairing_design != PairingDesign.OFF:
        record["pairing_features"] = list(settings.pairing_features)
    return record


def _pairing_line(settings: StudySettings) -> list[str]:
    """The Design section's line on pairs (none for single-clip trials)."""
    if settings.trial_format != TrialFormat.PAIRED:
        return []
    line = f"- paired trials (which of two clips was AI); pairs: {PAIRING_WORDS.get(settings.pairing_design, '')}"
    if settings.pairing_design != PairingDesign.OFF:
        line += f"; similarity on {', '.join(settings.pairing_features)}"
    return [line]


def _questions_and_tests(settings: StudySettings) -> list[str]:
    """The research questions and hypotheses, then which tests are confirmatory and which exploratory."""
    return [
        "## Research questions and hypotheses",
        "",
        *research_questions(settings),
        *planned_tests_markdown(settings),
    ]


def preregistration_markdown(
    version_id: int, settings: StudySettings, clips_per_source: dict[str, int] | None = None
) -> str:
    """One Markdown file: the preregistration in words, then the same as a JSON block."""
    record = preregistration_record(version_id, settings, clips_per_source)
    design = record["design"]
    screen = design["headphone_screen"]
    rules = [f"- {EXCLUSION_RULE_LABELS[r]} (`{r}`)" for r in record["exclusion_rules"]] or ["- none"]
    screen_line = (
        "no headphone screen"
        if settings.screening == ScreeningMode.OFF
        else f"{screen['mode']}, pass mark {screen['pass_mark']} of {screen['trials']} ({screen['citation']})"
    )
    lines = [
        f"# Preregistration: {settings.title}",
        "",
        f"Study version {version_id}, settings SHA-256 `{record['settings_sha256']}`, generated "
        f"{record['generated_at']}.",
        "",
        *_questions_and_tests(settings),
        "",
        "## Sample",
        "",
        f"Planned number of analysed participants: {settings.planned_n or 'not set'}.",
        *(["", PLANNED_N_WARNING] if not settings.planned_n else []),
        "",
        "## Design",
        "",
        f"- {settings.n_trials} main trials per participant, half human and half AI clips, in random order",
        "- clips in the library: "
        + (
            ", ".join(f"{n} {SOURCE_WORDS.get(src, src)}" for src, n in sorted(design["clips_in_library"].items()))
            or "not counted"
        ),
        f"- rating scales: {', '.join(settings.scales) or 'none'} on {settings.scale_points} points",
        *_pairing_line(settings),
        f"- answers accepted after {100 * settings.listening_requirement:.0f}% of each clip was heard",
        f"- headphone screen: {screen_line}",
        f"- practice trial: {yes_no(settings.practice_trial)}; attention check: "
        f"{yes_no(settings.attention_check)}; repeated clip: {yes_no(settings.repeat_check)}",
        f"- reasons for the guess: {REASON_MODE_WORDS.get(settings.ask_reason, settings.ask_reason)}",
        *_cue_lines(settings),
        "",
        "## Exclusion rules (whole participants, applied in this order)",
        "",
        *rules,
        "",
        "## Analysis",
        "",
        *(f"- **{name.replace('_', ' ').capitalize()}**: {text}" for name, text in record["analysis"].items()),
        "",
        "## Machine-readable record",
        "",
        "```json",
        json.dumps(record, indent=2, sort_keys=True, default=str),
        "```",
        "",
    ]
    return "\n".join(lines)


def deviations(dataset: Dataset) -> list[str]:
    """Where the analysed data depart from what each analysed version preregistered (empty: none)."""
    out: list[str] = []
    if not dataset.filters.preregistered:
        out.append(f"Exclusions are not the preregistered ones: {dataset.filters.describe()}.")
    if dataset.version_note:
        out.append(dataset.version_note)
    known = dataset.versions
    analysed = sorted(dataset.analysed_versions or dataset.study_version_ids())
    analysed = [v for v in analysed if v in known]
    if not analysed:
        return out
    newest = known[analysed[-1]].settings
    if newest.planned_n and newest.planned_n != dataset.n_participants:
        out.append(f"Analysed {dataset.n_participants} participants; {newest.planned_n} were planned.")
    # Every saved step counts, not only the versions at both ends: a setting changed and changed
    # back, or changed in a version nobody took part in, still changed while people were taking part.
    ordered = sorted(known)
    during = [v for v in ordered if analysed[0] <= v <= analysed[-1]]
    changed = _changes_along([known[v].settings for v in during])
    if changed:
        out.append(
            f"Settings changed during data collection (version {analysed[0]} to {analysed[-1]}): {'; '.join(changed)}."
        )
    after = [v for v in ordered if v >= analysed[-1]]
    changed = _changes_along([known[v].settings for v in after])
    if changed:
        out.append(
            f"Settings were changed after the analysed version {analysed[-1]} (now version {after[-1]}): "
            f"{'; '.join(changed)}."
        )
    return out


_SHORT_VALUE = 40
"""Longest value (characters) a deviation quotes; longer ones (the texts) are named only."""


def _changes_along(chain: list[StudySettings]) -> list[str]:
    """Every setting that differs in any step of ``chain`` (consecutive versions), with its values.

    Each reads ``name (value -> value -> ...)``, every value it took in turn (so a switch that was
    undone still shows), or the bare name for long values (texts).
    """
    values: dict[str, list[str]] = {}
    for before, after in zip(chain, chain[1:], strict=False):
        old, new = before.to_dict(), after.to_dict()
        for name in settings_differences(before, after):
            values.setdefault(name, [_value_text(old.get(name))]).append(_value_text(new[name]))
    return [
        name if max(len(value) for value in taken) > _SHORT_VALUE else f"{name} ({' → '.join(taken)})"
        for name, taken in values.items()
    ]


def _value_text(value: object) -> str:
    """A setting's value as a deviation quotes it: lists comma-separated, booleans yes/no, empty as "none"."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "none"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value) if value not in ("", None) else "none"


def flow_and_deviations_html(dataset: Dataset) -> str:
    """The report's opening sections: the participant flow table and the deviations from the preregistration."""
    parts = []
    if dataset.flow is not None:
        rows = [[row.stage, format_count_change(row.removed), str(row.remaining)] for row in dataset.flow.itertuples()]
        parts.append("<h2>Participant flow</h2>" + html_table(["Stage", "Removed", "Remaining"], rows))
    found = deviations(dataset)
    parts.append("<h2>Deviations from the preregistration</h2>")
    parts.append(
        "<ul>" + "".join(f"<li>{esc(line)}</li>" for line in found) + "</ul>" if found else "<p>None found.</p>"
    )
    return "\n".join(parts)
