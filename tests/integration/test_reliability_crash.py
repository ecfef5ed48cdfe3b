"""Crash safety: SIGKILL the server in the middle of many consultations; after a restart every acknowledged
answer is there, no consultation is corrupted, and each continues from its last acknowledged answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from processes import ServeProcess
from sqlalchemy import func, select

from symptomcheck.evaluation.batch import answer_of
from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.patients import Patient, read_patients
from symptomcheck.storage.database import open_database
from symptomcheck.storage.tables import AnswerRow

pytestmark = pytest.mark.slow


@dataclass
class Patientele:
    """What the clients were told: per consultation, the answers acknowledged and the one in flight."""

    acknowledged: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    in_flight: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _answer_body(knowledge: KnowledgeBase, patient: Patient, state: dict[str, Any]) -> dict[str, Any]:
    code = state["assessment"]["question"]["id"]
    given = answer_of(knowledge, patient, code)
    return {
        "question": code,
        "turn": state["turn"],
        "answer": {"status": given.status.value, "values": list(given.values)},
    }


def _client_loop(
    url: str, knowledge: KnowledgeBase, patients: list[Patient], record: Patientele, stop: threading.Event
) -> None:
    with httpx.Client(base_url=url, timeout=10) as http:
        for patient in patients:
            if stop.is_set():
                return
            try:
                created = http.post(
                    "/v1/consultations",
                    json={"age": patient.age, "sex": patient.sex, "complaint": patient.initial_evidence},
                )
            except httpx.HTTPError:
                return
            state = created.json()
            with record.lock:
                record.acknowledged[state["id"]] = []
            while not state["finished"]:
                body = _answer_body(knowledge, patient, state)
                with record.lock:
                    record.in_flight[state["id"]] = body
                try:
                    response = http.post(f"/v1/consultations/{state['id']}/answers", json=body)
                except httpx.HTTPError:
                    return  # the server died with this answer in flight
                assert response.status_code == 200, response.text
                state = response.json()
                with record.lock:
                    record.acknowledged[state["id"]].append(body)
                    del record.in_flight[state["id"]]


def _stored_turns(database_url: str) -> dict[str, int]:
    database = open_database(database_url)
    with database.connect() as connection:
        rows = connection.execute(select(AnswerRow.consultation_id, func.count()).group_by(AnswerRow.consultation_id))
        counts = {str(id): int(n) for id, n in rows}
    database.dispose()
    return counts


def _crash_and_recover(database_url: str, knowledge: KnowledgeBase, patients: list[Patient]) -> None:
    server = ServeProcess(database_url).start()
    record = Patientele()
    stop = threading.Event()
    clients = 12
    threads = [
        threading.Thread(target=_client_loop, args=(server.url, knowledge, patients[n::clients], record, stop))
        for n in range(clients)
    ]
    for t in threads:
        t.start()
    time.sleep(3.0)  # let many consultations get under way
    server.kill()
    stop.set()
    for t in threads:
        t.join(timeout=60)
    acknowledged = sum(len(a) for a in record.acknowledged.values())
    assert acknowledged > 50, "the load did not get going before the kill"
    assert record.in_flight, "the kill should catch answers in flight"

    restarted = ServeProcess(database_url).start()
    try:
        stored = _stored_turns(database_url)
        with httpx.Client(base_url=restarted.url, timeout=10) as http:
            for id, answers in record.acknowledged.items():
                state = http.get(f"/v1/consultations/{id}").json()
                # every acknowledged answer is there, in order; an answer in flight may or may not be
                assert state["turn"] in (len(answers), len(answers) + 1), id
                assert [(e["evidence"], e["status"]) for e in state["transcript"][: len(answers)]] == [
                    (a["question"], a["answer"]["status"]) for a in answers
                ]
                assert stored.get(id, 0) == state["turn"]
                # the client retries what it had in flight: applied once, whatever the crash left
                if id in record.in_flight:
                    retried = http.post(f"/v1/consultations/{id}/answers", json=record.in_flight[id])
                    assert retried.status_code == 200, retried.text
                    assert retried.json()["turn"] == len(answers) + 1
                    state = retried.json()
                # and the consultation continues
                if not state["finished"]:
                    body = {"question": state["assessment"]["question"]["id"], "turn": state["turn"],
                            "answer": {"status": "unknown", "values": []}}  # fmt: skip
                    assert http.post(f"/v1/consultations/{id}/answers", json=body).status_code == 200
    finally:
        restarted.stop()


@pytest.fixture(scope="module")
def crash_patients(knowledge: KnowledgeBase, repo_root: Path) -> list[Patient]:
    path = repo_root / "data" / "ddxplus" / "validate_stratified_588_with_translation.csv"
    return list(read_patients(path, knowledge, limit=400))


def test_a_killed_server_loses_no_acknowledged_answer(
    database_kind: str, new_database: Callable[[str], str], knowledge: KnowledgeBase, crash_patients: list[Patient]
) -> None:
    _crash_and_recover(new_database(database_kind), knowledge, crash_patients)
