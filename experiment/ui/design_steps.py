"""Streamlit drawing of the questions after the clips (AI exposure and attitude, rate-only's source question).

The design-specific texts of shared pages (instructions, debrief) are in :mod:`experiment.ui.design_text`.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import _
from experiment import questionnaire, reasons
from experiment.questionnaire import Question
from experiment.ui.steps import StepPage, act, show_error

_PREFIX = "after_"


def _question_widget(question: Question) -> None:
    """One questionnaire item: options as a vertical radio, a scale as a horizontal one, nothing preselected."""
    key = f"{_PREFIX}{question.key}"
    if question.kind == "choice":
        st.radio(_(question.prompt), question.options, index=None, format_func=_, key=key)
        return
    ends = f"{question.low} = {_(question.low_label)}, {question.high} = {_(question.high_label)}"
    st.radio(  # a plain label: screen readers read Markdown asterisks aloud
        f"{_(question.prompt)} ({ends})",
        list(range(question.low, question.high + 1)),
        index=None,
        horizontal=True,
        key=key,
    )


def after_trials_step(page: StepPage) -> bool:
    """The questions after the last clip; with none to ask, the participant moves straight on."""
    questions = questionnaire.after_trials_questions(page.session, page.participant)
    ask_reason = questionnaire.asks_reason_after_trials(page.session, page.participant)
    if not questions and not ask_reason:
        questionnaire.save_after_trials(page.session, page.participant, {})
        return True
    st.subheader(_("A few last questions"), anchor=False)
    st.write(_("All the clips are done. Just a few more questions; there are no right or wrong answers."))
    show_error()
    with st.form("after_trials", border=False):
        for question in questions:
            _question_widget(question)
        if ask_reason:
            # A text area: Enter starts a new line there and never sends the form.
            st.text_area(_(reasons.AT_END_PROMPT), max_chars=reasons.MAX_REASON_CHARS, key=_REASON_KEY)
        st.form_submit_button(
            _("Continue"),
            type="primary",
            on_click=_save_after_trials,
            args=(page.participant.resume_token, tuple(q.key for q in questions)),
        )
    return False


_REASON_KEY = f"{_PREFIX}reason"


def _save_after_trials(token: str, keys: tuple[str, ...]) -> None:
    answers = {key: st.session_state.get(f"{_PREFIX}{key}") for key in keys}
    reason = st.session_state.get(_REASON_KEY)
    act(token, lambda session, participant: questionnaire.save_after_trials(session, participant, answers, reason))
