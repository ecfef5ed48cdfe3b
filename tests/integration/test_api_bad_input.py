"""Hostile input in every text field of the API gets a clear 4xx problem and changes nothing stored."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from api_helpers import PROBLEM, answer_current
from sqlalchemy import text

from live_server import Server

NO = {"status": "absent", "values": []}
HOSTILE = [
    "'; DROP TABLE answers; --",
    '" OR 1=1 --',
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "E_91\x00E_53",
    "../../etc/passwd",
    "%00%27%22",
    "\u202eE_91",
    "{{7*7}}${7*7}",
    "x" * 500,
]


def _fingerprint(server: Server) -> str:
    """A digest of every stored row: equal fingerprints mean nothing changed."""
    digest = hashlib.sha256()
    with server.container.database.connect() as connection:
        for table in ("consultations", "answers"):
            for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2")):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _refused(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"]
    # whatever the detail quotes back stays inert: JSON, never HTML, and the browser may not sniff it
    assert response.headers["x-content-type-options"] == "nosniff"


def test_hostile_text_in_every_field_is_refused_and_changes_nothing(server: Server) -> None:
    state = server.new_consultation()
    state = answer_current(server.http, state, NO).json()
    id, question, turn = state["id"], state["assessment"]["question"]["id"], state["turn"]
    before = _fingerprint(server)
    http = server.http
    attempts: list[Callable[[str], httpx.Response]] = [
        lambda s: http.post("/v1/consultations", json={"age": 30, "sex": "F", "complaint": s}),
        lambda s: http.post("/v1/consultations", json={"age": 30, "sex": s, "complaint": "E_91"}),
        lambda s: http.post("/v1/consultations", json={"age": 30, "sex": "F", "language": s, "complaint": "E_91"}),
        lambda s: http.post(f"/v1/consultations/{id}/answers", json={"question": s, "turn": turn, "answer": NO}),
        lambda s: http.post(
            f"/v1/consultations/{id}/answers",
            json={"question": question, "turn": turn, "answer": {"status": "present", "values": [s]}},
        ),
        lambda s: http.post(
            f"/v1/consultations/{id}/answers", json={"question": question, "turn": turn, "answer": {"status": s}}
        ),
        lambda s: http.patch(f"/v1/consultations/{id}", json={"language": s}),
        lambda s: http.get(f"/v1/consultations/{id}", params={"lang": s}),
        lambda s: http.post(f"/v1/consultations/{s}/answers", json={"question": question, "turn": turn, "answer": NO}),
        lambda s: http.delete(f"/v1/consultations/{s}x"),
        lambda s: http.post(
            "/v1/diagnosis", json={"age": 30, "sex": "F", "evidence": [{"id": s, "status": "present"}]}
        ),
        lambda s: http.get(f"/v1/knowledge/evidences/{s}"),
        lambda s: http.get("/v1/consultations", headers={"X-API-Key": s[:100]}),
    ]
    for attempt in attempts:
        for payload in HOSTILE:
            try:
                response = attempt(payload)
            except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError):
                continue  # the client itself refuses to send it (a NUL or non-Latin-1 in a URL or header)
            if response.status_code == 200 and response.request.method == "GET":
                continue  # a read that happened to be valid (e.g. a path that normalises to a real one)
            _refused(response)
    assert _fingerprint(server) == before
    assert http.get(f"/v1/consultations/{id}").json()["turn"] == turn


def test_the_search_treats_hostile_text_as_words(sqlite_server: Server) -> None:
    for payload in HOSTILE:
        response = sqlite_server.http.get("/v1/search", params={"text": payload[:200]})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert all(m["id"].startswith("E_") for m in response.json())


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe\x00\x00garbage", "application/json"),
        (b'{"age": 30, "sex": "F", "complaint": "E_91"', "application/json"),
        (b'{"age": 30, "sex": "F", "complaint": "E_91"}', "text/plain"),
        (b"<xml/>", "application/xml"),
        (b"[" * 5000 + b"]" * 5000, "application/json"),
        (b'{"a":' * 3000 + b"1" + b"}" * 3000, "application/json"),
        (b"", "application/json"),
    ],
)
def test_malformed_bodies_are_refused_with_a_problem(server: Server, body: bytes, content_type: str) -> None:
    before = _fingerprint(server)
    response = server.http.post("/v1/consultations", content=body, headers={"content-type": content_type})
    _refused(response)
    assert _fingerprint(server) == before


def test_consultation_ids_are_unguessable(sqlite_server: Server) -> None:
    ids: list[Any] = [sqlite_server.new_consultation()["id"] for _ in range(200)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 22 and all(c.isalnum() or c in "-_" for c in i) for i in ids)  # 128 bits, URL-safe
    # no shared prefix or order: the ids carry no sequence
    assert len({i[:3] for i in ids}) > 150
    assert sorted(ids) != ids


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/consultations", {"age": False, "sex": "F", "complaint": "E_91"}),
        ("/v1/consultations", {"age": True, "sex": "F", "complaint": "E_91"}),
        ("/v1/consultations", {"age": 34.0, "sex": "F", "complaint": "E_91"}),
        ("/v1/consultations", {"age": "34", "sex": "F", "complaint": "E_91"}),
        ("/v1/consultations", {"age": 34, "sex": "F", "complaint": 91}),
        ("/v1/diagnosis", {"age": False, "sex": "F", "evidence": [{"id": "E_91", "status": "present"}]}),
    ],
)
def test_booleans_numbers_and_strings_are_not_taken_for_one_another(
    sqlite_server: Server, path: str, body: dict[str, object]
) -> None:
    refused = sqlite_server.http.post(path, json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["errors"][0]["field"] in ("age", "complaint")


def test_an_answer_turn_that_is_a_boolean_is_refused(sqlite_server: Server) -> None:
    state = sqlite_server.new_consultation()
    question = state["assessment"]["question"]["id"]
    body = {"question": question, "turn": False, "answer": {"status": "absent"}}
    refused = sqlite_server.http.post(f"/v1/consultations/{state['id']}/answers", json=body)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "turn"
