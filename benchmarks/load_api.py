"""A bounded load on `symptomcheck serve` over loopback: simulated patients completing consultations.

    python benchmarks/load_api.py [--database-url URL] [--patients 50] [--consultations 4] [--think 1.0]
    python benchmarks/load_api.py --duration 600            # the soak: ten minutes, memory sampled
    python benchmarks/load_api.py --suite [--runs 3] [--baseline SRC] [--scenarios NAME ...]   # README figures

Starts `symptomcheck serve` in its own process (on a new SQLite file unless --database-url names a
PostgreSQL database), then runs `--patients` concurrent simulated patients. Each completes `--consultations`
consultations: it starts one with a DDXPlus patient's age, sex and first complaint, answers every question
from that patient's record, and waits a think time (uniform between 0.5x and 1.5x `--think` seconds,
the time a person takes to read and tap; 0 for a saturation run) between answers.

With `--duration SECONDS`, patients keep starting consultations until the time is up (a soak), and the
server's resident memory is sampled every `--sample` seconds.

With `--suite`, runs three scenarios `--runs` times each and prints each figure's runs and median:
- saturation: 50 patients without think time, each starting a new consultation as soon as one ends: answers
  per second over `--saturation-seconds` once `--warmup` seconds have passed, while every patient is
  consulting (the whole run's figure, whose last seconds have ever fewer patients still consulting, is
  given beside it as `answers_per_second_whole_run`);
- paced: 50 patients with a think time of 1 s: latency per answer (p50, p99);
- wechat: the API saturated as above while 10 WeChat users (think time 1 s) consult by text messages for
  `--wechat-seconds`: the WeChat reply time (p50, p99, max).
With `--baseline SRC` (the `src` directory of another checkout, e.g. of the main branch), the same scenarios
run against that code too, interleaved run by run, so that both meet the same load on the machine; the
report then gives each figure for both and their ratio.

Prints, as JSON: answers per second, the server's CPU time per answer, latency per answer (p50, p90, p99,
max, in ms, measured by the client around each request), the errors (any non-2xx response or failed
request), and the check that every acknowledged answer is in the database afterwards (read directly from
the database, not through the API).
Figures only: it asserts nothing but that the run completed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
from light_http import Connection, HTTPError
from sqlalchemy import func, select

from symptomcheck.evaluation.batch import answer_of
from symptomcheck.knowledge import default_knowledge
from symptomcheck.patients import Patient, read_patients
from symptomcheck.storage.database import open_database
from symptomcheck.storage.tables import AnswerRow

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


class Reply(Protocol):
    status_code: int

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


Post = Callable[[str, dict[str, Any]], Awaitable[Reply]]


def run_async(main: Coroutine[Any, Any, T], client: str = "light") -> T:
    """Run the load's event loop: on uvloop with the light client (less CPU per request), else asyncio's own."""
    if client == "light":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.run(main)
    return asyncio.run(main)


PATIENTS = ROOT / "data" / "ddxplus" / "validate_stratified_588_with_translation.csv"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    database_url: str,
    port: int,
    workers: int | None = 1,
    settings: dict[str, str] | None = None,
    source: Path | None = None,
) -> subprocess.Popen[bytes]:
    """`symptomcheck serve` in its own process, once it is ready; `settings` adds SYMPTOMCHECK_* variables;
    `workers` None leaves the server's default; `source` serves the package found in that `src` directory."""
    env = {
        **os.environ,
        "SYMPTOMCHECK_DATABASE_URL": database_url,
        "SYMPTOMCHECK_RATE_LIMIT_PER_MINUTE": "0",  # one client address stands for every simulated patient
        "SYMPTOMCHECK_LOG_LEVEL": "WARNING",
        **(settings or {}),
    }
    if source is not None:
        env["PYTHONPATH"] = str(source.resolve())  # ahead of this environment's own installed package
    command = [sys.executable, "-m", "symptomcheck", "serve", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    # the server's log goes to a file: a pipe nobody reads would fill up and block it during a long soak
    log = tempfile.NamedTemporaryFile(prefix="symptomcheck-serve-", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                wait_until_quiet(server.pid, deadline)
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {Path(log.name).read_text()[-2000:]}")
        time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not become ready in 60 s")


def server_processes(pid: int) -> list[int]:
    """The server's process and its children (the workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(c) for c in children.read_text().split())] if children.exists() else [pid]


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def wait_until_quiet(pid: int, deadline: float) -> None:
    """Wait until no process of the server uses more than a tenth of a core over half a second.

    With several workers, the first one to finish loading answers /readyz while the others still load (the
    model, the Chinese segmenter): a load started then would open every patient's connection on that worker,
    and the others would never get one. Only where /proc exists (Linux); elsewhere this returns at once.
    """
    if not Path(f"/proc/{pid}/stat").exists():
        return
    while time.monotonic() < deadline:
        processes = server_processes(pid)
        before = [cpu_seconds(p) for p in processes]
        time.sleep(0.5)
        if all(cpu_seconds(p) - b < 0.05 for p, b in zip(processes, before, strict=True)):
            return


class Load:
    """Simulated patients; `client` is "light" (one keep-alive connection per patient, see light_http) or
    "httpx" (one httpx client whose pool all patients share, as earlier runs of this benchmark did)."""

    def __init__(self, patients: list[Patient], think: float, seed: int, client: str = "light") -> None:
        self.client = client
        self.knowledge = default_knowledge()
        self.patients = patients
        self.think = think
        self.random = random.Random(seed)
        self.latencies: list[float] = []
        self.answered_at: list[float] = []  # time.monotonic() of each acknowledged answer
        self.errors: list[str] = []
        self.acknowledged: dict[str, int] = {}  # consultation id -> answers acknowledged (200)

    async def pause(self) -> None:
        if self.think > 0:
            await asyncio.sleep(self.think * self.random.uniform(0.5, 1.5))

    async def consult(self, post: Post, patient: Patient) -> None:
        body = {"age": patient.age, "sex": patient.sex, "language": "en", "complaint": patient.initial_evidence}
        try:
            response = await post("/v1/consultations", body)
        except (httpx.HTTPError, HTTPError) as error:  # counted, as for an answer, rather than ending the whole run
            self.errors.append(f"create failed: {type(error).__name__}")
            return
        if response.status_code != 201:
            self.errors.append(f"create {response.status_code}: {response.text[:200]}")
            return
        state = response.json()
        self.acknowledged[state["id"]] = 0
        while not state["finished"]:
            await self.pause()
            code = state["assessment"]["question"]["id"]
            given = answer_of(self.knowledge, patient, code)
            request = {
                "question": code,
                "turn": state["turn"],
                "answer": {"status": given.status.value, "values": list(given.values)},
            }
            started = time.perf_counter()
            try:
                response = await post(f"/v1/consultations/{state['id']}/answers", request)
            except (httpx.HTTPError, HTTPError) as error:
                self.errors.append(f"answer failed: {type(error).__name__}")
                return
            self.latencies.append(time.perf_counter() - started)
            self.answered_at.append(time.monotonic())
            if response.status_code != 200:
                self.errors.append(f"answer {response.status_code}: {response.text[:200]}")
                return
            state = response.json()
            self.acknowledged[state["id"]] = state["turn"]

    async def patient(self, post: Post, n: int, consultations: int, until: float) -> None:
        k = 0
        while k < consultations or time.monotonic() < until:
            await self.consult(post, self.patients[(n * 1000 + k) % len(self.patients)])
            k += 1

    async def run(self, url: str, patients: int, consultations: int, duration: float) -> float:
        until = time.monotonic() + duration
        if self.client == "httpx":
            limits = httpx.Limits(max_connections=patients, max_keepalive_connections=patients)
            async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

                async def post(path: str, body: dict[str, Any]) -> Reply:
                    return await client.post(path, json=body)

                started = time.perf_counter()
                await asyncio.gather(*(self.patient(post, n, consultations, until) for n in range(patients)))
                return time.perf_counter() - started
        host, port = httpx.URL(url).host, httpx.URL(url).port or 80
        connections = [Connection(host, port) for _ in range(patients)]
        try:
            started = time.perf_counter()
            await asyncio.gather(*(self.patient(c.post, n, consultations, until) for n, c in enumerate(connections)))
            return time.perf_counter() - started
        finally:
            await asyncio.gather(*(c.close() for c in connections))


def resident_mib(pid: int) -> float:
    """Resident memory of a process and its children (the workers), in MiB, from /proc."""
    total = 0.0
    for p in server_processes(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return round(total, 1)


async def sample_memory(pid: int, every: float, samples: list[tuple[float, float]], done: asyncio.Event) -> None:
    started = time.monotonic()
    while not done.is_set():
        samples.append((round(time.monotonic() - started), resident_mib(pid)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout=every)


async def run_with_memory(
    load: Load, url: str, args: argparse.Namespace, pid: int
) -> tuple[float, list[tuple[float, float]]]:
    samples: list[tuple[float, float]] = []
    done = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(pid, args.sample, samples, done))
    elapsed = await load.run(url, args.patients, args.consultations, args.duration)
    done.set()
    await sampler
    samples.append((round(elapsed), resident_mib(pid)))
    return elapsed, samples


def stored_answers(database_url: str, ids: list[str]) -> dict[str, int]:
    database = open_database(database_url)
    with database.connect() as connection:
        rows = connection.execute(
            select(AnswerRow.consultation_id, func.count()).group_by(AnswerRow.consultation_id)
        ).all()
    database.dispose()
    counts = {str(id): int(n) for id, n in rows}
    return {id: counts.get(id, 0) for id in ids}


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0 < q < 1), interpolated between samples."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(q * 1000) - 1]


def latency_ms(seconds: list[float]) -> dict[str, float | None]:
    ms = [1000 * s for s in seconds]
    return {
        "p50": round(statistics.median(ms), 1) if ms else None,
        "p99": round(percentile(ms, 0.99), 1) if ms else None,
        "max": round(max(ms), 1) if ms else None,
    }


async def wechat_users(url: str, users: int, until: float, timings: list[float], errors: list[str]) -> int:
    """WeChat users consulting by text messages, one consultation after another, until `until`."""
    from load_wechat import User, consult  # the WeChat benchmark's simulated users

    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    completed = 0

    async def one(n: int) -> None:
        nonlocal completed
        k = 0
        while time.monotonic() < until:
            user = User(url, False, http, random.Random(1000 * n + k))
            # awaited first: `completed += await ...` would read `completed` before the await and lose the
            # consultations the other users completed meanwhile
            finished = await consult(user, 1.0, timings, errors)
            completed += finished
            k += 1

    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        await asyncio.gather(*(one(n) for n in range(users)))
    return completed


def scenario(
    name: str, patients: list[Patient], args: argparse.Namespace, source: Path | None, seed: int
) -> dict[str, Any]:
    """One run of one scenario of the suite on a new SQLite file (or the --database-url)."""
    from load_wechat import TOKEN

    with tempfile.TemporaryDirectory() as scratch:
        database_url = args.database_url or f"sqlite:///{scratch}/load.db"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        settings = {"SYMPTOMCHECK_WECHAT_TOKEN": TOKEN} if name == "wechat" else None
        server = start_server(database_url, port, args.workers, settings, source)
        try:
            load = Load(patients, 0.0 if name != "paced" else 1.0, seed, args.client)
            if name == "wechat":
                timings: list[float] = []
                errors: list[str] = []

                async def both() -> int:
                    until = time.monotonic() + args.wechat_seconds
                    rest = asyncio.create_task(load.run(url, args.patients, 0, args.wechat_seconds))
                    await asyncio.sleep(2)  # the API saturated first
                    completed = await wechat_users(url, 10, until, timings, errors)
                    await rest
                    return completed

                completed = run_async(both(), args.client)
                return {
                    "wechat_reply_ms": latency_ms(timings),
                    "wechat_messages": len(timings),
                    "wechat_consultations": completed,
                    "wechat_errors": len(errors),
                    "rest_answers_per_second": round(len(load.latencies) / args.wechat_seconds, 1),
                    "rest_errors": len(load.errors),
                }
            if name == "saturation":
                window = args.saturation_seconds
                started = time.monotonic()
                elapsed = run_async(load.run(url, args.patients, 0, args.warmup + window), args.client)
                low, high = started + args.warmup, started + args.warmup + window
                inside = [
                    latency for latency, at in zip(load.latencies, load.answered_at, strict=True) if low <= at < high
                ]
                return {
                    "answers_per_second": round(len(inside) / window, 1),
                    "answer_ms": latency_ms(inside),
                    "answers": len(inside),
                    "answers_per_second_whole_run": round(len(load.latencies) / elapsed, 1),
                    "errors": len(load.errors),
                }
            elapsed = run_async(load.run(url, args.patients, args.consultations, 0), args.client)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "answers_per_second": round(len(load.latencies) / elapsed, 1),
        "answer_ms": latency_ms(load.latencies),
        "answers": len(load.latencies),
        "errors": len(load.errors),
    }


# the figure each scenario is judged by, and where it is in a run's report
HEADLINES = {
    "saturation": ("answers_per_second", lambda r: r["answers_per_second"]),
    "paced": ("answer_p99_ms", lambda r: r["answer_ms"]["p99"]),
    "wechat": ("wechat_reply_p99_ms", lambda r: r["wechat_reply_ms"]["p99"]),
}


def suite(patients: list[Patient], args: argparse.Namespace) -> dict[str, Any]:
    versions: dict[str, Path | None] = {"this": None}
    if args.baseline:
        versions["baseline"] = Path(args.baseline)
    names = [name for name in HEADLINES if name in args.scenarios]
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {v: {name: [] for name in names} for v in versions}
    for n in range(args.runs):
        for name in names:
            for version, source in versions.items():  # interleaved: both meet the same machine load
                result = scenario(name, patients, args, source, args.seed + n)
                runs[version][name].append(result)
                print(json.dumps({"run": n + 1, "version": version, "scenario": name, **result}), file=sys.stderr)
    report: dict[str, Any] = {
        "runs": args.runs,
        "workers": args.workers or "server default",
        "client": args.client,
        "figures": {},
    }
    for name in names:
        figure, value = HEADLINES[name]
        entry: dict[str, Any] = {}
        for version in versions:
            values = [value(r) for r in runs[version][name]]
            entry[version] = {"runs": values, "median": statistics.median(values)}
        if "baseline" in entry:
            entry["ratio_this_to_baseline"] = round(entry["this"]["median"] / entry["baseline"]["median"], 2)
        report["figures"][f"{name}: {figure}"] = entry
    report["details"] = runs
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--patients", type=int, default=50, help="concurrent simulated patients")
    parser.add_argument("--consultations", type=int, default=4, help="consultations per patient")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between answers (0: none)")
    parser.add_argument("--workers", type=int, default=None, help="server worker processes (default: the server's)")
    parser.add_argument("--duration", type=float, default=0, help="keep going this many seconds (a soak)")
    parser.add_argument("--sample", type=float, default=10, help="seconds between memory samples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--suite", action="store_true", help="the three scenarios of the README, --runs times")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--scenarios",
        nargs="+",
        choices=("saturation", "paced", "wechat"),
        default=["saturation", "paced", "wechat"],
        help="the suite's scenarios to run (default: all three)",
    )
    parser.add_argument("--baseline", help="the src directory of another checkout, run the same way for comparison")
    parser.add_argument(
        "--client",
        choices=("light", "httpx"),
        default="light",
        help="light: a keep-alive connection per patient, on uvloop; httpx: one shared httpx pool (earlier runs)",
    )
    parser.add_argument(
        "--saturation-seconds", type=float, default=20, help="the window the suite's saturation figure counts"
    )
    parser.add_argument(
        "--warmup", type=float, default=3, help="seconds of the saturation scenario before its window opens"
    )
    parser.add_argument("--wechat-seconds", type=float, default=30, help="length of the wechat scenario")
    args = parser.parse_args()

    knowledge = default_knowledge()
    patients = list(read_patients(PATIENTS, knowledge))
    random.Random(args.seed).shuffle(patients)
    if args.suite:
        if args.consultations == 4:
            args.consultations = 2  # per patient in the paced scenario
        print(json.dumps(suite(patients, args), indent=2))
        return
    with tempfile.TemporaryDirectory() as scratch:
        database_url = args.database_url or f"sqlite:///{scratch}/load.db"
        port = free_port()
        server = start_server(database_url, port, args.workers)
        try:
            load = Load(patients, args.think, args.seed, args.client)
            url = f"http://127.0.0.1:{port}"
            processes = server_processes(server.pid)
            cpu = sum(cpu_seconds(p) for p in processes)
            own = time.process_time()
            elapsed, memory = run_async(run_with_memory(load, url, args, server.pid), args.client)
            cpu = sum(cpu_seconds(p) for p in processes) - cpu
            own = time.process_time() - own
        finally:
            server.terminate()
            server.wait(timeout=30)
        stored = stored_answers(database_url, list(load.acknowledged))
    missing = {id: (n, stored[id]) for id, n in load.acknowledged.items() if stored[id] != n}
    ms = [1000 * s for s in load.latencies]
    report: dict[str, Any] = {
        "database": database_url.split(":")[0],
        "patients": args.patients,
        "think_seconds": args.think,
        "workers": args.workers,
        "client": args.client,
        "consultations": len(load.acknowledged),
        "answers": len(ms),
        "seconds": round(elapsed, 1),
        "answers_per_second": round(len(ms) / elapsed, 1),
        # the server's processes' CPU time over the load, per answer (the starts of consultations included)
        "server_cpu_ms_per_answer": round(1000 * cpu / len(ms), 2) if ms else None,
        # the load generator shares the cores: its CPU time per answer, and the cores both kept busy on average
        "load_generator_cpu_ms_per_answer": round(1000 * own / len(ms), 2) if ms else None,
        "cores_busy": round((cpu + own) / elapsed, 2),
        "latency_ms": {
            "p50": round(statistics.median(ms), 2) if ms else None,
            "p90": round(percentile(ms, 0.90), 2) if ms else None,
            "p99": round(percentile(ms, 0.99), 2) if ms else None,
            "max": round(max(ms), 2) if ms else None,
        },
        "server_memory_mib": {
            "start": memory[0][1],
            "after_first_minute": next((m for t, m in memory if t >= 60), memory[-1][1]),
            "end": memory[-1][1],
            "max": max(m for _, m in memory),
            "samples": memory if args.duration else [],
        },
        "errors": len(load.errors),
        "first_errors": load.errors[:5],
        "acknowledged_answers_missing_from_database": len(missing),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
