"""Running a consultation: start it, ask the engine what comes next, apply an answer to the current question."""

from __future__ import annotations

import numpy as np

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Assessment, Engine
from symptomcheck.engine.errors import AnswerError
from symptomcheck.interview.consultation import Consultation, ConsultationError, Subject, Turn
from symptomcheck.knowledge import EvidenceKind, Language


class StaleAnswerError(ConsultationError):
    """An answer to a question that is not the current one (a retry, or an answer from another tab)."""

    def __init__(self, given: str, current: str | None) -> None:
        expected = f"the current question is {current}" if current else "the consultation is finished"
        super().__init__(f"{given} is not the current question: {expected}")
        self.given = given
        self.current = current


def complaints(engine: Engine) -> tuple[str, ...]:
    """Evidences a consultation can start from: yes/no symptoms that follow no other question, among those the
    model knows (a model may cover part of the knowledge base)."""
    known = set(engine.tables.evidences)
    return tuple(
        e.code
        for e in engine.knowledge.evidences
        if e.kind is EvidenceKind.BINARY and not e.is_antecedent and e.parent is None and e.code in known
    )


def complaint_prevalence(engine: Engine) -> dict[str, float]:
    """P(the complaint is present) under the model's prior, for each possible complaint."""
    tables = engine.tables
    prior = np.exp(tables.log_prior)
    prior /= prior.sum()
    prevalence = 1.0 - tables.p_ordinary @ prior
    return {code: float(prevalence[tables.evidence_index(code)]) for code in complaints(engine)}


def start(
    engine: Engine,
    age: int,
    sex: str,
    language: Language,
    complaint: str,
    findings: tuple[Turn, ...] = (),
    subject: Subject = Subject.SELF,
) -> Consultation:
    """A new consultation from its complaint and what else was said with it (checked like any answer).

    `age` and `sex` are the patient's, whoever answers: a child's own age for a consultation for a child.
    """
    if complaint not in complaints(engine):
        raise ConsultationError(
            f"{complaint!r} cannot start a consultation: give a symptom code (yes/no, not a history question) "
            "such as E_91 (fever), or search the complaints by text"
        )
    consultation = Consultation(
        age=age, sex=sex, language=language, complaint=complaint, findings=findings, subject=subject
    )
    engine.validate(consultation.answers)
    return consultation


def assess(engine: Engine, consultation: Consultation) -> Assessment:
    return engine.assess(consultation.age, consultation.sex, consultation.answers)


def resume(engine: Engine, stored: str) -> Consultation:
    """A stored consultation, checked against the engine's knowledge as thoroughly as `start` and `answer`."""
    consultation = Consultation.loads(stored)
    if consultation.complaint not in complaints(engine):
        raise ConsultationError(f"stored consultation: {consultation.complaint!r} cannot start a consultation")
    try:
        engine.validate(consultation.answers)
    except AnswerError as error:
        raise ConsultationError(f"stored consultation: {error}") from None
    return consultation


def answer(engine: Engine, consultation: Consultation, evidence: str, given: Answer) -> Consultation:
    """Apply an answer to the current question; refuse an answer to any other question."""
    current = assess(engine, consultation).next_question
    if evidence != current:
        raise StaleAnswerError(evidence, current)
    updated = consultation.answered(evidence, given)
    try:
        engine.validate(updated.answers)
    except AnswerError as error:
        raise ConsultationError(str(error)) from None
    return updated
