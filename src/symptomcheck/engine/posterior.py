"""Posterior over conditions: log space everywhere, normalised here and only here."""

from __future__ import annotations

import numpy as np

from symptomcheck.model.artifact import FloatArray


def normalise(log_p: FloatArray) -> FloatArray:
    """Probabilities from unnormalised log-probabilities along the last axis (shape kept)."""
    # Probabilities below e^-600 (1e-261) are kept at that size rather than underflowing towards subnormal
    # numbers, which change nothing visible but make every later matrix product an order slower.
    shifted = np.maximum(log_p - log_p.max(axis=-1, keepdims=True), -600.0)
    p: FloatArray = np.exp(shifted)
    p /= p.sum(axis=-1, keepdims=True)
    return p


def entropy(p: FloatArray) -> FloatArray:
    """Shannon entropy in nats along the last axis."""
    safe = np.where(p > 0, p, 1.0)
    result: FloatArray = -(p * np.log(safe)).sum(axis=-1)
    return result
