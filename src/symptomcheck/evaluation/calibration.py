"""Calibration of the top condition's probability: reliability bins, expected calibration error (ECE), and the
posterior temperature that minimises it.

ECE: the top probabilities are put into equal-width bins on [0, 1] (bin k holds [k/bins, (k+1)/bins), the
last one also 1.0); in each bin, the gap between the share of cases whose top condition is the true one and
the mean top probability; the gaps are averaged weighted by the bins' counts.

The temperature multiplies every log-likelihood (`tables.temperature`), the prior being left as it is; the
evidence part of each log-posterior is therefore computed once, untempered, and every candidate temperature
costs one normalisation. Bins are accumulated chunk by chunk, so any number of cases fits in memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from symptomcheck.engine.posterior import normalise
from symptomcheck.model.artifact import FloatArray

BINS = 10
ECE_FLOOR = 0.05  # the expected calibration error aimed at
# the temperatures tried, coarse then refined around the best one
COARSE_TEMPERATURES = tuple(float(t) for t in np.round(np.arange(0.1, 2.01, 0.05), 2))
REFINE_STEP = 0.01


def bin_index(p: NDArray[np.float64], bins: int = BINS) -> NDArray[np.int64]:
    """The bin of each probability (N,): equal width on [0, 1], 1.0 in the last bin."""
    if p.size and (not np.all(np.isfinite(p)) or p.min() < 0.0 or p.max() > 1.0):
        raise ValueError("top probabilities must be finite and within [0, 1]")
    result: NDArray[np.int64] = np.minimum(np.floor(p * bins).astype(np.int64), bins - 1)
    return result


def reliability_bins(
    top_probability: Sequence[float] | FloatArray, top_correct: Sequence[bool] | NDArray[np.bool_], bins: int = BINS
) -> list[tuple[float, float, int]]:
    """(mean predicted, observed accuracy, count) for each non-empty bin, in order of probability."""
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    if len(top_probability) != len(top_correct):
        raise ValueError(
            f"top_probability and top_correct differ in length: {len(top_probability)} != {len(top_correct)}"
        )
    totals = ReliabilityTotals(bins)
    totals.add(np.asarray(top_probability, dtype=np.float64).reshape(-1), np.asarray(top_correct, dtype=np.bool_))
    return totals.bins()


def expected_calibration_error(bins: Sequence[tuple[float, float, int]]) -> float:
    """Count-weighted mean gap between observed accuracy and mean predicted probability; NaN without cases."""
    total = sum(count for _, _, count in bins)
    if total == 0:
        return math.nan
    return sum(count * abs(accuracy - predicted) for predicted, accuracy, count in bins) / total


def ece_of(top_probability: FloatArray, top_correct: NDArray[np.bool_], bins: int = BINS) -> float:
    """ECE of the top probabilities (N,) against whether each top condition is the true one (N,)."""
    return expected_calibration_error(reliability_bins(top_probability, top_correct, bins))


@dataclass
class ReliabilityTotals:
    """Per-bin sums over cases seen so far (accumulated chunk by chunk)."""

    n_bins: int = BINS
    count: NDArray[np.float64] = field(init=False)
    sum_p: NDArray[np.float64] = field(init=False)
    sum_correct: NDArray[np.float64] = field(init=False)

    def __post_init__(self) -> None:
        self.count = np.zeros(self.n_bins)
        self.sum_p = np.zeros(self.n_bins)
        self.sum_correct = np.zeros(self.n_bins)

    def add(self, top_probability: FloatArray, top_correct: NDArray[np.bool_]) -> None:
        index = bin_index(top_probability, self.n_bins)
        self.count += np.bincount(index, minlength=self.n_bins)
        self.sum_p += np.bincount(index, weights=top_probability, minlength=self.n_bins)
        self.sum_correct += np.bincount(index, weights=top_correct.astype(np.float64), minlength=self.n_bins)

    def bins(self) -> list[tuple[float, float, int]]:
        return [
            (float(self.sum_p[k] / self.count[k]), float(self.sum_correct[k] / self.count[k]), int(self.count[k]))
            for k in range(self.n_bins)
            if self.count[k] > 0
        ]

    def ece(self) -> float:
        return expected_calibration_error(self.bins())

    def accuracy(self) -> float:
        total = self.count.sum()
        return float(self.sum_correct.sum() / total) if total else math.nan


def top_of(p: FloatArray, truth: NDArray[np.int64]) -> tuple[FloatArray, NDArray[np.bool_]]:
    """The top probability of each row of `p` (N, D) and whether its condition is `truth` (N,)."""
    top = p.argmax(axis=1)
    top_p: FloatArray = p[np.arange(len(p)), top]
    return top_p, top == truth


@dataclass
class TemperatureScan:
    """ECE of the top probability for several temperatures over the same cases, accumulated by chunks.

    `add` takes each case's log-prior (N, D), its untempered log-likelihood sum (N, D) and its true
    condition (N,); the posterior at temperature t is normalise(log_prior + t * log_likelihood)."""

    temperatures: tuple[float, ...]
    # None: t tempers the likelihoods (the engine's `temperature`). A number T: the posterior at the engine's
    # temperature T is recalibrated after the fact, p_shown ∝ p ** t (a monotone map: the ranking, hence
    # top-k, is unchanged), t being scanned
    posterior_at: float | None = None
    totals: dict[float, ReliabilityTotals] = field(init=False)

    def __post_init__(self) -> None:
        self.totals = {t: ReliabilityTotals() for t in self.temperatures}

    def add(self, log_prior: FloatArray, log_likelihood: FloatArray, truth: NDArray[np.int64]) -> None:
        for t in self.temperatures:
            if self.posterior_at is None:
                log_p = log_prior + t * log_likelihood
            else:
                log_p = t * (log_prior + self.posterior_at * log_likelihood)
            self.totals[t].add(*top_of(normalise(log_p), truth))

    def ece(self) -> dict[float, float]:
        return {t: totals.ece() for t, totals in self.totals.items()}

    def best(self) -> float:
        """The temperature of least ECE (the lowest of equals, the flatter posterior)."""
        eces = self.ece()
        return min(self.temperatures, key=lambda t: (eces[t], t))


def refined(best: float, step: float = REFINE_STEP, coarse_step: float = 0.05) -> tuple[float, ...]:
    """Temperatures every `step` within one coarse step of `best` (positive only)."""
    values = np.round(np.arange(best - coarse_step, best + coarse_step + step / 2, step), 4)
    return tuple(float(t) for t in values if t > 0)
