"""/v1/consultations: the stateful consultation, one question at a time.

The routes a consultation goes through at every step (start, read, answer, back, language) run on the event
loop and hand their work to the thread pool once, its JSON included (see `offload`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import JSONResponse, StreamingResponse

from symptomcheck.api.deps import ApiKeyDep, ContainerDep, CursorQuery, LangQuery, MetricsDep, ServiceDep, Timestamp
from symptomcheck.api.offload import Rendered, in_thread
from symptomcheck.api.problems import problem_response
from symptomcheck.api.schemas import (
    AnswerRequest,
    BackRequest,
    ConsultationList,
    ConsultationSummary,
    CreateConsultation,
    FhirBundle,
    LanguageChange,
)
from symptomcheck.engine.answers import Answer
from symptomcheck.services.codes import Language, TriageLevel
from symptomcheck.services.consultations import Snapshot
from symptomcheck.services.views import ConsultationView, QuestionView

router = APIRouter(prefix="/v1/consultations", tags=["consultations"])
FHIR_JSON = "application/fhir+json"
NDJSON = "application/x-ndjson"
EXPORT_PAGE = 200  # consultations read per query while exporting: memory stays bounded, queries few


VIEW: Rendered[ConsultationView] = Rendered(ConsultationView)
QUESTION: Rendered[QuestionView | None] = Rendered(QuestionView | None)


class FhirJSONResponse(JSONResponse):
    media_type = FHIR_JSON


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
    401: problem_response(
        "No API key", "this endpoint needs an API key in the X-API-Key header", 401, title="API key required"
    ),
    403: problem_response("The API key is not accepted", "this API key is not accepted", 403, "API key not accepted"),
}
# a 422 documented with an example (problems.document_errors adds a generic one where a route names none)
REFUSED: dict[int | str, dict[str, Any]] = {
    422: problem_response("The request does not fit", "age: Input should be less than or equal to 120", 422)
}
# OpenAPI links from a created consultation to the operations on it: clients (and stateful testing) learn
# that the id in the body is the {id} of those paths
_ID = {"id": "$response.body#/id"}
CONSULTATION_LINKS = {
    "getConsultation": {"operationId": "getConsultation", "parameters": _ID},
    "getCurrentQuestion": {"operationId": "getCurrentQuestion", "parameters": _ID},
    "answerQuestion": {
        "operationId": "answerQuestion",
        "parameters": _ID,
        "requestBody": {
            "question": "$response.body#/assessment/question/id",
            "turn": "$response.body#/turn",
            "answer": {"status": "unknown", "values": []},
        },
    },
    "stepBack": {"operationId": "stepBack", "parameters": _ID},
    "changeLanguage": {"operationId": "changeLanguage", "parameters": _ID},
    "exportFhir": {"operationId": "exportFhir", "parameters": _ID},
    "deleteConsultation": {"operationId": "deleteConsultation", "parameters": _ID},
}


def _view(service: ServiceDep, snapshot: Snapshot, lang: Language | None = None) -> ConsultationView:
    return service.view(snapshot, lang.code if lang is not None else None)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsultationView,
    operation_id="createConsultation",
    responses={
        201: {"description": "The consultation, created", "links": CONSULTATION_LINKS},
        200: {
            "model": ConsultationView,
            "description": "A retry with the same Idempotency-Key and the same body: the consultation it created",
            "links": CONSULTATION_LINKS,
        },
        422: problem_response(
            "The request does not fit, names no known complaint, or reuses an Idempotency-Key with another body",
            "this Idempotency-Key was already used with another request body: use a new key for a new request",
            422,
            title="Idempotency-Key reused with another request",
        ),
    },
    summary="Start a consultation",
)
async def create(
    body: CreateConsultation,
    service: ServiceDep,
    metrics: MetricsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="any unique string: a retried request (same key, same body) returns the same consultation; "
            "the same key with another body is refused (422)",
        ),
    ] = None,
) -> Response:
    def work() -> Response:
        snapshot, created = service.start(
            body.age, body.sex.value, body.language.code, body.complaint, idempotency_key, body.subject
        )
        if created:
            metrics.consultations.labels(body.language.value).inc()
        return VIEW.response(
            _view(service, snapshot),
            status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            {"Location": f"/v1/consultations/{snapshot.stored.id}"},
        )

    return await in_thread(work)


@router.get(
    "",
    response_model=ConsultationList,
    dependencies=[ApiKeyDep],
    operation_id="listConsultations",
    summary="List consultations (API key)",
    responses=KEY_NEEDED,
)
def list_consultations(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    updated_before: Annotated[
        Timestamp | None, Query(description="only consultations changed before this instant (ISO 8601 with offset)")
    ] = None,
    cursor: CursorQuery = None,
) -> ConsultationList:
    page = service.list(limit, updated_before, cursor)
    items = [
        ConsultationSummary(
            id=s.id,
            created=s.created,
            updated=s.updated,
            language=Language(s.consultation.language),
            questions_asked=s.consultation.questions_asked,
            finished=s.summary.finished,
            triage_level=TriageLevel(s.summary.triage_level),
        )
        for s in page.items
    ]
    return ConsultationList(items=items, next_cursor=page.next_cursor)


@router.get(
    "/export",
    dependencies=[ApiKeyDep],
    operation_id="exportConsultations",
    summary="Export consultations as FHIR bundles, one per line (API key)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One FHIR R4B Bundle (the FhirBundle schema) per line, most recently changed first",
            "content": {
                NDJSON: {
                    "schema": {"type": "string", "description": "newline-delimited JSON: one FhirBundle per line"},
                    # OpenAPI 3.2's way to describe each item of a sequential media type such as NDJSON
                    "itemSchema": {"$ref": "#/components/schemas/FhirBundle"},
                }
            },
        },
        **KEY_NEEDED,
    },
)
def export(
    service: ServiceDep,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    updated_before: Annotated[
        Timestamp | None, Query(description="only consultations changed before this instant (ISO 8601 with offset)")
    ] = None,
) -> StreamingResponse:
    def lines() -> Iterator[bytes]:
        # page by page on the (updated, id) keyset: each consultation is read once, each page in two queries
        cursor: str | None = None
        left = limit
        while left > 0:
            page = service.list(min(left, EXPORT_PAGE), updated_before, cursor)
            for stored in page.items:
                bundle = service.fhir_of(stored, container.model_version)
                yield json.dumps(bundle, ensure_ascii=False).encode() + b"\n"
            left -= len(page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor

    return StreamingResponse(lines(), media_type=NDJSON)


@router.get(
    "/{id}",
    response_model=ConsultationView,
    responses=NOT_FOUND,
    operation_id="getConsultation",
    summary="The consultation's state",
)
async def read(id: str, service: ServiceDep, lang: LangQuery = None) -> Response:
    return await in_thread(lambda: VIEW.response(_view(service, service.snapshot(id), lang)))


@router.get(
    "/{id}/question",
    response_model=QuestionView | None,
    responses=NOT_FOUND,
    operation_id="getCurrentQuestion",
    summary="The current question (null once the interview is finished)",
)
async def question(id: str, service: ServiceDep, lang: LangQuery = None) -> Response:
    return await in_thread(lambda: QUESTION.response(_view(service, service.snapshot(id), lang).assessment.question))


@router.post(
    "/{id}/answers",
    response_model=ConsultationView,
    responses={**NOT_FOUND, **STALE},
    operation_id="answerQuestion",
    summary="Answer the current question",
    description="Idempotent: the same answer to the same question at the same turn is applied once, "
    "however often it is sent. An answer to any other question or turn gets 409 with the current ones.",
)
async def answer(
    id: str, body: AnswerRequest, service: ServiceDep, metrics: MetricsDep, lang: LangQuery = None
) -> Response:
    def work() -> Response:
        given = Answer(body.answer.status, tuple(body.answer.values))
        snapshot = service.answer(id, body.question, body.turn, given)
        if snapshot.applied:
            metrics.answers.inc()
            if snapshot.assessment.should_stop:
                metrics.results.labels(snapshot.assessment.triage.level.value).inc()
        return VIEW.response(_view(service, snapshot, lang))

    return await in_thread(work)


@router.post(
    "/{id}/back",
    response_model=ConsultationView,
    responses={**NOT_FOUND, **STALE},
    operation_id="stepBack",
    summary="Withdraw the last answer",
)
async def back(id: str, service: ServiceDep, body: BackRequest | None = None, lang: LangQuery = None) -> Response:
    turn = body.turn if body else None
    return await in_thread(lambda: VIEW.response(_view(service, service.back(id, turn), lang)))


@router.patch(
    "/{id}",
    response_model=ConsultationView,
    responses=NOT_FOUND,
    operation_id="changeLanguage",
    summary="Change the language",
)
async def change_language(id: str, body: LanguageChange, service: ServiceDep) -> Response:
    return await in_thread(lambda: VIEW.response(_view(service, service.set_language(id, body.language.code))))


@router.delete(
    "/{id}",
    status_code=204,
    responses=NOT_FOUND,
    operation_id="deleteConsultation",
    summary="Erase the consultation and every answer",
)
def erase(id: str, service: ServiceDep) -> Response:
    service.delete(id)
    return Response(status_code=204)


@router.get(
    "/{id}/fhir",
    response_model=FhirBundle,
    response_class=FhirJSONResponse,
    responses={200: {"description": "A FHIR R4B Bundle (collection)"}, **NOT_FOUND},
    operation_id="exportFhir",
    summary="The consultation as a FHIR R4B Bundle",
)
def fhir(id: str, service: ServiceDep, container: ContainerDep) -> FhirJSONResponse:
    bundle = service.fhir(id, container.model_version)
    return FhirJSONResponse(bundle)
