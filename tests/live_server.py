"""A real server for tests that need one: uvicorn serving an application on a free loopback port, in a thread."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from symptomcheck.api.app import create_app
from symptomcheck.bootstrap import Container

API_KEY = "test-key-0123456789"


@dataclass
class Server:
    url: str
    container: Container
    http: httpx.Client

    def new_consultation(self, **fields: Any) -> dict[str, Any]:
        body = {"age": 45, "sex": "F", "language": "en", "complaint": "E_91", **fields}
        response = self.http.post("/v1/consultations", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


class ThreadedUvicorn(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the tests' thread is not the main one
        pass


def serve_in_thread(container: Container) -> tuple[ThreadedUvicorn, threading.Thread, str]:
    """uvicorn serving the app of `container` on a free loopback port, in a thread; (server, thread, url)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(container), log_config=None, access_log=False, lifespan="on")
    server = ThreadedUvicorn(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    return server, thread, f"http://127.0.0.1:{port}"
