"""Learning the differential model from labelled DDXPlus patients.

The model is trained on what the interview actually reveals: the training patients are interviewed by the
engine (simulated), and the features of their finished interviews are regressed on their ground-truth
differentials (a condition belongs when its probability there is > 0.01). One logistic model per
condition over shared, standardised features, fitted jointly by L-BFGS with an L2 penalty; patients are
weighted so that each pathology counts as much as `balance` allows. A second round re-interviews the
patients with questions steered by the first model's relevance, then refits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from scipy.optimize import minimize

from symptomcheck.engine.differential import differential_features
from symptomcheck.engine.tables import Tables
from symptomcheck.evaluation.simulate import simulate
from symptomcheck.model.artifact import DifferentialWeights, FloatArray
from symptomcheck.patients import Patient

THRESHOLD = 0.01


def differential_labels(tables: Tables, patients: Sequence[Patient]) -> FloatArray:
    index = {code: i for i, code in enumerate(tables.conditions)}
    labels = np.zeros((len(patients), tables.n_conditions))
    for n, patient in enumerate(patients):
        for code, probability in patient.differential:
            if probability > THRESHOLD:
                labels[n, index[code]] = 1.0
    return labels


def patient_weights(patients: Sequence[Patient], balance: float) -> FloatArray:
    """1 per patient at balance 0; each pathology weighing the same at balance 1; mean weight 1."""
    counts = Counter(p.pathology for p in patients)
    weights = np.array([counts[p.pathology] ** -balance for p in patients], dtype=np.float64)
    result: FloatArray = weights * len(weights) / weights.sum()
    return result


def fit_logistic(
    features: FloatArray, labels: FloatArray, weights: FloatArray, penalty: float, max_iterations: int = 400
) -> DifferentialWeights:
    """Joint fit of D logistic models on standardised features."""
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < 1e-9] = 1.0
    x = (features - mean) / scale
    n, f = x.shape
    d = labels.shape[1]
    w_rows = weights[:, None] / n

    def loss_and_gradient(theta: FloatArray) -> tuple[float, FloatArray]:
        w = theta[: f * d].reshape(f, d)
        b = theta[f * d :]
        z = x @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        loss = float((w_rows * (np.logaddexp(0.0, z) - labels * z)).sum() + penalty * (w**2).sum())
        g = w_rows * (p - labels)
        return loss, np.concatenate([(x.T @ g + 2.0 * penalty * w).ravel(), g.sum(axis=0)])

    result = minimize(
        loss_and_gradient, np.zeros(f * d + d), jac=True, method="L-BFGS-B", options={"maxiter": max_iterations}
    )
    theta = result.x
    w = theta[: f * d].reshape(f, d)
    return DifferentialWeights(w_=w, b_=theta[f * d :], mean_=mean, scale_=scale, relevance_=np.ones(0))


def relevance(weights: DifferentialWeights, n_evidences: int) -> FloatArray:
    """How strongly a yes or a no to each question moves the scores (sum of |weights|), mean 1."""
    w = np.abs(weights.w_) / weights.scale_[:, None]
    per_question = w[:n_evidences].sum(axis=1) + w[n_evidences : 2 * n_evidences].sum(axis=1)
    result: FloatArray = per_question / max(float(per_question.mean()), 1e-12)
    return result


def train_differential(
    tables: Tables,
    patients: Sequence[Patient],
    penalty: float = 1e-4,
    balance: float = 0.0,
    rounds: int = 2,
    max_turns: int = 30,
) -> DifferentialWeights:
    """Fit the differential model on simulated interviews of `patients` (see the module docstring)."""
    labels = differential_labels(tables, patients)
    weights = patient_weights(patients, balance)
    steer = np.ones(tables.n_evidences)
    final: DifferentialWeights | None = None
    for _ in range(rounds):
        current = replace(tables, relevance=steer)
        interviews = simulate(current, patients, max_turns)
        features = differential_features(
            current,
            interviews.log_posterior,
            interviews.known_present,
            interviews.known_absent,
            interviews.known_values,
        )
        fitted = fit_logistic(features, labels, weights, penalty)
        # the relevance stored is the one the training interviews were steered by, so that inference
        # interviews the way the model was trained; the new one steers the next round
        final = replace(fitted, relevance_=steer)
        steer = relevance(fitted, tables.n_evidences)
    if final is None:
        raise ValueError("rounds must be at least 1")
    return final
