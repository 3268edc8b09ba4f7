"""Do musical training, AI exposure or attitude to AI music go with better detection? Moderators in the GLMM.

Musical training is the Gold-MSI Musical Training subscale score (7 items, 7..49; Mullensiefen et al.
2014). Each moderator is a participant answer turned into a number (the training score and 1-7
ratings as they are, ordered answer words as their rank), standardised over the participants, and
entered in the detection GLMM of :func:`results.statistics.models.detection_mixed_model`:

``guessed_ai ~ is_ai * (training + exposure + attitude) + (1 + is_ai || participant) + (1 | clip)``

The ``moderator:is_ai`` coefficient is the change in d' per standard deviation of the moderator (the
others held fixed); minus the moderator's own coefficient is the change in the criterion c. Wald 95 %
intervals and tests on t(clips - 2) (participant-level terms spend no clip degrees of freedom).
Participants without an answer to every moderator are left out, and the table says how many remain.
The moderator tests are one family (up to three moderators x d' and c): ``p_holm`` is Holm's adjustment
over all of them, the p-value to read when any one of them is picked out (issue 22).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from results.mixed.inference import fit_with_fallback
from results.mixed.terms import ModelFitError
from results.statistics.breakdown_model import natural_order
from results.statistics.detection import REQUIRED_COLUMNS, main_trials
from results.statistics.intervals import holm
from results.statistics.models import clip_df, detection_design

MODERATORS = {
    "training_score": "Musical training (Gold-MSI, 7-49)",
    "ai_exposure": "AI music heard before",
    "ai_attitude": "Attitude to AI music",
}
MODERATOR_COLUMNS = (
    "moderator",
    "label",
    "sd",
    "effect_on",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
)


@dataclass(frozen=True)
class ModeratorModel:
    """Moderator effects on d' and c (:func:`moderator_model`).

    Attributes
    ----------
    table : pandas.DataFrame
        Two rows per moderator (``effect_on`` "d_prime" then "criterion"), columns :data:`MODERATOR_COLUMNS`;
        ``sd`` is the moderator's SD over participants in its own units.
    n_participants, n_trials : int
        What the fit rests on (participants with every moderator answered).
    fit_status, method : str
    family : str
        The multiplicity family ``p_holm`` adjusts over, in words.
    """

    table: pd.DataFrame
    n_participants: int
    n_trials: int
    fit_status: str
    method: str
    family: str


def _as_number(values: pd.Series, column: str) -> pd.Series:
    """Answers as numbers: a band "3-5" as its middle, "10+" as 10, ordered words as their rank."""
    text = values.astype("object").where(values.notna(), None)
    order = {level: rank for rank, level in enumerate(natural_order(text.dropna().astype(str), column))}

    def convert(value):
        if value is None:
            return np.nan
        numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", str(value))]
        if numbers:
            return float(np.mean(numbers[:2]))
        return float(order.get(str(value), np.nan))

    return text.map(convert).astype(float)


def moderator_model(df: pd.DataFrame) -> ModeratorModel:
    """Effects of the moderators present in ``df`` on d' and c (module docstring).

    Raises
    ------
    ModelFitError
        Without any moderator column, or when the model cannot be fitted.
    """
    present = [c for c in MODERATORS if c in df.columns and df[c].notna().any()]
    if not present:
        raise ModelFitError("no moderator (training, AI exposure, AI attitude) was answered")
    trials = main_trials(df, REQUIRED_COLUMNS + tuple(present))
    numbers = {c: _as_number(trials[c], c) for c in present}
    per_participant = pd.DataFrame(numbers).groupby(trials["participant_id"].to_numpy()).first()
    keep = [c for c in present if per_participant[c].std() > 0]
    if not keep:
        raise ModelFitError("the moderators do not vary between participants")
    complete = pd.DataFrame(numbers)[keep].notna().all(axis=1).to_numpy()
    trials = trials[complete]
    scales = per_participant[keep].std()
    for column in keep:
        trials[column] = ((numbers[column][complete] - per_participant[column].mean()) / scales[column]).to_numpy()
    y, X, names, structures = detection_design(trials, covariates=keep)
    structure = fit_with_fallback(y, X, names, structures)
    df_clips = clip_df(trials)
    rows = []
    for column in keep:
        for effect_on, term, sign in (("d_prime", f"{column}:is_ai", 1.0), ("criterion", column, -1.0)):
            j = names.index(term)
            estimate, se = sign * structure.fit.fixed[j], structure.fit.fixed_se[j]
            half = stats.t.ppf(0.975, df_clips) * se
            rows.append(
                {
                    "moderator": column,
                    "label": MODERATORS[column],
                    "sd": float(scales[column]),
                    "effect_on": effect_on,
                    "estimate": float(estimate),
                    "se": float(se),
                    "ci_low": float(estimate - half),
                    "ci_high": float(estimate + half),
                    "p_value": float(2 * stats.t.sf(abs(estimate) / se, df_clips)),
                }
            )
    table = pd.DataFrame(rows, columns=[c for c in MODERATOR_COLUMNS if c != "p_holm"])
    table["p_holm"] = holm(table["p_value"])[1]
    return ModeratorModel(
        table=table,
        n_participants=int(trials["participant_id"].nunique()),
        n_trials=len(trials),
        fit_status=structure.status,
        method=(
            f"Moderators: probit GLMM guessed_ai ~ is_ai * ({' + '.join(keep)}) + {structure.label}, each "
            "moderator standardised over participants; effects per SD on d' (moderator:is_ai) and on c (minus "
            f"the moderator's coefficient), Wald 95% intervals and tests on t({df_clips:.0f})."
        ),
        family=(
            f"Holm over the {len(table)} moderator tests ({len(keep)} moderator{'s' if len(keep) > 1 else ''} "
            "x effect on d' and on c)"
        ),
    )
