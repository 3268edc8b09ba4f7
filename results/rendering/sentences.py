"""The findings in words: sentences a researcher can read aloud, with the numbers and what they generalise over."""

from __future__ import annotations

from results.rendering.formatting import format_number, format_p, format_percent
from results.statistics.equivalence import DETECTION, EQUIVALENT, INCONCLUSIVE, REVERSED, Decision, Margins
from results.statistics.headline import HeadlineDetection
from results.statistics.pairing_effect import PairingEffect
from results.statistics.zroc import ZROC

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


def margin_words(margins: Margins) -> str:
    """E.g. "±0.3 d′ (≈ ±5.1 accuracy points, AUC 0.5 ± 0.064 at this study's spread)"."""
    return f"±{margins.d_prime:g} d′ (≈ ±{100 * margins.accuracy:.1f} accuracy points, AUC 0.5 ± {margins.auc:.3f})"


_VERDICT_HEADS = {
    DETECTION: "Detection",
    REVERSED: "Reversed detection (a systematic reversal: human clips judged AI more often than AI clips)",
    EQUIVALENT: "Equivalent to chance within the preregistered margin {margin}",
    INCONCLUSIVE: "Inconclusive: no detection, and not shown equivalent to chance within {margin}",
}


def decision_sentence(decision: Decision) -> str:
    """The verdict in words: the detection test first, then the equivalence test against the margin.

    E.g. "Inconclusive: no detection, and not shown equivalent to chance within ±0.3 d′ (≈ ±5.1 accuracy
    points, AUC 0.5 ± 0.064): d′ = 0.05 [-0.31, 0.42], detection test p = 0.77; equivalence (TOST)
    p = 0.13, 90% interval [-0.25, 0.36]."
    """
    head = _VERDICT_HEADS[decision.verdict].format(margin=margin_words(decision.margins))
    fmt = format_percent if decision.detection_test == "accuracy" else format_number
    if decision.detection_test:
        detection = (
            f"{decision.detection_test} = {fmt(decision.detection_estimate)} "
            f"[{fmt(decision.detection_ci_low)}, {fmt(decision.detection_ci_high)}], "
            f"detection test p {format_p_equals(decision.detection_p)}"
        )
    else:
        detection = "no detection test possible"
    tost = decision.d_prime
    if tost is None or tost.p_value != tost.p_value:  # NaN: no interval to invert
        equivalence = "no equivalence test without the d′ model"
    else:
        equivalence = (
            f"equivalence (TOST) p {format_p_equals(tost.p_value)}, 90% interval "
            f"[{format_number(tost.ci90_low)}, {format_number(tost.ci90_high)}]"
        )
    return f"{head}: {detection}; {equivalence}."


def zroc_sentence(fit: ZROC | None) -> str:
    """The equal-variance check in words: the zROC slope with its interval and, when it is not 1, d_a."""
    if fit is None:
        return "zROC: no confidence ratings from both sources to fit."
    slope = (
        f"zROC slope {format_number(fit.slope)} [{format_number(fit.slope_ci_low)}, {format_number(fit.slope_ci_high)}]"
        f" (1 = equal variance; p = {format_number(fit.slope_p_value, 3)} against 1, {OVER_PARTICIPANTS_AND_CLIPS})"
    )
    d_a = f"d_a {format_number(fit.d_a)} [{format_number(fit.d_a_ci_low)}, {format_number(fit.d_a_ci_high)}]"
    if fit.unequal:
        return (
            f"{slope}: the AI and human clips' evidence differ in spread, so d′ depends on the criterion; the "
            f"unequal-variance sensitivity is {d_a} (pooled ROC scale)."
        )
    return f"{slope}: consistent with equal-variance SDT; the unequal-variance {d_a} (pooled ROC scale) agrees."


def pairing_sentence(effect: PairingEffect) -> str:
    """Similar versus random pairs in one sentence: which were easier to tell, by how much, how sure, over what.

    E.g. "Listeners told AI from human clips better in similar pairs: d′ difference (similar − random)
    0.62 [0.11, 1.15], p = 0.019, generalising over participants and clips."
    """
    if effect.not_estimable:
        return f"The difference between similar and random pairs could not be estimated: {effect.not_estimable}."
    numbers = (
        f"d′ difference (similar − random) {format_number(effect.difference)} "
        f"[{format_number(effect.ci_low)}, {format_number(effect.ci_high)}], p {format_p_equals(effect.p_value)}, "
        f"{OVER_PARTICIPANTS_AND_CLIPS}"
    )
    if effect.p_value < 0.05:
        easier = "similar" if effect.difference > 0 else "random"
        return f"Listeners told AI from human clips better in {easier} pairs: {numbers}."
    return f"No difference between similar and random pairs was shown: {numbers}."
