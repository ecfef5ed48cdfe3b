"""The consultation resource through the real HTTP stack, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from api_helpers import PROBLEM, answer_current, stored_answers, wire_answer

from live_server import API_KEY, Server
from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.patients import read_patients

KEY = {"X-API-Key": API_KEY}

NO = {"status": "absent", "values": []}


def test_a_consultation_starts_from_an_evidence_code_and_shows_its_first_question(server: Server) -> None:
    response = server.http.post(
        "/v1/consultations", json={"age": 30, "sex": "F", "language": "en", "complaint": "E_91"}
    )
    assert response.status_code == 201
    state = response.json()
    assert response.headers["location"] == f"/v1/consultations/{state['id']}"
    assert state["complaint"]["evidence"] == "E_91"
    assert state["complaint"]["answer"] == "yes"
    assert state["turn"] == 0 and state["finished"] is False
    question = state["assessment"]["question"]
    assert server.http.get(f"/v1/knowledge/evidences/{question['id']}").status_code == 200 and question["text"]
    assert question["kind"] in ("yes_no", "one", "several", "scale")
    assert state["assessment"]["disclaimer"]
    assert len(state["id"]) >= 22  # 128 random bits


def test_a_complaint_in_words_is_matched_in_each_language(server: Server) -> None:
    for language, words in (("en", "fever"), ("fr", "fièvre"), ("zh", "发烧")):
        state = server.new_consultation(language=language, complaint=words)
        assert state["complaint"]["evidence"] == "E_91", (language, words)
        assert state["language"] == language


def test_a_complaint_that_matches_nothing_is_refused_with_suggestions(server: Server) -> None:
    response = server.http.post("/v1/consultations", json={"age": 30, "sex": "F", "complaint": "zzqx blorp"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert "no complaint matches" in response.json()["detail"]
    assert response.json()["suggestions"] == []


def test_a_history_question_cannot_start_a_consultation(server: Server) -> None:
    response = server.http.post("/v1/consultations", json={"age": 30, "sex": "F", "complaint": "E_204"})
    assert response.status_code == 422
    assert "cannot start a consultation" in response.json()["detail"]


def test_a_retried_creation_with_the_same_idempotency_key_returns_the_same_consultation(server: Server) -> None:
    body = {"age": 61, "sex": "M", "complaint": "E_91"}
    first = server.http.post("/v1/consultations", json=body, headers={"Idempotency-Key": "create-abc-1"})
    again = server.http.post("/v1/consultations", json=body, headers={"Idempotency-Key": "create-abc-1"})
    other = server.http.post("/v1/consultations", json=body, headers={"Idempotency-Key": "create-abc-2"})
    assert first.status_code == 201 and again.status_code == 200 and other.status_code == 201
    assert first.json()["id"] == again.json()["id"] != other.json()["id"]


def test_a_simulated_patient_completes_a_consultation_and_every_answer_is_stored(
    server: Server, knowledge: KnowledgeBase, fixtures_dir: Path
) -> None:
    patient = next(read_patients(fixtures_dir / "patients_en.csv", knowledge))
    state = server.new_consultation(age=patient.age, sex=patient.sex, complaint=patient.initial_evidence)
    while not state["finished"]:
        code = state["assessment"]["question"]["id"]
        response = answer_current(server.http, state, wire_answer(knowledge, patient, code))
        assert response.status_code == 200, response.text
        assert response.json()["turn"] == state["turn"] + 1
        state = response.json()
    assert state["assessment"]["question"] is None
    assert state["assessment"]["should_stop"] is True
    assert state["assessment"]["stop_reason"] in ("confident", "nothing_to_ask", "turn_limit", "emergency")
    assert len(state["transcript"]) == state["turn"] == stored_answers(server, state["id"])
    listed = [c["id"] for c in state["assessment"]["differential"]]
    assert patient.pathology in listed[:3]
    # one chance per condition: the posterior the advice uses, so the list sums to at most 1
    assert all(c["probability"] == c["posterior"] for c in state["assessment"]["differential"])
    assert sum(c["probability"] for c in state["assessment"]["differential"]) <= 1 + 1e-3
    assert state["assessment"]["triage"]["level"] in (
        "emergency_ambulance", "emergency", "consultation_24", "consultation", "self_care",
    )  # fmt: skip
    reread = server.http.get(f"/v1/consultations/{state['id']}").json()
    assert reread["transcript"] == state["transcript"]
    assert server.http.get(f"/v1/consultations/{state['id']}/question").json() is None


def test_a_retried_answer_is_applied_once(server: Server) -> None:
    state = server.new_consultation()
    first = answer_current(server.http, state, NO)
    retried = answer_current(server.http, state, NO)
    assert first.status_code == retried.status_code == 200
    assert first.json()["turn"] == retried.json()["turn"] == 1
    assert stored_answers(server, state["id"]) == 1


def test_a_stale_answer_is_refused_with_409_and_the_current_question(server: Server) -> None:
    state = server.new_consultation()
    moved = answer_current(server.http, state, NO).json()
    different = answer_current(server.http, state, {"status": "present", "values": []})
    assert different.status_code == 409
    assert different.headers["content-type"] == PROBLEM
    problem = different.json()
    assert problem["current_question"] == moved["assessment"]["question"]["id"]
    assert problem["turn"] == 1
    wrong_question = server.http.post(
        f"/v1/consultations/{state['id']}/answers",
        json={"question": "E_0", "turn": 1, "answer": NO},
    )
    assert wrong_question.status_code == 409
    future = server.http.post(
        f"/v1/consultations/{state['id']}/answers",
        json={"question": moved["assessment"]["question"]["id"], "turn": 7, "answer": NO},
    )
    assert future.status_code == 409
    assert stored_answers(server, state["id"]) == 1


def test_an_answer_that_does_not_fit_its_question_is_refused_and_changes_nothing(
    server: Server, knowledge: KnowledgeBase
) -> None:
    state = server.new_consultation()
    code = state["assessment"]["question"]["id"]
    evidence = knowledge.evidence(code)
    bad = {"status": "present", "values": ["V_999"]} if evidence.values else {"status": "present", "values": ["x"]}
    response = answer_current(server.http, state, bad)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert server.http.get(f"/v1/consultations/{state['id']}").json()["turn"] == 0


def _first_question_of_kind(server: Server, kind: str, knowledge: KnowledgeBase) -> dict[str, Any]:
    """Walk consultations (answering yes, or the last option offered) until a question of `kind` is current."""
    for complaint in ("E_53", "E_91", "E_201", "E_77"):
        state = server.new_consultation(complaint=complaint, age=40, sex="M")
        for _ in range(25):
            question = state["assessment"]["question"]
            if question is None:
                break
            if question["kind"] == kind:
                return state
            if question["kind"] == "yes_no":
                given: dict[str, Any] = {"status": "present", "values": []}
            elif question.get("options"):
                given = {"status": "present", "values": [question["options"][-1]["id"]]}
            else:
                given = {"status": "absent", "values": []}
            state = answer_current(server.http, state, given).json()
    raise AssertionError(f"no {kind} question reached")


def test_questions_with_values_take_one_value_several_values_or_a_number(
    server: Server, knowledge: KnowledgeBase
) -> None:
    scale = _first_question_of_kind(server, "scale", knowledge)
    question = scale["assessment"]["question"]
    assert question["scale"]["min"] == 0 and question["scale"]["max"] == 10 and question["scale"]["max_text"]
    answered = answer_current(server.http, scale, {"status": "present", "values": ["7"]})
    assert answered.status_code == 200, answered.text
    assert answered.json()["transcript"][-1]["values"] == ["7"]

    several = _first_question_of_kind(server, "several", knowledge)
    options = [o["id"] for o in several["assessment"]["question"]["options"]]
    assert len(options) >= 2
    answered = answer_current(server.http, several, {"status": "present", "values": options[:2]})
    assert answered.status_code == 200, answered.text
    assert answered.json()["transcript"][-1]["values"] == options[:2]


def test_going_back_withdraws_the_last_answer_only_once(server: Server) -> None:
    state = server.new_consultation()
    first_question = state["assessment"]["question"]["id"]
    state = answer_current(server.http, state, NO).json()
    state = answer_current(server.http, state, NO).json()
    assert state["turn"] == 2
    back = server.http.post(f"/v1/consultations/{state['id']}/back", json={"turn": 2})
    assert back.status_code == 200 and back.json()["turn"] == 1
    retried = server.http.post(f"/v1/consultations/{state['id']}/back", json={"turn": 2})
    assert retried.status_code == 409
    assert stored_answers(server, state["id"]) == 1
    server.http.post(f"/v1/consultations/{state['id']}/back")
    again = server.http.get(f"/v1/consultations/{state['id']}").json()
    assert again["turn"] == 0 and again["assessment"]["question"]["id"] == first_question
    nothing = server.http.post(f"/v1/consultations/{state['id']}/back")
    assert nothing.status_code == 422
    assert "no answer to go back" in nothing.json()["detail"]


def test_switching_language_keeps_the_answers_and_translates_the_texts(server: Server) -> None:
    state = server.new_consultation(language="en")
    state = answer_current(server.http, state, NO).json()
    switched = server.http.patch(f"/v1/consultations/{state['id']}", json={"language": "zh"})
    assert switched.status_code == 200
    chinese = switched.json()
    assert chinese["language"] == "zh" and chinese["turn"] == 1
    assert chinese["assessment"]["question"]["id"] == state["assessment"]["question"]["id"]
    assert chinese["assessment"]["question"]["text"] != state["assessment"]["question"]["text"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese["assessment"]["triage"]["title"])
    french_view = server.http.get(f"/v1/consultations/{state['id']}", params={"lang": "fr"}).json()
    assert french_view["language"] == "fr"
    assert server.http.get(f"/v1/consultations/{state['id']}").json()["language"] == "zh"


def test_deleting_a_consultation_erases_it_and_its_answers(server: Server) -> None:
    state = server.new_consultation()
    answer_current(server.http, state, NO)
    assert stored_answers(server, state["id"]) == 1
    assert server.http.delete(f"/v1/consultations/{state['id']}").status_code == 204
    assert stored_answers(server, state["id"]) == 0
    for response in (
        server.http.get(f"/v1/consultations/{state['id']}"),
        server.http.delete(f"/v1/consultations/{state['id']}"),
        server.http.get(f"/v1/consultations/{state['id']}/fhir"),
        answer_current(server.http, state, NO),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM


def test_an_unknown_id_is_404_in_problem_json(server: Server) -> None:
    response = server.http.get("/v1/consultations/not-a-real-id")
    assert response.status_code == 404
    assert response.json()["status"] == 404
    assert "no consultation" in response.json()["detail"]


def test_a_reused_idempotency_key_with_another_body_is_refused(server: Server) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    mine = server.http.post("/v1/consultations", json={"age": 54, "sex": "M", "complaint": "E_53"}, headers=key)
    assert mine.status_code == 201
    # the same request again (the default language now spelt out: the same canonical body) is a retry
    again = server.http.post(
        "/v1/consultations", json={"complaint": "E_53", "sex": "M", "age": 54, "language": "en"}, headers=key
    )
    assert again.status_code == 200 and again.json()["id"] == mine.json()["id"]
    before = server.http.get("/v1/consultations", headers=KEY, params={"limit": 5}).json()["items"]
    theirs = server.http.post(
        "/v1/consultations", json={"age": 20, "sex": "F", "language": "fr", "complaint": "E_91"}, headers=key
    )
    assert theirs.status_code == 422
    assert theirs.headers["content-type"] == PROBLEM
    assert "Idempotency-Key" in theirs.json()["detail"] and "another request body" in theirs.json()["detail"]
    assert mine.json()["id"] not in theirs.text  # never somebody else's consultation
    after = server.http.get("/v1/consultations", headers=KEY, params={"limit": 5}).json()["items"]
    assert after == before  # and no second consultation


def test_a_body_site_question_lists_its_regions_head_to_foot_besides_the_flat_options(server: Server) -> None:
    state = server.new_consultation(age=40, sex="M", complaint="E_53")  # pain: where is asked first
    question = server.http.get(f"/v1/consultations/{state['id']}/question", params={"lang": "fr"}).json()
    assert question["id"] == "E_55" and question["kind"] == "several"
    assert [option["id"] for option in question["options"]][:2] == ["V_123", "V_89"]  # nowhere, then forehead
    regions = question["regions"]
    assert regions[0] == {
        "id": "head",
        "text": "Tête",
        "options": [
            {"id": "V_89", "text": "front"},
            {"id": "V_166", "text": "tempe droite"},
            {"id": "V_167", "text": "tempe gauche"},
            {"id": "V_62", "text": "sommet du crâne"},
            {"id": "V_25", "text": "arrière de la tête"},
            {"id": "V_124", "text": "bas de l'arrière de la tête, juste au-dessus de la nuque"},
        ],
    }
    in_regions = [option["id"] for region in regions for option in region["options"]]
    assert sorted(in_regions) == sorted(option["id"] for option in question["options"][1:])
    # the region without a precise site: all its sites, shown back as the region
    chest = next(region for region in regions if region["id"] == "chest")
    values = [option["id"] for option in chest["options"]]
    response = answer_current(server.http, state, {"status": "present", "values": values})
    assert response.status_code == 200, response.text
    said = server.http.get(f"/v1/consultations/{state['id']}", params={"lang": "fr"}).json()["transcript"][0]
    assert said["answer"] == "Poitrine (sans savoir où exactement)"
    assert said["values"] == values


def test_a_question_that_is_not_about_body_sites_has_no_regions(server: Server) -> None:
    state = server.new_consultation()
    assert state["assessment"]["question"]["regions"] == []
