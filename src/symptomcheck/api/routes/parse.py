"""/v1/parse: free text to findings (evidences present or absent, with where each was said)."""

from __future__ import annotations

from fastapi import APIRouter

from symptomcheck.api.deps import ContainerDep
from symptomcheck.api.routes.consultations import REFUSED
from symptomcheck.api.schemas import ParsedFinding, ParseRequest, ParseResult, Span

router = APIRouter(prefix="/v1", tags=["stateless"])


@router.post(
    "/parse",
    response_model=ParseResult,
    responses=REFUSED,
    operation_id="parseText",
    summary="Understand free text: the findings it states, present or absent, with their place in the text",
    description='Nothing is stored. English, French or Chinese; several findings per sentence; negation ("no fever", '
    '"je n\'ai pas de fièvre", 不发烧); small misspellings. A finding of a follow-up question (the site of a pain) '
    "comes with its parent (the pain). `POST /v1/consultations` with the same text starts from `complaint` and "
    "answers every other finding before the first question.",
)
def parse(body: ParseRequest, container: ContainerDep) -> ParseResult:
    service = container.consultations
    knowledge = container.engine.knowledge
    findings = service.parser.parse(body.text, body.language.code)
    starters = service.complaint_codes
    return ParseResult(
        findings=[
            ParsedFinding(
                id=f.evidence,
                status=f.status,
                values=list(f.values),
                span=Span(start=f.start, end=f.end),
                text=f.text,
                matched=f.matched,
                question=knowledge.evidence(f.evidence).question[body.language.code],
                can_start=f.evidence in starters,
            )
            for f in findings
        ],
        complaint=next((f.evidence for f in findings if f.present and f.evidence in starters), None),
    )
