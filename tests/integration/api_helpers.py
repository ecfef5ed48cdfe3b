"""Helpers for the API tests: a simulated patient's answers over HTTP, and reading the database directly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from symptomcheck.evaluation.batch import answer_of
from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.patients import Patient
from symptomcheck.storage.tables import AnswerRow

PROBLEM = "application/problem+json"


def wire_answer(knowledge: KnowledgeBase, patient: Patient, code: str) -> dict[str, Any]:
    given = answer_of(knowledge, patient, code)
    return {"status": given.status.value, "values": list(given.values)}


def answer_current(http: Any, state: dict[str, Any], answer: dict[str, Any]) -> Any:
    question = state["assessment"]["question"]
    return http.post(
        f"/v1/consultations/{state['id']}/answers",
        json={"question": question["id"], "turn": state["turn"], "answer": answer},
    )


def stored_answers(server: Any, id: str) -> int:
    with server.container.database.connect() as connection:
        return int(connection.scalar(select(func.count()).where(AnswerRow.consultation_id == id)) or 0)
