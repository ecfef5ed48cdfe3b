"""/healthz (the process answers), /readyz (it can serve: database reachable, schema current), /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from symptomcheck.api.deps import ContainerDep, MetricsDep
from symptomcheck.api.schemas import Health
from symptomcheck.storage.errors import StorageError

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Liveness")
def healthz(container: ContainerDep) -> Health:
    return Health(status="ok", model_version=container.model_version)


@router.get(
    "/readyz",
    response_model=Health,
    responses={503: {"model": Health, "description": "Not ready"}},
    summary="Readiness: the database answers and has the current schema",
)
def readyz(container: ContainerDep) -> Health | JSONResponse:
    try:
        container.repository.ping()
    except StorageError as error:
        return JSONResponse(Health(status="unavailable", detail=str(error)).model_dump(), status_code=503)
    return Health(status="ok", model_version=container.model_version)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(metrics: MetricsDep) -> Response:
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
