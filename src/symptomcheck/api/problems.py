"""Every error as RFC 9457 `application/problem+json`, with a detail that says what was wrong and what is
accepted. Service errors are mapped to HTTP codes here and nowhere else; no stack trace reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from symptomcheck.services.errors import (
    ComplaintNotFoundError,
    ConcurrentUpdateError,
    IdempotencyKeyReusedError,
    InvalidRequestError,
    NotFoundError,
    ServiceError,
    StaleAnswerError,
)
from symptomcheck.storage.errors import StorageError

PROBLEM = "application/problem+json"
log = logging.getLogger("symptomcheck.api")

# the title of a status when the error names none of its own (an API key refusal and the WeChat webhook's
# refusals carry theirs: a 403 there is a signature, not a key)
TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
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


def problem_response(
    description: str, example_detail: str, code: int, title: str | None = None, **extra: Any
) -> dict[str, Any]:
    """An OpenAPI response object for an error: the Problem schema, with an example."""
    title = title or TITLES.get(code, "Error")
    return {
        "description": description,
        "content": {
            PROBLEM: {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "example": {"type": "about:blank", "title": title, "status": code, "detail": example_detail, **extra},
            }
        },
    }


# probes and metrics are never rate limited (see the middleware)
UNLIMITED = ("/healthz", "/readyz", "/metrics")
WITH_BODY = {"POST", "PUT", "PATCH"}


def flat_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, those of included routers too (FastAPI keeps an included router as one entry that refers to
    it; this application includes its routers without a prefix, so their paths are the served ones)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from flat_routes(included.routes)
        else:
            yield route


def document_errors(routes: Iterable[BaseRoute]) -> None:
    """Add to each operation the errors it can actually answer, beyond those its route documents itself.

    The middleware can answer 429 (not on the probes), 413 (any request with a body) and 400 or 415 (a JSON
    body under /v1); validation answers 422 only where there is input to validate; 503 where the database is
    reached; 500 anywhere.
    """
    for route in flat_routes(routes):
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        dependant = route.dependant
        extra: dict[int | str, dict[str, Any]] = {}
        if route.path not in UNLIMITED:
            extra[429] = problem_response(TITLES[429], "too many requests from this client: try again in 2 s", 429)
        if (route.methods or set()) & WITH_BODY:
            extra[413] = problem_response(TITLES[413], "the request body is larger than 65536 bytes", 413)
            if route.path.startswith("/v1/"):
                extra[400] = problem_response(
                    TITLES[400], "the body is not valid JSON in UTF-8 (or is nested too deeply)", 400
                )
                extra[415] = problem_response(
                    TITLES[415], "the body must be JSON (Content-Type: application/json), not text/plain", 415
                )
        constrained_path = any(p.field_info.metadata for p in dependant.path_params)
        if dependant.query_params or dependant.body_params or dependant.header_params or constrained_path:
            extra[422] = problem_response(
                TITLES[422], "the request does not fit the API: age: Input should be less than or equal to 120", 422
            )
        if route.path.startswith("/v1/consultations"):
            extra[503] = problem_response(
                TITLES[503], "the service cannot reach its database just now: try again shortly", 503
            )
        extra[500] = problem_response(
            TITLES[500], "something went wrong on our side: try again, and if it persists tell the operator", 500
        )
        for code, response in extra.items():
            route.responses.setdefault(code, response)


def allowed_methods(routes: Iterable[BaseRoute], scope: dict[str, Any]) -> list[str]:
    """Every method some route serves at the request's path (HEAD wherever GET is), for a 405's Allow header."""
    methods: set[str] = set()
    for route in flat_routes(routes):
        match, _ = route.matches({**scope, "type": "http"})
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def problem(
    status: int, detail: str, headers: dict[str, str] | None = None, title: str | None = None, **extra: Any
) -> JSONResponse:
    title = title or TITLES.get(status, "Error")
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
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
    headers = dict(getattr(error, "headers", None) or {})
    if error.status_code == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}: the API lives under /v1 (see /docs)"
    elif error.status_code == 405:
        # the router names only the methods of the one route it matched; a path served by several routes
        # (GET, PATCH and DELETE on a consultation) needs them all
        allowed = allowed_methods(request.app.routes, dict(request.scope))
        headers["Allow"] = ", ".join(allowed)
        headers.pop("allow", None)  # the router's own, incomplete one
        if detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed on {request.url.path}: {', '.join(allowed)} are"
    title = getattr(error, "title", None)
    return problem(error.status_code, detail, headers=headers or None, title=title if isinstance(title, str) else None)


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
    if isinstance(error, IdempotencyKeyReusedError):
        return problem(422, str(error), title="Idempotency-Key reused with another request")
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
