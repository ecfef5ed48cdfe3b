"""The FHIR R4B export of a consultation: real interviews of the fixture patients, exported and read back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.engine.assessment import Assessment, Engine
from symptomcheck.evaluation.batch import answer_of
from symptomcheck.fhir import DATA_ABSENT_REASON, ICD10, SHARE_EXTENSION, TRIAGE_SYSTEM, consultation_bundle
from symptomcheck.interview.consultation import Consultation, Subject
from symptomcheck.interview.interviewer import answer, assess, start
from symptomcheck.interview.wording import question_text
from symptomcheck.knowledge import LANGUAGES, EvidenceKind, KnowledgeBase, Language
from symptomcheck.model import load_model
from symptomcheck.patients import Patient, read_patients

PATIENTS = Path(__file__).parents[1] / "fixtures" / "patients_en.csv"
CREATED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
MYASTHENIA = 1  # the fixture patient whose answers raise red flags and list many conditions


@pytest.fixture(scope="module")
def engine(knowledge: KnowledgeBase) -> Engine:
    return Engine(load_model(), knowledge)


@pytest.fixture(scope="module")
def patients(knowledge: KnowledgeBase) -> list[Patient]:
    return list(read_patients(PATIENTS, knowledge))


def interview(engine: Engine, patient: Patient, language: Language = "en", turns: int | None = None) -> Consultation:
    """The patient's consultation, answered from the record until the engine stops (or after `turns` answers)."""
    consultation = start(engine, patient.age, patient.sex, language, patient.initial_evidence)
    while (question := assess(engine, consultation).next_question) is not None:
        if turns is not None and consultation.questions_asked >= turns:
            break
        consultation = answer(engine, consultation, question, answer_of(engine.knowledge, patient, question))
    return consultation


def export(engine: Engine, consultation: Consultation, consultation_id: str = "consultation-1") -> dict[str, Any]:
    return consultation_bundle(
        consultation, assess(engine, consultation), engine.knowledge, consultation_id, CREATED, engine.model.version
    )


@pytest.fixture(scope="module")
def finished(engine: Engine, patients: list[Patient]) -> list[Consultation]:
    return [interview(engine, patient) for patient in patients]


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind]


def one(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    (resource,) = resources(bundle, kind)
    return resource


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair of a JSON value, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def test_the_fixture_consultations_run_until_the_engine_stops(engine: Engine, finished: list[Consultation]) -> None:
    assert len(finished) == 3
    assert all(assess(engine, consultation).should_stop for consultation in finished)


@pytest.mark.parametrize("index", range(3))
def test_a_finished_consultation_exports_a_bundle_that_validates_as_fhir_r4b(
    engine: Engine, finished: list[Consultation], index: int
) -> None:
    bundle = export(engine, finished[index])
    parsed = Bundle.model_validate(json.loads(json.dumps(bundle)))
    assert parsed.type == "collection"
    assert bundle["timestamp"] == "2024-05-06T07:08:09Z"
    assert parsed.entry is not None
    assert len(parsed.entry) == len(bundle["entry"])


@pytest.mark.parametrize("index", range(3))
def test_the_bundle_holds_one_condition_and_one_prediction_per_listed_condition(
    engine: Engine, finished: list[Consultation], index: int
) -> None:
    consultation = finished[index]
    assessment = assess(engine, consultation)
    bundle = export(engine, consultation)
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    listed = len(assessment.differential)
    assert listed > 0
    for kind in ("Patient", "Encounter", "QuestionnaireResponse", "RiskAssessment", "ClinicalImpression"):
        assert kinds.count(kind) == 1, kind
    assert kinds.count("Condition") == listed
    assert len(one(bundle, "RiskAssessment")["prediction"]) == listed
    assert one(bundle, "Encounter")["status"] == "finished"
    assert one(bundle, "Encounter")["class"]["code"] == "VR"
    assert one(bundle, "ClinicalImpression")["status"] == "completed"


@pytest.mark.parametrize("index", range(3))
def test_conditions_and_predictions_carry_the_icd10_codes_and_the_calibrated_posteriors(
    engine: Engine, finished: list[Consultation], index: int
) -> None:
    knowledge = engine.knowledge
    assessment = assess(engine, finished[index])
    bundle = export(engine, finished[index])
    expected = [knowledge.condition(ranked.code).icd10 for ranked in assessment.differential]

    def icd10(concept: dict[str, Any]) -> str:
        # the "not in the catalogue" outcome has no ICD-10 code: only the service's own coding
        codes = [coding["code"] for coding in concept["coding"] if coding["system"] == ICD10]
        assert len(codes) <= 1
        return str(codes[0]) if codes else ""

    conditions = resources(bundle, "Condition")
    assert [icd10(condition["code"]) for condition in conditions] == expected
    for condition in conditions:
        assert condition["verificationStatus"]["coding"][0]["code"] == "differential"
    risk = one(bundle, "RiskAssessment")
    assert [icd10(prediction["outcome"]) for prediction in risk["prediction"]] == expected
    assert [p["probabilityDecimal"] for p in risk["prediction"]] == [
        round(ranked.posterior, 4) for ranked in assessment.differential
    ]
    shares = [e["valueDecimal"] for p in risk["prediction"] for e in p["extension"] if e["url"] == SHARE_EXTENSION]
    assert shares == [round(ranked.probability, 4) for ranked in assessment.differential]
    assert risk["method"]["text"] == f"symptomcheck naive-Bayes posterior, model {engine.model.version}"


@pytest.mark.parametrize("index", range(3))
def test_the_questionnaire_response_is_the_transcript_with_the_complaint_first(
    engine: Engine, finished: list[Consultation], index: int
) -> None:
    consultation = finished[index]
    items = one(export(engine, consultation), "QuestionnaireResponse")["item"]
    assert [item["linkId"] for item in items] == [code for code, _ in consultation.answers]
    assert items[0]["linkId"] == consultation.complaint
    assert items[0]["answer"] == [{"valueBoolean": True}]
    for item, (code, given) in zip(items, consultation.answers, strict=True):
        evidence = engine.knowledge.evidence(code)
        if evidence.kind is EvidenceKind.BINARY:
            assert item["answer"] == [{"valueBoolean": given == Answer.yes()}]
        elif evidence.is_scale:
            assert item["answer"] == [{"valueInteger": int(value)} for value in given.values]
        else:
            assert [a["valueCoding"]["code"] for a in item["answer"]] == list(given.values)


def test_observations_record_the_findings_but_not_the_ordinary_answers(engine: Engine) -> None:
    knowledge = engine.knowledge
    # pain in the upper gums (a chosen value), intense (a scale), spreading nowhere (the ordinary value), and a "no"
    consultation = start(engine, 36, "F", "en", "E_53")
    for code, given in (
        ("E_55", Answer.of("V_91")),
        ("E_56", Answer.of("7")),
        ("E_57", Answer.of("V_123")),
        ("E_66", Answer.no()),
    ):
        consultation = consultation.answered(code, given)
    observations = resources(export(engine, consultation), "Observation")
    codes = [observation["code"]["coding"][0]["code"] for observation in observations]
    expected = [
        code
        for code, given in consultation.answers
        if given.status is AnswerStatus.PRESENT and set(given.values) != {knowledge.evidence(code).default}
    ]
    assert codes == expected
    assert codes == ["E_53", "E_55", "E_56"]  # the pain spreads nowhere: the ordinary answer, not a finding
    by_code = dict(zip(codes, observations, strict=True))
    assert by_code[consultation.complaint]["valueBoolean"] is True
    answered = {code: given for code, given in consultation.answers if code in by_code}
    scales = [code for code in answered if knowledge.evidence(code).is_scale]
    chosen = [code for code in answered if knowledge.evidence(code).values and not knowledge.evidence(code).is_scale]
    assert scales and chosen
    for code in scales:
        assert by_code[code]["valueInteger"] == int(answered[code].values[0])
    for code in chosen:
        assert by_code[code]["valueString"] == "; ".join(
            knowledge.evidence(code).value(value).text.en for value in answered[code].values
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_texts_are_in_the_consultation_language(
    engine: Engine, finished: list[Consultation], language: Language
) -> None:
    knowledge = engine.knowledge
    consultation = finished[MYASTHENIA].in_language(language)
    assessment = assess(engine, consultation)
    bundle = export(engine, consultation)
    items = one(bundle, "QuestionnaireResponse")["item"]
    assert [item["text"] for item in items] == [
        knowledge.evidence(code).question[language] for code, _ in consultation.answers
    ]
    assert [condition["code"]["text"] for condition in resources(bundle, "Condition")] == [
        knowledge.condition(ranked.code).name[language] for ranked in assessment.differential
    ]
    impression = one(bundle, "ClinicalImpression")
    advice = knowledge.advice[assessment.triage.level][language]
    assert impression["summary"] == f"{advice.title}\n{advice.action}"
    assert impression["note"] == [{"text": knowledge.disclaimer[language]}]
    assert {entry["resource"]["language"] for entry in bundle["entry"] if "language" in entry["resource"]} == {language}


def test_the_triage_level_and_each_red_flag_raised_are_findings_of_the_clinical_impression(
    engine: Engine, finished: list[Consultation]
) -> None:
    assessment = assess(engine, finished[MYASTHENIA])
    assert len(assessment.triage.red_flags) >= 1
    findings = one(export(engine, finished[MYASTHENIA]), "ClinicalImpression")["finding"]
    level, *red_flags = findings
    assert level["itemCodeableConcept"]["coding"] == [
        {
            "system": TRIAGE_SYSTEM,
            "code": assessment.triage.level.value,
            "display": engine.knowledge.advice[assessment.triage.level]["en"].title,
        }
    ]
    assert [finding["itemCodeableConcept"]["coding"][0]["code"] for finding in red_flags] == [
        flag.evidence for flag in assessment.triage.red_flags
    ]
    assert [finding["basis"] for finding in red_flags] == [flag.reason for flag in assessment.triage.red_flags]
    assert all("itemReference" in finding for finding in red_flags)


@pytest.mark.parametrize("index", range(3))
def test_the_export_holds_no_patient_name(engine: Engine, finished: list[Consultation], index: int) -> None:
    bundle = export(engine, finished[index])
    patient = one(bundle, "Patient")
    assert set(patient) == {"resourceType", "id", "extension", "gender"}
    assert not [key for key, _ in walk(bundle) if key in ("name", "birthDate", "telecom", "address")]


@pytest.mark.parametrize("index", range(3))
def test_every_reference_resolves_to_a_full_url_in_the_bundle(
    engine: Engine, finished: list[Consultation], index: int
) -> None:
    bundle = export(engine, finished[index])
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    assert all(
        url == f"urn:uuid:{entry['resource']['id']}" for url, entry in zip(full_urls, bundle["entry"], strict=True)
    )
    references = [value["reference"] for key, value in walk(bundle) if isinstance(value, dict) and "reference" in value]
    assert len(references) > len(full_urls)
    assert set(references) <= set(full_urls)
    impression = one(bundle, "ClinicalImpression")
    assert len(impression["problem"]) == len(resources(bundle, "Condition"))
    assert impression["prognosisReference"] == [{"reference": f"urn:uuid:{one(bundle, 'RiskAssessment')['id']}"}]


def test_the_same_consultation_exports_identical_json_twice(engine: Engine, patients: list[Patient]) -> None:
    first = export(engine, interview(engine, patients[MYASTHENIA]))
    again = export(engine, interview(engine, patients[MYASTHENIA]))
    assert json.dumps(first, ensure_ascii=False) == json.dumps(again, ensure_ascii=False)
    other = export(engine, interview(engine, patients[MYASTHENIA]), consultation_id="consultation-2")
    assert not {e["fullUrl"] for e in first["entry"]} & {e["fullUrl"] for e in other["entry"]}


def test_an_unfinished_consultation_exports_an_encounter_in_progress(engine: Engine, patients: list[Patient]) -> None:
    consultation = interview(engine, patients[MYASTHENIA], turns=2)
    assert not assess(engine, consultation).should_stop
    bundle = export(engine, consultation)
    Bundle.model_validate(bundle)
    assert one(bundle, "Encounter")["status"] == "in-progress"
    assert one(bundle, "QuestionnaireResponse")["status"] == "in-progress"
    assert one(bundle, "ClinicalImpression")["status"] == "in-progress"
    assert one(bundle, "RiskAssessment")["status"] == "preliminary"
    assert len(one(bundle, "QuestionnaireResponse")["item"]) == 3


def test_a_dont_know_answer_is_an_item_without_an_answer_marked_asked_unknown(
    engine: Engine, patients: list[Patient]
) -> None:
    consultation = interview(engine, patients[MYASTHENIA], turns=1)
    question = assess(engine, consultation).next_question
    assert question is not None
    consultation = answer(engine, consultation, question, Answer.unknown())
    bundle = export(engine, consultation)
    Bundle.model_validate(bundle)
    item = one(bundle, "QuestionnaireResponse")["item"][-1]
    assert item["linkId"] == question
    assert "answer" not in item
    assert item["extension"] == [{"url": DATA_ABSENT_REASON, "valueCode": "asked-unknown"}]
    assert question not in {o["code"]["coding"][0]["code"] for o in resources(bundle, "Observation")}


def test_the_creation_time_must_carry_its_offset(engine: Engine, finished: list[Consultation]) -> None:
    consultation = finished[0]
    assessment: Assessment = assess(engine, consultation)
    with pytest.raises(ValueError, match="timezone-aware"):
        consultation_bundle(consultation, assessment, engine.knowledge, "c", datetime(2024, 5, 6), "v")
    paris = timezone(timedelta(hours=2))
    bundle = consultation_bundle(
        consultation, assessment, engine.knowledge, "c", datetime(2024, 5, 6, tzinfo=paris), "v"
    )
    assert bundle["timestamp"] == "2024-05-06T00:00:00+02:00"


def _for(consultation: Consultation, subject: Subject, age: int) -> Consultation:
    return replace(consultation, subject=subject, age=age)


@pytest.mark.parametrize(("subject", "age"), [(Subject.CHILD, 7), (Subject.ADULT, 83)])
def test_answers_given_for_someone_else_name_a_related_person_as_the_questionnaire_responses_source(
    engine: Engine, finished: list[Consultation], subject: Subject, age: int
) -> None:
    consultation = _for(finished[0], subject, age)
    bundle = export(engine, consultation)
    Bundle.model_validate(json.loads(json.dumps(bundle)))
    related = one(bundle, "RelatedPerson")
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert related["patient"]["reference"] == patient["fullUrl"]
    assert related["relationship"][0]["text"]
    source = one(bundle, "QuestionnaireResponse")["source"]["reference"]
    assert source == next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "RelatedPerson")
    # the patient is the child or the other adult: their age, and the questions as they were asked
    assert one(bundle, "Patient")["extension"][0]["valueQuantity"]["value"] == age
    items = one(bundle, "QuestionnaireResponse")["item"]
    assert [i["text"] for i in items] == [question_text(engine.knowledge, i["linkId"], "en", subject) for i in items]


def test_a_consultation_for_oneself_names_no_related_person_and_no_source(
    engine: Engine, finished: list[Consultation]
) -> None:
    bundle = export(engine, finished[0])
    assert resources(bundle, "RelatedPerson") == []
    assert "source" not in one(bundle, "QuestionnaireResponse")
