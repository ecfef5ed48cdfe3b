"""Explanations: which answers moved each condition, and why a question is asked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from symptomcheck.engine.questions import URGENT
from symptomcheck.engine.stopping import is_settled
from symptomcheck.engine.tables import Tables
from symptomcheck.model.artifact import FloatArray

# An answer counts for or against a condition in the explanation when it moves its odds by at least
# e^0.3 (about 35%) relative to the alternatives: smaller effects would only bury the ones that matter.
MEANINGFUL = 0.3
NAMED_MIN = 0.05
NAMED_SEVERE_MIN = 0.3


@dataclass(frozen=True, slots=True)
class Contribution:
    """How much one answer supports (> 0) or counts against (< 0) a condition, in nats.

    It is the answer's log-likelihood under the condition minus its log-likelihood under the other
    conditions, weighted by the final posterior: what the answer says for this condition compared with
    the alternatives.
    """

    evidence: str
    weight: float


class QuestionPurpose(StrEnum):
    SEPARATE = "separate"  # tells the leading conditions apart
    URGENT = "urgent"  # rules an urgent condition in or out
    FINDINGS = "findings"  # the leader is settled: learns the person's other findings for the differential
    RED_FLAG = "red_flag"  # a warning sign doctors check for with this complaint, whatever its likely cause


@dataclass(frozen=True, slots=True)
class QuestionReason:
    purpose: QuestionPurpose
    conditions: tuple[str, ...]  # the conditions the answer bears on most, most probable first


def contributions_for(
    p: FloatArray,
    answer_log_likelihoods: Sequence[tuple[str, FloatArray]],
    conditions: Sequence[int],
    top: int = 3,
) -> list[tuple[tuple[Contribution, ...], tuple[Contribution, ...]]]:
    """For each of `conditions`, the answers that count most for and against it (at most `top` each)."""
    if not answer_log_likelihoods:
        return [((), ()) for _ in conditions]
    evidences = [evidence for evidence, _ in answer_log_likelihoods]
    log_likelihoods = np.stack([log_likelihood for _, log_likelihood in answer_log_likelihoods])  # (A, D)
    shift = log_likelihoods.max(axis=1)
    chosen = np.asarray(conditions, dtype=np.int64)
    # each condition's alternatives: the posterior without it, normalised (uniform if it holds all the mass)
    others = np.repeat(p[None, :], len(chosen), axis=0)
    others[np.arange(len(chosen)), chosen] = 0.0
    totals = others.sum(axis=1, keepdims=True)
    uniform = np.full_like(others, 1.0 / max(len(p) - 1, 1))
    others = np.where(totals > 0, others / np.where(totals > 0, totals, 1.0), uniform)
    others[np.arange(len(chosen)), chosen] = 0.0
    mixtures = np.log(np.maximum(np.exp(log_likelihoods - shift[:, None]) @ others.T, 1e-300)) + shift[:, None]
    result = []
    for column, d in enumerate(chosen):
        weights = log_likelihoods[:, d] - mixtures[:, column]
        scored = [Contribution(evidence, float(w)) for evidence, w in zip(evidences, weights, strict=True)]
        supporting = sorted((c for c in scored if c.weight > MEANINGFUL), key=lambda c: -c.weight)[:top]
        against = sorted((c for c in scored if c.weight < -MEANINGFUL), key=lambda c: c.weight)[:top]
        result.append((tuple(supporting), tuple(against)))
    return result


def question_reason(tables: Tables, p: FloatArray, evidence: int, flag: bool = False) -> QuestionReason:
    """Why `evidence` is asked now, given the posterior (D,) (`flag`: it is a protocol's red flag)."""
    row = p[None, :]
    rows = tables.rows(evidence)
    answers = tables.p_outcome[rows]  # (outcomes, D)
    # conditions whose expected answer differs most from the average, weighted by their probability
    spread = p * np.abs(answers - answers @ p[:, None]).sum(axis=0)
    # named: conditions a person may hear about without needless fear: at least NAMED_MIN likely, and a
    # severe one only once it is a real possibility (no "lung cancer" after one answer about a cough)
    nameable = (p >= NAMED_MIN) & (~tables.severe | (p >= NAMED_SEVERE_MIN))
    candidates = np.flatnonzero((spread > 1e-6) & nameable)
    order = [int(d) for d in candidates[np.argsort(-spread[candidates])][:3]]
    named = tuple(tables.conditions[d] for d in sorted(order, key=lambda d: -p[d]))
    if flag:
        return QuestionReason(QuestionPurpose.RED_FLAG, ())
    if bool(is_settled(tables, row)[0]) and tables.settings.get("findings_turns", 0.0) > 0:
        return QuestionReason(QuestionPurpose.FINDINGS, named)
    gain, urgent_gain = _gains(answers, tables.entropy_given_condition[evidence], p, tables.level_urgency >= URGENT)
    urgent = bool(np.any((tables.level_urgency >= URGENT) & (p > 0.01)))
    if urgent and urgent_gain >= 0.5 * gain:
        return QuestionReason(QuestionPurpose.URGENT, ())  # the urgent conditions are not named: see `named`
    return QuestionReason(QuestionPurpose.SEPARATE, named)


def _entropy(distribution: FloatArray) -> float:
    positive = distribution[distribution > 0]
    return float(-(positive * np.log(positive)).sum())


def _gains(answers: FloatArray, entropy: FloatArray, p: FloatArray, urgent: NDArray[np.bool_]) -> tuple[float, float]:
    """I(O; D) and I(O; urgent or not) of one question, from P(answer | d) (outcomes, D), H(answer | d) (D,)
    and the posterior (D,): what `questions.information_gain` and `urgent_information_gain` give for every
    question, for this one only."""
    h_answer = _entropy(answers @ p)
    h_given = float(p @ entropy)
    urgent_gain = h_answer
    for group in (urgent, ~urgent):
        mass = float(p[group].sum())
        if mass > 0:
            urgent_gain -= mass * _entropy(answers[:, group] @ p[group] / mass)
    return max(h_answer - h_given, 0.0), max(urgent_gain, 0.0)
