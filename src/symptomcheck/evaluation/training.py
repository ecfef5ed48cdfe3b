"""Learning the differential model from labelled DDXPlus patients.

The model is trained on what the interview reveals: the training patients are interviewed by the engine
(simulated) and the features of their finished interviews are paired with their ground-truth differentials
(a condition belongs when its probability there is > 0.01). Each patient also contributes a second row with
every one of its answers known, which teaches the model how the list follows from the findings; the
partial rows teach it to work from what an interview of about twelve questions finds. The network (one
tanh hidden layer, a sigmoid output per condition) is fitted by L-BFGS on the cross-entropy with an L2
penalty, from a fixed seed, so a fit is reproducible. Several networks (seeds 0, 1, ...) can be fitted and
their logits averaged: one network fits its training patients almost exactly, and the average generalises
a little better; the average is stored as one wider network.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize  # type: ignore[import-untyped]

from symptomcheck.engine.differential import demographic_features, differential_features
from symptomcheck.engine.tables import Tables
from symptomcheck.evaluation.simulate import PatientAnswers, simulate
from symptomcheck.model.artifact import DifferentialWeights, FloatArray
from symptomcheck.patients import Patient

THRESHOLD = 0.01


def differential_labels(tables: Tables, patients: Sequence[Patient]) -> FloatArray:
    """(N, D): 1 where the condition is in the patient's ground-truth differential (> 0.01)."""
    index = {code: i for i, code in enumerate(tables.conditions)}
    labels = np.zeros((len(patients), tables.n_conditions))
    for n, patient in enumerate(patients):
        for code, probability in patient.differential:
            if probability > THRESHOLD:
                labels[n, index[code]] = 1.0
    return labels


def training_rows(tables: Tables, patients: Sequence[Patient], max_turns: int = 30) -> FloatArray:
    """Features of the simulated interviews, then of the same patients with every answer known (2N, F)."""
    interviews = simulate(tables, patients, max_turns)
    demographics = demographic_features([p.age for p in patients], [p.sex for p in patients])
    partial = differential_features(
        tables,
        interviews.log_posterior,
        interviews.known_present,
        interviews.known_absent,
        interviews.known_values,
        demographics,
    )
    answers = PatientAnswers(tables, patients)
    full = differential_features(
        tables, interviews.log_posterior, answers.present, ~answers.present, answers.values, demographics
    )
    return np.vstack([partial, full])


def fit_network(
    features: FloatArray,
    labels: FloatArray,
    hidden: int = 64,
    penalty: float = 1e-3,
    max_iterations: int = 500,
    seed: int = 0,
) -> DifferentialWeights:
    """Fit the one-hidden-layer network on standardised features."""
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < 1e-9] = 1.0
    x = (features - mean) / scale
    n, f = x.shape
    d = labels.shape[1]
    shapes = ((f, hidden), (hidden,), (hidden, d), (d,))
    sizes = [int(np.prod(shape)) for shape in shapes]
    bounds = np.cumsum([0, *sizes])

    def unpack(theta: FloatArray) -> list[FloatArray]:
        return [theta[bounds[i] : bounds[i + 1]].reshape(shape) for i, shape in enumerate(shapes)]

    def loss_and_gradient(theta: FloatArray) -> tuple[float, FloatArray]:
        w1, b1, w2, b2 = unpack(theta)
        h = np.tanh(x @ w1 + b1)
        z = h @ w2 + b2
        p = 1.0 / (1.0 + np.exp(-z))
        loss = float((np.logaddexp(0.0, z) - labels * z).sum() / n + penalty * ((w1**2).sum() + (w2**2).sum()))
        g = (p - labels) / n
        g_hidden = (g @ w2.T) * (1.0 - h**2)
        gradient = [x.T @ g_hidden + 2 * penalty * w1, g_hidden.sum(axis=0), h.T @ g + 2 * penalty * w2, g.sum(axis=0)]
        return loss, np.concatenate([part.ravel() for part in gradient])

    rng = np.random.default_rng(seed)
    start = np.concatenate(
        [rng.normal(0.0, f**-0.5, f * hidden), np.zeros(hidden), rng.normal(0.0, hidden**-0.5, hidden * d), np.zeros(d)]
    )
    result = minimize(loss_and_gradient, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iterations})
    w1, b1, w2, b2 = unpack(result.x)
    return DifferentialWeights(w_=w1, b_=b1, w2_=w2, b2_=b2, mean_=mean, scale_=scale)


def average_networks(networks: Sequence[DifferentialWeights]) -> DifferentialWeights:
    """One network whose logits are the mean of the networks' logits (fitted on the same features).

    The output layer is linear in the hidden units, so K networks of H units each are exactly one network of
    K * H units, with the output weights divided by K: the ensemble needs nothing new at inference.
    """
    count = len(networks)
    return DifferentialWeights(
        w_=np.hstack([net.w_ for net in networks]),
        b_=np.concatenate([net.b_ for net in networks]),
        w2_=np.vstack([net.w2_ for net in networks]) / count,
        b2_=np.mean([net.b2_ for net in networks], axis=0),
        mean_=networks[0].mean_,
        scale_=networks[0].scale_,
    )


def train_differential(tables: Tables, patients: Sequence[Patient], max_turns: int = 30) -> DifferentialWeights:
    """Fit the differential model on `patients` (see the module docstring) with the model's settings:
    `differential_members` networks of `differential_hidden` units (seeds 0, 1, ...) under the L2 penalty
    `differential_penalty`, averaged into one."""
    settings = tables.settings
    hidden = int(settings["differential_hidden"])
    penalty = float(settings["differential_penalty"])
    members = max(int(settings["differential_members"]), 1)
    labels = differential_labels(tables, patients)
    features = training_rows(tables, patients, max_turns)
    both = np.vstack([labels, labels])
    networks = [fit_network(features, both, hidden, penalty, seed=seed) for seed in range(members)]
    return networks[0] if members == 1 else average_networks(networks)
