"""Stateless calls for integrators: the evidence-list assessment, the complaint search, the knowledge base."""

from __future__ import annotations

from api_helpers import PROBLEM

from live_server import Server
from symptomcheck.knowledge import KnowledgeBase


def test_an_evidence_list_gives_the_differential_the_next_question_and_the_triage(sqlite_server: Server) -> None:
    body = {
        "age": 25,
        "sex": "F",
        "evidence": [{"id": "E_91", "status": "present"}, {"id": "E_201", "status": "absent"}],
    }
    response = sqlite_server.http.post("/v1/diagnosis", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["should_stop"] is False
    assert result["question"]["id"] not in ("E_91", "E_201")
    assert result["questions_asked"] == 1
    assert result["differential"] and result["triage"]["level"]
    assert result["disclaimer"]


def test_a_follow_up_may_come_before_its_parent_in_the_list(sqlite_server: Server) -> None:
    parent_last = [{"id": "E_56", "status": "present", "values": ["3"]}, {"id": "E_53", "status": "present"}]
    response = sqlite_server.http.post("/v1/diagnosis", json={"age": 40, "sex": "M", "evidence": parent_last})
    assert response.status_code == 200, response.text


def test_a_follow_up_without_its_parent_is_refused_with_the_reason(sqlite_server: Server) -> None:
    response = sqlite_server.http.post(
        "/v1/diagnosis",
        json={"age": 40, "sex": "M", "evidence": [{"id": "E_56", "status": "present", "values": ["3"]}]},
    )
    assert response.status_code == 422
    assert "E_53" in response.json()["detail"]


def test_unknown_and_repeated_evidences_are_refused(sqlite_server: Server) -> None:
    unknown = sqlite_server.http.post(
        "/v1/diagnosis", json={"age": 40, "sex": "M", "evidence": [{"id": "E_9999", "status": "present"}]}
    )
    assert unknown.status_code == 422 and "E_9999" in unknown.json()["detail"]
    twice = [{"id": "E_91", "status": "present"}, {"id": "E_91", "status": "absent"}]
    repeated = sqlite_server.http.post("/v1/diagnosis", json={"age": 40, "sex": "M", "evidence": twice})
    assert repeated.status_code == 422 and "E_91" in repeated.json()["detail"]
    assert repeated.headers["content-type"] == PROBLEM


def test_an_emergency_answer_raises_the_stateless_triage_at_once(sqlite_server: Server) -> None:
    calm = [{"id": "E_91", "status": "present"}, {"id": "E_14", "status": "absent"}]
    alarming = [{"id": "E_91", "status": "present"}, {"id": "E_14", "status": "present"}]
    level_calm = sqlite_server.http.post("/v1/diagnosis", json={"age": 25, "sex": "F", "evidence": calm}).json()[
        "triage"
    ]
    level_alarm = sqlite_server.http.post("/v1/diagnosis", json={"age": 25, "sex": "F", "evidence": alarming}).json()[
        "triage"
    ]
    assert level_alarm["level"] == "emergency_ambulance"
    assert level_alarm["red_flags"] and level_alarm["red_flags"][0]["evidence"] == "E_14"
    assert level_calm["level"] != "emergency_ambulance"


def test_the_search_matches_words_in_three_languages_despite_case_accents_order_and_typos(
    sqlite_server: Server,
) -> None:
    cases = {
        ("FEVER", "en"): "E_91",
        ("fievre", "fr"): "E_91",
        ("fiever", "en"): "E_91",
        ("发烧", "zh"): "E_91",
        ("gorge mal", "fr"): "E_97",
    }
    for (text, lang), expected in cases.items():
        response = sqlite_server.http.get("/v1/search", params={"text": text, "lang": lang})
        assert response.status_code == 200
        matches = response.json()
        assert matches and matches[0]["id"] == expected, (text, matches)
        assert matches[0]["can_start"] is True
    french = sqlite_server.http.get("/v1/search", params={"text": "fever", "lang": "fr"}).json()
    assert "fièvre" in french[0]["text"].lower()


def test_the_search_over_all_evidences_finds_history_questions(sqlite_server: Server) -> None:
    complaints_only = sqlite_server.http.get("/v1/search", params={"text": "smoke cigarettes"}).json()
    everything = sqlite_server.http.get("/v1/search", params={"text": "smoke cigarettes", "scope": "all"}).json()
    assert all(m["can_start"] for m in complaints_only)
    assert any(not m["can_start"] for m in everything)


def test_the_search_refuses_empty_or_overlong_text(sqlite_server: Server) -> None:
    assert sqlite_server.http.get("/v1/search", params={"text": ""}).status_code == 422
    assert sqlite_server.http.get("/v1/search", params={"text": "a" * 201}).status_code == 422
    assert sqlite_server.http.get("/v1/search", params={"text": "cough", "lang": "de"}).status_code == 422


def test_the_knowledge_base_lists_conditions_evidences_and_triage_levels(
    sqlite_server: Server, knowledge: KnowledgeBase
) -> None:
    conditions = sqlite_server.http.get("/v1/knowledge/conditions", params={"lang": "zh"}).json()
    assert len(conditions) == len(knowledge.conditions)
    pneumonia = sqlite_server.http.get("/v1/knowledge/conditions/Pneumonia").json()
    assert pneumonia["icd10"].startswith("J") and pneumonia["triage_reason"]
    slashed = next(c for c in knowledge.conditions if "/" in c.code)
    assert sqlite_server.http.get(f"/v1/knowledge/conditions/{slashed.code}").status_code == 200
    evidences = sqlite_server.http.get("/v1/knowledge/evidences", params={"lang": "fr"}).json()
    assert len(evidences) == len(knowledge.evidences)
    pain = sqlite_server.http.get("/v1/knowledge/evidences/E_56").json()
    assert pain["kind"] == "scale" and pain["parent"] == "E_53"
    levels = sqlite_server.http.get("/v1/knowledge/triage-levels").json()
    assert next(lvl["id"] for lvl in levels) == "emergency_ambulance" and levels[0]["urgency"] == 4
    assert sqlite_server.http.get("/v1/knowledge/evidences/E_0000").status_code == 404
    assert sqlite_server.http.get("/v1/knowledge/conditions/Nope").status_code == 404


def test_the_knowledge_base_gives_the_body_regions_of_a_body_site_question(sqlite_server: Server) -> None:
    swelling = sqlite_server.http.get("/v1/knowledge/evidences/E_152", params={"lang": "zh"}).json()
    regions = swelling["regions"]
    assert regions[0]["id"] == "head" and regions[0]["text"] == "头部"
    assert {"id": "V_101", "text": "胸部正中（上部）"} in next(r for r in regions if r["id"] == "chest")["options"]
    assert sum(len(region["options"]) for region in regions) == len(swelling["options"]) - 1  # all but "nowhere"
    assert sqlite_server.http.get("/v1/knowledge/evidences/E_91").json()["regions"] == []
