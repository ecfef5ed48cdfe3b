"""When to stop asking.

The interview stops when (any of):
- the top condition is confident (posterior >= `stop_confidence`) and every urgent alternative has been
  ruled down (its total posterior < `stop_urgent_residual`), so stopping cannot hide an emergency;
- an emergency is likely (the ambulance-level conditions together >= `stop_emergency`): the person must be
  told at once;
- no question is expected to teach enough (best score < `stop_min_gain`);
- the turn limit is reached.
"""

from __future__ import annotations

import numpy as np

from symptomcheck.engine.tables import BoolArray, Tables
from symptomcheck.model.artifact import FloatArray

AMBULANCE = 4
EMERGENCY = 3


def should_stop(tables: Tables, p: FloatArray, best_score: FloatArray, turns: int, max_turns: int) -> BoolArray:
    """Whether each interview should stop, from posteriors (N, D) and the best question scores (N,)."""
    settings = tables.settings
    top = p.max(axis=1)
    top_index = p.argmax(axis=1)
    urgent = tables.level_urgency >= EMERGENCY
    # urgent mass outside the top condition: what a stop now would leave unexplored
    urgent_residual = (p * urgent).sum(axis=1) - np.where(urgent[top_index], top, 0.0)
    confident = (top >= settings.get("stop_confidence", 0.99)) & (
        urgent_residual < settings.get("stop_urgent_residual", 0.01)
    )
    emergency = (p[:, tables.level_urgency >= AMBULANCE].sum(axis=1) >= settings.get("stop_emergency", 1.01)) & (
        turns >= settings.get("min_turns", 0)
    )
    settled = top >= settings.get("stop_confidence", 0.99)
    # in the findings phase the score is another quantity, with its own floor
    exhausted = best_score < np.where(
        settled, settings.get("stop_min_findings", 1e-4), settings.get("stop_min_gain", 1e-4)
    )
    confident &= turns >= max(settings.get("min_turns", 0), settings.get("findings_turns", 0))
    result: BoolArray = confident | emergency | exhausted | (turns >= max_turns)
    return result
