"""The least probability a model gives any answer: no answer is impossible for any condition.

A yes/no or categorical answer is floored at `floor`. A multi-choice value is floored at `multi_floor`; with
`multi_floor_mass` set (> 0), at most that mass is shared over the question's values instead. The pain-site
question has about 160 values: at 0.01 each, the floor alone would hold 1.6 against the 1.0 of what the
statistics say, and after normalising, a neck pain would be barely more likely with a neck condition than
with a chest one.
"""

from __future__ import annotations

from collections.abc import Mapping

FLOOR = 1e-3
MULTI_FLOOR = 1e-2


def answer_floor(settings: Mapping[str, float], multi: bool, n_values: int) -> float:
    """The floor of one answer (one value, for a multi-choice question of `n_values` values)."""
    if not multi:
        return float(settings.get("floor", FLOOR))
    floor = float(settings.get("multi_floor", MULTI_FLOOR))
    mass = float(settings.get("multi_floor_mass", 0.0))
    if mass > 0 and n_values > 0:
        floor = min(floor, mass / n_values)
    return floor
