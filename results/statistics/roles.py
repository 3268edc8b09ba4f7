"""Which tests answer a preregistered question (confirmatory) and which explore (issue 22, item 5).

A study answers a few questions with one test each; everything else on the results pages describes,
checks a model or explores, and a reader must be able to tell the two apart (Wagenmakers et al. 2012;
Nosek et al. 2018). One table defines the role of every test the Overview shows: the preregistration
prints it (:func:`results.planning.prereg.preregistration_markdown`) and the Overview tags each test
with it, so the page and the posted plan cannot disagree. A confirmatory test is the one p-value of its
question; a question's other numbers (accuracy and AUC beside d') are effect sizes on other scales, and
their p-values are exploratory. Each entry also says what its interval or test generalises over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from core.vocabulary import Condition
from results.statistics.paired_detection import has_paired_data

CONFIRMATORY = "confirmatory"
EXPLORATORY = "exploratory"

OVER_BOTH = "participants and clips"
CLIPS_FIXED = "new listeners of these clips (clips fixed)"


@dataclass(frozen=True)
class TestRole:
    """The preregistered role of one test.

    Attributes
    ----------
    key : str
        How the pages refer to it.
    test : str
        The test in words.
    role : str
        :data:`CONFIRMATORY` or :data:`EXPLORATORY`.
    question : str
        The research question it answers (RQ number) or why it is exploratory.
    generalises : str
        What its interval and test generalise over.
    design : str
        What the study needs for it (one of :func:`study_designs`), "" for every study.
    """

    key: str
    test: str
    role: str
    question: str
    generalises: str
    design: str = ""


TEST_ROLES: tuple[TestRole, ...] = (
    TestRole("d_prime", "d′ = 0, likelihood-ratio test of the probit GLMM", CONFIRMATORY, "RQ1", OVER_BOTH, "blind"),
    TestRole(
        "equivalence",
        "d′ within the preregistered margin (TOST)",
        CONFIRMATORY,
        "RQ1, when detection is not shown",
        OVER_BOTH,
        "blind",
    ),
    TestRole(
        "pairing",
        "d′(similar pairs) − d′(random pairs)",
        CONFIRMATORY,
        "RQ1b",
        OVER_BOTH,
        "paired pairing",
    ),
    TestRole(
        "emotion",
        "true-source effect per rating scale, ordinal mixed model, Holm over scales",
        CONFIRMATORY,
        "RQ2",
        OVER_BOTH,
    ),
    TestRole(
        "label",
        "effect of the announced label per rating scale, Holm over scales",
        CONFIRMATORY,
        "RQ3",
        OVER_BOTH,
        "labelled",
    ),
    TestRole("criterion", "criterion c = 0 (response bias)", EXPLORATORY, "no hypothesis", OVER_BOTH, "blind"),
    TestRole(
        "accuracy_auc",
        "accuracy and AUC against 50 %",
        EXPLORATORY,
        "RQ1 on other scales; RQ1's p-value is d′'s",
        OVER_BOTH,
        "blind",
    ),
    TestRole("zroc", "zROC slope = 1 (equal-variance check)", EXPLORATORY, "model check of d′", OVER_BOTH, "blind"),
    TestRole(
        "fixed_clips",
        "pooled binomial and per-participant t-tests",
        EXPLORATORY,
        "clips treated as fixed",
        CLIPS_FIXED,
        "blind",
    ),
    TestRole(
        "paired_detection",
        "single-clip vs paired (2AFC) detection",
        EXPLORATORY,
        "design comparison",
        OVER_BOTH,
        "paired",
    ),
    TestRole("breakdowns", "equal d′ across groups, Holm over the attributes", EXPLORATORY, "no hypothesis", OVER_BOTH),
    TestRole("moderators", "moderators of d′ and c, Holm over moderators", EXPLORATORY, "no hypothesis", OVER_BOTH),
    TestRole("emotion_linear", "linear mixed model of the ratings", EXPLORATORY, "sensitivity check of RQ2", OVER_BOTH),
    TestRole("emotion_paired", "paired t-tests per scale", EXPLORATORY, "clips treated as fixed", CLIPS_FIXED),
    TestRole(
        "asked",
        "effect of being asked to guess on the ratings",
        EXPLORATORY,
        "design comparison",
        OVER_BOTH,
        "rate_only",
    ),
    TestRole(
        "features",
        "acoustic features vs source and judgements (lens model), FDR-controlled",
        EXPLORATORY,
        "no hypothesis",
        "these clips",
    ),
)
"""Every test the Overview shows, confirmatory first."""

ROLES = {role.key: role for role in TEST_ROLES}


def study_designs(conditions: Iterable[str], paired: bool, pairing_randomised: bool) -> set[str]:
    """What a study's tests depend on: its conditions ("blind", "rate_only", "labelled"), "paired" for 2AFC
    trials and "paired pairing" when it randomises similar against random pairs."""
    return (
        {str(c) for c in conditions}
        | ({"paired"} if paired else set())
        | ({"paired pairing"} if pairing_randomised else set())
    )


def designs_in_data(trials: pd.DataFrame) -> set[str]:
    """The designs of :func:`study_designs` that a trial table holds answers from (what its results pages show).

    A missing condition is an answer from before the designs existed, all blind (as
    :mod:`results.statistics.designs` reads it); similar-versus-random pairing needs both pairing types.
    """
    if "condition" in trials:
        conditions = list(trials["condition"].astype("object").fillna(Condition.BLIND).unique())
    else:
        conditions = []
    randomised = "pairing" in trials and trials["pairing"].dropna().nunique() > 1
    return study_designs(conditions or [Condition.BLIND], has_paired_data(trials), randomised)


def roles_for(designs: set[str]) -> list[TestRole]:
    """The tests of a study with these designs (:func:`study_designs`), in :data:`TEST_ROLES` order."""
    return [role for role in TEST_ROLES if not role.design or role.design in designs]


def role_tag(key: str) -> str:
    """The tag a page shows beside a test, e.g. ``"Confirmatory (RQ1)"`` or ``"Exploratory (no hypothesis)"``."""
    role = ROLES[key]
    return f"{role.role.capitalize()} ({role.question})"
