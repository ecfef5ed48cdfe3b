"""Interviewing a chunk of simulated patients and deriving what the metrics need (run in worker processes).

Kept apart from the report and plotting code so that a worker process starts with only the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Engine
from symptomcheck.engine.differential import demographic_features, differential
from symptomcheck.engine.posterior import normalise
from symptomcheck.engine.protocol import active_families
from symptomcheck.engine.triage import batch_urgency, raised_red_flags, triage_of_interview
from symptomcheck.evaluation.metrics import ranked_differential
from symptomcheck.evaluation.simulate import derived_answers, simulate
from symptomcheck.evaluation.stability import interview_flip
from symptomcheck.knowledge import EvidenceKind, KnowledgeBase, RedFlag, default_knowledge
from symptomcheck.model import load_model
from symptomcheck.model.artifact import FloatArray
from symptomcheck.patients import Patient


@dataclass(frozen=True)
class ChunkResult:
    differentials: list[tuple[int, ...]]  # each patient's differential as the metrics count it (ranked_differential)
    top_posterior: FloatArray  # (n,) the calibrated posterior's top probability
    top_condition: np.ndarray  # (n,) and its condition
    asked: list[frozenset[str]]
    advice_urgency: np.ndarray  # (n,)
    top_by_turn: np.ndarray  # (n, max_turns + 1)
    flipped_urgency: np.ndarray  # (n,) the advice with the least-weight answer flipped, -1 without one


_engine: Engine | None = None


def init_worker(model_path: str, overrides: dict[str, float]) -> None:
    global _engine  # one engine per worker process, built once  # noqa: PLW0603
    _engine = Engine(load_model(Path(model_path)), default_knowledge(), **overrides)


def run_chunk(patients: list[Patient], max_turns: int) -> ChunkResult:
    assert _engine is not None
    return interview_chunk(_engine, patients, max_turns)


def interview_chunk(engine: Engine, patients: Sequence[Patient], max_turns: int) -> ChunkResult:
    """Interview a chunk of patients and derive what the metrics need."""
    tables = engine.tables
    interviews = simulate(tables, patients, max_turns, derived_answers(engine.knowledge, tables, patients))
    result = differential(
        tables,
        engine.model.differential,
        interviews.log_posterior,
        interviews.known_present,
        interviews.known_absent,
        interviews.known_values,
        demographic_features([p.age for p in patients], [p.sex for p in patients]),
    )
    p = normalise(interviews.log_posterior)
    urgency = batch_urgency(p, tables.level_urgency, engine.knowledge.triage_thresholds)
    families = active_families(
        tables.protocol,
        interviews.known_present,
        interviews.known_values,
        np.array([patient.age for patient in patients], dtype=np.int64),
    )
    flags_of = [
        engine.red_flags_for(
            patient.age, patient.sex, frozenset(tables.protocol.families[f] for f in np.flatnonzero(families[n]))
        )
        for n, patient in enumerate(patients)
    ]
    decisive = np.zeros((len(patients), tables.n_evidences), dtype=bool)
    index = {code: e for e, code in enumerate(tables.evidences)}
    for n, flags in enumerate(flags_of):
        decisive[n, [index[code] for flag in flags for code in flag.evidences if code in index]] = True
    flip = interview_flip(tables, interviews, decisive)
    flipped_log_posterior = interviews.log_posterior - flip.log_likelihood_given + flip.log_likelihood_flipped
    flipped = batch_urgency(normalise(flipped_log_posterior), tables.level_urgency, engine.knowledge.triage_thresholds)
    asked_codes = []
    for n, patient in enumerate(patients):
        codes = frozenset(tables.evidences[e] for e in np.flatnonzero(interviews.asked[n]))
        asked_codes.append(codes)
        ordered = [patient.initial_evidence] + [tables.evidences[int(e)] for e in interviews.sequence[n] if e >= 0]
        red_flags = flags_of[n]
        raised = _red_flag_urgency(engine, patient, ordered, interviews.log_posterior[n], red_flags)
        urgency[n] = max(int(urgency[n]), raised)
        q, answer = int(flip.question[n]), flip.answer[n]
        if q < 0 or answer is None:
            flipped[n] = -1
            continue
        changed = {tables.evidences[q]: answer}
        raised = _red_flag_urgency(engine, patient, ordered, flipped_log_posterior[n], red_flags, changed)
        flipped[n] = max(int(flipped[n]), raised)
    return ChunkResult(
        [ranked_differential(row) for row in result.p],
        p.max(axis=1),
        p.argmax(axis=1),
        asked_codes,
        urgency,
        interviews.top_by_turn,
        flipped,
    )


def _red_flag_urgency(
    engine: Engine,
    patient: Patient,
    ordered: Sequence[str],
    log_posterior: FloatArray,
    red_flags: Sequence[RedFlag],
    changed: Mapping[str, Answer] | None = None,
) -> int:
    """The urgency the engine's triage gives an interview (its codes in order, answered from the record but for
    `changed`) when one of `red_flags` (those that apply to the patient) is raised; -1 when none is (the
    probability rule alone decides, as vectorised)."""
    knowledge, tables = engine.knowledge, engine.tables
    changed = changed or {}
    flagged = {code for flag in red_flags for code in flag.evidences}

    def answer(code: str) -> Answer:
        return changed[code] if code in changed else answer_of(knowledge, patient, code)

    answers = {code: answer(code) for code in set(ordered) & flagged}
    if not raised_red_flags(red_flags, answers):
        return -1
    answered = [(code, answer(code)) for code in ordered]
    decision = triage_of_interview(
        log_posterior,
        answered,
        [tables.answer_log_likelihood(tables.evidence_index(code), a) for code, a in answered],
        tables.level_urgency,
        knowledge.triage_thresholds,
        red_flags,
    )
    return decision.level.urgency


def answer_of(knowledge: KnowledgeBase, patient: Patient, code: str) -> Answer:
    evidence = knowledge.evidence(code)
    if evidence.kind is EvidenceKind.BINARY:
        return Answer.yes() if code in patient.present else Answer.no()
    return Answer.of(*(patient.values.get(code) or (str(evidence.default),)))
