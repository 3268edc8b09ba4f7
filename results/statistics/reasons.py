"""What listeners say made them think so (issue 26): the reasons, coded by the organiser's cue words.

No Streamlit. Three steps, each a frame that composes:

* :func:`reasons_given` - one row per reason: a single clip's guess, a pair's choice (its reason is
  stored on both clips of the pair: counted once), or the one reason a participant gave after the last
  clip (that participant's guesses together).
* :func:`code_reasons` - the tidy export: one row per reason x cue code, ``mentioned`` true when the
  reason holds a word of the cue (:mod:`experiment.reason_cues`: word beginnings, ``*`` inside words).
* :func:`cue_summary` - per cue: how many reasons and participants mention it, and the share of correct
  guesses among the guesses whose reason mentions it, beside the share among those whose reason does
  not. The interval takes participants as the unit (a cluster-robust interval over the participants who
  mention the cue), so it generalises over listeners who would name that cue, for these clips and this
  coding; it says nothing about other clips. It is descriptive: no test is made (the cues are many and chosen
  after the fact), so there is no p-value to correct.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from core.vocabulary import Source
from experiment.reason_cues import DEFAULT_REASON_CUES, cue_pattern, parse_cues
from results.data.dataset import Dataset

REASON_COLUMNS: tuple[str, ...] = (
    "reason_id",
    "participant_id",
    "asked",
    "trial_index",
    "pair_trial",
    "clip_id",
    "guess",
    "truth",
    "correct",
    "n_guesses",
    "n_correct",
    "reason",
)
CODED_COLUMNS: tuple[str, ...] = (*REASON_COLUMNS, "cue", "cue_terms", "mentioned", "matched")


def reasons_given(trials: pd.DataFrame, participants: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per reason given (:data:`REASON_COLUMNS`), in participant order.

    Parameters
    ----------
    trials : the tidy trial table (main trials and others; only answered main trials with a guess count).
    participants : the participants table; its ``reason_at_end`` (asked once after the last clip) is
        set against that participant's guesses: ``n_guesses`` and ``n_correct`` of them, ``correct``
        missing (the reason is about all of them).

    ``asked`` is "guess" (a single clip), "pair" (a pair's choice: ``guess`` the position chosen as AI,
    ``truth`` the AI clip's position) or "at_end".
    """
    frames = [_trial_reasons(trials), _end_reasons(trials, participants)]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(REASON_COLUMNS))
    out = pd.concat(frames, ignore_index=True).sort_values(["participant_id", "trial_index"], kind="stable")
    out["reason_id"] = np.arange(1, len(out) + 1)
    return out[list(REASON_COLUMNS)].reset_index(drop=True)


def _main_guesses(trials: pd.DataFrame) -> pd.DataFrame:
    """Main trials with a guess (single clips) or a pair choice, with ``correct`` for both."""
    if trials.empty or "kind" not in trials.columns:
        return trials.iloc[0:0]
    main = trials[trials["kind"].eq("main")].copy()
    paired = main["pair_trial"].notna() if "pair_trial" in main.columns else pd.Series(False, index=main.index)
    main["is_pair"] = paired
    if "pair_correct" in main.columns:
        main["correct"] = main["correct"].where(~paired, main["pair_correct"])
    return main[main["correct"].notna()]


def _trial_reasons(trials: pd.DataFrame) -> pd.DataFrame:
    main = _main_guesses(trials)
    if main.empty or "reason" not in main.columns:
        return pd.DataFrame()
    given = main[main["reason"].notna() & main["reason"].astype("string").str.strip().ne("")]
    # A pair's reason is on both of its rows: keep the first row of each pair.
    single = given[~given["is_pair"]]
    pairs = given[given["is_pair"]].sort_values("trial_index").drop_duplicates(["participant_id", "pair_trial"])
    rows = []
    for row in single.itertuples():
        rows.append(_row(row, "guess", row.clip_id, row.guess, row.source))
    for row in pairs.itertuples():
        ai_position = row.pair_position if row.source == Source.AI else 3 - row.pair_position
        rows.append(_row(row, "pair", pd.NA, f"position {int(row.pair_choice)}", f"AI at position {ai_position}"))
    return pd.DataFrame(rows)


def _row(row, asked: str, clip_id, guess: str, truth: str) -> dict:
    correct = bool(row.correct)
    return {
        "participant_id": int(row.participant_id),
        "asked": asked,
        "trial_index": int(row.trial_index),
        "pair_trial": row.pair_trial if asked == "pair" else pd.NA,
        "clip_id": clip_id,
        "guess": str(guess),
        "truth": str(truth),
        "correct": correct,
        "n_guesses": 1,
        "n_correct": int(correct),
        "reason": str(row.reason).strip(),
    }


def _end_reasons(trials: pd.DataFrame, participants: pd.DataFrame | None) -> pd.DataFrame:
    if participants is None or participants.empty or "reason_at_end" not in participants.columns:
        return pd.DataFrame()
    given = participants[participants["reason_at_end"].notna()]
    main = _main_guesses(trials)
    # A pair is one guess: count each pair once (its two rows carry the same outcome).
    guesses = main[~main["is_pair"]] if not main.empty else main
    if not main.empty:
        pairs = main[main["is_pair"]].drop_duplicates(["participant_id", "pair_trial"])
        guesses = pd.concat([guesses, pairs])
    counts = guesses.groupby("participant_id")["correct"].agg(["size", "sum"]) if not guesses.empty else None
    rows = []
    for row in given.itertuples():
        if counts is None or row.participant_id not in counts.index:
            continue  # no analysed guess to set the reason against
        n, k = counts.loc[row.participant_id]
        rows.append(
            {
                "participant_id": int(row.participant_id),
                "asked": "at_end",
                "trial_index": 10**6,  # after every trial
                "pair_trial": pd.NA,
                "clip_id": pd.NA,
                "guess": "all guesses",
                "truth": "all clips",
                "correct": pd.NA,
                "n_guesses": int(n),
                "n_correct": int(k),
                "reason": str(row.reason_at_end).strip(),
            }
        )
    return pd.DataFrame(rows)


def code_reasons(reasons: pd.DataFrame, cues: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """One row per reason x cue (:data:`CODED_COLUMNS`): ``mentioned`` and the words that ``matched``."""
    rows = []
    patterns = {code: cue_pattern(terms) for code, terms in cues.items()}
    for reason in reasons.to_dict("records"):
        for code, pattern in patterns.items():
            found = [m.group(0) for m in pattern.finditer(reason["reason"])]
            rows.append(
                {
                    **reason,
                    "cue": code,
                    "cue_terms": ", ".join(cues[code]),
                    "mentioned": bool(found),
                    "matched": "; ".join(dict.fromkeys(word.lower() for word in found)),
                }
            )
    frame = pd.DataFrame(rows, columns=list(CODED_COLUMNS))
    frame["correct"] = frame["correct"].astype("boolean")
    for name in ("pair_trial", "clip_id"):
        frame[name] = frame[name].astype("Int64")
    return frame


def cue_summary(coded: pd.DataFrame) -> pd.DataFrame:
    """Per cue: mentions and the share of correct guesses with and without it (module docstring).

    Returns one row per cue, in the cue list's order: ``cue``, ``n_reasons`` and ``n_participants``
    mentioning it, ``n_guesses`` and ``share_correct`` among the guesses whose reason mentions it, its 95 %
    interval ``ci_low``..``ci_high`` (participants the unit; missing with fewer than 2 participants),
    and ``share_correct_without`` among the guesses whose reason does not.
    """
    rows = []
    for cue, group in coded.groupby("cue", sort=False):
        with_cue, without = group[group["mentioned"]], group[~group["mentioned"]]
        per_person = with_cue.groupby("participant_id")[["n_correct", "n_guesses"]].sum()
        low, high = _participant_interval(per_person.to_numpy(dtype=float))
        rows.append(
            {
                "cue": cue,
                "n_reasons": len(with_cue),
                "n_participants": len(per_person),
                "n_guesses": int(with_cue["n_guesses"].sum()),
                "share_correct": _share(with_cue),
                "ci_low": low,
                "ci_high": high,
                "share_correct_without": _share(without),
            }
        )
    return pd.DataFrame(rows)


def _share(rows: pd.DataFrame) -> float:
    n = rows["n_guesses"].sum()
    return float(rows["n_correct"].sum() / n) if n else float("nan")


def _participant_interval(counts: np.ndarray) -> tuple[float, float]:
    """95 % interval of R = sum(correct) / sum(guesses), participants the unit (rows of ``counts``).

    ``counts`` has shape (participants, 2): correct, guesses. A cluster-robust (linearised) variance,
    ``P / (P - 1) * sum((correct_i - R guesses_i)^2) / sum(guesses)^2``, on the logit scale with a t
    quantile on P - 1 degrees of freedom, so that it stays within 0..1 and holds up with few
    participants. Calibrated in ``benchmarks/reason_cue_calibration.py`` (a percentile bootstrap of
    participants covered only 88-94 % there). Missing with fewer than 2 participants; a share of 0 or
    1 gives the point (no variation between participants).
    """
    n_people = len(counts)
    if n_people < 2:
        return float("nan"), float("nan")
    correct, guesses = counts[:, 0], counts[:, 1]
    share = correct.sum() / guesses.sum()
    if share in (0.0, 1.0):
        return float(share), float(share)
    variance = n_people / (n_people - 1) * np.sum((correct - share * guesses) ** 2) / guesses.sum() ** 2
    half = stats.t.ppf(0.975, n_people - 1) * math.sqrt(variance) / (share * (1 - share))
    centre = math.log(share / (1 - share))
    return float(expit(centre - half)), float(expit(centre + half))


def cue_examples(coded: pd.DataFrame, per_cue: int = 3) -> dict[str, list[str]]:
    """Up to ``per_cue`` distinct reasons mentioning each cue, the first given first."""
    examples: dict[str, list[str]] = {}
    for cue, group in coded[coded["mentioned"]].groupby("cue", sort=False):
        examples[str(cue)] = list(dict.fromkeys(group["reason"]))[:per_cue]
    return examples


def mentions_by_guess_and_truth(coded: pd.DataFrame) -> pd.DataFrame:
    """How many reasons mention each cue, per guess and truth (rows: guess, truth; one column per cue)."""
    mentioned = coded[coded["mentioned"]]
    if mentioned.empty:
        return pd.DataFrame()
    return mentioned.pivot_table(index=["guess", "truth"], columns="cue", values="reason_id", aggfunc="count").fillna(0)


def cues_in_force(dataset: Dataset) -> dict[str, tuple[str, ...]]:
    """The cue list of the newest saved study version (the default list when none is saved)."""
    if not dataset.versions:
        return parse_cues(DEFAULT_REASON_CUES)
    return parse_cues(dataset.versions[max(dataset.versions)].settings.reason_cues)


def coded_reasons(dataset: Dataset) -> pd.DataFrame:
    """The reasons of the filtered data, one row per reason x cue of the cue list in force (the export's table)."""
    return code_reasons(reasons_given(dataset.trials, dataset.participants), cues_in_force(dataset))
