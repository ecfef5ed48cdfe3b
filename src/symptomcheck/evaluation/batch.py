"""Interviewing a chunk of simulated patients and deriving what the metrics need (run in worker processes).

Kept apart from the report and plotting code so that a worker process starts with only the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Engine
from symptomcheck.engine.differential import demographic_features, differential
from symptomcheck.engine.posterior import normalise
from symptomcheck.engine.protocol import active_families
from symptomcheck.engine.triage import batch_urgency, raised_red_flags, triage_of_interview
from symptomcheck.evaluation.simulate import derived_answers, simulate
from symptomcheck.knowledge import EvidenceKind, KnowledgeBase, default_knowledge
from symptomcheck.model import load_model
from symptomcheck.model.artifact import FloatArray
from symptomcheck.patients import Patient


@dataclass(frozen=True)
class ChunkResult:
    p_differential: FloatArray  # (n, D)
    p_posterior: FloatArray  # (n, D) the calibrated posterior
    asked: list[frozenset[str]]
    advice_urgency: np.ndarray  # (n,)
    top_by_turn: np.ndarray  # (n, max_turns + 1)


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
    asked_codes = []
    flagged = {flag.evidence for flag in engine.knowledge.red_flags}
    families = active_families(
        tables.protocol,
        interviews.known_present,
        interviews.known_values,
        np.array([patient.age for patient in patients], dtype=np.int64),
    )
    for n, patient in enumerate(patients):
        codes = frozenset(tables.evidences[e] for e in np.flatnonzero(interviews.asked[n]))
        asked_codes.append(codes)
        answered = (codes | {patient.initial_evidence}) & flagged
        answers = {code: answer_of(engine.knowledge, patient, code) for code in answered}
        red_flags = engine.red_flags_for(
            patient.age, patient.sex, frozenset(tables.protocol.families[f] for f in np.flatnonzero(families[n]))
        )
        if not raised_red_flags(red_flags, answers):
            continue
        codes_in_order = [patient.initial_evidence] + [
            tables.evidences[int(e)] for e in interviews.sequence[n] if e >= 0
        ]
        ordered = [(code, answer_of(engine.knowledge, patient, code)) for code in codes_in_order]
        decision = triage_of_interview(
            interviews.log_posterior[n],
            ordered,
            [tables.answer_log_likelihood(tables.evidence_index(code), answer) for code, answer in ordered],
            tables.level_urgency,
            engine.knowledge.triage_thresholds,
            red_flags,
        )
        urgency[n] = max(int(urgency[n]), decision.level.urgency)
    return ChunkResult(result.p, p, asked_codes, urgency, interviews.top_by_turn)


def answer_of(knowledge: KnowledgeBase, patient: Patient, code: str) -> Answer:
    evidence = knowledge.evidence(code)
    if evidence.kind is EvidenceKind.BINARY:
        return Answer.yes() if code in patient.present else Answer.no()
    return Answer.of(*(patient.values.get(code) or (str(evidence.default),)))
