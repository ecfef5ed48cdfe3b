"""Structured logs (one JSON object per line) and Prometheus metrics.

Logs carry the route template (`/v1/consultations/{id}`), never the raw path: a consultation id is the only
key to a consultation and must not end up in log files. No answer or complaint is ever logged.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("symptomcheck")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


class Metrics:
    """The service's metrics, in a registry of its own (one per application)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "symptomcheck_http_requests", "HTTP requests handled", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "symptomcheck_http_request_duration_seconds",
            "Time to handle a request",
            ["method", "route"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.consultations = Counter(
            "symptomcheck_consultations_started", "Consultations started", ["language"], registry=self.registry
        )
        self.answers = Counter("symptomcheck_answers", "Answers applied", registry=self.registry)
        self.results = Counter(
            "symptomcheck_consultations_finished",
            "Interviews finished, by triage level",
            ["level"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "symptomcheck_rate_limited", "Requests refused by the rate limit", registry=self.registry
        )
