"""Streamlit drawing of one trial (practice or rated): the blind player, the rating form, the submit.

The trial shown is the first unanswered one in the database on every run, never "index + 1" from
the browser session. Blinding: widget keys come from the trial's position or its random
``audio_nonce``, never from a clip id, and the page shows nothing about the clip.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

import streamlit as st
from sqlalchemy.orm import Session

from core import db
from core.i18n import N_, _, active_language, using_language
from core.models import Participant
from core.vocabulary import Scale, TrialKind
from experiment import reasons, trial_drafts, trials
from experiment.answers import MAX_COMMENT_CHARS
from experiment.ui.manikins import SAM_SCALES, manikin_row_html
from experiment.ui.player import ListeningReport, blind_player, player_key
from experiment.ui.steps import StepPage, act, confidence_label, show_error

# Felt (not perceived) emotion, worded as such; names match experiment.quality.SCALE_NAMES so the
# attention-check instruction ("set pleasantness to 9") points at a label the participant sees.
# Message ids, translated where drawn.
SCALE_QUESTIONS: dict[str, tuple[str, str, str]] = {
    Scale.VALENCE: (
        N_("Pleasantness: how pleasant or unpleasant did you feel?"),
        N_("very unpleasant"),
        N_("very pleasant"),
    ),
    Scale.AROUSAL: (N_("Excitement: how calm or excited did you feel?"), N_("very calm"), N_("very excited")),
    Scale.MOVED: (
        N_("How moved you felt: how much did this music move you?"),
        N_("not moved at all"),
        N_("deeply moved"),
    ),
    Scale.LIKING: (N_("Liking: how much did you like it?"), N_("not at all"), N_("very much")),
}
CONFIDENCE_OPTIONS: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
FAMILIARITY_OPTIONS: tuple[str, ...] = (N_("No"), N_("Yes"))
SELECTED_COLOUR = "#1f3a60"
"""Fill of a chosen rating button: dark blue with white digits, unmistakable (Streamlit's own is a pale tint)."""
ANSWERS_KEY = "answers"
"""Key of the container holding a trial's questions (the rating buttons' style is scoped to it)."""
# Rating buttons share the questions' width equally (so the SAM figures above line up with their
# points, and a 9-point scale stays on one row on a 390 px phone); the chosen one is filled.
_SEGMENTS = f".st-key-{ANSWERS_KEY} button[data-variant='segmented_control']"
_SCALES_CSS = (
    "<style>"
    f".st-key-{ANSWERS_KEY} [role='radiogroup']:has(> button[data-variant='segmented_control'])"
    "{width:100%;display:flex}"
    f"{_SEGMENTS}{{flex:1 1 0;min-width:0;padding-left:0.2rem;padding-right:0.2rem}}"
    f"{_SEGMENTS}[aria-checked='true']"
    f"{{background:{SELECTED_COLOUR};border-color:{SELECTED_COLOUR};color:#fff;font-weight:700}}"
    f"{_SEGMENTS}[aria-checked='true'] p{{color:#fff;font-weight:700}}"
    ".ht-sam{position:relative;height:64px;width:100%}"
    ".ht-sam-figure{position:absolute;top:0;height:100%;transform:translateX(-50%)}"
    "</style>"
)


def trial_step(page: StepPage) -> bool:
    """The current unanswered trial of the practice or trials step, taken from the database.

    The submit sends ratings, guess and the player's listening report together; the questions and
    the submit button stay disabled until the browser reports the listening requirement met (or
    the server had accepted it before a refresh), and the server checks it again against its own
    clock (and records the moment it was met). The answer is stored by the button's callback (see
    :mod:`experiment.ui.steps`: a click is never lost to a player report), so this run already
    draws whatever trial is now first unanswered in the database.
    """
    session, participant = page.session, page.participant
    view = trials.current_trial(session, participant)
    if view is None:
        return True  # nothing left in this step: the stored step has moved on
    if not recorded(SHOWN, view.audio_nonce):
        # Its own scope: the moment a clip is first shown is kept even if this run is interrupted.
        with db.session_scope() as shown:
            trials.mark_shown(shown, participant, view.trial_index)
        remember(SHOWN, view.audio_nonce)

    if view.kind == TrialKind.PRACTICE:
        st.subheader(_("Practice clip"), anchor=False)
        st.caption(_("This one is for practice and is not scored."))
    else:
        st.progress(
            (view.position - 1) / max(view.n_total, 1),
            text=_("Clip {position} of {total}").format(position=view.position, total=view.n_total),
        )

    if view.label:  # labelled condition: the announcement comes before the clip plays
        st.info(view.label)
    report = blind_player(
        # The individualised copy (about 8 ms of CPU for a 20 s clip) is made only when this
        # browser session has no URL for the trial's player yet, not on every run.
        lambda: trials.audio_for(session, participant, view.audio_nonce),
        key=player_key(view.audio_nonce),
        required_s=view.required_listen_s,
        tolerance_s=0.0,  # the service's required_listen_s already includes the tolerance
        label=_("Music clip"),
        todo_text=_("Please listen to the whole clip before answering."),
        done_text=_("Thank you, you can answer now."),
        mime=view.audio_mime,
        heard=heard_when_drawn(view.audio_nonce, view.heard),
    )
    # Heard in this session, or accepted by the server before (a refresh): the answer then
    # carries the report the server accepted (experiment.trial_drafts).
    unlocked = report.requirement_met or view.heard or view.required_listen_s <= 0
    if report.requirement_met and not recorded(HEARD, view.audio_nonce):
        with db.session_scope() as heard:
            if trials.mark_listened(heard, participant, view.trial_index, listening_of(report)):
                remember(HEARD, view.audio_nonce)
    if view.instructions:
        st.warning(view.instructions)
    _rating_form(page, view, report, unlocked)
    return False


SHOWN, HEARD = "shown", "heard"
_RECORDED_KEY = "trial_marks"


def recorded(mark: str, audio_nonce: str) -> bool:
    """Whether this browser session has stored ``mark`` ("shown" or "heard") for the trial already.

    :func:`experiment.trials.mark_shown` and ``mark_listened`` are idempotent, but each call is a
    transaction of its own; a trial page is drawn several times, and after the first success
    there is nothing left to store (a refresh starts a new session, which asks once again).
    """
    return (mark, audio_nonce) in st.session_state.get(_RECORDED_KEY, ())


def remember(mark: str, audio_nonce: str) -> None:
    st.session_state.setdefault(_RECORDED_KEY, set()).add((mark, audio_nonce))


_HEARD_WHEN_DRAWN_KEY = "heard_when_drawn"


def heard_when_drawn(audio_nonce: str, heard: bool) -> bool:
    """Whether the server had accepted the clip's listening when this browser session first drew it.

    True after a refresh of a clip heard before: its player opens at once (``blind_player``'s
    ``heard``). Fixed for the session, as the player reads it only when it is created.
    """
    return bool(st.session_state.setdefault(_HEARD_WHEN_DRAWN_KEY, {}).setdefault(audio_nonce, heard))


def trials_step(page: StepPage) -> bool:
    """The rated trials: :func:`trial_step` plus a reminder of the resume link."""
    changed = trial_step(page)
    if not changed and page.resume_url:  # on a change the page reruns at once: nothing more to draw
        st.caption(
            _("Your answers are saved after every clip. To continue later, use: {url}").format(url=page.resume_url)
        )
    return changed


def _rating_form(page: StepPage, view: trials.TrialView, report: ListeningReport, unlocked: bool) -> None:
    """The ratings, the guess and the familiarity (:func:`_trial_questions`), then the typed answers and the submit.

    The clicked answers are not in a form: a form sends nothing before its submit, so a refresh
    lost every rating given (issue 24). Each change reruns only :func:`_trial_questions` and is
    kept on the server as it is given; a refresh shows it again (:func:`restore_answers`). The
    typed answers (reason, comment) stay in a form with the submit button: a text box outside a
    form sends its text when it loses the focus, and that rerun swallowed the click on "Save and
    continue" that took the focus away (the participant had to click twice); in the form the
    text travels with the click. They are not kept across a refresh. The button's callback
    :func:`_save_answer` sends everything with the listening report.
    """
    form_key = f"trial_{view.trial_index}"
    token = page.participant.resume_token
    st.html(_SCALES_CSS)
    show_error()
    restore_answers(page.session, page.participant, view.trial_index, form_key, _trial_fields(view))
    _trial_questions(view, form_key, token, not unlocked, active_language())
    with st.form(form_key, border=False):
        if view.ask_reason:
            reason_box(form_key, disabled=not unlocked)
        if view.ask_comment:
            st.text_area(
                _("Anything you would like to add? (optional)"),
                max_chars=MAX_COMMENT_CHARS,
                key=f"{form_key}_comment",
                disabled=not unlocked,
            )
        st.form_submit_button(
            _("Save and continue"),
            type="primary",
            disabled=not unlocked,
            on_click=_save_answer,
            args=(token, view.trial_index, tuple(view.scales), player_key(view.audio_nonce), report),
        )
    if not unlocked:
        st.caption(_("The questions unlock once you have listened to the clip."))


def _trial_fields(view: trials.TrialView) -> dict[str, Collection[object]]:
    """The trial's clicked questions by field name, with the values each may hold."""
    fields: dict[str, Collection[object]] = {scale: range(1, view.scale_points + 1) for scale in view.scales}
    if view.ask_source:
        fields["confidence"] = CONFIDENCE_OPTIONS
    if view.ask_familiarity:
        fields["familiar"] = FAMILIARITY_OPTIONS
    return fields


@st.fragment
def _trial_questions(view: trials.TrialView, form_key: str, token: str, disabled: bool, language: str) -> None:
    """The trial's questions; a change reruns only this fragment and is kept by :func:`keep_answers`.

    ``language``: the participant's; a rerun of this fragment alone starts outside the page's.
    """
    fields = tuple(_trial_fields(view))
    with using_language(language), st.container(key=ANSWERS_KEY):
        st.markdown("#### " + _("How did this music make YOU feel?"), anchors=False)
        st.caption(_("Not what the music expresses, but what you felt while listening."))
        for scale in view.scales:
            _rating_scale(
                scale,
                view.scale_points,
                f"{form_key}_{scale}",
                disabled=disabled,
                on_change=keep_answers,
                args=(token, view.trial_index, form_key, fields),
            )
        if view.ask_source:
            _source_question(form_key, disabled=disabled, args=(token, view.trial_index, form_key, fields))
        if view.ask_familiarity:
            st.radio(
                _("Did you know this piece before? (optional)"),
                FAMILIARITY_OPTIONS,
                index=None,
                format_func=_,
                horizontal=True,
                key=f"{form_key}_familiar",
                disabled=disabled,
                on_change=keep_answers,
                args=(token, view.trial_index, form_key, fields),
            )


def restore_answers(
    session: Session,
    participant: Participant,
    screen: int,
    form_key: str,
    fields: Mapping[str, Collection[object]],
) -> None:
    """In a new browser session (a refresh), show the answers kept for this screen so far.

    Only questions this session has not drawn yet are set (each widget's key is then absent), so
    the draft is read once per screen and session. A kept value a question cannot hold is left out.

    Parameters
    ----------
    screen : int
        The trial index of the screen's (first) clip.
    form_key : str
        Prefix of the questions' widget keys: ``{form_key}_{field}``.
    fields : mapping
        Field name -> the values its widget may hold.
    """
    missing = {field: allowed for field, allowed in fields.items() if f"{form_key}_{field}" not in st.session_state}
    if not missing:
        return
    kept = trial_drafts.answers_so_far(session, participant, screen)
    for field, allowed in missing.items():
        value = kept.get(field)
        # Only a value the question can hold (a draft is read back from JSON; True == 1 there).
        if value is not None and not isinstance(value, bool) and value in allowed:
            st.session_state[f"{form_key}_{field}"] = value


def keep_answers(token: str, screen: int, form_key: str, fields: tuple[str, ...]) -> None:
    """A question's ``on_change``: keep the screen's clicked answers as its draft (:mod:`experiment.trial_drafts`).

    All of ``fields`` as this session holds them (restored from the draft after a refresh), in
    one UPSERT without loading the participant: a trial page sends one such change per answer given.
    """
    answers = {field: st.session_state.get(f"{form_key}_{field}") for field in fields}
    with db.session_scope() as session:
        trial_drafts.keep_answers(session, token, screen, answers)


def listening_of(report: ListeningReport) -> trials.Listening:
    """What the server keeps of a player's report (:func:`experiment.trials.mark_listened`)."""
    return trials.Listening(
        listened_s=report.listened_s,
        plays=report.plays,
        pauses=report.pauses,
        seeks=report.seeks,
        first_play_ms=report.first_play_ms,
    )


def _rating_scale(
    scale: str,
    scale_points: int,
    key: str,
    *,
    disabled: bool,
    on_change: Callable[..., None] | None = None,
    args: tuple[object, ...] = (),
) -> None:
    """One rating scale: its question, the SAM figures (valence, arousal) and one button per point.

    A segmented control keeps all points on one row even on a 390 px phone screen (a horizontal
    radio wraps after 7); nothing is preselected, so no default biases the answer.
    """
    question, low, high = SCALE_QUESTIONS[scale]
    ends = f"1 = {_(low)}, {scale_points} = {_(high)}"
    # The question, then the figures, then the buttons (the widget's own label would sit above
    # the figures); every scale alike. The widget keeps a plain-text label for screen readers
    # (Markdown there was read out with its asterisks).
    st.markdown(f"{_(question)}  \n*{ends}*")
    if scale in SAM_SCALES:
        st.html(manikin_row_html(scale, scale_points))
    st.segmented_control(
        f"{_(question)} ({ends})",
        list(range(1, scale_points + 1)),
        key=key,
        disabled=disabled,
        label_visibility="collapsed",
        width="stretch",
        on_change=on_change,
        args=args,
    )


def reason_box(form_key: str, *, disabled: bool) -> None:
    """The optional "What made you think so?" after the guess (also under a pair's choice).

    A text area in the answer's form, so Enter starts a new line and never sends the answer, and
    its text travels with the submit (see :func:`_rating_form`); the browser stops typing at the
    limit and the server checks it again (:func:`experiment.reasons.reason_problem`).
    """
    st.text_area(
        _(reasons.PER_TRIAL_PROMPT),
        max_chars=reasons.MAX_REASON_CHARS,
        key=f"{form_key}_reason",
        disabled=disabled,
        height=80,
    )


def _source_question(form_key: str, *, disabled: bool, args: tuple[object, ...]) -> None:
    """Who made the clip, with confidence (blind condition only)."""
    st.markdown("#### " + _("Who do you think made this clip?"), anchors=False)
    # Vertical: six labels in one column read as a scale on a phone too (a horizontal
    # radio wraps them into uneven rows there).
    st.radio(
        _("Who made it: a person or an AI system?"),
        CONFIDENCE_OPTIONS,
        index=None,
        format_func=confidence_label,
        key=f"{form_key}_confidence",
        label_visibility="collapsed",
        disabled=disabled,
        on_change=keep_answers,
        args=args,
    )


def _save_answer(
    token: str, trial_index: int, scales: tuple[str, ...], player: str, drawn_report: ListeningReport
) -> None:
    """The submit button's callback: store the form's answer to trial ``trial_index``.

    The listening report is the player's latest state (it may have reported after the form was
    drawn), else the one the form was drawn with.
    """
    form_key = f"trial_{trial_index}"
    state = st.session_state.get(player)
    report = ListeningReport.from_state(state.get("report")) if isinstance(state, Mapping) else drawn_report
    if report.listened_s < drawn_report.listened_s:
        report = drawn_report
    familiar = st.session_state.get(f"{form_key}_familiar")
    answer = trials.Answer(
        confidence=st.session_state.get(f"{form_key}_confidence"),
        familiar=None if familiar is None else familiar == "Yes",
        comment=st.session_state.get(f"{form_key}_comment") or None,
        reason=st.session_state.get(f"{form_key}_reason") or None,
        plays=report.plays,
        pauses=report.pauses,
        seeks=report.seeks,
        listened_s=report.listened_s,
        time_to_first_play_ms=report.first_play_ms,
        **{scale: st.session_state.get(f"{form_key}_{scale}") for scale in scales},
    )
    result = act(token, lambda session, participant: trials.submit_answer(session, participant, trial_index, answer))
    if result is not None and result.status == "rejected":
        st.session_state["journey_error"] = result.message
