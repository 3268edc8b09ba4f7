"""The organiser's study settings: one immutable dataclass, validated, stored as JSON.

Every save becomes a new ``StudyVersion`` row (see :mod:`experiment.repository`); a participant
runs under the version that was in force when they consented, and each response records it.
Nothing here touches the database or Streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from typing import Any

from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from core.vocabulary import (
    CONDITIONS,
    PAIRING_DESIGNS,
    PAIRING_FEATURE_GROUPS,
    REASON_MODES,
    SCALES,
    SOURCES,
    Condition,
    ExclusionRule,
    PairingDesign,
    ReasonMode,
    ScreeningCriterion,
    ScreeningMode,
    TrialFormat,
)
from experiment.reason_cues import DEFAULT_REASON_CUES, cue_problems
from experiment.study_texts import (
    DEFAULT_CONSENT_TEXT,
    DEFAULT_DEBRIEF_TEXT,
    DEFAULT_INFORMATION_TEXT,
    DEFAULT_TITLE,
    PLACEHOLDERS,
    TEXT_FIELDS,
    built_in_text,
    is_built_in,
)

SCALE_POINTS_ALLOWED: tuple[int, ...] = (5, 7, 9)
SCREENING_MODES: tuple[ScreeningMode, ...] = tuple(ScreeningMode)
PROLIFIC_COMPLETE_URL = "https://app.prolific.com/submissions/complete?cc={code}"
EXCLUSION_RULES: tuple[ExclusionRule, ...] = tuple(ExclusionRule)
DEFAULT_EXCLUSION_RULES: tuple[str, ...] = (
    ExclusionRule.INCOMPLETE,
    ExclusionRule.FAILED_SCREENING,
    ExclusionRule.FAILED_ATTENTION,
)
LEGACY_EXCLUSION_RULES: tuple[str, ...] = (ExclusionRule.INCOMPLETE,)
"""Rules of a version stored before rules were settings: what the analyses then applied by default."""

SCREENING_CRITERIA: dict[str, str] = {
    ScreeningCriterion.MILNE_2021: (
        'Milne et al. (2021), Behavior Research Methods 53:1551-1562, "An online headphone screening test based on '
        'dichotic pitch": the Huggins-pitch test is passed with all 6 of 6 trials correct (also the default of '
        "the authors' reference code, ChaitLabUCL/HeadphoneCheck_Test)."
    ),
    ScreeningCriterion.WOODS_2017: (
        "Woods et al. (2017), Attention, Perception & Psychophysics 79:2064-2072: 5 of 6 correct, the criterion of "
        "their antiphase (loudness) test, a different test; applied to the Huggins-pitch test it is more lenient."
    ),
    ScreeningCriterion.CUSTOM: "The organiser's own pass mark (screening_pass of screening_trials).",
}
"""Each named pass mark of the headphone screen with its citation (settings page, codebook, preregistration)."""


@dataclass(frozen=True)
class StudySettings:
    """Everything the organiser decides about the participant's journey.

    Attributes
    ----------
    title : str
        Shown at the top of the information and consent page.
    browser_title : str
        The browser tab's title on every participant page: neutral, so that it does not frame
        the study (the tab shows it before and during the listening).
    n_trials : int
        Number of main (scored) trials; even, half human and half AI clips.
    listening_requirement : float
        Fraction (0..1) of each clip that must have been heard before answers are accepted.
    scales : tuple of str
        Rating scales asked on each trial, a subset of :data:`core.vocabulary.SCALES` (order kept
        as in SCALES).
    scale_points : int
        Points on every rating scale (1..scale_points); 9 is the self-assessment manikin's.
    ask_familiarity : bool
        Ask "Did you know this piece?" on each trial.
    ask_comment : bool
        Offer an optional free-text comment on each trial.
    screening : ScreeningMode
        Headphone screening (Huggins pitch). "required" ends the journey politely on failure;
        "optional" stores the result and a flag but lets the participant continue.
    screening_trials : int
        Number of three-interval screening trials (Milne et al. 2021 use 6).
    screening_criterion : ScreeningCriterion
        Which pass mark scores the screen (:data:`SCREENING_CRITERIA`): "milne2021" (default, all
        trials correct, 6 of 6 as published for this test), "woods2017" (5 of 6, the criterion of
        Woods et al.'s different antiphase test) or "custom" (``screening_pass``).
    screening_pass : int
        Correct answers needed to pass when ``screening_criterion`` is "custom".
    practice_trial : bool
        One unscored practice trial before the main trials.
    attention_check : bool
        One extra trial whose rating screen tells the participant which answer to give.
    repeat_check : bool
        One main clip is played again later; answers are compared for consistency.
    min_answer_seconds : float
        A trial answered sooner than this after its listening requirement was met counts as too
        fast (flag only).
    max_same_source_run : int
        At most this many consecutive trials whose clips share a source (human or AI).
    use_pairs : bool
        When the library has at least n_trials/2 complete human/AI pairs (shared ``pair_id``),
        draw whole pairs instead of independent clips.
    pair_gap : int
        Minimum number of other trials between the two members of a pair.
    information_text, consent_text, debrief_text : str
        Texts shown on the information sheet, the consent question and the debrief (English;
        ``title`` too).
    localised_texts : dict
        The same texts in other languages, ``{language: {field: text}}`` with ``field`` one of
        :data:`TEXT_FIELDS` (see :meth:`localised`).
    completion_code : str
        Code shown (and sent to Prolific) after the last answer; empty = a personal random code.
    completion_url : str
        Where the finish button leads. Empty with ``prolific_enabled`` = Prolific's completion
        URL built from ``completion_code``.
    prolific_enabled : bool
        Entry requires Prolific's ``PROLIFIC_PID`` and ``STUDY_ID`` URL parameters and the
        debrief offers the redirect back to Prolific.
    show_creator_in_debrief : bool
        The reveal names the creator or AI system of each clip.
    show_percentile : bool
        The debrief compares the participant's score with everyone who has completed.
    exclusion_rules : tuple of str
        Preregistered reasons (:class:`core.vocabulary.ExclusionRule`) to leave a participant out of
        the analyses; results apply each version's rules to its participants by default. A saved
        version never changes: new rules make a new version and apply to its participants only.
    planned_n : int
        Planned number of analysed participants (0 = not planned), for the preregistration and
        the report's deviations.
    hypotheses : str
        The researchers' own hypotheses and research questions (Markdown), preregistered beside the
        ones the app's analysis answers (:func:`results.planning.prereg.research_questions`); staff only.
    identifier_retention_days : int
        Days after a participant finished (or, for one who did not, consented) after which their
        Prolific ids are erased (1-3650); the answers stay, under the participant number.
    withdrawal_deadline : str
        Last day (ISO date, ``YYYY-MM-DD``, UTC) on which participants can withdraw with their
        resume link; "" = no end. Staff can withdraw a participant on request at any time.
    withdrawal_keeps_answers : bool
        Where the study's consent says so: a withdrawal erases the person's identifiers (Prolific
        ids, resume link) but keeps their answers, unlinkable, in the results. Default: erase everything.
    conditions : tuple of str
        The design conditions (:class:`core.vocabulary.Condition`) participants are randomised to,
        balanced over arrivals (:mod:`experiment.conditions`); one condition = no randomisation.
    clip_ids : tuple of int
        The study's clips, a selection from the shared library by clip id; empty = every active clip
        (clips added later join). Retired clips in the selection are skipped.
    label_true_percent, label_reversed_percent, label_random_percent : int
        In the labelled condition, the share (percent, summing to 100) of each participant's clips
        announced with their true source, the other source, or a source drawn at random.
    ai_questions_before : bool
        Ask about AI music exposure and attitude before the clips; by default they come after
        the clips, so that they do not prime the ratings.
    trial_format : str
        :class:`core.vocabulary.TrialFormat`: "single" (one clip per trial) or "paired" (a human
        and an AI clip per trial, both rated, then which one was AI; blind condition only, no
        repeat or attention trial; :mod:`experiment.paired`).
    pairing_design : str
        :class:`core.vocabulary.PairingDesign` of a paired study: "off" (``pair_id`` pairs or random),
        "similar", "random", or the pairing type as a factor "within" or "between" participants
        (:mod:`experiment.pairing_design`).
    pairing_features : tuple of str
        Feature groups similarity pairing uses (:data:`core.vocabulary.PAIRING_FEATURE_GROUPS`).
    ask_reason : str
        :class:`core.vocabulary.ReasonMode`: ask "What made you think so?" after each guess
        ("per_trial"), once after the last clip ("at_end"), or not ("off"). Optional to answer.
    reason_cues : str
        The cue words the Results page counts in the reasons, one cue a line (``code: term, term``;
        :mod:`experiment.reason_cues`); starts from :data:`~experiment.reason_cues.DEFAULT_REASON_CUES`.
    """

    title: str = DEFAULT_TITLE
    browser_title: str = "Listening study"
    n_trials: int = 12
    listening_requirement: float = 1.0
    scales: tuple[str, ...] = SCALES
    scale_points: int = 9
    ask_familiarity: bool = True
    ask_comment: bool = False
    screening: str = ScreeningMode.OPTIONAL
    screening_trials: int = 6
    screening_criterion: str = ScreeningCriterion.MILNE_2021
    screening_pass: int = 6
    practice_trial: bool = True
    attention_check: bool = True
    repeat_check: bool = True
    min_answer_seconds: float = 3.0
    max_same_source_run: int = 3
    use_pairs: bool = True
    pair_gap: int = 2
    information_text: str = DEFAULT_INFORMATION_TEXT
    consent_text: str = DEFAULT_CONSENT_TEXT
    debrief_text: str = DEFAULT_DEBRIEF_TEXT
    localised_texts: dict[str, dict[str, str]] = field(default_factory=dict)
    completion_code: str = ""
    completion_url: str = ""
    prolific_enabled: bool = False
    show_creator_in_debrief: bool = True
    show_percentile: bool = True
    exclusion_rules: tuple[str, ...] = DEFAULT_EXCLUSION_RULES
    planned_n: int = 0
    hypotheses: str = ""
    identifier_retention_days: int = 90
    withdrawal_deadline: str = ""
    withdrawal_keeps_answers: bool = False
    conditions: tuple[str, ...] = (Condition.BLIND,)
    label_true_percent: int = 50
    label_reversed_percent: int = 50
    label_random_percent: int = 0
    ai_questions_before: bool = False
    trial_format: str = TrialFormat.SINGLE
    clip_ids: tuple[int, ...] = ()
    pairing_design: str = PairingDesign.OFF
    pairing_features: tuple[str, ...] = PAIRING_FEATURE_GROUPS
    ask_reason: str = ReasonMode.OFF
    reason_cues: str = DEFAULT_REASON_CUES

    def validate(self) -> StudySettings:
        """Check every field; return ``self`` or raise ``ValueError`` naming each problem."""
        problems = settings_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        data = asdict(self)
        data["scales"] = list(self.scales)
        data["exclusion_rules"] = list(self.exclusion_rules)
        data["conditions"] = list(self.conditions)
        data["clip_ids"] = list(self.clip_ids)
        data["pairing_features"] = list(self.pairing_features)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StudySettings:
        """Build settings from stored JSON; unknown keys are ignored, missing keys take defaults.

        Ignoring unknown keys lets an older stored version load after a field was removed (e.g.
        ``is_open``, now a state of the study: :func:`experiment.studies.set_open`);
        defaults let a version stored before a field existed load unchanged. Two fields keep
        what such a version did rather than today's default: its pass mark stays its own
        ("custom" criterion) and its exclusion rules are :data:`LEGACY_EXCLUSION_RULES`.
        """
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values.setdefault("screening_criterion", ScreeningCriterion.CUSTOM)
        values.setdefault("screening_pass", 5)
        values.setdefault("exclusion_rules", LEGACY_EXCLUSION_RULES)
        for name in _TUPLE_FIELDS:
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)

    def with_changes(self, **changes: Any) -> StudySettings:
        """A copy with ``changes`` applied (not validated; call :meth:`validate`)."""
        for name in _TUPLE_FIELDS:
            if name in changes:
                changes[name] = tuple(changes[name])
        return replace(self, **changes)

    def localised(self, language: str, condition: str | None = None) -> StudySettings:
        """These settings with the participant-facing texts (:data:`TEXT_FIELDS`) as a participant reads them.

        Each text is the organiser's text in ``language`` when one is set; else, while the English
        text is still a built-in one, the built-in text that fits the design (a rate-only design's
        title and information sheet do not mention AI; the debrief of ``condition``, None before
        the condition is drawn, compares guesses only in the blind condition) in ``language``; else
        the English text (better than no text).
        """
        own = {} if language == DEFAULT_LANGUAGE else self.localised_texts.get(language, {})
        changes: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            text = own.get(name, "")
            if text.strip():
                changes[name] = text
            elif is_built_in(name, getattr(self, name)):
                changes[name] = translate(built_in_text(name, self.conditions, condition), language)
        return replace(self, **changes)

    def with_facts(self, text: str) -> str:
        """``text`` as participants read it: ``{retention_days}`` becomes this version's retention period.

        Only that token is replaced (a plain replace, not ``str.format``), so braces an organiser writes
        are shown as written.
        """
        return text.replace("{retention_days}", str(self.identifier_retention_days))

    def unfilled_placeholders(self) -> list[str]:
        """The default texts' bracketed fields (lab, contact) still in any participant text, in any language."""
        texts = [str(getattr(self, name)) for name in TEXT_FIELDS]
        texts += [text for language in self.localised_texts.values() for text in language.values()]
        return [field for field in PLACEHOLDERS if any(field in text for text in texts)]

    @property
    def screening_pass_mark(self) -> int:
        """Correct screening answers needed to pass under ``screening_criterion``.

        "milne2021": every trial (6 of 6); "woods2017": 5 of 6, scaled to other trial counts
        (ceil(5/6 x trials)); "custom": ``screening_pass``.
        """
        if self.screening_criterion == ScreeningCriterion.MILNE_2021:
            return self.screening_trials
        if self.screening_criterion == ScreeningCriterion.WOODS_2017:
            return -(-5 * self.screening_trials // 6)
        return self.screening_pass

    @property
    def scale_signature(self) -> tuple[int, tuple[str, ...]]:
        """``(scale_points, scales)``: versions whose signatures differ must not be pooled."""
        return self.scale_points, tuple(self.scales)

    @property
    def completion_redirect_url(self) -> str:
        """Where the participant is sent after the debrief ('' when nowhere)."""
        if self.completion_url:
            return self.completion_url
        if self.prolific_enabled and self.completion_code:
            return PROLIFIC_COMPLETE_URL.format(code=self.completion_code)
        return ""


_TUPLE_FIELDS = ("scales", "exclusion_rules", "conditions", "clip_ids", "pairing_features")
# English and German words that announce a machine (a study's own texts may be in either language).
_MENTIONS_AI = re.compile(
    r"\bA\.?I\b|\bK\.?I\b|\bKI-|artificial intelligence|künstlich|machine|maschin|computer|algorithm", re.IGNORECASE
)


def _confounded_label_problems(s: StudySettings) -> list[str]:
    """Label shares under which every label is the clip's source (or every one its opposite).

    The label's effect is then the source's effect (issue 22): the label model has nothing to tell them
    apart and fails later with a puzzling "too few participants". Any share of another kind of label
    breaks the tie.
    """
    for share, words in (("label_true_percent", "its true source"), ("label_reversed_percent", "the other source")):
        if getattr(s, share) == 100:
            return [
                f"with the labelled condition on, {share}=100 announces every clip as {words}, so the label "
                "cannot be told apart from the source: give some clips reversed or random labels"
            ]
    return []


def design_problems(settings: StudySettings) -> list[str]:
    """Problems with the design fields (conditions and label shares) as readable sentences."""
    s = settings
    problems: list[str] = []
    unknown = [name for name in s.conditions if name not in CONDITIONS]
    if not s.conditions or unknown:
        problems.append(f"conditions must be a non-empty selection of {list(CONDITIONS)}")
    if len(set(s.conditions)) != len(s.conditions):
        problems.append("conditions must not repeat")
    shares = (s.label_true_percent, s.label_reversed_percent, s.label_random_percent)
    if any(not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 100 for v in shares) or sum(shares) != 100:
        problems.append(
            f"the label shares (true, reversed, random) must be whole percents summing to 100, got {shares}"
        )
    if Condition.LABELLED in s.conditions:
        problems += _confounded_label_problems(s)
    if s.trial_format not in tuple(TrialFormat):
        problems.append(f"trial_format must be one of {[f.value for f in TrialFormat]}, got {s.trial_format!r}")
    if s.trial_format == TrialFormat.PAIRED and tuple(s.conditions) != (Condition.BLIND,):
        problems.append("paired trials run in the blind condition only (they ask which clip was made by AI)")
    if Condition.RATE_ONLY in s.conditions:
        # Its participants must hear of AI only after the last clip: what they read before must not say it.
        # A built-in text is shown in its version for the design (experiment.study_texts.built_in_text).
        for name in ("title", "information_text", "consent_text"):
            text = getattr(s, name)
            if not is_built_in(name, text) and _MENTIONS_AI.search(text):
                problems.append(f"with the rate-only condition on, {name} must not mention AI (asked only at the end)")
        problems += _translations_mentioning_ai(s.localised_texts)
        if s.ai_questions_before:
            problems.append("with the rate-only condition on, the AI questions must come after the clips")
    return problems + _pairing_problems(s)


def _translations_mentioning_ai(localised_texts: Any) -> list[str]:
    """The study's own translated texts read before the clips that mention AI (rate-only studies).

    Only texts the organiser typed are stored (an empty field shows the built-in translation), so every
    stored text is the organiser's own.
    """
    problems = []
    for language, texts in (localised_texts if isinstance(localised_texts, Mapping) else {}).items():
        for name in ("title", "information_text", "consent_text"):
            text = texts.get(name, "") if isinstance(texts, Mapping) else ""
            if isinstance(text, str) and _MENTIONS_AI.search(text):
                problems.append(
                    f"with the rate-only condition on, {name} ({language}) must not mention AI (asked only at the end)"
                )
    return problems


def _pairing_problems(s: StudySettings) -> list[str]:
    """Problems with the pairing design, its feature groups and the reason question."""
    problems = []
    if s.pairing_design not in PAIRING_DESIGNS:
        problems.append(f"pairing_design must be one of {[d.value for d in PAIRING_DESIGNS]}, got {s.pairing_design!r}")
    elif s.pairing_design != PairingDesign.OFF and s.trial_format != TrialFormat.PAIRED:
        problems.append("a pairing design (similar or random pairs) needs paired trials")
    elif s.pairing_design == PairingDesign.WITHIN and s.n_trials < 8:
        problems.append("similar and random pairs within participants need at least 4 pairs (8 clips) each")
    if not s.pairing_features or any(g not in PAIRING_FEATURE_GROUPS for g in s.pairing_features):
        problems.append(f"pairing_features must be a non-empty selection of {list(PAIRING_FEATURE_GROUPS)}")
    if s.ask_reason not in REASON_MODES:
        problems.append(f"ask_reason must be one of {[m.value for m in REASON_MODES]}, got {s.ask_reason!r}")
    return problems + cue_problems(s.reason_cues)


def _participant_rights_problems(s: StudySettings) -> list[str]:
    """Problems with how long identifiers are kept and until when participants can withdraw."""
    problems = []
    days = s.identifier_retention_days
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650:
        problems.append(f"identifier_retention_days must be a whole number of days between 1 and 3650, got {days}")
    if s.withdrawal_deadline and not _is_iso_date(s.withdrawal_deadline):
        problems.append(f"withdrawal_deadline must be a date like 2027-06-30 (or empty), got {s.withdrawal_deadline!r}")
    return problems


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except (TypeError, ValueError):
        return False
    return len(text) == 10


def settings_problems(settings: StudySettings) -> list[str]:
    """Every problem with ``settings`` as a readable sentence (empty list when valid)."""
    s = settings
    problems: list[str] = []
    if not s.title.strip():
        problems.append("title must not be empty")
    if any(not isinstance(c, int) or isinstance(c, bool) or c < 1 for c in s.clip_ids):
        problems.append("clip_ids must be clip numbers (whole numbers from 1)")
    if not s.browser_title.strip() or len(s.browser_title) > 60:
        problems.append("browser_title must be between 1 and 60 characters")
    if not isinstance(s.n_trials, int) or isinstance(s.n_trials, bool) or s.n_trials < 2:
        problems.append("n_trials must be a whole number of at least 2")
    elif s.n_trials % 2:
        problems.append(f"n_trials must be even (half human, half AI clips), got {s.n_trials}")
    elif s.n_trials > 200:
        problems.append(f"n_trials must be at most 200, got {s.n_trials}")
    if not 0.0 <= float(s.listening_requirement) <= 1.0:
        problems.append(f"listening_requirement must be between 0 and 1, got {s.listening_requirement}")
    unknown = [name for name in s.scales if name not in SCALES]
    if unknown:
        problems.append(f"unknown scales {unknown}; choose from {list(SCALES)}")
    if len(set(s.scales)) != len(s.scales):
        problems.append("scales must not repeat")
    if s.scale_points not in SCALE_POINTS_ALLOWED:
        problems.append(f"scale_points must be one of {list(SCALE_POINTS_ALLOWED)}, got {s.scale_points}")
    if s.screening not in SCREENING_MODES:
        problems.append(f"screening must be one of {list(SCREENING_MODES)}, got {s.screening!r}")
    if not 1 <= s.screening_trials <= 20:
        problems.append(f"screening_trials must be between 1 and 20, got {s.screening_trials}")
    elif s.screening_criterion == ScreeningCriterion.CUSTOM and not 1 <= s.screening_pass <= s.screening_trials:
        problems.append(
            f"screening_pass must be between 1 and screening_trials ({s.screening_trials}), got {s.screening_pass}"
        )
    if s.screening_criterion not in tuple(ScreeningCriterion):
        problems.append(f"screening_criterion must be one of {[str(c) for c in ScreeningCriterion]}")
    unknown_rules = [rule for rule in s.exclusion_rules if rule not in EXCLUSION_RULES]
    if unknown_rules or len(set(s.exclusion_rules)) != len(s.exclusion_rules):
        problems.append(f"exclusion_rules must be distinct values of {[str(r) for r in EXCLUSION_RULES]}")
    if not isinstance(s.planned_n, int) or isinstance(s.planned_n, bool) or not 0 <= s.planned_n <= 100_000:
        problems.append(f"planned_n must be a whole number between 0 and 100000, got {s.planned_n}")
    if not isinstance(s.hypotheses, str) or len(s.hypotheses) > 20_000:
        problems.append("hypotheses must be text of at most 20000 characters")
    problems += _participant_rights_problems(s)
    if not 0.0 <= float(s.min_answer_seconds) <= 600.0:
        problems.append(f"min_answer_seconds must be between 0 and 600, got {s.min_answer_seconds}")
    if not 1 <= s.max_same_source_run <= 20:
        problems.append(f"max_same_source_run must be between 1 and 20, got {s.max_same_source_run}")
    if not 0 <= s.pair_gap <= 20:
        problems.append(f"pair_gap must be between 0 and 20, got {s.pair_gap}")
    for name in ("information_text", "consent_text"):
        if not getattr(s, name).strip():
            problems.append(f"{name} must not be empty")
    problems += _localised_text_problems(s.localised_texts)
    return problems + _completion_problems(s) + design_problems(s)


def _completion_problems(s: StudySettings) -> list[str]:
    """Problems with how a participant is sent back (completion code and URL, Prolific)."""
    problems = []
    if len(s.completion_code) > 64:
        problems.append("completion_code must be at most 64 characters")
    if s.completion_code and not s.completion_code.replace("-", "").replace("_", "").isalnum():
        problems.append("completion_code may contain only letters, digits, '-' and '_'")
    if s.completion_url and not s.completion_url.startswith(("https://", "http://")):
        problems.append("completion_url must start with https:// or http://")
    if s.prolific_enabled and not (s.completion_code or s.completion_url):
        problems.append("with Prolific enabled, set the completion_code Prolific gave you (or a completion_url)")
    return problems


def _localised_text_problems(localised_texts: Any) -> list[str]:
    """Problems with :attr:`StudySettings.localised_texts` (empty list when valid)."""
    if not isinstance(localised_texts, Mapping):
        return ["localised_texts must map a language to its texts"]
    problems = []
    for language, texts in localised_texts.items():
        if language not in LANGUAGES or language == DEFAULT_LANGUAGE:
            others = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]
            problems.append(f"localised_texts: unknown language {language!r}; choose from {others}")
        elif not isinstance(texts, Mapping) or any(
            name not in TEXT_FIELDS or not isinstance(text, str) for name, text in texts.items()
        ):
            problems.append(f"localised_texts[{language!r}] must map some of {list(TEXT_FIELDS)} to text")
    return problems


def library_problems(settings: StudySettings, clips_per_source: Mapping[str, int]) -> list[str]:
    """Problems running ``settings`` with a library of ``clips_per_source`` active clips.

    Parameters
    ----------
    settings : StudySettings
    clips_per_source : mapping
        Active (not retired) clip count per source, e.g. ``{"human": 20, "ai": 18}``.

    Returns
    -------
    list of str
        Empty when every participant can get n_trials/2 distinct clips of each source and, with a
        practice trial, one more clip for it (the practice clip is never a main clip); a paired study's
        practice pair needs one more clip of each source.
    """
    need = settings.n_trials // 2
    problems = []
    for source in SOURCES:
        have = int(clips_per_source.get(source, 0))
        if have < need:
            problems.append(
                f"n_trials={settings.n_trials} needs {need} {source} clips per participant, "
                f"but the library has only {have} active {source} clip{'s' if have != 1 else ''}"
            )
    total = sum(int(clips_per_source.get(source, 0)) for source in SOURCES)
    if not problems and settings.practice_trial and total <= settings.n_trials:
        problems.append(
            f"the practice trial needs a clip outside the {settings.n_trials} main clips, but the library has "
            f"only {total} active clips: add a clip or switch the practice trial off"
        )
    paired_practice = settings.trial_format == "paired" and settings.practice_trial
    if not problems and paired_practice and min(int(clips_per_source.get(s, 0)) for s in SOURCES) <= need:
        problems.append(
            f"the practice pair needs a human and an AI clip outside the {settings.n_trials} main clips: "
            f"add a clip of each source or switch the practice trial off"
        )
    return problems


__all__ = [
    "DEFAULT_CONSENT_TEXT",
    "DEFAULT_EXCLUSION_RULES",
    "DEFAULT_DEBRIEF_TEXT",
    "DEFAULT_INFORMATION_TEXT",
    "DEFAULT_TITLE",
    "EXCLUSION_RULES",
    "LEGACY_EXCLUSION_RULES",
    "PROLIFIC_COMPLETE_URL",
    "SCALES",
    "SCALE_POINTS_ALLOWED",
    "SCREENING_CRITERIA",
    "SCREENING_MODES",
    "TEXT_FIELDS",
    "StudySettings",
    "design_problems",
    "library_problems",
    "settings_problems",
]
