"""/v1/consultations: the stateful consultation, one question at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import AwareDatetime

from symptomcheck.api.deps import ApiKeyDep, ContainerDep, LangQuery, MetricsDep, ServiceDep
from symptomcheck.api.problems import PROBLEM
from symptomcheck.api.schemas import (
    AnswerRequest,
    BackRequest,
    ConsultationList,
    ConsultationSummary,
    CreateConsultation,
    LanguageChange,
)
from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.services.consultations import Snapshot
from symptomcheck.services.errors import NotFoundError
from symptomcheck.services.views import ConsultationView, QuestionView

router = APIRouter(prefix="/v1/consultations", tags=["consultations"])
FHIR_JSON = "application/fhir+json"


def problem_response(description: str, example_detail: str, code: int, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            PROBLEM: {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "example": {"type": "about:blank", "title": "", "status": code, "detail": example_detail, **extra},
            }
        },
    }


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: problem_response("No consultation has this id", "no consultation has the id 'x' (...)", 404)
}
STALE: dict[int | str, dict[str, Any]] = {
    409: problem_response(
        "The answer is not for the current question and turn (the current ones are given)",
        "this answer is for E_53 at turn 2 does not match: the current question is E_54 at turn 3",
        409,
        current_question="E_54",
        turn=3,
    )
}
KEY_NEEDED: dict[int | str, dict[str, Any]] = {
    401: problem_response("No API key", "this endpoint needs an API key in the X-API-Key header", 401),
    403: problem_response("The API key is not accepted", "this API key is not accepted", 403),
}
REFUSED: dict[int | str, dict[str, Any]] = {
    422: problem_response("The request does not fit", "age: Input should be less than or equal to 120", 422)
}


def _view(service: ServiceDep, snapshot: Snapshot, lang: str | None = None) -> ConsultationView:
    return service.view(snapshot, lang)  # type: ignore[arg-type]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsultationView,
    responses={200: {"description": "A retry with the same Idempotency-Key: the consultation it created"}, **REFUSED},
    summary="Start a consultation",
)
def create(
    body: CreateConsultation,
    service: ServiceDep,
    metrics: MetricsDep,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(max_length=200, description="any unique string: a retried request returns the same consultation"),
    ] = None,
) -> ConsultationView:
    snapshot, created = service.start(body.age, body.sex, body.language, body.complaint, idempotency_key)
    if created:
        metrics.consultations.labels(body.language).inc()
    else:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/v1/consultations/{snapshot.stored.id}"
    return _view(service, snapshot)


@router.get(
    "",
    response_model=ConsultationList,
    dependencies=[ApiKeyDep],
    summary="List consultations (API key)",
    responses=KEY_NEEDED,
)
def list_consultations(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    updated_before: Annotated[
        AwareDatetime | None, Query(description="for the next page: the last item's updated (with its offset)")
    ] = None,
) -> ConsultationList:
    stored = service.list(limit, updated_before)
    items = [
        ConsultationSummary(
            id=s.id,
            created=s.created,
            updated=s.updated,
            language=s.consultation.language,
            questions_asked=s.consultation.questions_asked,
            finished=s.summary.finished,
            triage_level=s.summary.triage_level,
        )
        for s in stored
    ]
    return ConsultationList(items=items, next_updated_before=items[-1].updated if len(items) == limit else None)


@router.get(
    "/export",
    dependencies=[ApiKeyDep],
    summary="Export consultations as FHIR bundles, one per line (API key)",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/x-ndjson": {}}, "description": "One FHIR R4B Bundle per line"},
        **KEY_NEEDED,
    },
)
def export(
    service: ServiceDep,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    updated_before: Annotated[AwareDatetime | None, Query(description="only consultations changed before")] = None,
) -> StreamingResponse:
    ids = [s.id for s in service.list(limit, updated_before)]

    def lines() -> Iterator[bytes]:
        for id in ids:
            try:
                bundle = service.fhir(id, container.model_version)
            except NotFoundError:  # erased meanwhile; anything else must cut the stream short, visibly
                continue
            yield json.dumps(bundle, ensure_ascii=False).encode() + b"\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@router.get("/{id}", response_model=ConsultationView, responses=NOT_FOUND, summary="The consultation's state")
def read(id: str, service: ServiceDep, lang: LangQuery = None) -> ConsultationView:
    return _view(service, service.snapshot(id), lang)


@router.get(
    "/{id}/question",
    response_model=QuestionView | None,
    responses=NOT_FOUND,
    summary="The current question (null once the interview is finished)",
)
def question(id: str, service: ServiceDep, lang: LangQuery = None) -> QuestionView | None:
    return _view(service, service.snapshot(id), lang).assessment.question


@router.post(
    "/{id}/answers",
    response_model=ConsultationView,
    responses={**NOT_FOUND, **STALE, **REFUSED},
    summary="Answer the current question",
    description="Idempotent: the same answer to the same question at the same turn is applied once, "
    "however often it is sent. An answer to any other question or turn gets 409 with the current ones.",
)
def answer(
    id: str, body: AnswerRequest, service: ServiceDep, metrics: MetricsDep, lang: LangQuery = None
) -> ConsultationView:
    given = Answer(AnswerStatus(body.answer.status), tuple(body.answer.values))
    snapshot = service.answer(id, body.question, body.turn, given)
    if snapshot.applied:
        metrics.answers.inc()
        if snapshot.assessment.should_stop:
            metrics.results.labels(snapshot.assessment.triage.level.value).inc()
    return _view(service, snapshot, lang)


@router.post(
    "/{id}/back",
    response_model=ConsultationView,
    responses={**NOT_FOUND, **STALE, **REFUSED},
    summary="Withdraw the last answer",
)
def back(id: str, service: ServiceDep, body: BackRequest | None = None, lang: LangQuery = None) -> ConsultationView:
    return _view(service, service.back(id, body.turn if body else None), lang)


@router.patch("/{id}", response_model=ConsultationView, responses=NOT_FOUND, summary="Change the language")
def change_language(id: str, body: LanguageChange, service: ServiceDep) -> ConsultationView:
    return _view(service, service.set_language(id, body.language))


@router.delete("/{id}", status_code=204, responses=NOT_FOUND, summary="Erase the consultation and every answer")
def erase(id: str, service: ServiceDep) -> Response:
    service.delete(id)
    return Response(status_code=204)


@router.get(
    "/{id}/fhir",
    responses={200: {"content": {FHIR_JSON: {}}, "description": "A FHIR R4B Bundle (collection)"}, **NOT_FOUND},
    summary="The consultation as a FHIR R4B Bundle",
)
def fhir(id: str, service: ServiceDep, container: ContainerDep) -> JSONResponse:
    bundle = service.fhir(id, container.model_version)
    return JSONResponse(bundle, media_type=FHIR_JSON)
