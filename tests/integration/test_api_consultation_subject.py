"""A consultation for a child or for another adult through the REST API: the subject is validated, kept and
returned, and the questions come worded for the patient."""

from __future__ import annotations

import pytest
from api_helpers import PROBLEM

from live_server import Server
from symptomcheck.interview import Subject
from symptomcheck.interview.wording import question_text
from symptomcheck.knowledge import KnowledgeBase


def test_a_consultation_for_a_child_returns_its_subject_and_asks_about_your_child(
    server: Server, knowledge: KnowledgeBase
) -> None:
    response = server.http.post(
        "/v1/consultations", json={"age": 5, "sex": "M", "language": "en", "complaint": "E_91", "subject": "child"}
    )
    assert response.status_code == 201
    state = response.json()
    assert state["subject"] == "child" and state["age"] == 5
    question = state["assessment"]["question"]
    assert question["text"] == question_text(knowledge, question["id"], "en", Subject.CHILD)
    assert "your child" in question["text"].lower() or "you" not in question["text"].lower()
    again = server.http.get(f"/v1/consultations/{state['id']}").json()
    assert again["subject"] == "child"
    assert (
        again["complaint"]["question"] == "Does your child have a fever (either felt or measured with a thermometer)?"
    )


@pytest.mark.parametrize(
    ("language", "wording"),
    [("en", "Do they have a fever"), ("fr", "Est-ce que la personne a de la fièvre"), ("zh", "患者")],
)
def test_a_consultation_for_another_adult_speaks_of_them_in_every_language(
    server: Server, language: str, wording: str
) -> None:
    body = {"age": 80, "sex": "F", "language": language, "complaint": "E_91", "subject": "adult"}
    state = server.http.post("/v1/consultations", json=body).json()
    assert state["subject"] == "adult"
    assert state["complaint"]["question"].startswith(wording)
    assert state["assessment"]["triage"]["action"]


def test_a_consultation_without_a_subject_is_for_oneself(server: Server) -> None:
    state = server.new_consultation()
    assert state["subject"] == "self"


@pytest.mark.parametrize("subject", ["children", "", "SELF", 2, None, ["child"]])
def test_a_subject_that_is_not_self_child_or_adult_is_a_problem_naming_the_field(
    server: Server, subject: object
) -> None:
    body = {"age": 5, "sex": "M", "complaint": "E_91", "subject": subject}
    response = server.http.post("/v1/consultations", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert "subject" in response.text


def test_a_child_aged_16_or_more_is_refused_saying_to_choose_another_adult(server: Server) -> None:
    body = {"age": 17, "sex": "F", "complaint": "E_91", "subject": "child"}
    response = server.http.post("/v1/consultations", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert "under 16" in response.json()["detail"] and "'adult'" in response.json()["detail"]


def test_the_openapi_document_lists_the_three_subjects_with_self_the_default(server: Server) -> None:
    document = server.http.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert schemas["Subject"]["enum"] == ["self", "child", "adult"]
    field = schemas["CreateConsultation"]["properties"]["subject"]
    assert field["default"] == "self"
    examples = schemas["CreateConsultation"]["examples"]
    assert {e.get("subject", "self") for e in examples} == {"self", "child", "adult"}


def test_a_retried_creation_for_a_child_is_a_retry_and_the_same_key_for_oneself_is_refused(server: Server) -> None:
    body = {"age": 7, "sex": "F", "complaint": "E_91", "subject": "child"}
    key = {"Idempotency-Key": "subject-retry-1"}
    first = server.http.post("/v1/consultations", json=body, headers=key)
    again = server.http.post("/v1/consultations", json=body, headers=key)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = server.http.post("/v1/consultations", json={**body, "subject": "self"}, headers=key)
    assert other.status_code == 422
