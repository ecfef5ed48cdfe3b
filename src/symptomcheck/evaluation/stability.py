"""Stability of the advice: change one answer that the model gives little weight to, and count how often the
advice moves by two levels or more.

Per case, after the interview: among the answers given (the complaint / initial evidence, "don't know"
answers and the answers to red-flag questions that apply left out: the advice gives those decisive weight by
an explicit rule), take the one of least weight, flip it, recompute the posterior and the advice with the
engine's own triage (the probability rule and the red flags), and compare with the advice given.

Weight of an answer: the Kullback-Leibler divergence KL(p_with || p_without), in nats, between the posterior
with the answer and the posterior without it. With p the posterior holding the answer and l (D,) its
tempered log-likelihood, p_without ∝ p·exp(-l), so

    weight = E_p[l] + log E_p[exp(-l)]                    (an answer given, taken out)
    weight = E_q[l] - log E_p[exp(l)],  q ∝ p·exp(l)      (an answer not given, put in; p without it)

Why this one: it is what the answer did to the whole posterior (which the triage rule reads), not to one
condition; it is zero exactly when the answer leaves the relative odds of the conditions holding the mass
unchanged, whatever its absolute size (a constant added to l changes nothing); it needs no cut-off for
"the top of the posterior"; and it takes matrix products only, so every evidence of every case is weighed at
once (the visits need that for the answers not given).

Flip: yes <-> no; for a question with values, a value other than the ordinary one becomes the ordinary one
(no pain, intensity 0), and the ordinary one becomes the likeliest other value under the posterior (the
answer the person would most plausibly have given instead). For visit records, see
`symptomcheck.evaluation.visits`.

Reported: `stability_flip_rate`, the share of cases whose advice moves two levels or more (the floor aimed
at is 1 %), `stability_shift1_rate`, one level or more, and `stability_cases`, the cases with an answer to
flip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.posterior import normalise
from symptomcheck.engine.tables import BoolArray, IntArray, Tables
from symptomcheck.evaluation.simulate import Interviews
from symptomcheck.knowledge import EvidenceKind
from symptomcheck.model.artifact import FloatArray


def weight_given(p: FloatArray, log_likelihood: FloatArray) -> FloatArray:
    """KL(p || p without the answer) for answers in `p` (N, D), of tempered log-likelihoods (N, D): (N,)."""
    shift = (-log_likelihood).max(axis=1, keepdims=True)
    log_mean_exp = np.log((p * np.exp(-log_likelihood - shift)).sum(axis=1)) + shift[:, 0]
    result: FloatArray = np.maximum((p * log_likelihood).sum(axis=1) + log_mean_exp, 0.0)
    return result


def weight_given_each(p: FloatArray, log_likelihood: FloatArray) -> FloatArray:
    """`weight_given` of every answer of `log_likelihood` (A, D) as if each were in `p` (N, D): (N, A)."""
    shift = (-log_likelihood).max(axis=1)  # (A,)
    log_mean_exp = np.log(p @ np.exp(-log_likelihood - shift[:, None]).T) + shift[None, :]
    result: FloatArray = np.maximum(p @ log_likelihood.T + log_mean_exp, 0.0)
    return result


def weight_added(p: FloatArray, log_likelihood: FloatArray) -> FloatArray:
    """KL(p with the answer || p) for every case (N, D) and every candidate answer, of tempered
    log-likelihoods (A, D): (N, A), by matrix products."""
    shift = log_likelihood.max(axis=1)  # (A,) keeps exp() in range; cancels out of the KL
    scaled = np.exp(log_likelihood - shift[:, None])  # (A, D)
    z = p @ scaled.T  # (N, A): E_p[exp(l)] / exp(shift)
    expected = (p @ (scaled * log_likelihood).T) / z  # E_q[l]
    result: FloatArray = np.maximum(expected - np.log(z) - shift[None, :], 0.0)
    return result


@dataclass(frozen=True)
class Flip:
    """The least-weight answer of each case and what it becomes (cases without one: `question` -1)."""

    question: IntArray  # (N,) the evidence flipped, -1 for none
    log_likelihood_given: FloatArray  # (N, D) tempered log-likelihood of the answer given (0 for none)
    log_likelihood_flipped: FloatArray  # (N, D) ... of the flipped answer
    answer: list[Answer | None]  # the flipped answer, for the red flags


def least_weight_turn(
    p: FloatArray, log_likelihoods: Sequence[FloatArray], usable: Sequence[NDArray[np.bool_]]
) -> tuple[IntArray, FloatArray]:
    """For each case (p: (N, D)), the turn of least weight among `log_likelihoods` (one (N, D) per turn) where
    `usable` (one (N,) per turn) holds, and that weight; turn -1 (weight inf) when none is usable."""
    weights = np.full((len(p), max(len(log_likelihoods), 1)), np.inf)
    for k, (ll, ok) in enumerate(zip(log_likelihoods, usable, strict=True)):
        if ok.any():
            weights[ok, k] = weight_given(p[ok], ll[ok])
    turn = weights.argmin(axis=1)
    least = weights[np.arange(len(p)), turn]
    return np.where(np.isfinite(least), turn, -1), least


def flipped_row(tables: Tables, p: FloatArray, q: int, given_rows: Sequence[int], is_ordinary: bool) -> int:
    """The outcome row of the flipped answer to evidence `q` given at `given_rows` (p: the posterior (D,)).

    Yes/no: the other row. A value question: its ordinary row when the answer was not the ordinary one,
    otherwise the likeliest other row under `p`."""
    rows = tables.rows(q)
    start = int(rows.start)
    if tables.kinds[q] is EvidenceKind.BINARY:
        return start + 1 - (given_rows[0] - start)
    default = int(tables.default_row[q])
    if not is_ordinary and default >= 0:
        return default
    score = tables.p_outcome[rows] @ p  # P(value) under the posterior
    score[[r - start for r in given_rows]] = -np.inf
    return start + int(np.argmax(score))


def flipped_posterior(log_posterior: FloatArray, flip: Flip) -> FloatArray:
    """The posterior (N, D) with each case's least-weight answer flipped (unchanged where none)."""
    return normalise(log_posterior - flip.log_likelihood_given + flip.log_likelihood_flipped)


def interview_flip(tables: Tables, interviews: Interviews, decisive: BoolArray | None = None) -> Flip:
    """The least-weight answer of each simulated interview (the initial evidence and "don't know" left out)
    and its flip.

    `decisive` (N, E): the evidences whose answer is a red flag that applies to the case. They are left out:
    the advice gives them decisive weight by an explicit rule, whatever weight the model gives them."""
    answers = interviews.answers
    n = len(interviews.log_posterior)
    p = normalise(interviews.log_posterior)
    everyone = np.arange(n)
    # the turns after the longest interview's last question hold no answer to weigh
    used = np.flatnonzero((interviews.sequence >= 0).any(axis=0))
    turns = int(used[-1]) + 1 if len(used) else 0
    # each turn's answers are weighed for the cases that may flip them only (`least_weight_turn` reads no other
    # row), and the log-likelihood of the one flipped is taken again below rather than every one kept
    log_likelihoods, usable = [], []
    for k in range(turns):
        question = interviews.sequence[:, k]
        ok = question >= 0
        ok[ok] = ~answers.unknown[everyone[ok], question[ok]]
        if decisive is not None:
            ok[ok] = ~decisive[everyone[ok], question[ok]]
        ll = np.empty_like(p)
        if ok.any():
            ll[ok] = answers.log_likelihood(everyone[ok], question[ok])
        log_likelihoods.append(ll)
        usable.append(ok)
    turn, _ = least_weight_turn(p, log_likelihoods, usable)
    chosen = np.flatnonzero(turn >= 0)
    question = np.full(n, -1, dtype=np.int64)
    question[chosen] = interviews.sequence[chosen, turn[chosen]]
    given = np.zeros_like(p)
    given[chosen] = answers.log_likelihood(chosen, question[chosen])
    flipped = np.zeros_like(p)
    answer: list[Answer | None] = [None] * n
    for i in chosen:
        q = int(question[i])
        rows = tables.rows(q)
        if tables.kinds[q] is EvidenceKind.BINARY:
            given_rows = [int(answers.row[i, q])]
        else:
            given_rows = [rows.start + int(r) for r in np.flatnonzero(answers.values[i, rows])]
        row = flipped_row(tables, p[i], q, given_rows, not answers.present[i, q])
        flipped[i] = tables.temperature * tables.log_p_outcome[row]
        if tables.kinds[q] is EvidenceKind.BINARY:
            answer[i] = Answer.yes() if row == rows.start + 1 else Answer.no()
        else:
            answer[i] = Answer.of(tables.outcomes[q][row - rows.start])
    return Flip(question, given, flipped, answer)
