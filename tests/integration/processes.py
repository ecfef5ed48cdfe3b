"""`symptomcheck serve` as a real separate process, for the crash and scale-out tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServeProcess:
    database_url: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    # one process unless asked: a SIGKILL of the server must kill everything that serves (workers would outlive
    # their supervisor), and the tests count on one process's memory
    workers: int = 1

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ServeProcess:
        env = {
            **os.environ,
            "SYMPTOMCHECK_DATABASE_URL": self.database_url,
            "SYMPTOMCHECK_RATE_LIMIT_PER_MINUTE": "0",
            "SYMPTOMCHECK_LOG_LEVEL": "WARNING",
        }
        command = [
            sys.executable, "-m", "symptomcheck", "serve", "--port", str(self.port), "--workers", str(self.workers)
        ]  # fmt: skip
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"symptomcheck serve exited with {self.process.returncode}: {error[-2000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("symptomcheck serve did not become ready")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as in a crash or an out-of-memory kill."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
        self._close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
