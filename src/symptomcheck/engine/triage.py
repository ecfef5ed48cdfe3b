"""The triage decision: explicit, table-driven, and never less urgent than a red flag.

Rule: going from the most urgent level down, advise the first level L whose conditions, together with
every more urgent one, reach L's threshold (`triage_rule.csv`: lower thresholds for more urgent levels).
The probabilities are the calibrated posterior (the naive-Bayes posterior with tempered likelihoods),
which keeps mass on every alternative not yet ruled out; the differential's shares are not used, since by
construction they give every listed condition a visible share whatever its chance. A red-flag answer
(`advice.json`, the protocols), or a pair of answers for a flag that needs two, raises the advice to at least
its level on its own. Self-care is advised only when nothing else applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.engine.posterior import normalise
from symptomcheck.knowledge import RedFlag, TriageLevel
from symptomcheck.model.artifact import FloatArray

LEVELS_MOST_URGENT_FIRST: tuple[TriageLevel, ...] = tuple(TriageLevel)
MAX_FLAGS_COMBINED = 6  # 63 subsets at most; an interview with more red flags is at the top level anyway


@dataclass(frozen=True)
class TriageDecision:
    level: TriageLevel
    by_conditions: TriageLevel  # the level the probabilities alone give
    red_flags: tuple[RedFlag, ...]  # the red flags raised by the answers (those that set the level first)
    mass: float  # the probability that reached the threshold of `by_conditions`


def level_by_probability(
    p: FloatArray, urgency: Sequence[int] | np.ndarray, thresholds: Mapping[TriageLevel, float]
) -> tuple[TriageLevel, float]:
    """The most urgent level whose conditions (and more urgent ones) together pass its threshold."""
    urgency_array = np.asarray(urgency)
    for level in LEVELS_MOST_URGENT_FIRST:
        if level is TriageLevel.SELF_CARE:
            break
        mass = float(p[urgency_array >= level.urgency].sum())
        if mass >= thresholds[level] and mass > 0:
            return level, mass
    return TriageLevel.SELF_CARE, float(p[urgency_array == TriageLevel.SELF_CARE.urgency].sum())


def raised_red_flags(red_flags: Sequence[RedFlag], answers: Mapping[str, Answer]) -> tuple[RedFlag, ...]:
    """The red flags the answers raise (a flag with a second answer: both given), most urgent first."""
    raised = [
        flag
        for flag in red_flags
        if _says(answers.get(flag.evidence), flag.value, flag.minimum)
        and (flag.with_evidence is None or _says(answers.get(flag.with_evidence), flag.with_value, flag.with_minimum))
    ]
    return tuple(sorted(raised, key=lambda flag: -flag.level.urgency))


def _says(answer: Answer | None, value: str | None, minimum: int | None) -> bool:
    """Whether the answer is a yes (with `value` among its values, or a scale value of at least `minimum`)."""
    if answer is None or answer.status is not AnswerStatus.PRESENT:
        return False
    if minimum is not None:
        return any(given.isdigit() and int(given) >= minimum for given in answer.values)
    return value is None or value in answer.values


def decide(
    p: FloatArray,
    urgency: Sequence[int] | np.ndarray,
    thresholds: Mapping[TriageLevel, float],
    red_flags: Sequence[RedFlag] = (),
    answers: Mapping[str, Answer] | None = None,
    floors: Sequence[TriageLevel] = (),
) -> TriageDecision:
    """Triage from condition probabilities (D,) and the answers given so far.

    `floors` are levels the advice may not fall below: the levels the probabilities gave just before each
    red-flag answer (a red-flag answer also moves the posterior, and must never make the advice less
    urgent than it was).
    """
    by_conditions, mass = level_by_probability(p, urgency, thresholds)
    raised = raised_red_flags(red_flags, answers or {})
    level = by_conditions
    for floor in [*(flag.level for flag in raised), *floors]:
        if floor.urgency > level.urgency:
            level = floor
    return TriageDecision(level=level, by_conditions=by_conditions, red_flags=raised, mass=mass)


def triage_of_interview(
    log_posterior: FloatArray,
    answers: Sequence[tuple[str, Answer]],
    log_likelihoods: Sequence[FloatArray],
    urgency: Sequence[int] | np.ndarray,
    thresholds: Mapping[TriageLevel, float],
    red_flags: Sequence[RedFlag],
) -> TriageDecision:
    """`decide` for an interview: its log-posterior (D,), its answers and each one's log-likelihood (D,).

    A red-flag answer also moves the posterior, so the advice must not fall below what the probabilities
    give with any set of the red-flag answers (those of the raised flags) taken out: then adding a red flag
    never lowers the advice, whatever came before, and the order of the answers does not matter.
    """
    raised = raised_red_flags(red_flags, dict(answers))
    raised_by = {code for flag in raised for code in flag.evidences}
    flagged = [
        log_likelihood for (code, _), log_likelihood in zip(answers, log_likelihoods, strict=True) if code in raised_by
    ]
    # the advice is the most urgent of the floors and the flags: once one of them is the most urgent level,
    # no other floor can change it, and the rest are not computed
    most_urgent = LEVELS_MOST_URGENT_FIRST[0]
    floors: list[TriageLevel] = []
    subsets = (
        taken_out
        for size in range(1, min(len(flagged), MAX_FLAGS_COMBINED) + 1)
        for taken_out in combinations(flagged, size)
    )
    if not any(flag.level is most_urgent for flag in raised):
        for taken_out in subsets:
            p_without = normalise(log_posterior - np.sum(taken_out, axis=0))
            floors.append(level_by_probability(p_without, urgency, thresholds)[0])
            if floors[-1] is most_urgent:
                break
    return decide(normalise(log_posterior), urgency, thresholds, red_flags, dict(answers), floors)


def batch_urgency(p: FloatArray, urgency: np.ndarray, thresholds: Mapping[TriageLevel, float]) -> np.ndarray:
    """Vectorised `level_by_probability` for N rows of probabilities: the advised urgency, shape (N,)."""
    advised = np.zeros(len(p), dtype=np.int64)
    decided = np.zeros(len(p), dtype=bool)
    for level in LEVELS_MOST_URGENT_FIRST:
        if level is TriageLevel.SELF_CARE:
            break
        mass = p[:, urgency >= level.urgency].sum(axis=1)
        hit = ~decided & (mass >= thresholds[level]) & (mass > 0)
        advised[hit] = level.urgency
        decided |= hit
    return advised
