"""Concurrent requests on one consultation never corrupt it (real threads, real server, both databases)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from api_helpers import stored_answers

from live_server import Server

NO = {"status": "absent", "values": []}
YES = {"status": "present", "values": []}
UNKNOWN = {"status": "unknown", "values": []}


def _all_at_once(server: Server, requests: list[Callable[[httpx.Client], httpx.Response]]) -> list[httpx.Response]:
    """Send the requests from as many threads (one client each), released together."""
    barrier = threading.Barrier(len(requests))
    results: list[httpx.Response | None] = [None] * len(requests)

    def run(n: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            barrier.wait()
            results[n] = requests[n](client)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def _answer(state: dict[str, Any], answer: dict[str, Any]) -> Callable[[httpx.Client], httpx.Response]:
    question = state["assessment"]["question"]["id"]
    body = {"question": question, "turn": state["turn"], "answer": answer}
    return lambda client: client.post(f"/v1/consultations/{state['id']}/answers", json=body)


def _assert_consistent(server: Server, id: str) -> dict[str, Any]:
    state: dict[str, Any] = server.http.get(f"/v1/consultations/{id}").json()
    assert len(state["transcript"]) == state["turn"] == stored_answers(server, id)
    assert [entry["turn"] for entry in state["transcript"]] == list(range(state["turn"]))
    return state


def test_the_same_answer_sent_twenty_times_at_once_is_applied_once(server: Server) -> None:
    state = server.new_consultation()
    responses = _all_at_once(server, [_answer(state, NO)] * 20)
    assert [r.status_code for r in responses] == [200] * 20
    assert {r.json()["turn"] for r in responses} == {1}
    after = _assert_consistent(server, state["id"])
    assert after["turn"] == 1 and after["transcript"][0]["status"] == "absent"


def test_different_answers_to_one_question_at_once_apply_exactly_one(server: Server) -> None:
    state = server.new_consultation()
    answers = [YES, NO, UNKNOWN] * 5
    responses = _all_at_once(server, [_answer(state, a) for a in answers])
    codes = Counter(r.status_code for r in responses)
    assert set(codes) <= {200, 409}, codes
    after = _assert_consistent(server, state["id"])
    assert after["turn"] == 1
    winner = after["transcript"][0]["status"]
    for answer, response in zip(answers, responses, strict=True):
        # only the requests that sent the applied answer succeed; every other one is told the state moved on
        assert response.status_code == (200 if answer["status"] == winner else 409)
        if response.status_code == 409:
            assert response.json()["turn"] == 1


def test_answers_and_steps_back_at_once_leave_a_consistent_consultation(server: Server) -> None:
    state = server.new_consultation()
    for _ in range(3):
        state = server.http.post(
            f"/v1/consultations/{state['id']}/answers",
            json={"question": state["assessment"]["question"]["id"], "turn": state["turn"], "answer": NO},
        ).json()
    back = lambda client: client.post(f"/v1/consultations/{state['id']}/back", json={"turn": 3})  # noqa: E731
    responses = _all_at_once(server, [_answer(state, NO), back] * 6)
    assert {r.status_code for r in responses} <= {200, 409}
    assert any(r.status_code == 200 for r in responses)
    after = _assert_consistent(server, state["id"])
    assert after["turn"] in (2, 4)  # either the answer or the step back won, never both, never twice


def test_many_consultations_answered_in_parallel_all_keep_every_answer(server: Server) -> None:
    states = [server.new_consultation(age=20 + n) for n in range(12)]

    def walk(state: dict[str, Any]) -> Callable[[httpx.Client], httpx.Response]:
        def run(client: httpx.Client) -> httpx.Response:
            current = state
            response = None
            for _ in range(6):
                if current["assessment"]["question"] is None:
                    break
                body = {"question": current["assessment"]["question"]["id"], "turn": current["turn"], "answer": NO}
                response = client.post(f"/v1/consultations/{current['id']}/answers", json=body)
                assert response.status_code == 200, response.text
                current = response.json()
            assert response is not None
            return response

        return run

    responses = _all_at_once(server, [walk(s) for s in states])
    for response in responses:
        final = response.json()
        assert _assert_consistent(server, final["id"])["turn"] == final["turn"]
