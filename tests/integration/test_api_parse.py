"""Free text over the API: POST /v1/parse, and consultations started from everything the person typed."""

from __future__ import annotations

from sqlalchemy import select

from live_server import Server
from symptomcheck.storage.tables import AnswerRow


def test_parse_returns_each_finding_with_its_status_span_and_question(sqlite_server: Server) -> None:
    text = "I have a cough and a fever but no headache"
    response = sqlite_server.http.post("/v1/parse", json={"text": text, "language": "en"})
    assert response.status_code == 200, response.text
    result = response.json()
    found = [(f["id"], f["status"]) for f in result["findings"]]
    assert found == [("E_201", "present"), ("E_91", "present"), ("E_55", "absent")]
    for finding in result["findings"]:
        span = finding["span"]
        assert text[span["start"] : span["end"]] == finding["text"]
        assert finding["question"] and finding["matched"]
    assert result["complaint"] == "E_201"


def test_parse_reads_chinese_and_french_and_gives_the_questions_in_the_language_asked(sqlite_server: Server) -> None:
    chinese = sqlite_server.http.post("/v1/parse", json={"text": "咳嗽发烧", "language": "zh"}).json()
    assert [f["id"] for f in chinese["findings"]] == ["E_201", "E_91"]
    assert chinese["findings"][0]["question"] == sqlite_server.container.engine.knowledge.evidence("E_201").question.zh
    french = sqlite_server.http.post("/v1/parse", json={"text": "je n'ai pas de fièvre", "language": "fr"}).json()
    assert [(f["id"], f["status"]) for f in french["findings"]] == [("E_91", "absent")]
    assert french["complaint"] is None


def test_parse_refuses_empty_overlong_or_unknown_fields(sqlite_server: Server) -> None:
    for body in ({"text": ""}, {"text": "x" * 1001}, {"text": "fever", "language": "de"}, {"words": "fever"}):
        assert sqlite_server.http.post("/v1/parse", json=body).status_code == 422, body


def test_the_parse_operation_is_documented_with_its_id_and_examples(sqlite_server: Server) -> None:
    document = sqlite_server.http.get("/openapi.json").json()
    operation = document["paths"]["/v1/parse"]["post"]
    assert operation["operationId"] == "parseText"
    request = document["components"]["schemas"]["ParseRequest"]
    assert request["examples"] and document["components"]["schemas"]["ParseResult"]["examples"]


def test_cough_and_fever_starts_a_consultation_that_keeps_the_fever_across_reloads(server: Server) -> None:
    state = server.new_consultation(complaint="cough and fever")
    assert state["complaint"]["evidence"] == "E_201"
    assert state["turn"] == 0
    assert [(e["evidence"], e["status"], e["turn"]) for e in state["transcript"]] == [("E_91", "present", None)]
    question = state["assessment"]["question"]["id"]
    assert question not in ("E_201", "E_91")
    # the engine counts the fever against its limit; the person's progress counts the questions asked
    assert (state["assessment"]["questions_asked"], state["assessment"]["max_questions"]) == (0, 29)
    reloaded = server.http.get(f"/v1/consultations/{state['id']}").json()
    assert reloaded["transcript"] == state["transcript"]
    assert reloaded["assessment"]["question"]["id"] == question
    answered = server.http.post(
        f"/v1/consultations/{state['id']}/answers",
        json={"question": question, "turn": 0, "answer": {"status": "absent"}},
    )
    assert answered.status_code == 200, answered.text
    after = answered.json()
    assert [e["turn"] for e in after["transcript"]] == [None, 0]
    # stored as answer rows: what was said with the complaint before the questions' turns, which count from 0
    with server.container.database.connect() as connection:
        rows = connection.execute(
            select(AnswerRow.turn, AnswerRow.evidence).where(AnswerRow.consultation_id == state["id"])
        ).all()
    assert sorted(rows) == [(-1, "E_91"), (0, question)]


def test_words_that_state_no_complaint_are_refused_with_suggestions(server: Server) -> None:
    response = server.http.post("/v1/consultations", json={"age": 30, "sex": "F", "complaint": "no fever"})
    assert response.status_code == 422
    assert "no complaint matches" in response.json()["detail"]


def test_the_complaint_search_offers_each_complaint_of_a_chinese_text_without_spaces(sqlite_server: Server) -> None:
    matches = sqlite_server.http.get("/v1/search", params={"text": "咳嗽发烧", "lang": "zh"}).json()
    assert [m["id"] for m in matches[:2]] == ["E_201", "E_91"]


def test_the_complaint_search_suggests_what_new_users_typed_and_did_not_find(sqlite_server: Server) -> None:
    expected = {
        "burning when I pee": "E_53",  # the pain (at the urethra), no longer the seizure question
        "slurred speech": "R_12352",  # said in the person's words (E_63, difficulty speaking, is its broader form)
        "stroke": "E_176",
        "urinary infection": "R_16652",  # "do you think you have a urinary or bladder infection?"
        "尿痛": "E_53",
        "can't breathe": "E_66",
        "allergic reaction after eating peanuts": "E_42",
    }
    for text, code in expected.items():
        matches = sqlite_server.http.get("/v1/search", params={"text": text}).json()
        assert matches and matches[0]["id"] == code, (text, matches)
