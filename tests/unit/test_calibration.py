"""Expected calibration error, the reliability plot, and the temperature fit of `symptomcheck calibrate`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from symptomcheck.evaluation.calibration import TemperatureScan, ece_of, refined
from symptomcheck.evaluation.report import plot_reliability

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_the_ece_of_a_hand_made_array_equals_the_hand_computed_value() -> None:
    top = np.array([0.05, 0.15, 0.15, 0.55, 0.65, 0.95, 0.95, 1.0])
    correct = np.array([False, True, False, True, True, True, True, False])
    # bins [0, .1): 1 case, mean .05, accuracy 0 -> gap .05
    #      [.1, .2): 2 cases, mean .15, accuracy .5 -> gap .35
    #      [.5, .6): 1 case, mean .55, accuracy 1 -> gap .45
    #      [.6, .7): 1 case, mean .65, accuracy 1 -> gap .35
    #      [.9, 1]: 3 cases (1.0 in the last bin), mean .9667, accuracy 2/3 -> gap .3
    expected = (1 * 0.05 + 2 * 0.35 + 1 * 0.45 + 1 * 0.35 + 3 * (0.95 + 0.95 + 1.0 - 2) / 3) / 8
    assert ece_of(top, correct) == pytest.approx(expected)
    assert expected == pytest.approx(2.45 / 8)


def test_the_ece_of_perfectly_calibrated_bins_is_zero() -> None:
    top = np.array([0.25] * 4 + [0.75] * 4)
    correct = np.array([True, False, False, False, True, True, True, False])
    assert ece_of(top, correct) == pytest.approx(0.0)


def test_the_reliability_plot_file_is_written(tmp_path: Path) -> None:
    path = plot_reliability([0.1, 0.5, 0.9, 0.95], [False, True, True, True], tmp_path / "reliability.png", "visits")
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_the_temperature_scan_picks_the_temperature_that_minimises_the_ece() -> None:
    """Synthetic cases whose posterior is exactly calibrated at temperature 0.6: the true condition is drawn
    from normalise(prior + 0.6 * log-likelihood), so the scan (grid and refinement, as `calibrate` runs it)
    must land next to 0.6."""
    rng = np.random.default_rng(1)
    n, d, true_temperature = 40_000, 6, 0.6
    log_prior = np.log(rng.dirichlet(np.ones(d) * 2, size=n))
    log_likelihood = rng.normal(0.0, 3.0, size=(n, d))
    p = np.exp(log_prior + true_temperature * log_likelihood)
    p /= p.sum(axis=1, keepdims=True)
    truth = (p.cumsum(axis=1) > rng.uniform(size=(n, 1))).argmax(axis=1)
    coarse = TemperatureScan(tuple(float(t) for t in np.round(np.arange(0.1, 2.01, 0.1), 2)))
    coarse.add(log_prior, log_likelihood, truth)
    best = coarse.best()
    assert best == pytest.approx(0.6, abs=0.1)
    fine = TemperatureScan(refined(best, 0.02, 0.1))
    fine.add(log_prior, log_likelihood, truth)
    eces = fine.ece()
    assert fine.best() == pytest.approx(true_temperature, abs=0.05)
    assert eces[fine.best()] < 0.01
    assert ece_of(*_top(log_prior + 1.5 * log_likelihood, truth)) > 0.05  # over-confident: clearly worse


def _top(log_p: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.exp(log_p - log_p.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    top = p.argmax(axis=1)
    return p[np.arange(len(p)), top], top == truth


def test_the_posterior_recalibration_picks_the_power_that_minimises_the_ece_and_keeps_the_ranking() -> None:
    """Cases drawn from p ** 0.5 (renormalised), p the posterior at temperature 1: the scan of the power of
    the posterior lands next to 0.5, and a power never changes which condition is on top."""
    rng = np.random.default_rng(2)
    n, d = 40_000, 6
    log_prior = np.log(rng.dirichlet(np.ones(d) * 2, size=n))
    log_likelihood = rng.normal(0.0, 2.0, size=(n, d))
    truth_p = np.exp(0.5 * (log_prior + log_likelihood))
    truth_p /= truth_p.sum(axis=1, keepdims=True)
    truth = (truth_p.cumsum(axis=1) > rng.uniform(size=(n, 1))).argmax(axis=1)
    scan = TemperatureScan(tuple(float(t) for t in np.round(np.arange(0.1, 2.01, 0.1), 2)), posterior_at=1.0)
    scan.add(log_prior, log_likelihood, truth)
    assert scan.best() == pytest.approx(0.5, abs=0.1)
    top_before = (log_prior + log_likelihood).argmax(axis=1)
    assert np.array_equal(top_before, (0.5 * (log_prior + log_likelihood)).argmax(axis=1))
    assert scan.totals[0.5].accuracy() == pytest.approx(scan.totals[1.0].accuracy())
