"""Choosing the next question: expected information gain, vectorised over questions and patients.

The gain of question e is the mutual information between its answer and the condition,
I(O_e; D) = H(O_e) - sum_d p(d) H(O_e | d), computed from one matrix product for the predictive
answer distribution and one for the precomputed conditional entropies. Optionally, information about
whether an urgent condition (emergency or ambulance) is present is added, so that an emergency is ruled in
or out early. Once the leading condition is settled, the interview turns to the person's own findings
(`findings_score`), which the differential and the severe alternatives it keeps depend on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symptomcheck.engine.protocol import Focus
from symptomcheck.engine.stopping import is_settled
from symptomcheck.engine.tables import BoolArray, IntArray, Tables
from symptomcheck.model.artifact import FloatArray

URGENT = 3  # urgency of `emergency`; ambulance is 4


def information_gain(tables: Tables, p: FloatArray) -> FloatArray:
    """I(O_e; D) for every question, shape (N, E), from posteriors of shape (N, D)."""
    p = _flushed(p)
    p_answer = p @ tables.p_outcome_by_condition  # (N, T)
    terms = p_answer * np.log(np.maximum(p_answer, 1e-300))
    h_answer = -np.add.reduceat(terms, tables.offsets[:-1], axis=1)  # (N, E)
    h_given_condition = p @ tables.entropy_by_condition  # (N, E)
    gain: FloatArray = np.maximum(h_answer - h_given_condition, 0.0)
    return gain


def urgent_information_gain(tables: Tables, p: FloatArray) -> FloatArray:
    """I(O_e; U) where U says whether the condition is urgent (emergency or ambulance), shape (N, E)."""
    urgent = tables.level_urgency >= URGENT
    p = _flushed(p)
    gains = np.zeros((p.shape[0], tables.n_evidences))
    p_answer = p @ tables.p_outcome_by_condition
    h_answer = -np.add.reduceat(p_answer * np.log(np.maximum(p_answer, 1e-300)), tables.offsets[:-1], axis=1)
    gains += h_answer
    for group in (urgent, ~urgent):
        mass = p[:, group].sum(axis=1, keepdims=True)  # (N, 1)
        # p masked to the group rather than the tables sliced by it: no copy of a (D, T) matrix per call
        p_given = (np.where(group, p, 0.0) @ tables.p_outcome_by_condition) / np.maximum(mass, 1e-300)  # (N, T)
        h_given = -np.add.reduceat(p_given * np.log(np.maximum(p_given, 1e-300)), tables.offsets[:-1], axis=1)
        gains -= mass * h_given
    result: FloatArray = np.maximum(gains, 0.0)
    return result


def eligible_questions(
    tables: Tables,
    asked: BoolArray,
    present: BoolArray,
    values: BoolArray | None = None,
    answered: BoolArray | None = None,
) -> BoolArray:
    """Questions not yet asked whose parent (if any) was answered yes, that the interview asks at all
    (`Tables.never_asked`), and not answered already in another form
    (`Tables.shadowed_by`; with the values answered so far, (N, T), also `Tables.shadows`), shape (N, E).

    `answered` (N, E): the questions answered other than "don't know" (default: every one asked). A person who
    does not know the clinical form ("stridor: a high-pitched noise when breathing in") is still asked the lay
    one ("does your breathing make unusual noises?"), which may be the only way a red flag is found."""
    has_parent = tables.parent >= 0
    parent_yes = np.where(has_parent, present[:, np.maximum(tables.parent, 0)], True)
    answered = asked if answered is None else answered
    shadowed = (tables.shadowed_by >= 0) & answered[:, np.maximum(tables.shadowed_by, 0)]
    if values is not None and len(tables.shadow_rows):
        named = values[:, tables.shadow_rows].astype(np.float32)
        shadowed[:, tables.shadowed_evidences] |= (named @ tables.shadows_of_evidences) > 0
    result: BoolArray = ~asked & parent_yes & ~shadowed & ~tables.never_asked[None, :]
    return result


def findings_score(tables: Tables, p: FloatArray) -> FloatArray:
    """E_d[H(O_e | d)]: how unpredictable each answer stays even if the condition were known, shape (N, E).

    Once the top condition is settled, these are the questions whose answers tell the patient's own
    findings, which the differential (and the severe alternatives it must keep) depends on.
    """
    positive = tables.settings.get("findings_positive", 0.0)
    p = _flushed(p)
    result: FloatArray = p @ tables.entropy_by_condition
    if positive:
        # the chance that the answer is a finding (yes, or a value other than the ordinary one)
        p_finding = 1.0 - p @ tables.p_ordinary.T
        result = (1.0 - positive) * result + positive * p_finding
    return result


TINY = 1e-200  # posteriors below this count as 0 in the scores: subnormal numbers would slow every product


def _flushed(p: FloatArray) -> FloatArray:
    result: FloatArray = np.where(p > TINY, p, 0.0)
    return result


IN_PLAY = 1e-6  # conditions less likely than this in every row leave the question scores unchanged


def in_play(p: FloatArray) -> IntArray:
    """The conditions at least `IN_PLAY` likely in some row of p (N, D): a condition with (nearly) no mass
    adds (nearly) nothing to an expected gain, and leaving it out makes a step over hundreds of conditions
    cost what one over the few still in play costs."""
    result: IntArray = np.flatnonzero(p.max(axis=0) >= IN_PLAY).astype(np.int64)
    return result


def question_scores(tables: Tables, p: FloatArray, evidences: IntArray | None = None) -> FloatArray:
    """The score each question is chosen by, shape (N, E) (with `evidences`: of those questions only, (N, len)).

    While the leader is not settled: information gain about the condition (plus, with `urgent_weight`,
    about whether it is urgent). Once it is settled and findings questions are enabled: the findings score.
    Each is computed only for the rows that use it.
    """
    settled = is_settled(tables, p) if tables.settings.get("findings_turns", 0.0) > 0 else np.zeros(len(p), dtype=bool)
    # Each row's conditions below IN_PLAY count as 0 (row by row, so that a row's scores do not depend on the
    # other rows of a batch); columns that are 0 in every row are then left out of the products.
    p = np.where(p >= IN_PLAY, p, 0.0)
    p = p / p.sum(axis=1, keepdims=True)
    columns = in_play(p)
    # worth the copy only when few conditions are left: for one consultation (a single row) copying the arrays
    # costs as much as the product over every condition, so only when very few are left
    few = len(columns) <= tables.n_conditions // (2 if len(p) > 1 else 8)
    # for a few questions only, the arrays are sliced to them (a copy, worth it only when they are few)
    subset = (
        evidences is not None
        and int((tables.offsets[evidences + 1] - tables.offsets[evidences]).sum()) <= int(tables.offsets[-1]) // 4
    )
    if subset and evidences is not None:
        tables = tables.for_scores(columns if few else None, evidences)
    elif few:
        tables = tables.restricted(columns)
    if few:
        p = p[:, columns]
    score = _scores(tables, p, settled)
    return score[:, evidences] if evidences is not None and not subset else score


def _scores(tables: Tables, p: FloatArray, settled: BoolArray) -> FloatArray:
    score = np.empty((len(p), tables.n_evidences))
    if np.any(settled):
        score[settled] = findings_score(tables, p[settled])
    searching = ~settled
    if np.any(searching):
        gain = information_gain(tables, p[searching])
        urgent_weight = tables.settings.get("urgent_weight", 0.0)
        if urgent_weight:
            gain += urgent_weight * urgent_information_gain(tables, p[searching])
        score[searching] = gain
    return score


def choose_questions(
    tables: Tables, p: FloatArray, eligible: BoolArray, focus: Focus | None = None
) -> tuple[IntArray, FloatArray]:
    """Best question and its score per patient; index -1 (score 0) when nothing is left to ask.

    With a `focus` (`engine.protocol`): a pending red flag comes first (its score is +inf: the interview does
    not stop on confidence before it is asked), and otherwise only the allowed questions are chosen from.
    """
    choice = question_choice(tables, p, eligible, focus)
    return choice.best, choice.best_score


@dataclass(frozen=True)
class Choice:
    best: IntArray  # (N,) the question to ask, -1 when nothing is left
    best_score: FloatArray  # (N,) its score (+inf: a red flag; 0 when nothing is left)
    scores: FloatArray  # (N, E) every question's score, -inf for those that may not be asked (all, in an
    # interview with a red flag to ask)


def question_choice(
    tables: Tables, p: FloatArray, eligible: BoolArray, focus: Focus | None = None, unscored: BoolArray | None = None
) -> Choice:
    """`choose_questions`, with the scores of every question (the stopping rule looks at the next best).

    `unscored` (N,), with a `focus`: interviews that stop whatever the scores (the caller knows): nothing is
    scored for them, as if nothing were left to ask but a pending red flag."""
    flags = None
    if focus is not None:
        flags = eligible & (focus.priority > 0)
        eligible = eligible & focus.allowed
        # an interview with a red flag to ask chooses nothing by the scores and may not stop on them: only the
        # other rows are scored (in a batch, most rows have a flag pending in the first turns)
        skipped = flags.any(axis=1) if unscored is None else flags.any(axis=1) | unscored
        eligible[skipped] = False
        free = np.flatnonzero(~skipped)
        candidates = np.flatnonzero(eligible.any(axis=0))
        score = np.full(eligible.shape, -np.inf)
        if len(candidates):
            score[np.ix_(free, candidates)] = question_scores(tables, p[free], candidates)
        score = np.where(eligible, score, -np.inf)
    else:
        score = np.where(eligible, question_scores(tables, p), -np.inf)
    best = score.argmax(axis=1).astype(np.int64)
    best_score = score[np.arange(len(best)), best]
    none_left = ~np.isfinite(best_score)
    best[none_left] = -1
    best_score[none_left] = 0.0
    if flags is not None and focus is not None:
        pending = flags.any(axis=1)
        if np.any(pending):
            first_flag = np.where(flags, focus.priority, -1.0).argmax(axis=1)
            best[pending] = first_flag[pending]
            best_score[pending] = np.inf
    return Choice(best, best_score, score)
