"""Cross-validation of the differential model: how it does on labelled patients it was not trained on.

The labelled patients (those that would teach the differential model in `fit`) are split into k folds in a
seeded random order. For each fold, the differential model is trained on the other folds with the model's
settings, and the fold's patients are interviewed by the DDXPlus protocol with it. The metrics are those of
`evaluate`, over every fold's patients. The differential model's settings are chosen this way, on the
training patients, so that a report file stays unseen. Patients given as `always_train` join every fold's
training set and are never held out: how much a file helps the others is measured on the others alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from symptomcheck.engine.assessment import Engine
from symptomcheck.engine.tables import compile_tables
from symptomcheck.evaluation.batch import ChunkResult, interview_chunk
from symptomcheck.evaluation.run import Evaluation, summarise
from symptomcheck.evaluation.training import train_differential
from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.model import Model
from symptomcheck.patients import Patient


def fold_numbers(count: int, folds: int, seed: int = 0) -> np.ndarray:
    """The fold (0 .. folds - 1) of each of `count` patients: a seeded shuffle dealt round-robin, so that
    the folds' sizes differ by at most one."""
    if folds < 2 or folds > count:
        raise ValueError(f"cross-validation needs 2 to {count} folds (one patient at least in each), not {folds}")
    order = np.random.default_rng(seed).permutation(count)
    numbers = np.empty(count, dtype=np.int64)
    numbers[order] = np.arange(count) % folds
    return numbers


def cross_validate(
    model: Model,
    knowledge: KnowledgeBase,
    patients: Sequence[Patient],
    folds: int = 5,
    max_turns: int = 30,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    always_train: Sequence[Patient] = (),
) -> Evaluation:
    """Train on k - 1 folds, interview the k-th, for every fold; the metrics of every held-out patient.

    `progress` is called with the number of patients of each fold once that fold is done.
    """
    numbers = fold_numbers(len(patients), folds, seed)
    tables = compile_tables(model, knowledge)
    started = time.perf_counter()
    ordered: list[Patient] = []
    results: list[ChunkResult] = []
    engine = Engine(model, knowledge)
    for fold in range(folds):
        training = [*(p for p, k in zip(patients, numbers, strict=True) if k != fold), *always_train]
        held_out = [p for p, k in zip(patients, numbers, strict=True) if k == fold]
        engine = Engine(replace(model, differential=train_differential(tables, training, max_turns)), knowledge)
        results.append(interview_chunk(engine, held_out, max_turns))
        ordered.extend(held_out)
        if progress:
            progress(len(held_out))
    elapsed = time.perf_counter() - started
    return summarise(model, ordered, results, max_turns, elapsed, f"{folds}-fold cross-validation", engine)
