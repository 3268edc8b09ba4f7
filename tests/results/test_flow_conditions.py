"""The flow per design condition: everyone assigned to a condition is counted once, and the counts agree."""

from __future__ import annotations

import pandas as pd

from core.vocabulary import Condition, ExclusionRule
from results.data.flow import flow_by_condition


def _participants() -> pd.DataFrame:
    rows = [
        # id, condition, completed, attention failed
        (1, Condition.BLIND, True, False),
        (2, Condition.BLIND, True, True),
        (3, Condition.BLIND, False, False),
        (4, Condition.LABELLED, True, False),
        (5, Condition.LABELLED, True, False),
        (6, Condition.RATE_ONLY, True, False),
        (7, None, False, False),  # screened out before a condition was drawn
    ]
    frame = pd.DataFrame(rows, columns=["participant_id", "condition", "completed", "flag_attention_failed"])
    frame["study_version_id"] = 1
    frame["screening_passed"] = pd.array([True] * 6 + [False], dtype="boolean")
    frame["flag_too_fast"] = False
    frame["flag_inconsistent"] = False
    return frame


def test_each_condition_counts_assigned_finished_excluded_and_analysed():
    rules = {1: (ExclusionRule.INCOMPLETE, ExclusionRule.FAILED_ATTENTION)}
    analysed = {1, 4, 5, 6}  # what the filtered trial table holds
    flow = flow_by_condition(_participants(), rules, analysed).set_index("condition")
    assert flow.loc[Condition.BLIND].tolist() == [3, 2, 2, 1]  # 2 left: one dropped out, one failed attention
    assert flow.loc[Condition.LABELLED].tolist() == [2, 2, 0, 2]
    assert flow.loc[Condition.RATE_ONLY].tolist() == [1, 1, 0, 1]
    assert flow["assigned"].sum() == 6  # the screened-out participant has no condition
    assert (flow["assigned"] - flow["excluded"] == flow["analysed"]).all()


def test_a_version_left_out_of_the_analysis_is_left_out_per_condition_too():
    people = _participants()
    people.loc[people["participant_id"] == 6, "study_version_id"] = 2
    flow = flow_by_condition(people, {1: (), 2: ()}, {1, 2, 3, 4, 5}, versions=[1])
    assert Condition.RATE_ONLY not in set(flow["condition"])
