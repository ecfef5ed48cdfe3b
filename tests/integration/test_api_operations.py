"""Errors, access, limits, privacy and operations endpoints of the service."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from api_helpers import PROBLEM, answer_current, stored_answers

from live_server import API_KEY, Server
from symptomcheck.services.consultations import utc_now

NO = {"status": "absent", "values": []}


def _is_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def test_an_unknown_route_and_a_wrong_method_are_problems(sqlite_server: Server) -> None:
    _is_problem(sqlite_server.http.get("/v2/nothing"), 404)
    _is_problem(sqlite_server.http.put("/v1/consultations"), 405)


def test_a_body_that_is_not_json_is_refused_with_what_is_accepted(sqlite_server: Server) -> None:
    http = sqlite_server.http
    wrong_type = http.post(
        "/v1/consultations", content=b"age=3", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert "application/json" in _is_problem(wrong_type, 415)["detail"]
    broken = http.post("/v1/consultations", content=b'{"age": 3,', headers={"content-type": "application/json"})
    _is_problem(broken, 400)
    not_utf8 = http.post(
        "/v1/consultations", content=b'{"complaint": "\xff\xfe"}', headers={"content-type": "application/json"}
    )
    _is_problem(not_utf8, 400)
    deep = http.post("/v1/diagnosis", content=b"[" * 30000 + b"]" * 30000, headers={"content-type": "application/json"})
    _is_problem(deep, 400)


def test_an_oversized_body_is_refused_before_it_is_read(sqlite_server: Server) -> None:
    body = json.dumps({"age": 30, "sex": "F", "complaint": "x" * 100_000}).encode()
    _is_problem(
        sqlite_server.http.post("/v1/consultations", content=body, headers={"content-type": "application/json"}), 413
    )

    def chunks() -> Any:
        for _ in range(100):
            yield b"x" * 1024

    streamed = sqlite_server.http.post(
        "/v1/consultations", content=chunks(), headers={"content-type": "application/json"}
    )
    _is_problem(streamed, 413)


def test_fields_of_the_wrong_shape_are_named_in_the_problem(sqlite_server: Server) -> None:
    response = sqlite_server.http.post(
        "/v1/consultations", json={"age": "old", "sex": "X", "complaint": "E_91", "name": "Ann"}
    )
    problem = _is_problem(response, 422)
    fields = {e["field"] for e in problem["errors"]}
    assert {"age", "sex", "name"} <= fields  # no name is ever accepted: the service stores none


def test_injection_attempts_in_text_fields_are_inert(sqlite_server: Server) -> None:
    for text in ("'; DROP TABLE consultations; --", "<script>alert(1)</script>", "E_91' OR '1'='1"):
        created = sqlite_server.http.post("/v1/consultations", json={"age": 30, "sex": "F", "complaint": text})
        assert created.status_code in (201, 422)
        searched = sqlite_server.http.get("/v1/search", params={"text": text})
        assert searched.status_code == 200
        assert "<script>" not in searched.text
    assert sqlite_server.http.get("/readyz").status_code == 200
    assert sqlite_server.new_consultation()["id"]


def test_an_unexpected_failure_is_a_500_problem_without_internals(
    sqlite_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal state at 0xdeadbeef")

    state = sqlite_server.new_consultation()
    monkeypatch.setattr(sqlite_server.container.consultations, "snapshot", broken)
    response = sqlite_server.http.get(f"/v1/consultations/{state['id']}")
    _is_problem(response, 500)
    assert "deadbeef" not in response.text and "RuntimeError" not in response.text


def test_listing_and_exporting_need_an_api_key(server: Server) -> None:
    state = server.new_consultation()
    _is_problem(server.http.get("/v1/consultations"), 401)
    _is_problem(server.http.get("/v1/consultations", headers={"X-API-Key": "wrong"}), 403)
    _is_problem(server.http.get("/v1/consultations/export"), 401)
    listed = server.http.get("/v1/consultations", headers={"X-API-Key": API_KEY}, params={"limit": 500})
    assert listed.status_code == 200
    assert state["id"] in {c["id"] for c in listed.json()["items"]}
    export = server.http.get("/v1/consultations/export", headers={"X-API-Key": API_KEY}, params={"limit": 3})
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/x-ndjson")
    bundles = [json.loads(line) for line in export.text.splitlines()]
    assert 1 <= len(bundles) <= 3 and all(b["resourceType"] == "Bundle" for b in bundles)


def test_the_list_pages_through_every_consultation_even_those_changed_at_the_same_instant(
    database_kind: str, start_server: Callable[..., Server]
) -> None:
    server = start_server(database_kind)
    made = {server.new_consultation()["id"] for _ in range(3)}
    # five more changed at one instant (as a burst on a coarse clock would): a cursor on the time alone skips
    # some of them at a page boundary; the (updated, id) keyset does not
    service = server.container.consultations
    instant = utc_now()
    service.clock = lambda: instant
    try:
        made |= {server.new_consultation()["id"] for _ in range(5)}
    finally:
        service.clock = utc_now
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = server.http.get("/v1/consultations", headers={"X-API-Key": API_KEY}, params=params).json()
        seen += [c["id"] for c in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert set(seen) == made and len(seen) == 8
    export = server.http.get("/v1/consultations/export", headers={"X-API-Key": API_KEY}, params={"limit": 7})
    bundles = [json.loads(line) for line in export.text.splitlines()]
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert [b["resourceType"] for b in bundles] == ["Bundle"] * 7


def test_a_timestamp_must_be_an_iso_8601_date_time_and_a_cursor_one_the_service_gave(sqlite_server: Server) -> None:
    # a client of its own: the server closes a connection after a 500 (the test above), and the shared client
    # could pick that connection up
    with httpx.Client(base_url=sqlite_server.url, headers={"X-API-Key": API_KEY}) as http:
        for bad in ("0.5", "1700000000", "2026-11-30", "2026-11-30T08:00:00", "yesterday"):
            refused = http.get("/v1/consultations", params={"updated_before": bad})
            _is_problem(refused, 422)
            assert "ISO 8601" in refused.json()["detail"] or "timezone" in refused.json()["detail"], bad
        for good in ("2026-11-30T08:00:00Z", "2026-11-30T08:00:00.5+08:00"):
            assert http.get("/v1/consultations", params={"updated_before": good}).is_success
        _is_problem(http.get("/v1/consultations", params={"cursor": "not-ours"}), 422)


def test_a_client_over_its_rate_limit_gets_429_with_retry_after(start_server: Callable[..., Server]) -> None:
    server = start_server("sqlite", rate_limit_per_minute=6, rate_limit_burst=3)
    codes = [server.http.get("/v1/knowledge/triage-levels").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    limited = server.http.get("/v1/knowledge/triage-levels")
    _is_problem(limited, 429)
    assert int(limited.headers["retry-after"]) >= 1
    assert server.http.get("/healthz").status_code == 200  # probes are never limited
    other_client = server.http.get("/v1/knowledge/triage-levels", headers={"X-API-Key": API_KEY})
    assert other_client.status_code == 200  # limits are per client


def test_consultations_older_than_the_retention_are_purged(server: Server) -> None:
    old = server.new_consultation()
    answer_current(server.http, old, NO)
    erased = server.container.consultations.purge(timedelta(seconds=0))
    assert erased >= 1
    assert server.http.get(f"/v1/consultations/{old['id']}").status_code == 404
    assert stored_answers(server, old["id"]) == 0
    recent = server.new_consultation()
    assert server.container.repository.purge(utc_now() - timedelta(days=1)) == 0
    assert server.http.get(f"/v1/consultations/{recent['id']}").status_code == 200


def test_health_readiness_and_metrics_are_served(server: Server) -> None:
    assert server.http.get("/healthz").json()["status"] == "ok"
    ready = server.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["model_version"]
    state = server.new_consultation()
    server.http.get(f"/v1/consultations/{state['id']}")
    metrics = server.http.get("/metrics")
    assert metrics.status_code == 200
    assert "symptomcheck_http_requests_total" in metrics.text
    assert "symptomcheck_consultations_started_total" in metrics.text
    assert 'route="/v1/consultations/{id}"' in metrics.text
    assert state["id"] not in metrics.text  # ids are secrets: metrics and logs name the route, not the path


def test_readiness_fails_when_the_schema_is_not_current(start_server: Callable[..., Server]) -> None:
    server = start_server("sqlite")
    with server.container.database.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'older'")
    response = server.http.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


def test_every_response_carries_security_headers(sqlite_server: Server) -> None:
    page = sqlite_server.http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    script = sqlite_server.http.get("/static/js/main.js")
    assert script.status_code == 200
    for response in (
        page,
        script,
        sqlite_server.http.get("/healthz"),
        sqlite_server.http.get("/v1/knowledge/triage-levels"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        assert "script-src 'self';" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-request-id"]
    assert sqlite_server.http.get("/v1/knowledge/triage-levels").headers["cache-control"] == "no-store"


def test_no_endpoint_reveals_a_consultation_to_a_client_without_its_id_or_a_key(server: Server) -> None:
    secret = server.new_consultation()["id"]
    document = server.http.get("/openapi.json").json()
    reads = [path for path, item in document["paths"].items() if "get" in item and "{" not in path]
    assert "/v1/consultations" in reads and "/v1/consultations/export" in reads
    for path in reads:
        response = server.http.get(path, params={"text": "fever"} if path == "/v1/search" else None)
        assert secret not in response.text, path


def test_a_made_up_api_key_does_not_buy_a_fresh_rate_limit(start_server: Callable[..., Server]) -> None:
    server = start_server("sqlite", rate_limit_per_minute=6, rate_limit_burst=3)
    codes = [
        server.http.get("/v1/knowledge/triage-levels", headers={"X-API-Key": f"junk{n}"}).status_code for n in range(6)
    ]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429, 429]


def test_the_wechat_webhook_is_not_throttled_by_the_address_limit(start_server: Callable[..., Server]) -> None:
    # every push comes from Tencent's servers: an address limit would throttle every follower at once
    server = start_server("sqlite", rate_limit_per_minute=6, rate_limit_burst=3)
    codes = {server.http.get("/wechat").status_code for _ in range(8)}
    assert 429 not in codes


def test_a_list_cursor_without_a_time_zone_is_refused_not_a_server_error(server: Server) -> None:
    response = server.http.get(
        "/v1/consultations", headers={"X-API-Key": API_KEY}, params={"updated_before": "2030-01-01T00:00:00"}
    )
    _is_problem(response, 422)


def test_a_method_not_allowed_names_every_method_the_path_serves(sqlite_server: Server) -> None:
    state = sqlite_server.new_consultation()
    refused = sqlite_server.http.put(f"/v1/consultations/{state['id']}", json={})
    _is_problem(refused, 405)
    assert refused.headers["allow"] == "DELETE, GET, HEAD, PATCH"
    assert sqlite_server.http.get("/v1/diagnosis").headers["allow"] == "POST"
    assert sqlite_server.http.delete("/v1/consultations").headers["allow"] == "GET, HEAD, POST"


def test_head_is_served_wherever_get_is_with_the_same_headers_and_no_body(sqlite_server: Server) -> None:
    state = sqlite_server.new_consultation()
    document = sqlite_server.http.get("/openapi.json").json()
    paths = [p.replace("{id}", state["id"]) for p, item in document["paths"].items() if "get" in item]
    paths = [p.replace("conditions/" + state["id"], "conditions/Pneumonia") for p in paths]
    paths = [p.replace("evidences/" + state["id"], "evidences/E_91") for p in paths]
    paths = [p + "?text=fever" if p == "/v1/search" else p for p in paths]
    for path in [*paths, "/"]:
        headers = {"X-API-Key": API_KEY}
        get = sqlite_server.http.get(path, headers=headers)
        head = sqlite_server.http.head(path, headers=headers)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"], path
    assert sqlite_server.http.head("/v1/diagnosis").headers["allow"] == "POST"
