"""A consultation driven by the engine for real patients, stored and reloaded after every answer.

The consultation is a pure value: reloading it from its JSON must give back the same value and the very
same assessment, going back must drop exactly the last answer, and answers to any question but the current
one must be refused.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Assessment, Engine
from symptomcheck.evaluation.batch import answer_of
from symptomcheck.interview import Consultation, ConsultationError, StaleAnswerError, answer, assess, complaints, start
from symptomcheck.interview.consultation import FORMAT_VERSION
from symptomcheck.knowledge import EvidenceKind, KnowledgeBase
from symptomcheck.model import load_model
from symptomcheck.patients import Patient, read_patients

PATIENT_FILE = "patients_20_fr.csv"


@pytest.fixture(scope="module")
def engine(knowledge: KnowledgeBase) -> Engine:
    return Engine(load_model(), knowledge)


@pytest.fixture(scope="module")
def patients(knowledge: KnowledgeBase, fixtures_dir: Path) -> list[Patient]:
    return list(read_patients(fixtures_dir / PATIENT_FILE, knowledge))


def _summary(assessment: Assessment) -> tuple[object, ...]:
    """Everything a person is shown: next question, differential with probabilities, triage, why it stopped."""
    return (
        assessment.next_question,
        tuple((ranked.code, ranked.probability) for ranked in assessment.differential),
        assessment.triage.level,
        tuple(flag.evidence for flag in assessment.triage.red_flags),
        assessment.stop_reason,
        assessment.questions_asked,
    )


def _drive(engine: Engine, patient: Patient, language: str = "en") -> Iterator[Consultation]:
    """Every state of the patient's consultation, from the start until the engine stops asking."""
    consultation = start(engine, patient.age, patient.sex, language, patient.initial_evidence)  # type: ignore[arg-type]
    yield consultation
    while (code := assess(engine, consultation).next_question) is not None:
        consultation = answer(engine, consultation, code, answer_of(engine.knowledge, patient, code))
        yield consultation


def _pathologies(patients: list[Patient]) -> list[Patient]:
    """One patient per pathology of the fixture file."""
    return list({p.pathology: p for p in patients}.values())


def test_the_fixture_patients_cover_several_pathologies(patients: list[Patient]) -> None:
    assert len(patients) == 20
    assert len(_pathologies(patients)) >= 4


def test_a_consultation_reloaded_after_every_answer_equals_the_original_and_is_assessed_identically(
    engine: Engine, patients: list[Patient]
) -> None:
    for patient in _pathologies(patients):
        states = list(_drive(engine, patient))
        assert len(states) >= 2, f"{patient.pathology}: the engine asked nothing"
        for consultation in states:
            text = consultation.dumps()
            reloaded = Consultation.loads(text)
            assert reloaded == consultation
            assert reloaded.dumps() == text
            assert Consultation.from_json(json.loads(text)) == consultation
            original, again = assess(engine, consultation), assess(engine, reloaded)
            assert _summary(again) == _summary(original)
            assert np.array_equal(again.posterior, original.posterior)
        final = assess(engine, states[-1])
        assert final.next_question is None
        assert final.stop_reason is not None
        assert states[-1].questions_asked == len(states) - 1 <= engine.max_turns


def test_a_consultation_continued_only_from_its_stored_text_ends_exactly_like_one_kept_in_memory(
    engine: Engine, patients: list[Patient]
) -> None:
    patient = patients[0]
    in_memory = list(_drive(engine, patient))[-1]
    stored = start(engine, patient.age, patient.sex, "en", patient.initial_evidence).dumps()
    while (code := assess(engine, Consultation.loads(stored)).next_question) is not None:
        given = answer_of(engine.knowledge, patient, code)
        stored = answer(engine, Consultation.loads(stored), code, given).dumps()
    assert Consultation.loads(stored) == in_memory
    assert _summary(assess(engine, Consultation.loads(stored))) == _summary(assess(engine, in_memory))


def test_going_back_removes_exactly_the_last_answer_and_asks_that_question_again(
    engine: Engine, patients: list[Patient]
) -> None:
    for patient in _pathologies(patients):
        states = list(_drive(engine, patient))
        for before, after in itertools.pairwise(states):
            back = after.back()
            assert back == before
            assert back.turns == after.turns[:-1]
            assert (back.age, back.sex, back.language, back.complaint) == (
                after.age,
                after.sex,
                after.language,
                after.complaint,
            )
            assert assess(engine, back).next_question == after.turns[-1].evidence
            assert _summary(assess(engine, back)) == _summary(assess(engine, before))


def test_going_back_before_any_answer_leaves_the_consultation_unchanged(engine: Engine) -> None:
    consultation = start(engine, 40, "F", "en", "E_91")
    assert consultation.back() == consultation
    assert consultation.back().back() == consultation


def test_answering_a_question_that_is_not_the_current_one_is_refused_naming_the_current_question(
    engine: Engine, patients: list[Patient]
) -> None:
    patient = patients[0]
    first = start(engine, patient.age, patient.sex, "en", patient.initial_evidence)
    asked = assess(engine, first).next_question
    assert asked is not None
    second = answer(engine, first, asked, answer_of(engine.knowledge, patient, asked))
    current = assess(engine, second).next_question
    assert current is not None and current != asked

    # a retry of the answer just given (a double click, another tab)
    with pytest.raises(
        StaleAnswerError, match=rf"{asked} is not the current question: the current question is {current}"
    ):
        answer(engine, second, asked, Answer.no())
    # a question never asked
    never = next(code for code in complaints(engine) if code not in {asked, current, patient.initial_evidence})
    with pytest.raises(StaleAnswerError) as raised:
        answer(engine, second, never, Answer.yes())
    assert raised.value.given == never
    assert raised.value.current == current
    assert current in str(raised.value)
    assert isinstance(raised.value, ConsultationError)
    # the refused answers changed nothing
    assert assess(engine, second).next_question == current


def test_answering_a_finished_consultation_is_refused_saying_it_is_finished(
    engine: Engine, patients: list[Patient]
) -> None:
    patient = patients[0]
    finished = list(_drive(engine, patient))[-1]
    last = finished.turns[-1].evidence
    with pytest.raises(StaleAnswerError, match="the consultation is finished") as raised:
        answer(engine, finished, last, Answer.no())
    assert raised.value.current is None


def _stored(**changes: object) -> str:
    data: dict[str, object] = {
        "format": FORMAT_VERSION,
        "age": 30,
        "sex": "F",
        "language": "en",
        "complaint": "E_91",
        "turns": [{"evidence": "E_201", "status": "absent", "values": []}],
    }
    data.update(changes)
    return json.dumps(data)


def test_a_well_formed_stored_consultation_loads() -> None:
    loaded = Consultation.loads(_stored())
    assert (loaded.age, loaded.sex, loaded.language, loaded.complaint) == (30, "F", "en", "E_91")
    assert [(t.evidence, t.answer) for t in loaded.turns] == [("E_201", Answer.no())]


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        pytest.param("{", r"invalid JSON", id="invalid JSON"),
        pytest.param("", r"invalid JSON", id="empty text"),
        pytest.param("[1, 2]", r"expected a JSON object", id="a list"),
        pytest.param(
            _stored(format=2), rf"unsupported consultation format 2; expected {FORMAT_VERSION}", id="format 2"
        ),
        pytest.param(_stored(format=None), rf"expected {FORMAT_VERSION}", id="no format"),
        pytest.param(_stored(format="1"), rf"expected {FORMAT_VERSION}", id="format as text"),
        pytest.param(_stored(format=True), rf"expected {FORMAT_VERSION}", id="format true"),
        pytest.param(_stored(age=-1), r"age must be a whole number of years from 0 to 120, not -1", id="age -1"),
        pytest.param(_stored(age=121), r"from 0 to 120, not 121", id="age 121"),
        pytest.param(_stored(age="30"), r"from 0 to 120, not '30'", id="age as text"),
        pytest.param(_stored(age=True), r"from 0 to 120, not True", id="age true"),
        pytest.param(_stored(age=30.5), r"from 0 to 120, not 30.5", id="age 30.5"),
        pytest.param(_stored(sex="X"), r"sex must be 'F' or 'M', not 'X'", id="sex X"),
        pytest.param(_stored(language="de"), r"language must be one of en, fr, zh, not 'de'", id="language de"),
        pytest.param(
            _stored(turns=[{"evidence": "E_201", "status": "maybe"}]), r"not a stored consultation", id="status"
        ),
        pytest.param(_stored(turns=[{"status": "absent"}]), r"not a stored consultation", id="turn without evidence"),
    ],
)
def test_loading_refuses_what_is_not_a_stored_consultation_saying_what_is_accepted(text: str, accepted: str) -> None:
    with pytest.raises(ConsultationError, match=accepted):
        Consultation.loads(text)


@pytest.mark.parametrize("missing", ["age", "sex", "language", "complaint", "turns"])
def test_loading_refuses_a_stored_consultation_without_a_field(missing: str) -> None:
    data = json.loads(_stored())
    del data[missing]
    with pytest.raises(ConsultationError, match=re.escape(missing)):
        Consultation.loads(json.dumps(data))


def test_a_history_question_cannot_start_a_consultation(engine: Engine, knowledge: KnowledgeBase) -> None:
    antecedents = [e.code for e in knowledge.evidences if e.is_antecedent]
    assert "E_0" in antecedents  # "Have you recently had a viral infection?"
    for code in antecedents:
        with pytest.raises(ConsultationError, match=rf"'{code}' cannot start a consultation.*not a history question"):
            start(engine, 40, "M", "en", code)


def test_a_follow_up_question_cannot_start_a_consultation(engine: Engine, knowledge: KnowledgeBase) -> None:
    assert knowledge.evidence("E_54").parent == "E_53"  # "How would you describe your pain?" follows "pain somewhere"
    follow_ups = [e.code for e in knowledge.evidences if e.parent is not None]
    assert "E_54" in follow_ups
    for code in follow_ups:
        with pytest.raises(ConsultationError, match=rf"'{code}' cannot start a consultation.*such as E_91"):
            start(engine, 40, "M", "en", code)


def test_an_unknown_code_cannot_start_a_consultation(engine: Engine) -> None:
    with pytest.raises(ConsultationError, match="'E_9999' cannot start a consultation"):
        start(engine, 40, "M", "en", "E_9999")


def test_every_complaint_is_a_yes_no_symptom_that_follows_no_other_question(
    engine: Engine, knowledge: KnowledgeBase
) -> None:
    offered = complaints(engine)
    assert "E_91" in offered
    assert "E_53" in offered
    for code in offered:
        evidence = knowledge.evidence(code)
        assert evidence.kind is EvidenceKind.BINARY
        assert not evidence.is_antecedent
        assert evidence.parent is None


def test_a_consultation_in_chinese_switched_to_french_keeps_its_answers_and_its_assessment(
    engine: Engine, patients: list[Patient]
) -> None:
    patient = patients[4]
    states = list(_drive(engine, patient, language="zh"))
    chinese = states[min(5, len(states) - 1)]
    assert chinese.turns
    french = chinese.in_language("fr")
    assert french.language == "fr"
    assert french.turns == chinese.turns
    assert french.answers == chinese.answers
    assert (french.age, french.sex, french.complaint) == (chinese.age, chinese.sex, chinese.complaint)
    assert _summary(assess(engine, french)) == _summary(assess(engine, chinese))
    reloaded = Consultation.loads(french.dumps())
    assert reloaded == french
    assert reloaded.language == "fr"
    # the French consultation goes on from where the Chinese one was
    code = assess(engine, french).next_question
    if code is not None:
        given = answer_of(engine.knowledge, patient, code)
        assert answer(engine, french, code, given).turns == answer(engine, chinese, code, given).turns


def test_switching_to_an_unsupported_language_is_refused(engine: Engine) -> None:
    consultation = start(engine, 40, "F", "zh", "E_91")
    with pytest.raises(ConsultationError, match="language must be one of en, fr, zh, not 'de'"):
        consultation.in_language("de")  # type: ignore[arg-type]
