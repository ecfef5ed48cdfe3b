"""Stateless calls: /v1/diagnosis (evidence list -> assessment) and /v1/search (complaint search)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from symptomcheck.api.deps import ContainerDep
from symptomcheck.api.schemas import DiagnosisRequest, SearchMatch, SearchScope
from symptomcheck.engine.answers import Answer
from symptomcheck.services.codes import Language
from symptomcheck.services.stateless import diagnose
from symptomcheck.services.views import AssessmentView

router = APIRouter(prefix="/v1", tags=["stateless"])


@router.post(
    "/diagnosis",
    response_model=AssessmentView,
    operation_id="diagnose",
    summary="Assess an evidence list: differential, next question, should_stop, triage",
    description="Nothing is stored. Send what is known so far (the complaint first); ask the returned question, "
    "add its answer to the list and call again until should_stop is true.",
)
def diagnosis(body: DiagnosisRequest, container: ContainerDep) -> AssessmentView:
    evidence = [(item.id, Answer(item.status, tuple(item.values))) for item in body.evidence]
    presenter = container.consultations.presenter
    return diagnose(container.engine, presenter, body.age, body.sex.value, body.language.code, evidence)


@router.get(
    "/search", response_model=list[SearchMatch], operation_id="searchComplaints", summary="Find evidences by typed text"
)
def search(
    container: ContainerDep,
    text: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="what the person typed, in English, French or Chinese",
            examples=["chest pain", "mal de gorge", "咳嗽"],
        ),
    ],
    lang: Annotated[Language, Query(description="the language of the returned texts")] = Language.EN,
    scope: Annotated[
        SearchScope, Query(description="complaints: what can start a consultation; all: every evidence")
    ] = SearchScope.COMPLAINTS,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[SearchMatch]:
    searcher = container.complaint_search if scope is SearchScope.COMPLAINTS else container.evidence_search
    starters = container.consultations.complaint_codes
    knowledge = container.engine.knowledge
    return [
        SearchMatch(
            id=m.evidence,
            text=knowledge.evidence(m.evidence).question[lang.code],
            score=m.score,
            can_start=m.evidence in starters,
        )
        for m in searcher.search(text, limit)
    ]
