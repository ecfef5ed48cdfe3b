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
from symptomcheck.engine.tables import BoolArray
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


def use_engine(engine: Engine) -> None:
    """Make `engine` this process's worker engine: a worker forked after this call starts with it, built."""
    global _engine  # noqa: PLW0603
    _engine = engine


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
    flags_of = _red_flags_by_patient(engine, patients, families)
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
        # the answer flipped is never one of a flag that applies (`decisive`): both interviews raise the same flags
        raised = _raised_flags(engine, patient, ordered, flags_of[n])
        urgency[n] = max(int(urgency[n]), _red_flag_urgency(engine, interviews.log_posterior[n], raised))
        if flip.question[n] < 0 or flip.answer[n] is None:
            flipped[n] = -1
            continue
        flipped[n] = max(int(flipped[n]), _red_flag_urgency(engine, flipped_log_posterior[n], raised))
    return ChunkResult(
        [ranked_differential(row) for row in result.p],
        p.max(axis=1),
        p.argmax(axis=1),
        asked_codes,
        urgency,
        interviews.top_by_turn,
        flipped,
    )


def _red_flags_by_patient(
    engine: Engine, patients: Sequence[Patient], families: BoolArray
) -> list[tuple[RedFlag, ...]]:
    """`Engine.red_flags_for` of each patient (`families` (N, F): the complaint families that apply), the same
    flags in the same order. A chunk's (age, sex, families) are mostly distinct, so the engine's cache seldom
    helps and each call would test every flag: here a patient's are tested among the flags without a family
    and those of its own families only (a flag of another family never applies)."""
    red_flags = engine.knowledge.red_flags
    by_family: dict[str | None, list[int]] = {}
    for k, flag in enumerate(red_flags):
        by_family.setdefault(flag.family, []).append(k)
    result = []
    for n, patient in enumerate(patients):
        ids = frozenset(engine.tables.protocol.families[f] for f in np.flatnonzero(families[n]))
        candidates = sorted(k for family in (None, *ids) for k in by_family.get(family, ()))
        result.append(tuple(red_flags[k] for k in candidates if red_flags[k].applies(patient.age, patient.sex, ids)))
    return result


@dataclass(frozen=True)
class RaisedFlags:
    """The red flags an interview's answers raise, and those answers with their log-likelihoods."""

    flags: tuple[RedFlag, ...]
    answers: list[tuple[str, Answer]]  # in the order asked
    log_likelihoods: list[FloatArray]


def _raised_flags(
    engine: Engine, patient: Patient, ordered: Sequence[str], red_flags: Sequence[RedFlag]
) -> RaisedFlags | None:
    """The flags among `red_flags` (those that apply to the patient) that the interview (its codes in order,
    answered from the record) raises; None when none is.

    The triage reads only the flags raised and their answers (these answers raise the same flags on their own;
    their log-likelihoods make the floors): the other flags and answers are left out rather than each tested
    again and given its log-likelihood."""
    knowledge, tables = engine.knowledge, engine.tables
    flagged = {code for flag in red_flags for code in flag.evidences}
    answers = {code: answer_of(knowledge, patient, code) for code in set(ordered) & flagged}
    raised = raised_red_flags(red_flags, answers)
    if not raised:
        return None
    raised_codes = {code for flag in raised for code in flag.evidences}
    answered = [(code, answers[code]) for code in ordered if code in raised_codes]
    log_likelihoods = [tables.answer_log_likelihood(tables.evidence_index(code), a) for code, a in answered]
    return RaisedFlags(raised, answered, log_likelihoods)


def _red_flag_urgency(engine: Engine, log_posterior: FloatArray, raised: RaisedFlags | None) -> int:
    """The urgency the engine's triage gives an interview of this log-posterior when red flags are `raised`; -1
    when none is (the probability rule alone decides, as vectorised)."""
    if raised is None:
        return -1
    decision = triage_of_interview(
        log_posterior,
        raised.answers,
        raised.log_likelihoods,
        engine.tables.level_urgency,
        engine.knowledge.triage_thresholds,
        raised.flags,
    )
    return decision.level.urgency


def answer_of(knowledge: KnowledgeBase, patient: Patient, code: str) -> Answer:
    evidence = knowledge.evidence(code)
    if evidence.kind is EvidenceKind.BINARY:
        return Answer.yes() if code in patient.present else Answer.no()
    return Answer.of(*(patient.values.get(code) or (str(evidence.default),)))
