"""Speed and memory of the engine and of `evaluate` (prints figures; asserts only generous bounds).

    python benchmarks/bench_engine.py [--repeats 5]

1. One interview step for one consultation, as a service runs it: add the answer to the log-posterior,
   normalise, and choose the next question (information gain over every eligible question, stopping
   rule). Timed over every step of replayed real interviews; median and 90th percentile.
2. A whole `Engine.assess` (the above plus differential, triage and explanations), same replay.
3. `evaluate` throughput on the development patient files with every core, medians of the repeats.
4. Peak resident memory: of this process after 1 and 2 (a service's process: knowledge, model, engine and
   consultations), and of the largest process `evaluate` runs (its main process or a worker; measured in a
   process of its own, so that the figures do not mix).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Engine
from symptomcheck.engine.posterior import normalise
from symptomcheck.engine.questions import choose_questions, eligible_questions
from symptomcheck.engine.stopping import should_stop
from symptomcheck.evaluation.batch import answer_of
from symptomcheck.evaluation.run import evaluate_file
from symptomcheck.knowledge import default_knowledge
from symptomcheck.model import SHIPPED_MODEL, load_model
from symptomcheck.patients import read_patients

DATA = Path(__file__).resolve().parents[1] / "data" / "ddxplus"
REPLAY_FILE = DATA / "validate_stratified_588_with_translation.csv"
THROUGHPUT_FILES = (DATA / "validate_stratified_588_with_translation.csv", DATA / "validate_subset_6763_19patho.csv")


def step_latencies(engine: Engine, patients: int) -> tuple[list[float], list[float]]:
    knowledge = engine.knowledge
    tables = engine.tables
    core: list[float] = []
    whole: list[float] = []
    for patient in list(read_patients(REPLAY_FILE, knowledge))[:patients]:
        answers = [(patient.initial_evidence, Answer.yes())]
        log_posterior = tables.log_prior_for(patient.age, patient.sex)
        asked = np.zeros((1, tables.n_evidences), dtype=bool)
        present = np.zeros_like(asked)
        while True:
            code, answer = answers[-1]
            e = tables.evidence_index(code)
            started = time.perf_counter()
            log_posterior = log_posterior + tables.answer_log_likelihood(e, answer)
            asked[0, e] = True
            present[0, e] = answer.status.value == "present" and code in patient.present
            p = normalise(log_posterior)[None, :]
            best, score = choose_questions(tables, p, eligible_questions(tables, asked, present))
            stop = should_stop(tables, p, score, len(answers) - 1, engine.max_turns)[0]
            core.append(time.perf_counter() - started)
            started = time.perf_counter()
            assessment = engine.assess(patient.age, patient.sex, answers)
            whole.append(time.perf_counter() - started)
            if stop or best[0] < 0 or assessment.next_question is None:
                break
            next_code = tables.evidences[int(best[0])]
            answers.append((next_code, answer_of(knowledge, patient, next_code)))
    return core, whole


def throughput(path: Path, model: Path, rate: multiprocessing.Queue[float]) -> None:
    """`evaluate` on a file, as a person runs it: once, in a process of its own."""
    rate.put(evaluate_file(path, model).metrics["patients_per_second"])


def run_evaluate(path: Path, model: Path) -> float:
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[float] = context.Queue()
    process = context.Process(target=throughput, args=(path, model, queue))
    process.start()
    rate = queue.get()
    process.join()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--patients", type=int, default=200, help="patients replayed for the step latencies")
    parser.add_argument(
        "--model", type=Path, default=SHIPPED_MODEL, help="model artifact (the shipped broad model by default)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    engine = Engine(load_model(args.model), default_knowledge())
    print(f"knowledge, model and engine loaded in {time.perf_counter() - started:.2f} s")
    core, whole = step_latencies(engine, args.patients)
    ms = 1000.0
    print(f"interview steps timed: {len(core)}")
    print(
        f"step (update + next question + stop): median {ms * statistics.median(core):.3f} ms, "
        f"p90 {ms * float(np.percentile(core, 90)):.3f} ms"
    )
    print(
        f"Engine.assess (everything):           median {ms * statistics.median(whole):.3f} ms, "
        f"p90 {ms * float(np.percentile(whole, 90)):.3f} ms"
    )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for path in THROUGHPUT_FILES:
        rates = [run_evaluate(path, args.model) for _ in range(args.repeats)]
        print(
            f"evaluate {path.name}: median {statistics.median(rates):,.0f} patients/s "
            f"(min {min(rates):,.0f}, max {max(rates):,.0f}, {args.repeats} runs, all cores)"
        )
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"peak resident memory: a service's process {own:.0f} MiB, the largest process of evaluate {children:.0f} MiB"
    )
    # generous bounds only: a benchmark is not a test
    if statistics.median(core) > 0.05 or own > 4096:
        sys.exit("far outside the expected range")


if __name__ == "__main__":
    main()
