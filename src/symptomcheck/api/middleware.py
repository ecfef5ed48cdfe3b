"""One ASGI layer in front of the routes: rate limit, bounded and well-formed bodies, security headers,
access log and metrics. Pure ASGI (no per-request task or thread), so it adds little to each request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from symptomcheck.api.observability import Metrics
from symptomcheck.api.problems import PROBLEM, TITLES
from symptomcheck.api.ratelimit import RateLimiter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("symptomcheck.access")
UNLIMITED = ("/healthz", "/readyz", "/metrics")
# WeChat's pushes all come from Tencent's servers, so an address limit would throttle every follower at once;
# the webhook is authenticated by its signature instead
UNLIMITED_PREFIXES = ("/static/", "/wechat")
WITH_BODY = ("POST", "PUT", "PATCH")
# the page's own scripts and styles only: no inline script, no framing, no plug-ins
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# the interactive API documentation loads Swagger UI from its CDN (only that page)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class Guard:
    def __init__(
        self, app: ASGIApp, limiter: RateLimiter, metrics: Metrics, max_body: int, api_keys: frozenset[str]
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.metrics = metrics
        self.max_body = max_body
        self.api_keys = api_keys

    def client(self, scope: Scope) -> str:
        """Who is asking, for the rate limit: a configured API key, else the address.

        A key counts only if it is one of the configured ones (a made-up key would otherwise be a fresh bucket
        per request). The address is the connection's; behind a trusted proxy uvicorn has already replaced it
        with the one the proxy forwarded (`serve` turns on its proxy headers with SYMPTOMCHECK_TRUST_FORWARDED_FOR).
        """
        key = _header(scope, b"x-api-key")
        if key and any(hmac.compare_digest(key.encode(), known.encode()) for known in self.api_keys):
            return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
        client = scope.get("client")
        return str(client[0]) if client else "unknown"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex[:16]
        request_id = request_id[:64]
        path: str = scope["path"]
        status = 500
        headers_extra = [*_security_headers(path), (b"x-request-id", request_id.encode("latin-1", "replace"))]

        head = scope["method"] == "HEAD"
        if head:
            # HEAD is GET without the body (RFC 9110, 9.3.2), on every GET route: the routes see a GET, and
            # the body is dropped here (the headers, Content-Length included, are the GET's)
            scope = {**scope, "method": "GET"}

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = list(message.get("headers", [])) + headers_extra
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            refusal = await self._refusal(scope, path)
            if refusal is None and scope["method"] in WITH_BODY:
                body, refusal = await self._read_body(scope, receive, path)
                if refusal is None:
                    receive = _replay(body, receive)
            if refusal is not None:
                await _send_problem(send_with_headers, *refusal)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or ("static" if path.startswith("/static/") else "unmatched")
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.latency.labels(scope["method"], template).observe(elapsed)
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )

    async def _refusal(self, scope: Scope, path: str) -> tuple[int, str, dict[str, str]] | None:
        if path in UNLIMITED or path.startswith(UNLIMITED_PREFIXES):
            return None
        wait = self.limiter.take(self.client(scope))
        if wait > 0:
            self.metrics.rate_limited.inc()
            seconds = max(1, math.ceil(wait))
            return 429, f"too many requests from this client: try again in {seconds} s", {"retry-after": str(seconds)}
        return None

    async def _read_body(
        self, scope: Scope, receive: Receive, path: str
    ) -> tuple[bytes, tuple[int, str, dict[str, str]] | None]:
        too_large: tuple[int, str, dict[str, str]] = (413, f"the request body is larger than {self.max_body} bytes", {})
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return b"", too_large
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return b"", too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if path.startswith("/v1/") and body:
            media = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
            if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
                return body, (
                    415,
                    f"the body must be JSON (Content-Type: application/json), not {media or 'untyped'}",
                    {},
                )
            try:
                json.loads(body)
            except (ValueError, RecursionError):
                return body, (400, "the body is not valid JSON in UTF-8 (or is nested too deeply)", {})
        return body, None


def _replay(body: bytes, original: Receive) -> Receive:
    """The body read once, then the client's own messages (a disconnect, when it comes)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive


async def _send_problem(send: Send, status: int, detail: str, headers: dict[str, str]) -> None:
    body = json.dumps({"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail})
    raw = body.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM.encode()),
                (b"content-length", str(len(raw)).encode()),
                *((k.encode(), v.encode()) for k, v in headers.items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


def _security_headers(path: str) -> list[tuple[bytes, bytes]]:
    policy = DOCS_POLICY if path in ("/docs", "/redoc") else PAGE_POLICY
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", policy.encode()),
    ]
    if path.startswith("/v1/"):
        headers.append((b"cache-control", b"no-store"))
    return headers
