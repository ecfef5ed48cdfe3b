"""Regressions found in review: scale answers typed as numbers, stops that hid a more urgent condition,
explanations without support for the leading condition."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.engine.assessment import Engine, StopReason
from symptomcheck.engine.stopping import more_urgent_residual
from symptomcheck.evaluation.batch import answer_of
from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.model import DDXPLUS_MODEL, SHIPPED_MODEL, load_model
from symptomcheck.patients import read_patients
from symptomcheck.terminal import TerminalConsultation

DATA = Path(__file__).resolve().parents[2] / "data" / "ddxplus"


@pytest.fixture(scope="module")
def engine(knowledge: KnowledgeBase) -> Engine:
    return Engine(load_model(), knowledge)


def _typed(engine: Engine, code: str, text: str) -> Answer | None:
    terminal = TerminalConsultation(engine, "en", Console(file=io.StringIO(), width=100))
    terminal.ask = lambda prompt: text  # type: ignore[method-assign]
    return terminal._read_answer(engine.knowledge.evidence(code))


@pytest.mark.parametrize("code", ["E_56", "E_59"])
def test_a_3_typed_for_a_scale_is_the_value_3_not_dont_know(engine: Engine, code: str) -> None:
    assert _typed(engine, code, "3") == Answer.of("3")


def test_a_3_typed_for_a_list_is_its_third_value(engine: Engine) -> None:
    third = engine.knowledge.evidence("E_204").values[2].code
    assert _typed(engine, "E_204", "3") == Answer.of(third)


@pytest.mark.parametrize(
    ("text", "status"), [("1", AnswerStatus.PRESENT), ("2", AnswerStatus.ABSENT), ("3", AnswerStatus.UNKNOWN)]
)
def test_numbers_answer_a_yes_no_question_as_1_yes_2_no_3_dont_know(
    engine: Engine, text: str, status: AnswerStatus
) -> None:
    answer = _typed(engine, "E_91", text)
    assert answer is not None
    assert answer.status is status


def test_an_interview_never_stops_confident_while_a_more_urgent_condition_is_still_likely(
    engine: Engine, knowledge: KnowledgeBase
) -> None:
    patients = list(read_patients(DATA / "validate_stratified_588_with_translation.csv", knowledge))[::6]
    for patient in patients:
        answers = [(patient.initial_evidence, Answer.yes())]
        while True:
            assessment = engine.assess(patient.age, patient.sex, answers)
            if assessment.next_question is None:
                break
            answers.append((assessment.next_question, answer_of(knowledge, patient, assessment.next_question)))
        if assessment.stop_reason is StopReason.CONFIDENT:
            residual = more_urgent_residual(engine.tables, assessment.posterior[None, :])[0]
            assert residual < engine.tables.settings["stop_urgent_residual"], patient.pathology


@pytest.mark.parametrize(
    ("model_path", "share"),
    # the broad model leads 2 of these 14 DDXPlus patients with a condition of the records that no answer
    # supports (the patient answered "no" to what the records know of it): explaining such a leader is open work
    [(DDXPLUS_MODEL, 0.9), (SHIPPED_MODEL, 0.8)],
    ids=["shipped_ddxplus_model", "broad_model"],
)
def test_the_leading_condition_of_a_finished_consultation_has_answers_that_support_it(
    knowledge: KnowledgeBase, model_path: Path, share: float
) -> None:
    engine = Engine(load_model(model_path), knowledge)
    patients = list(read_patients(DATA / "train_stratified_98_with_translation.csv", knowledge))[::7]
    supported = []
    for patient in patients:
        answers = [(patient.initial_evidence, Answer.yes())]
        while (question := engine.assess(patient.age, patient.sex, answers).next_question) is not None:
            answers.append((question, answer_of(knowledge, patient, question)))
        final = engine.assess(patient.age, patient.sex, answers)
        supported.append(bool(final.differential[0].supporting))
    assert np.mean(supported) > share
