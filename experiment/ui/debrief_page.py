"""Streamlit drawing of the debrief: the reveal, the score, the comparison and the completion code.

Split from :mod:`experiment.ui.steps` (the other steps); the reveal of conditions without guesses
(rate-only, labelled) is :func:`experiment.ui.design_text.unscored_reveal`.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import _, ngettext
from core.models import utcnow
from core.plain_text import as_plain_markdown, markdown_without_images
from core.vocabulary import Source
from experiment import debrief, withdrawal
from experiment.progress import JourneyError
from experiment.ui import design_text, paired_text
from experiment.ui.steps import StepPage, confidence_label

WITHDRAWN_KEY = "withdrawn"
"""Session-state flag: this browser session's participant has just withdrawn (the journey says so)."""


def debrief_step(page: StepPage) -> bool:
    """The reveal, the score, the comparison with everyone so far and the completion code."""
    try:
        info = debrief.debrief(page.session, page.participant)
    except JourneyError as error:
        st.error(str(error))
        return False
    st.subheader(_("Thank you!"), anchor=False)
    st.markdown(markdown_without_images(info.text), anchors=False)  # organiser text: its headings get no link tab stop
    if info.scored:
        _scored_reveal(info)
    else:
        design_text.unscored_reveal(info)
    _completion(info)
    return _withdrawal(page)


def _paired_reveal(info: debrief.Debrief) -> None:
    """A paired study's score in pairs and the reveal of each pair: the choice and what each clip was."""
    score = ngettext("{k} of {n} pair", "{k} of {n} pairs", info.n_main).format(k=info.n_correct, n=info.n_main)
    st.metric(_("Your score: pairs where you found the AI clip"), score)
    st.markdown("#### " + _("Which clip of each pair was made by AI?"), anchors=False)
    st.table([_pair_row(pair) for pair in info.pairs], hide_index=True, border="horizontal")


def _pair_row(pair: debrief.PairReveal) -> dict[str, object]:
    made_by = []
    for truth, creator in zip(pair.truths, pair.creators, strict=True):
        text = _("AI") if truth == Source.AI else _("A person")
        made_by.append(text + (f" ({as_plain_markdown(creator)})" if creator else ""))
    return {
        _("Pair"): pair.number,
        _("Your choice for AI"): _(paired_text.CHOICE_LABELS[pair.choice]),
        _("First clip"): made_by[0],
        _("Second clip"): made_by[1],
        _("Right?"): "✓" if pair.correct else "✗",
    }


def _scored_reveal(info: debrief.Debrief) -> None:
    """The blind condition's score, comparison and reveal of each guess."""
    if info.pairs:
        _paired_reveal(info)
        return
    # The value stays short (a metric is cut off on a phone); the label says what it counts.
    if len(info.items) > info.n_main:  # some numbered clips were checks
        label = _("Your score: correct guesses among the scored clips")
    else:
        label = _("Your score: correct guesses")
    st.metric(label, _("{k} of {n}").format(k=info.n_correct, n=info.n_main))
    if info.percentile is not None:
        st.write(comparison_sentence(info))
    else:
        st.write(_("You are among the first to take part, so there is no one to compare with yet."))

    st.markdown("#### " + _("Which clips were made by AI?"), anchors=False)
    # A plain HTML table (not the canvas data grid): readable by screen readers and on phones.
    st.table([_reveal_row(item) for item in info.items], hide_index=True, border="horizontal")
    checks = _checks_note(info.items)
    if checks:
        st.caption(checks)


def comparison_sentence(info: debrief.Debrief) -> str:
    """How the score compares with everyone before, in counts (a percentage misread a tie with one person).

    "You did better than 50 % of the 1 person" was a tie counted half; counts say what happened.
    """
    n, lower, tied = info.n_compared, info.n_lower, info.n_tied
    higher = n - lower - tied
    if n == 1:
        if lower:
            return _("You scored higher than the one person who took part before you.")
        if tied:
            return _("You scored the same as the one person who took part before you.")
        return _("The one person who took part before you scored higher than you.")
    if tied == n:
        return _("You scored the same as all {n} people who took part before you.").format(n=n)
    return _(
        "Of the {n} people who took part before you, {lower} scored lower than you, {tied} the same and "
        "{higher} higher."
    ).format(n=n, lower=lower, tied=tied, higher=higher)


def _completion(info: debrief.Debrief) -> None:
    """The completion code and the finish button."""
    if info.completion_code:
        st.markdown("#### " + _("Your completion code"), anchors=False)
        st.code(info.completion_code, language=None)
    if info.completion_url:
        st.link_button(
            _("Finish and return to Prolific") if "prolific" in info.completion_url else _("Finish"),
            info.completion_url,
            type="primary",
        )


def _withdrawal(page: StepPage) -> bool:
    """Withdraw from the study (while the study allows it): erases everything, after a confirmation."""
    if page.participant.is_preview or not withdrawal.can_withdraw(page.session, page.participant, utcnow().date()):
        return False
    deadline = page.settings.withdrawal_deadline
    keep = page.settings.withdrawal_keeps_answers
    with st.expander(_("Withdraw from the study")):
        if keep:
            st.write(
                _(
                    "You can withdraw until {deadline}: everything that identifies you will be deleted; as the "
                    "consent said, your answers stay in the study without it."
                ).format(deadline=deadline)
                if deadline
                else _(
                    "You can withdraw at any time: everything that identifies you will be deleted; as the "
                    "consent said, your answers stay in the study without it."
                )
            )
        else:
            st.write(
                _("You can withdraw until {deadline}: all your answers will be deleted.").format(deadline=deadline)
                if deadline
                else _("You can withdraw at any time: all your answers will be deleted.")
            )
        sure = st.checkbox(
            _("Yes, I want to withdraw") if keep else _("Yes, delete all my answers"), key="withdraw_confirm"
        )
        label = _("Withdraw") if keep else _("Withdraw and delete my answers")
        if not st.button(label, disabled=not sure, key="withdraw_button"):
            return False
        try:
            withdrawal.withdraw(page.session, page.participant, utcnow())
        except JourneyError as error:
            st.error(str(error))
            return False
    st.session_state[WITHDRAWN_KEY] = withdrawal.WITHDRAWN_ANSWERS_KEPT if keep else withdrawal.WITHDRAWN
    st.query_params.clear()  # the resume link no longer leads anywhere
    return True


def _reveal_row(item: debrief.RevealItem) -> dict[str, object]:
    made_by = _("AI") if item.truth == Source.AI else _("A person")
    if item.creator:  # catalogue text: shown as typed, never as Markdown (an image would load from elsewhere)
        made_by += f" ({as_plain_markdown(item.creator)})"
    if item.confidence is not None:
        answer = confidence_label(item.confidence)
    else:  # a paired trial: the clip chosen as AI, or the other one
        answer = _("AI") if item.guess == Source.AI else _("A person")
    right = ("✓" if item.correct else "✗") if item.scored else _("not scored")
    return {
        _("Clip"): item.position,
        _("Your answer"): answer,
        _("Made by"): made_by,
        _("Right?"): right,
    }


def _checks_note(items: tuple[debrief.RevealItem, ...]) -> str:
    """Which numbered clips were checks rather than scored clips ('' when none)."""
    notes = []
    for item in items:
        if item.kind == "attention":
            notes.append(_("Clip {n} was the attention check.").format(n=item.position))
        elif item.kind == "repeat":
            notes.append(
                _("Clip {n} was clip {m} again, to see how consistent answers are.").format(
                    n=item.position, m=item.repeat_of
                )
            )
    if not notes:
        return ""
    return " ".join(notes) + " " + _("These checks are not part of your score.")
