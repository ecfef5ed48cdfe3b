"""When to stop asking.

The interview stops when (any of):
- the top condition is confident (posterior >= `stop_confidence`) and every condition more urgent than it
  has been ruled down (together < `stop_urgent_residual`), so stopping cannot hide a more urgent
  condition, and at least `findings_turns` questions were asked;
- an emergency is likely (the ambulance-level conditions together >= `stop_emergency`): the person must be
  told at once;
- no question allowed (`engine.protocol`) is expected to teach enough: its information gain is below
  `stop_min_information` nats (a question worth less than that rarely changes the list or the advice);
- with `decision_stop` (the broad model's setting): no answer to the next few questions could change the
  advice or the most likely condition (`decision_settled`), after at least `decision_min_turns` questions;
- with `unknown_streak_stop` = k > 0 (the broad model's setting): the last k answers were "don't know". The
  person cannot tell more about what the questions chosen ask; after the red flags, going on asks a
  person who cannot answer for the patience the result needs;
- `soft_max_turns` questions were asked (the person's patience is part of the design);
- the turn limit (`max_turns`) is reached: a hard limit, never the usual end.
A pending red-flag question (best score +inf) is always asked first: only an emergency or the turn limit
stops the interview before it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from symptomcheck.engine.tables import BoolArray, Tables
from symptomcheck.engine.triage import batch_urgency
from symptomcheck.model.artifact import FloatArray

AMBULANCE = 4
EMERGENCY = 3


def more_urgent_residual(tables: Tables, p: FloatArray) -> FloatArray:
    """The probability of conditions more urgent than the leader, shape (N,): what stopping would miss."""
    leader_urgency = tables.level_urgency[p.argmax(axis=1)]
    result: FloatArray = (p * (tables.level_urgency[None, :] > leader_urgency[:, None])).sum(axis=1)
    return result


def is_settled(tables: Tables, p: FloatArray) -> BoolArray:
    """Whether the leader is confident and nothing more urgent is left open, shape (N,).

    Only then does the interview turn to the person's findings (or stop): while a more urgent condition is
    still 1% likely or more, questions keep being chosen to rule it in or out.
    """
    settings = tables.settings
    result: BoolArray = (p.max(axis=1) >= settings.get("stop_confidence", 0.99)) & (
        more_urgent_residual(tables, p) < settings.get("stop_urgent_residual", 0.01)
    )
    return result


def decision_settled(tables: Tables, p: FloatArray, scores: FloatArray) -> BoolArray:
    """Whether no answer to the next few questions could change what the person is told, shape (N,).

    For each of the `decision_questions` best questions (scores (N, E), -inf for those that may not be
    asked) and each of its two answers (the ordinary one, or any other) at least `decision_answer` likely,
    the posterior after that answer must give the same advised level, and a most likely condition already
    among the `decision_top` most likely now. When it does for all of them, asking on cannot change the
    advice or bring a new condition to the top one answer at a time, and the interview may stop: a myopic
    value-of-information rule that also ends an interview whose answers are "don't know" (they leave the
    posterior, hence this test, unchanged). As for a confident stop, the conditions more urgent than the
    advice must also be below `decision_urgent_residual` together: stopping never leaves a more urgent
    possibility open, and the leader must be at least `decision_confidence` likely.
    """
    settings = tables.settings
    k = min(int(settings.get("decision_questions", 3)), scores.shape[1])
    least = settings.get("decision_answer", 0.05)
    n = len(p)
    # a leader less likely than `decision_confidence` is no decision yet: more answers may still name the cause
    settled: BoolArray = p.max(axis=1) >= settings.get("decision_confidence", 0.0) if n else np.ones(0, dtype=bool)
    if k == 0 or n == 0:
        return settled
    level = batch_urgency(p, tables.level_urgency, tables.triage_thresholds)
    # and, as for a confident stop, nothing more urgent than the advice may be left open
    above = (p * (tables.level_urgency[None, :] > level[:, None])).sum(axis=1)
    settled &= above < settings.get("decision_urgent_residual", 1.01)
    # every test below is row by row, and a row once unsettled stays so: each is made on the rows still settled
    rows = np.flatnonzero(settled)
    p, scores, level = p[rows], scores[rows], level[rows]
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]  # (n, k)
    askable = np.isfinite(np.take_along_axis(scores, top, axis=1))  # (n, k)
    # the conditions an answer may put first without changing what the person reads first: the leader only,
    # or (decision_top > 1) any of the `decision_top` most likely
    n_top = int(settings.get("decision_top", 1))
    leaders = np.argpartition(-p, min(n_top, p.shape[1]) - 1, axis=1)[:, :n_top]
    still = np.ones(len(rows), dtype=bool)
    for j in range(k):
        tested = np.flatnonzero(still & askable[:, j])
        p_ordinary = tables.p_ordinary[top[tested, j]]
        ordinary = p_ordinary**tables.temperature  # (n, D) tempered, as answers are
        for likelihood in (ordinary, np.maximum(1.0 - p_ordinary, 1e-12) ** tables.temperature):
            joint = p[tested] * likelihood
            chance = joint.sum(axis=1)
            # an answer less likely than `least` changes nothing, and a new leader needs no advice to compare
            likely = chance >= least
            answered = tested[likely]
            after = joint[likely] / np.maximum(chance[likely], 1e-300)[:, None]
            changes = ~(leaders[answered] == after.argmax(axis=1)[:, None]).any(axis=1)
            same_leader = np.flatnonzero(~changes)
            urgency = batch_urgency(after[same_leader], tables.level_urgency, tables.triage_thresholds)
            changes[same_leader] = urgency != level[answered[same_leader]]
            still[answered] &= ~changes
    settled[rows] = still
    return settled


def should_stop(
    tables: Tables,
    p: FloatArray,
    best_score: FloatArray,
    turns: int,
    max_turns: int,
    settled: BoolArray | None = None,
    decided: BoolArray | None = None,
    unknown_streak: NDArray[np.int64] | int = 0,
) -> BoolArray:
    """Whether each interview should stop, from posteriors (N, D) and the best question scores (N,)
    (`settled`: `is_settled(tables, p)` when the caller has it already; `decided`: `decision_settled`;
    `unknown_streak`: how many of the last answers in a row were "don't know", (N,) or one for all)."""
    settings = tables.settings
    settled = is_settled(tables, p) if settled is None else settled
    confident = settled & (turns >= max(settings.get("min_turns", 0), settings.get("findings_turns", 0)))
    emergency = (p[:, tables.level_urgency >= AMBULANCE].sum(axis=1) >= settings.get("stop_emergency", 1.01)) & (
        turns >= settings.get("min_turns", 0)
    )
    # in the findings phase the score is another quantity, with its own floor
    searching_floor = max(settings.get("stop_min_gain", 1e-4), settings.get("stop_min_information", 0.0))
    exhausted = best_score < np.where(settled, settings.get("stop_min_findings", 1e-4), searching_floor)
    flag_pending = np.isposinf(best_score)
    enough = np.full(len(p), turns >= settings.get("soft_max_turns", max_turns))
    if decided is not None and settings.get("decision_stop", 0.0):
        enough |= decided & (turns >= settings.get("decision_min_turns", 0))
    streak_stop = settings.get("unknown_streak_stop", 0.0)
    if streak_stop > 0:
        enough |= np.asarray(unknown_streak) >= streak_stop
    result: BoolArray = ((confident | enough) & ~flag_pending) | emergency | exhausted | (turns >= max_turns)
    return result
