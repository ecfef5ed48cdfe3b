"""Typed dependencies: the container the application was built with, and the API key check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import APIKeyHeader

from symptomcheck.api.observability import Metrics
from symptomcheck.bootstrap import Container
from symptomcheck.knowledge import Language
from symptomcheck.services.consultations import ConsultationService


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_service(request: Request) -> ConsultationService:
    return get_container(request).consultations


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="needed to list or export consultations")


def require_api_key(request: Request, key: Annotated[str | None, Depends(_api_key)]) -> None:
    keys = get_container(request).settings.api_key_set
    if not key:
        raise HTTPException(401, "this endpoint needs an API key in the X-API-Key header")
    if not any(hmac.compare_digest(key.encode(), k.encode()) for k in keys):
        raise HTTPException(403, "this API key is not accepted")


ContainerDep = Annotated[Container, Depends(get_container)]
ServiceDep = Annotated[ConsultationService, Depends(get_service)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ApiKeyDep = Depends(require_api_key)
LangQuery = Annotated[
    Language | None,
    Query(description="the language of the texts (en, fr, zh); the consultation's own by default"),
]
