"""The differential list: a learned model beside the naive-Bayes posterior.

A naive-Bayes posterior ranks the most likely condition well but collapses onto it. The list a clinician
keeps in mind (and the severe alternatives not yet ruled out) comes from a second model, learned from the
labelled differentials of DDXPlus patients: a small network (one hidden layer) giving a score per
condition from the interview's features (what was answered yes and no, the values named, the tempered
log-posterior, how much of each condition's own findings has been found present or absent, which
condition leads, and the person's age band and sex). Conditions enter the list by the set size that
maximises the expected F1 under those scores; a severe condition enters whenever its score passes
`severe_threshold`, so severe alternatives stay until they are ruled out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from symptomcheck.engine.posterior import normalise
from symptomcheck.engine.tables import BoolArray, Tables
from symptomcheck.model.artifact import DifferentialWeights, FloatArray
from symptomcheck.model.demographics import AGE_BAND_STARTS, age_band, sex_index

LOG_POSTERIOR_FLOOR = -30.0
LIST_THRESHOLD = 0.01  # without a learned model, the list is the posterior above 1%


@dataclass(frozen=True)
class Differential:
    """Differentials of N interviews: probabilities (N, D), zero outside the list, and the list itself."""

    p: FloatArray
    listed: BoolArray
    score: FloatArray  # (N, D) the learned probability that each condition belongs to the list


def demographic_features(ages: Sequence[int], sexes: Sequence[str]) -> FloatArray:
    """The age band and sex of N people, one-hot, shape (N, bands + 2)."""
    bands = len(AGE_BAND_STARTS)
    result: FloatArray = np.zeros((len(ages), bands + 2))
    for n, (age, sex) in enumerate(zip(ages, sexes, strict=True)):
        result[n, age_band(age)] = 1.0
        result[n, bands + sex_index(sex)] = 1.0
    return result


def differential_features(
    tables: Tables,
    log_posterior: FloatArray,
    known_present: BoolArray,
    known_absent: BoolArray,
    known_values: BoolArray,
    demographics: FloatArray,
) -> FloatArray:
    """Features of N interviews over the learned part of the model (`Tables.learned_*`), shape (N, F) with
    F = 2E + 5D + the categorical and multi-choice value rows + the age bands and sexes
    (`demographic_features`), E and D counting the learned evidences and conditions."""
    conditions, evidences = tables.learned_conditions, tables.learned_evidences
    log_posterior = log_posterior[:, conditions]
    relative = np.maximum(log_posterior - log_posterior.max(axis=1, keepdims=True), LOG_POSTERIOR_FLOOR)
    present = known_present[:, evidences].astype(np.float64)
    absent = known_absent[:, evidences].astype(np.float64)
    listed = tables.in_condition[np.ix_(evidences, conditions)].astype(np.float64)  # (E, D)
    listed_count = np.maximum(listed.sum(axis=0), 1.0)
    found = present @ listed  # (N, D) present findings that the condition lists
    explained = found / np.maximum(present.sum(axis=1, keepdims=True), 1.0)
    covered = found / listed_count
    denied = (absent @ listed) / listed_count
    leader = np.zeros_like(log_posterior)
    leader[np.arange(len(leader)), log_posterior.argmax(axis=1)] = 1.0
    values = known_values[:, tables.learned_value_rows].astype(np.float64)
    return np.hstack([present, absent, relative / 10.0, explained, covered, denied, leader, values, demographics])


def membership_scores(weights: DifferentialWeights, features: FloatArray, temperature: float = 1.0) -> FloatArray:
    """The learned probability that each condition belongs to the differential, shape (N, D).

    The network's logits are divided by `temperature`: the network fits its training patients closely and is
    over-confident on new ones, so a temperature above 1 (chosen on held-out patients) softens its scores.
    """
    hidden = np.tanh(((features - weights.mean_) / weights.scale_) @ weights.w_ + weights.b_)
    z = (hidden @ weights.w2_ + weights.b2_) / temperature
    result: FloatArray = 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
    return result


def expected_f1_sets(score: FloatArray) -> BoolArray:
    """Per row, the top-k set maximising the plug-in expected F1, 2 * sum_{i<=k} q_i / (k + sum q)."""
    order = np.argsort(-score, axis=1, kind="stable")
    ranked = np.take_along_axis(score, order, axis=1)
    sizes = np.arange(1, score.shape[1] + 1)
    expected_f1 = 2.0 * np.cumsum(ranked, axis=1) / (sizes + score.sum(axis=1, keepdims=True))
    best_size = expected_f1.argmax(axis=1) + 1
    keep_ranked = sizes[None, :] <= best_size[:, None]
    listed = np.zeros_like(score, dtype=bool)
    np.put_along_axis(listed, order, keep_ranked, axis=1)
    return listed


def differential(
    tables: Tables,
    weights: DifferentialWeights | None,
    log_posterior: FloatArray,
    known_present: BoolArray,
    known_absent: BoolArray,
    known_values: BoolArray,
    demographics: FloatArray,
) -> Differential:
    """The differential of N interviews.

    Probabilities mix, over the listed conditions, the posterior (which orders the top), the learned scores
    and an even share, so that every listed condition stays visibly possible (> 1%) and the posterior's
    leader stays first.
    """
    p = normalise(log_posterior)
    n = len(p)
    leader = p.argmax(axis=1)
    if weights is None:
        score = p.copy()
        listed = p > LIST_THRESHOLD
    else:
        # The learned model scores its own conditions as if one of them were the answer; in the broad model
        # its scores count in proportion to the posterior mass of those conditions, and the others are
        # listed by their posterior.
        learned = tables.learned_conditions
        learned_mass = p[:, learned].sum(axis=1, keepdims=True)
        score = p.copy()
        score[:, learned] = learned_mass * membership_scores(
            weights,
            differential_features(tables, log_posterior, known_present, known_absent, known_values, demographics),
            tables.settings.get("differential_temperature", 1.0),
        )
        others = np.ones(p.shape[1], dtype=bool)
        others[learned] = False
        listed = expected_f1_sets(np.where(others, 0.0, score)) & ~others
        listed &= score > LIST_THRESHOLD
        listed |= others & (p > LIST_THRESHOLD)
        listed |= tables.severe & ~others & (score > tables.settings.get("severe_threshold", 0.07))
    listed[np.arange(n), leader] = True
    p_listed = np.where(listed, p, 0.0)
    p_listed /= p_listed.sum(axis=1, keepdims=True)
    score_listed = np.where(listed, score, 0.0)
    score_listed /= np.maximum(score_listed.sum(axis=1, keepdims=True), 1e-12)
    even = listed / listed.sum(axis=1, keepdims=True)
    mixed = 0.5 * p_listed + 0.3 * score_listed + 0.2 * even
    # The posterior ranks the top condition better than the mixture: its leader takes the largest share
    # (swapped with whichever condition the mixture put first; the shares themselves are unchanged).
    rows = np.arange(n)
    first = mixed.argmax(axis=1)
    largest = mixed[rows, first]
    mixed[rows, first] = mixed[rows, leader]
    mixed[rows, leader] = largest
    return Differential(p=mixed, listed=listed, score=score)
