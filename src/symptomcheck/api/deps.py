"""Typed dependencies: the container the application was built with, and the API key check.

They are coroutines, though they do no I/O: FastAPI runs a synchronous dependency on the thread pool, a
trip per dependency and request.
"""

from __future__ import annotations

import hmac
import re
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import APIKeyHeader
from pydantic import AwareDatetime, BeforeValidator

from symptomcheck.api.observability import Metrics
from symptomcheck.bootstrap import Container
from symptomcheck.services.codes import Language
from symptomcheck.services.consultations import ConsultationService

# RFC 3339 / ISO 8601 date-time with an offset; pydantic alone would also read "0.5" as seconds since 1970
_ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})")


def _iso_8601(value: Any) -> Any:
    if isinstance(value, str) and not _ISO_8601.fullmatch(value):
        raise ValueError("must be an ISO 8601 date-time with its offset, e.g. 2026-11-30T08:15:00Z")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_8601)]


class TitledHTTPException(HTTPException):
    """An HTTP error whose problem title is its own (the status alone does not say whose credential failed)."""

    def __init__(self, status_code: int, title: str, detail: str) -> None:
        super().__init__(status_code, detail)
        self.title = title


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def get_service(request: Request) -> ConsultationService:
    container: Container = request.app.state.container
    return container.consultations


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="needed to list or export consultations")


async def require_api_key(request: Request, key: Annotated[str | None, Depends(_api_key)]) -> None:
    container: Container = request.app.state.container
    keys = container.settings.api_key_set
    if not key:
        raise TitledHTTPException(401, "API key required", "this endpoint needs an API key in the X-API-Key header")
    if not any(hmac.compare_digest(key.encode(), k.encode()) for k in keys):
        raise TitledHTTPException(403, "API key not accepted", "this API key is not accepted")


ContainerDep = Annotated[Container, Depends(get_container)]
ServiceDep = Annotated[ConsultationService, Depends(get_service)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ApiKeyDep = Depends(require_api_key)
LangQuery = Annotated[
    Language | None,
    Query(description="the language of the texts (en, fr, zh); the consultation's own by default"),
]
CursorQuery = Annotated[
    str | None,
    Query(max_length=200, description="the next_cursor of the previous page (opaque); none for the first page"),
]
