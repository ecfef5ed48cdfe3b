"""Scale-out: several `symptomcheck serve` instances on one PostgreSQL database behave as one service."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from processes import ServeProcess
from sqlalchemy import func, select

from symptomcheck.storage.database import current_revision, head_revision, open_database
from symptomcheck.storage.tables import AnswerRow

pytestmark = pytest.mark.slow
NO = {"status": "absent", "values": []}


@pytest.fixture(scope="module")
def instances(new_database: Callable[[str], str]) -> Iterator[list[ServeProcess]]:
    """Two instances started at the same moment on one new database (both migrate; the lock makes it once)."""
    import os

    if not os.environ.get("SYMPTOMCHECK_TEST_POSTGRES_URL"):
        if os.environ.get("CI"):
            pytest.fail("CI must test scale-out on PostgreSQL")
        pytest.skip("no PostgreSQL")
    url = new_database("postgresql")
    servers = [ServeProcess(url), ServeProcess(url)]
    starters = [threading.Thread(target=s.start) for s in servers]
    for t in starters:
        t.start()
    for t in starters:
        t.join()
    yield servers
    for s in servers:
        s.stop()


def _stored(url: str, id: str) -> int:
    database = open_database(url)
    with database.connect() as connection:
        n = int(connection.scalar(select(func.count()).where(AnswerRow.consultation_id == id)) or 0)
    database.dispose()
    return n


def test_a_consultation_moves_between_instances_at_every_answer(instances: list[ServeProcess]) -> None:
    clients = [httpx.Client(base_url=s.url, timeout=10) for s in instances]
    try:
        state = clients[0].post("/v1/consultations", json={"age": 50, "sex": "M", "complaint": "E_91"}).json()
        for n in range(12):
            if state["finished"]:
                break
            http = clients[(n + 1) % 2]  # round-robin
            body = {"question": state["assessment"]["question"]["id"], "turn": state["turn"], "answer": NO}
            response = http.post(f"/v1/consultations/{state['id']}/answers", json=body)
            assert response.status_code == 200, response.text
            state = response.json()
            other = clients[n % 2].get(f"/v1/consultations/{state['id']}").json()
            assert other["turn"] == state["turn"]
            assert other["assessment"]["question"] == state["assessment"]["question"]
        assert _stored(instances[0].database_url, state["id"]) == state["turn"] > 0
        back = clients[1].post(f"/v1/consultations/{state['id']}/back", json={"turn": state["turn"]})
        assert back.status_code == 200
        assert clients[0].get(f"/v1/consultations/{state['id']}").json()["turn"] == state["turn"] - 1
    finally:
        for c in clients:
            c.close()


def test_concurrent_answers_through_both_instances_apply_once(instances: list[ServeProcess]) -> None:
    with httpx.Client(base_url=instances[0].url, timeout=10) as http:
        states = [
            http.post("/v1/consultations", json={"age": 30 + k, "sex": "F", "complaint": "E_91"}).json()
            for k in range(8)
        ]
    results: list[tuple[str, int, dict[str, Any]]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(states) * 4)

    def send(state: dict[str, Any], k: int) -> None:
        answer = NO if k % 2 == 0 else {"status": "present", "values": []}
        body = {"question": state["assessment"]["question"]["id"], "turn": 0, "answer": answer}
        with httpx.Client(base_url=instances[k % 2].url, timeout=30) as http:
            barrier.wait()
            response = http.post(f"/v1/consultations/{state['id']}/answers", json=body)
        with lock:
            results.append((state["id"], response.status_code, answer))

    threads = [threading.Thread(target=send, args=(s, k)) for s in states for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {code for _, code, _ in results} <= {200, 409}
    with httpx.Client(base_url=instances[1].url, timeout=10) as http:
        for state in states:
            final = http.get(f"/v1/consultations/{state['id']}").json()
            assert final["turn"] == 1 == _stored(instances[0].database_url, state["id"])
            winner = final["transcript"][0]["status"]
            for id, code, answer in results:
                if id == state["id"]:
                    assert code == (200 if answer["status"] == winner else 409)


def test_processes_starting_together_on_a_new_sqlite_file_migrate_it_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    # every process imports first, then all migrate at the same instant
    code = (
        "import sys, time; from symptomcheck.storage.database import migrate, open_database; "
        "database = open_database(sys.argv[1]); time.sleep(max(0.0, float(sys.argv[2]) - time.time())); "
        "migrate(database)"
    )
    for _ in range(3):
        (tmp_path / "fresh.db").unlink(missing_ok=True)
        at = str(time.time() + 4)
        starts = [subprocess.Popen([sys.executable, "-c", code, url, at], stderr=subprocess.PIPE) for _ in range(4)]
        errors = [p.communicate(timeout=120)[1].decode() for p in starts]
        assert [p.returncode for p in starts] == [0, 0, 0, 0], errors
        database = open_database(url)
        assert current_revision(database) == head_revision()
        database.dispose()
