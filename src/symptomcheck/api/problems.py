"""Every error as RFC 9457 `application/problem+json`, with a detail that says what was wrong and what is
accepted. Service errors are mapped to HTTP codes here and nowhere else; no stack trace reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from symptomcheck.services.errors import (
    ComplaintNotFoundError,
    ConcurrentUpdateError,
    InvalidRequestError,
    NotFoundError,
    ServiceError,
    StaleAnswerError,
)
from symptomcheck.storage.errors import StorageError

PROBLEM = "application/problem+json"
log = logging.getLogger("symptomcheck.api")

TITLES = {
    400: "Bad request",
    401: "API key required",
    403: "API key not accepted",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the current state",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Request not accepted",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def _documented(status: int, detail: str) -> dict[str, Any]:
    example = {"type": "about:blank", "title": TITLES[status], "status": status, "detail": detail}
    return {
        "description": TITLES[status],
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}, "example": example}},
    }


# the errors any operation can answer (the middleware's and the server's), documented on every operation
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented(400, "the body is not valid JSON in UTF-8 (or is nested too deeply)"),
    413: _documented(413, "the request body is larger than 65536 bytes"),
    415: _documented(415, "the body must be JSON (Content-Type: application/json), not text/plain"),
    422: _documented(422, "the request does not fit the API: age: Input should be less than or equal to 120"),
    429: _documented(429, "too many requests from this client: try again in 2 s"),
    500: _documented(500, "something went wrong on our side: try again, and if it persists tell the operator"),
    503: _documented(503, "the service cannot reach its database just now: try again shortly"),
}
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details; some problems add fields (errors, current_question, turn...)",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "additionalProperties": True,
}


def problem(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


async def _validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"field": _location(e.get("loc", ())), "problem": str(e.get("msg", "invalid"))} for e in error.errors()[:20]
    ]
    summary = "; ".join(f"{e['field']}: {e['problem']}" for e in errors[:5])
    return problem(
        422, f"the request does not fit the API: {summary} (see the OpenAPI document at /openapi.json)", errors=errors
    )


async def _http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail if isinstance(error.detail, str) else TITLES.get(error.status_code, "Error")
    if error.status_code == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}: the API lives under /v1 (see /docs)"
    elif error.status_code == 405 and detail == "Method Not Allowed":
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem(error.status_code, detail, headers=getattr(error, "headers", None))


async def _service(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError)
    if isinstance(error, NotFoundError):
        return problem(404, str(error))
    if isinstance(error, StaleAnswerError):
        return problem(409, str(error), current_question=error.current_question, turn=error.turn)
    if isinstance(error, ConcurrentUpdateError):
        return problem(409, str(error), headers={"Retry-After": "1"})
    if isinstance(error, ComplaintNotFoundError):
        return problem(422, str(error), suggestions=list(error.suggestions))
    if isinstance(error, InvalidRequestError):
        return problem(422, str(error))
    return problem(400, str(error))


async def _storage(request: Request, error: Exception) -> JSONResponse:
    log.error("storage unavailable: %s", type(error).__name__)  # never the statement's parameters
    return problem(
        503, "the service cannot reach its database just now: try again shortly", headers={"Retry-After": "5"}
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    route = getattr(request.scope.get("route"), "path", "unmatched")
    log.exception("unexpected error on %s %s", request.method, route)
    return problem(500, "something went wrong on our side: try again, and if it persists tell the service's operator")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ServiceError, _service)
    app.add_exception_handler(StorageError, _storage)
    app.add_exception_handler(DBAPIError, _storage)
    app.add_exception_handler(PoolTimeoutError, _storage)
    app.add_exception_handler(Exception, _unexpected)
