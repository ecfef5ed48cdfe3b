"""When to stop asking.

The interview stops when (any of):
- the top condition is confident (posterior >= `stop_confidence`) and every condition more urgent than it
  has been ruled down (together < `stop_urgent_residual`), so stopping cannot hide a more urgent
  condition, and at least `findings_turns` questions were asked;
- an emergency is likely (the ambulance-level conditions together >= `stop_emergency`): the person must be
  told at once;
- no question allowed (`engine.protocol`) is expected to teach enough: its information gain is below
  `stop_min_information` nats (a question worth less than that rarely changes the list or the advice);
- `soft_max_turns` questions were asked (the person's patience is part of the design);
- the turn limit (`max_turns`) is reached: a hard limit, never the usual end.
A pending red-flag question (best score +inf) is always asked first: only an emergency or the turn limit
stops the interview before it.
"""

from __future__ import annotations

import numpy as np

from symptomcheck.engine.tables import BoolArray, Tables
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


def should_stop(
    tables: Tables,
    p: FloatArray,
    best_score: FloatArray,
    turns: int,
    max_turns: int,
    settled: BoolArray | None = None,
) -> BoolArray:
    """Whether each interview should stop, from posteriors (N, D) and the best question scores (N,)
    (`settled`: `is_settled(tables, p)` when the caller has it already)."""
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
    enough = turns >= settings.get("soft_max_turns", max_turns)
    result: BoolArray = ((confident | enough) & ~flag_pending) | emergency | exhausted | (turns >= max_turns)
    return result
