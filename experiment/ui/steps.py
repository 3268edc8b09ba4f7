"""Streamlit drawing of each step of the participant's journey (oTree style: one function per page).

Every function draws one step for a participant loaded from the database and returns ``True`` when
it changed the participant's stored progress, so the caller reruns the script *after* closing the
database session (``st.rerun`` inside ``session_scope`` would roll the session back). The logic -
validation, storage, assignment, scoring - lives in the step services (:mod:`experiment.questionnaire`,
:mod:`experiment.audio_check`, :mod:`experiment.trials`, :mod:`experiment.debrief`); nothing here
writes SQL.

Blinding: widget keys are built from the step name and the trial's position or its random
``audio_nonce``, never from a clip id, and the trial page shows nothing about the clip.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session

from core.models import Participant
from experiment import audio_check, debrief, journey, quality, questionnaire, screening, trials
from experiment.ui.player import blind_player, player_key
from experiment.settings import StudySettings

# Felt (not perceived) emotion, worded as such; names match experiment.quality.SCALE_NAMES so the
# attention-check instruction ("set pleasantness to 9") points at a label the participant sees.
SCALE_QUESTIONS: dict[str, tuple[str, str, str]] = {
    "valence": ("Pleasantness: how pleasant or unpleasant did you feel?", "very unpleasant", "very pleasant"),
    "arousal": ("Excitement: how calm or excited did you feel?", "very calm", "very excited"),
    "moved": ("How moved you felt: how much did this music move you?", "not moved at all", "deeply moved"),
    "liking": ("Liking: how much did you like it?", "not at all", "very much"),
}
CONFIDENCE_OPTIONS: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
# Narrower scale buttons so a 9-point scale stays on one row on a 390 px phone (default: 41 px each).
_COMPACT_SCALES_CSS = (
    "<style>[data-testid='stForm'] button[data-variant='segmented_control']"
    "{padding-left:0.7rem;padding-right:0.7rem}</style>"
)
SCREENING_SOUND_S = 3 * screening.INTERVAL_S + 2 * screening.GAP_S
"""Length of one headphone-check sound (three noises and two gaps), seconds."""


def confidence_label(value: int) -> str:
    """The label of a 1..6 guess: "Sure human" ... "Sure AI"."""
    text = quality.CONFIDENCE_LABELS[value]
    return text[0].upper() + text[1:]


# ----------------------------------------------------------------------------------------------
# Messages


def show_message(message: str, *, kind: str = "info") -> None:
    """A participant-facing sentence in a coloured box (``kind``: info, warning, error, success)."""
    getattr(st, kind)(message)


# ----------------------------------------------------------------------------------------------
# Consent


def consent_form(settings: StudySettings, *, key: str = "consent") -> str | None:
    """The information sheet and the consent question.

    Returns
    -------
    {"agree", "decline"} or None
        What the participant chose in this run, None until they choose.
    """
    st.subheader("Information about this study")
    st.markdown(settings.information_text)
    st.subheader("Consent")
    st.markdown(settings.consent_text)
    with st.container(horizontal=True):
        agree = st.button("I agree, start the study", type="primary", key=f"{key}_agree")
        decline = st.button("I do not agree", key=f"{key}_decline")
    if agree:
        return "agree"
    if decline:
        return "decline"
    return None


def declined_message() -> None:
    st.success(
        "Thank you for considering this study. You chose not to take part, so nothing about you "
        "has been stored. You can close this page now."
    )


# ----------------------------------------------------------------------------------------------
# Questionnaire


def questionnaire_step(session: Session, participant: Participant) -> bool:
    """The "About you" questionnaire in one form; stores the answers and advances."""
    st.subheader("About you")
    st.write("A few short questions before we start. There are no right or wrong answers.")
    answers: dict[str, object] = {}
    with st.form("questionnaire", border=False):
        for question in questionnaire.QUESTIONNAIRE:
            if question.kind == "choice":
                answers[question.key] = st.radio(
                    question.prompt, question.options, index=None, key=f"q_{question.key}"
                )
            else:
                points = list(range(question.low, question.high + 1))
                answers[question.key] = st.radio(
                    f"{question.prompt}  \n*{question.low} = {question.low_label}, "
                    f"{question.high} = {question.high_label}*",
                    points, index=None, horizontal=True, key=f"q_{question.key}",
                )
        submitted = st.form_submit_button("Continue", type="primary")
    if not submitted:
        return False
    try:
        questionnaire.save_questionnaire(session, participant, answers)
    except journey.JourneyError as error:
        st.error(str(error))
        return False
    return True


# ----------------------------------------------------------------------------------------------
# Audio check


def audio_check_step(session: Session, participant: Participant, settings: StudySettings) -> bool:
    """Calibration (set the volume) then the three-interval headphone screening, one sound at a time.

    Answers are kept in the browser session until the last sound; a refresh restarts the check,
    which stores nothing until it is complete.
    """
    st.subheader("Audio check")
    if not st.session_state.get("calibrated"):
        st.write(
            "Please put on your headphones. Play this sound and set your volume so that it is "
            "comfortable but clearly audible. Keep that volume for the rest of the study."
        )
        blind_player(audio_check.calibration_wav(), key="calibration", label="Calibration noise", mime="audio/wav")
        if st.button("My volume is set, continue", type="primary", key="calibration_done"):
            st.session_state["calibrated"] = True
            return True
        return False

    screening_sounds = audio_check.screening_trials(session, participant)
    answers: list[int] = st.session_state.setdefault("screening_answers", [])
    if len(answers) >= len(screening_sounds):
        answers.clear()  # a stale list from an earlier attempt in this browser session
    current = screening_sounds[len(answers)]
    st.write(
        "Each sound has three noises. In one of them you will hear a faint tone inside the noise. "
        "Listen to the whole sound, then choose the noise (1, 2 or 3) that held the tone. "
        "This works only with headphones."
    )
    st.progress(len(answers) / len(screening_sounds), text=f"Sound {current.number} of {len(screening_sounds)}")
    report = blind_player(
        current.wav,
        key=f"screening_{current.number}",
        required_s=SCREENING_SOUND_S - 0.5,
        label=f"Headphone check sound {current.number}",
        todo_text="Please listen to the whole sound, then choose 1, 2 or 3.",
        done_text="Which noise held the tone?",
        mime="audio/wav",
    )
    chosen = None
    with st.container(horizontal=True):
        for interval in range(1, current.n_intervals + 1):
            if st.button(str(interval), key=f"screening_{current.number}_{interval}",
                         disabled=not report.requirement_met):
                chosen = interval
    if chosen is None:
        return False
    answers.append(chosen)
    if len(answers) < len(screening_sounds):
        return True
    try:
        outcome = audio_check.save_screening(session, participant, answers)
    except journey.JourneyError as error:
        answers.clear()
        st.error(str(error))
        return False
    st.session_state.pop("screening_answers", None)
    st.session_state["screening_message"] = outcome.message
    return True


def screened_out_step(settings: StudySettings) -> None:
    """The polite end for a participant who failed a required headphone screening."""
    message = (
        "Thank you for trying. This study needs headphones, and the audio check suggests they are "
        "not in use, so we cannot continue. No further answers are needed."
    )
    if settings.prolific_enabled:
        message += " Please return your submission on Prolific."
    st.info(message)


# ----------------------------------------------------------------------------------------------
# Instructions


def instructions_step(session: Session, participant: Participant, settings: StudySettings,
                      resume_url: str | None) -> bool:
    """How a trial works; the button assigns the trial list and moves on."""
    message = st.session_state.pop("screening_message", None)
    if message:
        st.success(message)
    st.subheader("Instructions")
    n = settings.n_trials
    extra = " plus one short practice clip" if settings.practice_trial else ""
    st.markdown(
        f"You will hear **{n} short music clips**{extra}. For each clip:\n\n"
        "1. Play it and listen"
        + (" to the whole clip" if settings.listening_requirement >= 1.0 else "")
        + ". The questions unlock once you have listened.\n"
        "2. Say how the music made **you** feel - not what it expresses, but what you felt.\n"
        "3. Say whether you think a **person** or an **AI system** made it, and how sure you are.\n\n"
        "Some clips were made by people and some by AI. At the end you will see which were which."
    )
    if resume_url:
        st.caption(f"Your progress is saved after every clip. To continue later, keep this link: {resume_url}")
    if st.button("Start", type="primary", key="instructions_done"):
        try:
            trials.acknowledge_instructions(session, participant)
        except journey.JourneyError as error:
            st.error(str(error))
            return False
        return True
    return False


# ----------------------------------------------------------------------------------------------
# Trials


def trial_step(session: Session, participant: Participant) -> bool:
    """The current unanswered trial (practice or main), taken from the database on every run.

    One form sends ratings, guess and the player's listening report together; the submit button
    stays disabled until the browser reports the listening requirement met, and the server checks
    it again. After a recorded (or duplicate) answer the caller reruns, and the page shows whatever
    trial is now first unanswered in the database - never "index + 1" from the browser session.
    """
    view = trials.current_trial(session, participant)
    if view is None:
        return True  # nothing left in this step: the stored step has moved on
    trials.mark_shown(session, participant, view.trial_index)
    audio = trials.audio_for(session, participant, view.audio_nonce)

    if view.kind == "practice":
        st.subheader("Practice clip")
        st.caption("This one is for practice and is not scored.")
    else:
        st.progress((view.position - 1) / max(view.n_total, 1), text=f"Clip {view.position} of {view.n_total}")

    report = blind_player(
        audio,
        key=player_key(view.audio_nonce),
        required_s=view.required_listen_s,
        tolerance_s=0.0,  # the service's required_listen_s already includes the tolerance
        label="Music clip",
        mime=view.audio_mime,
    )
    unlocked = report.requirement_met or view.required_listen_s <= 0

    if view.instructions:
        st.warning(view.instructions)

    form_key = f"trial_{view.trial_index}"
    st.html(_COMPACT_SCALES_CSS)
    with st.form(form_key, border=False):
        st.markdown("#### How did this music make YOU feel?")
        st.caption("Not what the music expresses, but what you felt while listening.")
        ratings: dict[str, int | None] = {}
        for scale in view.scales:
            question, low, high = SCALE_QUESTIONS[scale]
            # A segmented control keeps all 9 points on one row even on a 390 px phone screen
            # (a horizontal radio wraps after 7); nothing is preselected, so no default biases.
            ratings[scale] = st.segmented_control(
                f"{question}  \n*1 = {low}, {view.scale_points} = {high}*",
                list(range(1, view.scale_points + 1)), key=f"{form_key}_{scale}",
            )
        st.markdown("#### Who do you think made this clip?")
        # Vertical: six labels in one column read as a scale on a phone too (a horizontal
        # radio wraps them into uneven rows there).
        confidence = st.radio(
            "Who made it: a person or an AI system?",
            CONFIDENCE_OPTIONS, index=None, format_func=confidence_label,
            key=f"{form_key}_confidence", label_visibility="collapsed",
        )
        familiar = None
        if view.ask_familiarity:
            familiar = st.radio("Did you know this piece before? (optional)", ("No", "Yes"), index=None,
                                horizontal=True, key=f"{form_key}_familiar")
        comment = None
        if view.ask_comment:
            comment = st.text_area("Anything you would like to add? (optional)", max_chars=2000,
                                   key=f"{form_key}_comment")
        submitted = st.form_submit_button("Save and continue", type="primary", disabled=not unlocked)
    if not unlocked:
        st.caption("The questions can be sent once you have listened to the clip.")
    if not submitted:
        return False

    answer = trials.Answer(
        confidence=confidence,
        familiar=None if familiar is None else familiar == "Yes",
        comment=comment or None,
        plays=report.plays,
        pauses=report.pauses,
        seeks=report.seeks,
        listened_s=report.listened_s,
        time_to_first_play_ms=report.first_play_ms,
        **{scale: ratings.get(scale) for scale in view.scales},
    )
    result = trials.submit_answer(session, participant, view.trial_index, answer)
    if result.status == "rejected":
        st.error(result.message)
        return False
    return True


# ----------------------------------------------------------------------------------------------
# Debrief


def debrief_step(session: Session, participant: Participant) -> None:
    """The reveal, the score, the comparison with everyone so far and the completion code."""
    info = debrief.debrief(session, participant)
    st.subheader("Thank you!")
    st.markdown(info.text)

    st.metric("Your score", f"{info.n_correct} of {info.n_main} correct")
    if info.percentile is not None:
        st.write(
            f"You did better than {info.percentile:.0f}% of the {info.n_compared} "
            f"{'person' if info.n_compared == 1 else 'people'} who took part before you."
        )
    else:
        st.write("You are among the first to take part, so there is no one to compare with yet.")

    st.markdown("#### Which clips were made by AI?")
    rows = []
    for item in info.items:
        made_by = "AI" if item.truth == "ai" else "A person"
        if item.creator:
            made_by += f" ({item.creator})"
        rows.append({
            "Clip": item.position,
            "Your answer": confidence_label(item.confidence),
            "Made by": made_by,
            "Right?": "✓" if item.correct else "✗",
        })
    # A plain HTML table (not the canvas data grid): readable by screen readers and on phones.
    st.table(rows, hide_index=True, border="horizontal")

    if info.completion_code:
        st.markdown("#### Your completion code")
        st.code(info.completion_code, language=None)
    if info.completion_url:
        st.link_button("Finish and return to Prolific" if "prolific" in info.completion_url else "Finish",
                       info.completion_url, type="primary")
