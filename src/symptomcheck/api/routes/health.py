"""/healthz (the process answers), /readyz (it can serve: database reachable, schema current), /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from symptomcheck.api.deps import ContainerDep, MetricsDep
from symptomcheck.api.schemas import Health, HealthStatus
from symptomcheck.storage.errors import StorageError

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, operation_id="checkLiveness", summary="Liveness")
def healthz(container: ContainerDep) -> Health:
    return Health(status=HealthStatus.OK, model_version=container.model_version)


@router.get(
    "/readyz",
    response_model=Health,
    responses={503: {"model": Health, "description": "Not ready"}},
    operation_id="checkReadiness",
    summary="Readiness: the database answers and has the current schema",
)
def readyz(container: ContainerDep) -> Health | JSONResponse:
    try:
        container.repository.ping()
    except StorageError as error:
        return JSONResponse(
            Health(status=HealthStatus.UNAVAILABLE, detail=str(error)).model_dump(mode="json"), status_code=503
        )
    return Health(status=HealthStatus.OK, model_version=container.model_version)


@router.get(
    "/metrics",
    operation_id="getMetrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text"}},
)
def metrics(metrics: MetricsDep) -> Response:
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
