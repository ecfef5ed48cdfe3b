"""`symptomcheck evaluate`: the DDXPlus protocol on a patient file, on every core, in bounded memory.

Patients are streamed from the file in chunks; each worker process holds one engine and interviews a
chunk at a time (all of its patients in step, vectorised); only the per-patient figures come back.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from symptomcheck.engine.assessment import Engine
from symptomcheck.evaluation.batch import ChunkResult, init_worker, interview_chunk, run_chunk, use_engine
from symptomcheck.evaluation.metrics import EvaluationInput, compute_metrics, shift_rates
from symptomcheck.evaluation.report import TRIAGE_LEVELS, ReportData
from symptomcheck.knowledge import TriageLevel, default_knowledge
from symptomcheck.model import Model, load_model
from symptomcheck.model.artifact import SHIPPED_MODEL
from symptomcheck.patients import Patient, read_patients

CHUNK = 128
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    report: ReportData


@contextmanager
def _single_threaded_blas() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(_THREAD_VARIABLES, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _chunks(patients: Iterator[Patient], size: int) -> Iterator[list[Patient]]:
    while chunk := list(islice(patients, size)):
        yield chunk


def evaluate_file(
    path: Path,
    model_path: Path = SHIPPED_MODEL,
    max_turns: int = 30,
    workers: int | None = None,
    overrides: dict[str, float] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """Run the protocol on every patient of `path` and compute the metrics and the report's data."""
    knowledge = default_knowledge()
    overrides = overrides or {}
    model = load_model(model_path)
    engine = Engine(model, knowledge, **overrides)
    workers = workers or os.cpu_count() or 1
    patients_all: list[Patient] = []
    results: list[ChunkResult] = []
    started = time.perf_counter()
    stream = _chunks(read_patients(path, knowledge), CHUNK)
    if workers <= 1:
        for chunk in stream:
            results.append(interview_chunk(engine, chunk, max_turns))
            patients_all.extend(chunk)
            if progress:
                progress(len(chunk))
    else:
        with _worker_pool(workers, engine, model_path, overrides) as pool:
            pending: list[tuple[list[Patient], Future[ChunkResult]]] = []
            for chunk in stream:
                pending.append((chunk, pool.submit(run_chunk, chunk, max_turns)))
                # keep at most two chunks per worker in flight: bounded memory on any file size
                while len(pending) >= 2 * workers:
                    done_chunk, future = pending.pop(0)
                    results.append(future.result())
                    patients_all.extend(done_chunk)
                    if progress:
                        progress(len(done_chunk))
            for done_chunk, future in pending:
                results.append(future.result())
                patients_all.extend(done_chunk)
                if progress:
                    progress(len(done_chunk))
    elapsed = time.perf_counter() - started
    return summarise(model, patients_all, results, max_turns, elapsed, path.name, engine)


@contextmanager
def _worker_pool(
    workers: int, engine: Engine, model_path: Path, overrides: dict[str, float]
) -> Iterator[ProcessPoolExecutor]:
    """The worker processes, each with one BLAS thread: the processes already use every core, and spinning BLAS
    threads on top of them would only compete for the same cores.

    Where the platform forks (Linux), the workers are forked from this process and start with its engine,
    already built: a spawned worker imports numpy and the engine, reads the knowledge and compiles the model
    again first, about a second per worker, as long as interviewing a few hundred patients takes. A forked
    worker keeps the BLAS threads its parent started (the environment variables are read only when the library
    loads), which made two workers on two cores five times slower: each limits its BLAS to one thread first
    (threadpoolctl). Elsewhere they are spawned, with the BLAS variables set while they start (processes start
    on the first submissions, so the variables stay set until every chunk is done)."""
    if sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods():
        use_engine(engine)
        forked = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=forked, initializer=_one_blas_thread) as pool:
            yield pool
        return
    spawned = multiprocessing.get_context("spawn")
    with (
        _single_threaded_blas(),
        ProcessPoolExecutor(
            workers, mp_context=spawned, initializer=init_worker, initargs=(str(model_path), overrides)
        ) as pool,
    ):
        yield pool


def _one_blas_thread() -> None:
    threadpool_limits(limits=1, user_api="blas")


def summarise(
    model: Model,
    patients: Sequence[Patient],
    results: Sequence[ChunkResult],
    max_turns: int,
    elapsed: float,
    source: str,
    engine: Engine,
) -> Evaluation:
    t = engine.tables
    differentials = [ranked for r in results for ranked in r.differentials]
    asked = [codes for r in results for codes in r.asked]
    advice = np.concatenate([r.advice_urgency for r in results]) if results else np.zeros(0, dtype=np.int64)
    top_by_turn = np.vstack([r.top_by_turn for r in results]) if results else np.zeros((0, max_turns + 1))
    # the DDXPlus metrics count DDXPlus's severe conditions only (its severity 1-2), whatever else the model knows
    ddxplus = {c.code for c in engine.knowledge.ddxplus().conditions}
    severe = t.severe & np.array([code in ddxplus for code in t.conditions])
    metrics = compute_metrics(
        EvaluationInput(patients, t.conditions, severe, t.level_urgency, differentials, asked, advice)
    )
    flipped = np.concatenate([r.flipped_urgency for r in results]) if results else np.zeros(0, dtype=np.int64)
    metrics.update(shift_rates(advice, flipped))
    metrics["patients_per_second"] = len(patients) / elapsed if elapsed > 0 else float("nan")
    index = {code: i for i, code in enumerate(t.conditions)}
    truth = np.array([index[p.pathology] for p in patients], dtype=np.int64)
    accuracy = (top_by_turn == truth[:, None]).mean(axis=0) if len(patients) else np.zeros(max_turns + 1)
    # reliability of the calibrated posterior's top probability (the list's shares are not probabilities)
    top_probability = np.concatenate([r.top_posterior for r in results]) if results else np.zeros(0)
    top = np.concatenate([r.top_condition for r in results]) if results else np.zeros(0, dtype=np.int64)
    levels = list(TriageLevel)
    confusion = np.zeros((len(levels), len(levels)), dtype=np.int64)
    for n in range(len(patients)):
        true_level = TriageLevel.by_urgency(int(t.level_urgency[truth[n]]))
        advised = TriageLevel.by_urgency(int(advice[n]))
        confusion[levels.index(true_level), levels.index(advised)] += 1
    report = ReportData(
        source=source,
        max_turns=max_turns,
        metrics=metrics,
        accuracy_by_turn=[float(a) for a in accuracy],
        questions_asked=[len(a) for a in asked],
        top_probability=[float(x) for x in top_probability],
        top_correct=[bool(x) for x in (top == truth)],
        triage_levels=TRIAGE_LEVELS,
        triage_confusion=confusion.tolist(),
        model_version=model.version,
        settings={k: float(v) for k, v in t.settings.items()},
    )
    return Evaluation(metrics=metrics, report=report)
