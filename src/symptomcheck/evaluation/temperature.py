"""Fitting the posterior temperature on the training years of the visit records (`symptomcheck calibrate`).

The engine multiplies every log-likelihood by `temperature`; the naive-Bayes posterior counts correlated
reasons as independent and is over-confident at 1, under-confident when the temperature is too low. The
temperature chosen is the one of least ECE of the top outcome's probability (`calibration.py`) on visits of
the years the model was fitted on, never on the held-out years, which only report the result: a coarse grid
(every 0.05 from 0.1 to 2), then every 0.01 around the best. The visits are simulated as in
`evaluate-visits` (age, sex, and the reasons as present answers), on the visits whose first diagnosis is an
outcome of the posterior; a seeded sample of them keeps the scan to a minute.

`--method posterior` fits instead a monotone recalibration of the posterior, p_shown ∝ p ** t, at the model's
temperature: the ranking (top-k) is unchanged, and the engine can apply it to the probabilities it shows
while the interview and triage keep the posterior they are tuned on. On the broad model the likelihoods'
temperature of least ECE flattens the posterior so much that the interview and triage break (see the
README), which is why both exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from symptomcheck.engine.tables import Tables
from symptomcheck.evaluation.calibration import COARSE_TEMPERATURES, TemperatureScan, refined
from symptomcheck.evaluation.visits import VisitCases, collect_cases
from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.model.artifact import FloatArray
from symptomcheck.model.broad import VisitCounts
from symptomcheck.visits import Visit

CHUNK = 4096
DEFAULT_SAMPLE = 100_000


@dataclass(frozen=True)
class EvidenceSums:
    """What the posterior of each case needs at any temperature."""

    log_prior: FloatArray  # (N, D)
    log_likelihood: FloatArray  # (N, D) untempered sum over the case's reasons
    truth: NDArray[np.int64]  # (N,) the true outcome, in the tables' order


def judged_cases(visits: Iterable[Visit], knowledge: KnowledgeBase, sample: int = 0, seed: int = 0) -> VisitCases:
    """The simulated visits whose first diagnosis is an outcome of the posterior; a seeded sample of `sample`
    of them (0: all)."""
    cases = collect_cases(visits, VisitCounts(knowledge))
    keep = np.flatnonzero(np.array(cases.condition, dtype=np.int64) >= 0)
    if sample and len(keep) > sample:
        keep = np.sort(np.random.default_rng(seed).choice(keep, size=sample, replace=False))
    result = VisitCases()
    for name in ("age", "sex", "is_ed", "condition", "evidences", "admitted_or_died", "emergent"):
        values = getattr(cases, name)
        getattr(result, name).extend(values[int(i)] for i in keep)
    return result


def evidence_sums(tables: Tables, counts: VisitCounts, cases: VisitCases) -> Iterable[EvidenceSums]:
    """`EvidenceSums` of `cases`, chunk by chunk (bounded memory)."""
    evidence_index = np.array([tables.evidence_index(code) for code in counts.reason_evidences])
    log_present = tables.log_p_outcome[tables.offsets[evidence_index] + 1]  # (V, D) untempered
    order = np.array([tables.conditions.index(code) for code in counts.conditions], dtype=np.int64)
    for start in range(0, len(cases), CHUNK):
        stop = min(start + CHUNK, len(cases))
        log_prior = np.stack([tables.log_prior_for(cases.age[n], cases.sex[n]) for n in range(start, stop)])
        log_likelihood = np.stack([log_present[cases.evidences[n]].sum(axis=0) for n in range(start, stop)])
        truth = order[np.array(cases.condition[start:stop], dtype=np.int64)]
        yield EvidenceSums(log_prior, log_likelihood, truth)


def scan(
    tables: Tables, counts: VisitCounts, cases: VisitCases, temperatures: Iterable[float], posterior: bool = False
) -> dict[float, float]:
    """ECE of the top outcome at each temperature over `cases` (`posterior`: see `TemperatureScan`)."""
    result = TemperatureScan(tuple(temperatures), float(tables.temperature) if posterior else None)
    for sums in evidence_sums(tables, counts, cases):
        result.add(sums.log_prior, sums.log_likelihood, sums.truth)
    return result.ece()


@dataclass(frozen=True)
class TemperatureFit:
    temperature_before: float  # the model's setting (1: no recalibration, with `posterior`)
    temperature: float  # the one of least ECE on the training years
    posterior: bool  # a power of the posterior (monotone, shown probabilities) rather than the likelihoods' temperature
    ece_training: dict[float, float]  # every temperature tried, on the training years
    visits_training: int


def fit_temperature(
    tables: Tables,
    counts: VisitCounts,
    training: VisitCases,
    progress: Callable[[str], None] | None = None,
    posterior: bool = False,
) -> TemperatureFit:
    """The temperature of least ECE on `training` (coarse grid, then refined around its best); `posterior`:
    the power of the posterior instead (`TemperatureScan`)."""
    say = progress or (lambda _: None)
    before = 1.0 if posterior else float(tables.temperature)
    say(f"scanning {len(COARSE_TEMPERATURES)} temperatures on {len(training)} training visits")
    eces = scan(tables, counts, training, sorted({*COARSE_TEMPERATURES, before}), posterior)
    coarse_best = min(eces, key=lambda t: (eces[t], t))
    fine = [t for t in refined(coarse_best) if t not in eces]
    say(f"refining around {coarse_best:g} ({len(fine)} temperatures)")
    eces.update(scan(tables, counts, training, fine, posterior))
    best = min(eces, key=lambda t: (eces[t], t))
    return TemperatureFit(before, best, posterior, dict(sorted(eces.items())), len(training))
