"""A rolling restart behind a load balancer: two `symptomcheck serve` instances on one PostgreSQL database, a
small round-robin balancer that health-checks /readyz (as deploy/nginx.conf does), clients answering
continuously while each instance in turn is stopped gracefully (SIGTERM) and started again.

No acknowledged answer is lost and no client sees a 5xx. The balancer does what deploy/nginx.conf asks of
nginx: an instance that refuses the connection (it is stopping) or closes it without answering is taken out
of rotation and the request goes to the other one; it comes back once its /readyz answers 200.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from processes import ServeProcess, free_port
from sqlalchemy import func, select

from symptomcheck.storage.database import open_database
from symptomcheck.storage.tables import AnswerRow

pytestmark = pytest.mark.slow
CLIENTS = 6
NO = {"status": "absent", "values": []}
HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


class Balancer:
    """Round robin over the instances whose /readyz answered 200 at the last check (every 0.1 s)."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.ready = set(backends)
        self.turns = itertools.count()
        self.served: Counter[str] = Counter()
        self.retried = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        # a new connection per request: no idle connection can be cut under a request by a stopping instance
        self.http = httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0))

    def check_forever(self) -> None:
        with httpx.Client(timeout=0.5) as probe:
            while not self.stopping.wait(0.1):
                for backend in self.backends:
                    try:
                        ready = probe.get(f"{backend}/readyz").status_code == 200
                    except httpx.HTTPError:
                        ready = False
                    with self.lock:
                        (self.ready.add if ready else self.ready.discard)(backend)

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> httpx.Response | None:
        for _ in range(2 * len(self.backends)):
            with self.lock:
                candidates = [b for b in self.backends if b in self.ready] or self.backends
                backend = candidates[next(self.turns) % len(candidates)]
            try:
                response = self.http.request(method, backend + path, headers=headers, content=body)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                # refused, or closed or reset before any answer: a connection still in the backlog of an
                # instance that stops is reset, never served (nginx: proxy_next_upstream error non_idempotent)
                with self.lock:
                    self.ready.discard(backend)
                    self.retried += 1
                time.sleep(0.05)
                continue
            with self.lock:
                self.served[backend] += 1
            return response
        return None

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        balancer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                response = balancer.forward(self.command, self.path, headers, body)
                if response is None:
                    self.send_response(502)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                self.send_response(response.status_code)
                for key, value in response.headers.items():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("content-length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

            do_GET = do_POST = do_PATCH = do_DELETE = _relay  # noqa: N815

        server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        server.daemon_threads = True
        return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def postgres_url(new_database: Callable[[str], str]) -> str:
    if not os.environ.get("SYMPTOMCHECK_TEST_POSTGRES_URL"):
        if os.environ.get("CI"):
            pytest.fail("CI must test the rolling restart on PostgreSQL")
        pytest.skip("no PostgreSQL: several instances share a PostgreSQL database, never a SQLite file")
    return new_database("postgresql")


@pytest.fixture
def behind_a_balancer(postgres_url: str) -> Iterator[tuple[list[ServeProcess], Balancer, str]]:
    instances = [ServeProcess(postgres_url), ServeProcess(postgres_url)]
    starters = [threading.Thread(target=s.start) for s in instances]
    for t in starters:
        t.start()
    for t in starters:
        t.join()
    balancer = Balancer([s.url for s in instances])
    server, url = balancer.serve()
    threads = [
        threading.Thread(target=server.serve_forever, daemon=True),
        threading.Thread(target=balancer.check_forever, daemon=True),
    ]
    for t in threads:
        t.start()
    yield instances, balancer, url
    balancer.stopping.set()
    server.shutdown()
    server.server_close()
    balancer.http.close()
    for s in instances:
        s.stop()


def test_a_rolling_restart_behind_a_balancer_loses_no_answer_and_answers_no_5xx(
    behind_a_balancer: tuple[list[ServeProcess], Balancer, str], postgres_url: str
) -> None:
    instances, balancer, url = behind_a_balancer
    acknowledged: dict[str, int] = {}  # consultation -> answers acknowledged (the turn of the last 200)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    done = threading.Event()

    def client(n: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while not done.is_set():
                # an Idempotency-Key makes the creation safe to resend, as the balancer may
                key = {"Idempotency-Key": uuid.uuid4().hex}
                created = http.post(
                    "/v1/consultations", json={"age": 30 + n, "sex": "F", "complaint": "E_91"}, headers=key
                )
                with lock:
                    statuses[created.status_code] += 1
                if created.status_code != 201:
                    return
                state = created.json()
                with lock:
                    acknowledged[state["id"]] = 0
                while not state["finished"] and not done.is_set():
                    body = {"question": state["assessment"]["question"]["id"], "turn": state["turn"], "answer": NO}
                    response = http.post(f"/v1/consultations/{state['id']}/answers", json=body)
                    with lock:
                        statuses[response.status_code] += 1
                    if response.status_code != 200:
                        return
                    state = response.json()
                    with lock:
                        acknowledged[state["id"]] = state["turn"]

    clients = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in clients:
        t.start()
    try:
        served_before: list[int] = []
        for instance in instances:
            time.sleep(2)
            served_before.append(balancer.served[instance.url])
            instance.stop()  # SIGTERM: refuses new connections, finishes the requests in flight, exits
            time.sleep(1)  # answers go on through the other instance meanwhile
            instance.start()  # the same port again; the balancer takes it back once /readyz answers
        time.sleep(2)
    finally:
        done.set()
        for t in clients:
            t.join(timeout=120)

    assert set(statuses) <= {200, 201}, statuses  # no 5xx (nor a 502 from the balancer), no refusal
    assert statuses[200] > 50
    for instance, before in zip(instances, served_before, strict=True):
        assert balancer.served[instance.url] > before  # each instance served again after its restart
    database = open_database(postgres_url)
    try:
        with database.connect() as connection:
            rows = connection.execute(
                select(AnswerRow.consultation_id, func.count()).group_by(AnswerRow.consultation_id)
            ).all()
    finally:
        database.dispose()
    stored = {str(id): int(n) for id, n in rows}
    lost = {id: (n, stored.get(id, 0)) for id, n in acknowledged.items() if stored.get(id, 0) != n}
    assert not lost, lost  # every acknowledged answer is in the database, and nothing more
