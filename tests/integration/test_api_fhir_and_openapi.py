"""The FHIR export over HTTP, and an OpenAPI document complete enough to generate a client from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api_helpers import answer_current, wire_answer
from fhir.resources.R4B.bundle import Bundle

from live_server import Server
from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.patients import read_patients


def test_the_fhir_export_of_a_finished_consultation_validates_as_r4b(
    server: Server, knowledge: KnowledgeBase, fixtures_dir: Path
) -> None:
    patient = next(read_patients(fixtures_dir / "patients_en.csv", knowledge))
    state = server.new_consultation(age=patient.age, sex=patient.sex, complaint=patient.initial_evidence, language="fr")
    while not state["finished"]:
        state = answer_current(
            server.http, state, wire_answer(knowledge, patient, state["assessment"]["question"]["id"])
        ).json()
    response = server.http.get(f"/v1/consultations/{state['id']}/fhir")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(response.json())
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    for kind in (
        "Encounter",
        "QuestionnaireResponse",
        "Observation",
        "Condition",
        "RiskAssessment",
        "ClinicalImpression",
    ):
        assert kind in kinds
    conditions = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Condition"]
    assert len(conditions) == len(state["assessment"]["differential"])
    answers = next(e.resource for e in bundle.entry if e.resource.get_resource_type() == "QuestionnaireResponse")
    assert len(answers.item) == state["turn"] + 1  # the complaint and every answer
    assert response.json() == server.http.get(f"/v1/consultations/{state['id']}/fhir").json()  # stable


def test_an_unfinished_consultation_exports_an_encounter_in_progress(server: Server) -> None:
    state = server.new_consultation()
    bundle = server.http.get(f"/v1/consultations/{state['id']}/fhir").json()
    encounter = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter")
    assert encounter["status"] == "in-progress"


def _openapi(server: Server) -> dict[str, Any]:
    document: dict[str, Any] = server.http.get("/openapi.json").json()
    return document


def test_every_operation_is_documented_with_a_summary_and_its_error_responses(sqlite_server: Server) -> None:
    document = _openapi(sqlite_server)
    operations = [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()]
    assert len(operations) >= 17
    for path, method, op in operations:
        assert op.get("summary"), (path, method)
        if path.startswith("/v1/consultations/{id}"):
            assert "404" in op["responses"], (path, method)
        if method in ("post", "patch") and "requestBody" in op:
            assert "422" in op["responses"], (path, method)


def test_every_request_body_has_examples_and_each_example_is_accepted(sqlite_server: Server) -> None:
    document = _openapi(sqlite_server)
    schemas = document["components"]["schemas"]
    http = sqlite_server.http
    for name in ("CreateConsultation", "AnswerRequest", "BackRequest", "LanguageChange", "DiagnosisRequest"):
        assert schemas[name].get("examples"), name
    for example in schemas["CreateConsultation"]["examples"]:
        assert http.post("/v1/consultations", json=example).status_code == 201, example
    for example in schemas["DiagnosisRequest"]["examples"]:
        response = http.post("/v1/diagnosis", json=example)
        assert response.status_code == 200, (example, response.text)
    for example in schemas["AnswerRequest"]["examples"]:
        # each example answer fits its question (the turn is the client's; the shape and values must be valid)
        evidence = http.get(f"/v1/knowledge/evidences/{example['question']}").json()
        values = example["answer"]["values"]
        options = {o["id"] for o in evidence["options"]}
        assert set(values) <= options, (example, options)
        if evidence["kind"] == "yes_no":
            assert values == []


def test_the_openapi_document_names_the_problem_format_for_errors(sqlite_server: Server) -> None:
    document = _openapi(sqlite_server)
    answer = document["paths"]["/v1/consultations/{id}/answers"]["post"]
    conflict = answer["responses"]["409"]["content"]
    assert "application/problem+json" in conflict
    assert conflict["application/problem+json"]["example"]["current_question"]
