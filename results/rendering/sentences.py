"""The findings in words: sentences a researcher can read aloud, with the numbers and what they generalise over."""

from __future__ import annotations

from results.rendering.formatting import format_number, format_p
from results.statistics.headline import HeadlineDetection

OVER_PARTICIPANTS_AND_CLIPS = "generalising over participants and clips"
"""What the headline's intervals and tests generalise over, in the words every view uses."""


def format_p_equals(value) -> str:
    """``"= 0.007"`` or ``"< .001"``: a p-value to follow the letter p."""
    text = format_p(value)
    return text if text.startswith("<") else f"= {text}"


def headline_sentence(top: HeadlineDetection) -> str:
    """The detection answer in one plain sentence with d', its profile interval, p and what it generalises over.

    Parameters
    ----------
    top : HeadlineDetection

    Returns
    -------
    str
        E.g. "Listeners told AI from human clips better than chance: d′ = 1.05 [0.41, 1.79], p = 0.007,
        generalising over participants and clips (60 participants, 20 clips, 720 main trials)."
    """
    if top.n_trials == 0:
        return "No answered main trials under these filters: nothing to say yet about whether listeners could tell."
    if top.model is None:
        return f"The detection model could not be fitted, so there is no headline d′: {top.model_error}"
    d = top.model.d_prime
    numbers = (
        f"d′ = {format_number(d.estimate)} [{format_number(d.ci_low)}, {format_number(d.ci_high)}], "
        f"p {format_p_equals(d.p_value)}, "
        f"{OVER_PARTICIPANTS_AND_CLIPS} ({top.n_participants} participants, {top.n_clips} clips, "
        f"{top.n_trials} main trials)."
    )
    if not d.p_value < 0.05:
        return f"Listeners did not tell AI from human clips better than chance: {numbers}"
    if d.estimate > 0:
        return f"Listeners told AI from human clips better than chance: {numbers}"
    return f"Listeners judged human clips to be AI more often than AI clips (a systematic reversal): {numbers}"
