"""Could some listeners, or some clips, be told apart better? Detection statistics per group.

A group is a level of a participant column (``training_years``, ``ai_exposure``) or of a clip
column (``genre``, ``vocals``, ``ai_system``). Main trials only
(:func:`results.statistics.detection.main_trials`), with the log-linear correction of
:mod:`results.statistics.detection`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from results.statistics.detection import REQUIRED_COLUMNS, main_trials, outcome_counts, sdt_columns
from results.statistics.intervals import one_sample_t, wilson_interval

MISSING_LEVEL = "(missing)"

BREAKDOWN_COLUMNS = (
    "level",
    "n_participants",
    "n_trials",
    "n_signal",
    "n_noise",
    "hits",
    "false_alarms",
    "raw_hit_rate",
    "raw_fa_rate",
    "hit_rate",
    "fa_rate",
    "d_prime",
    "criterion",
    "d_prime_basis",
    "accuracy",
    "accuracy_ci_low",
    "accuracy_ci_high",
    "mean_participant_d_prime",
    "mean_participant_d_prime_ci_low",
    "mean_participant_d_prime_ci_high",
    "n_participants_d_prime",
)


def breakdown(df: pd.DataFrame, by: str) -> pd.DataFrame:
    """Detection statistics per level of a participant or clip column.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.
    by : str
        A column such as ``training_years``, ``ai_exposure``, ``genre``, ``vocals`` or
        ``ai_system``. Missing values form their own level, :data:`MISSING_LEVEL`.

    Returns
    -------
    pandas.DataFrame
        One row per level (sorted), columns :data:`BREAKDOWN_COLUMNS`. ``hit_rate``,
        ``fa_rate``, ``d_prime`` and ``criterion`` come from the level's pooled counts
        (log-linear corrected). A level that holds only AI clips (an ``ai_system``, say) has no
        false alarms of its own; its d' then uses the false-alarm rate of all human trials
        and ``d_prime_basis`` says so ("hits in level vs all human trials"; otherwise
        "within level"). ``mean_participant_d_prime`` is the mean of participants' own d' in
        the level (on the same basis) with a t interval; ``accuracy`` has a Wilson interval.
    """
    trials = main_trials(df, REQUIRED_COLUMNS + (by,))
    level = trials[by].astype("object").where(trials[by].notna(), MISSING_LEVEL).astype(str)
    trials = trials.assign(level=level.to_numpy())
    counts = outcome_counts(trials, ["level"])
    participant_counts = outcome_counts(trials, ["level", "participant_id"])
    # Levels without human trials borrow the false alarms of all human trials (pooled and per participant).
    all_noise = outcome_counts(trials.assign(level="all"), ["participant_id"])
    borrow = (counts["n_trials"] - counts["n_signal"]) == 0
    pooled = _pooled_sdt(counts, borrow, all_noise)
    participant_d = _participant_d_prime(participant_counts, counts.loc[borrow, "level"], all_noise)
    rows = [
        _level_row(row, borrow[position], pooled.loc[position], participant_counts, participant_d)
        for position, row in counts.iterrows()
    ]
    return pd.DataFrame(rows, columns=list(BREAKDOWN_COLUMNS))


def _pooled_sdt(counts: pd.DataFrame, borrow: pd.Series, all_noise: pd.DataFrame) -> pd.DataFrame:
    """SDT columns of each level's pooled counts; ``borrow`` levels use all human trials as noise."""
    total_noise = int((all_noise["n_trials"] - all_noise["n_signal"]).sum())
    total_fa = int(all_noise["false_alarms"].sum())
    pooled = counts.copy()
    pooled.loc[borrow, "false_alarms"] = total_fa
    pooled.loc[borrow, "n_trials"] = pooled.loc[borrow, "n_signal"] + total_noise
    return sdt_columns(pooled)


def _participant_d_prime(
    participant_counts: pd.DataFrame, borrowing_levels: pd.Series, all_noise: pd.DataFrame
) -> pd.DataFrame:
    """``level, d_prime`` per participant and level; borrowing levels use the participant's own human trials."""
    participant_noise = all_noise.set_index("participant_id")
    borrow_rows = participant_counts["level"].isin(borrowing_levels).to_numpy()
    own = participant_counts.copy()
    noise_per_participant = participant_noise["n_trials"] - participant_noise["n_signal"]
    own_noise = noise_per_participant.reindex(own["participant_id"]).to_numpy()
    own_fa = participant_noise["false_alarms"].reindex(own["participant_id"]).to_numpy()
    own.loc[borrow_rows, "false_alarms"] = own_fa[borrow_rows]
    own.loc[borrow_rows, "n_trials"] = own.loc[borrow_rows, "n_signal"] + own_noise[borrow_rows]
    return sdt_columns(own)[["level", "d_prime"]]


def _level_row(
    row: pd.Series, borrowed: bool, pooled: pd.Series, participant_counts: pd.DataFrame, participant_d: pd.DataFrame
) -> dict:
    """One row of :func:`breakdown` (columns :data:`BREAKDOWN_COLUMNS`)."""
    summary = one_sample_t(participant_d.loc[participant_d["level"] == row["level"], "d_prime"])
    acc_low, acc_high = wilson_interval(row["correct"], row["n_trials"])
    return {
        "level": row["level"],
        "n_participants": int((participant_counts["level"] == row["level"]).sum()),
        "n_trials": int(row["n_trials"]),
        "n_signal": int(row["n_signal"]),
        "n_noise": int(row["n_trials"] - row["n_signal"]),
        "hits": int(row["hits"]),
        "false_alarms": int(row["false_alarms"]),
        "raw_hit_rate": pooled["raw_hit_rate"],
        "raw_fa_rate": np.nan if borrowed else pooled["raw_fa_rate"],
        "hit_rate": pooled["hit_rate"],
        "fa_rate": pooled["fa_rate"],
        "d_prime": pooled["d_prime"],
        "criterion": pooled["criterion"],
        "d_prime_basis": "hits in level vs all human trials" if borrowed else "within level",
        "accuracy": row["correct"] / row["n_trials"],
        "accuracy_ci_low": acc_low,
        "accuracy_ci_high": acc_high,
        "mean_participant_d_prime": summary.mean,
        "mean_participant_d_prime_ci_low": summary.ci_low,
        "mean_participant_d_prime_ci_high": summary.ci_high,
        "n_participants_d_prime": summary.n,
    }
