"""/v1/knowledge: the conditions, evidences and triage levels, for building clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from symptomcheck.api.deps import ContainerDep
from symptomcheck.api.problems import problem_response
from symptomcheck.api.schemas import ConditionInfo, EvidenceInfo, OptionInfo, RegionInfo, TriageLevelInfo
from symptomcheck.knowledge import Evidence, KnowledgeBase, Language, TriageLevel
from symptomcheck.services.codes import Language as LanguageParam
from symptomcheck.services.views import question_kind

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])
LangParam = Annotated[LanguageParam, Query(description="the language of the texts")]


def _condition(knowledge: KnowledgeBase, code: str, lang: Language) -> ConditionInfo:
    c = knowledge.condition(code)
    rule = knowledge.triage[code]
    return ConditionInfo(
        id=c.code, name=c.name[lang], icd10=c.icd10, severity=c.severity, triage_level=rule.level,
        triage_reason=rule.reason,
    )  # fmt: skip


def _evidence(container: ContainerDep, evidence: Evidence, lang: Language) -> EvidenceInfo:
    knowledge = container.engine.knowledge
    regions = [
        RegionInfo(
            id=region.id,
            text=region.name[lang],
            options=[OptionInfo(id=code, text=evidence.value(code).text[lang]) for code in region.sites],
        )
        for region in knowledge.regions_for(evidence.code)
    ]
    return EvidenceInfo(
        id=evidence.code,
        question=evidence.question[lang],
        kind=question_kind(evidence),
        antecedent=evidence.is_antecedent,
        parent=evidence.parent,
        options=[OptionInfo(id=v.code, text=v.text[lang]) for v in evidence.values],
        default=evidence.default,
        can_start=evidence.code in container.consultations.complaint_codes,
        regions=regions,
    )


@router.get("/conditions", response_model=list[ConditionInfo], operation_id="listConditions", summary="Every condition")
def conditions(container: ContainerDep, lang: LangParam = LanguageParam.EN) -> list[ConditionInfo]:
    knowledge = container.engine.knowledge
    return [_condition(knowledge, c.code, lang.code) for c in knowledge.conditions]


@router.get(
    "/conditions/{id:path}",
    response_model=ConditionInfo,
    operation_id="getCondition",
    summary="One condition",
    responses={404: problem_response("No such condition", "no condition has the id 'X'", 404)},
)
def condition(
    container: ContainerDep,
    id: Annotated[str, Path(description="the condition's id, e.g. Pneumonia", examples=["Pneumonia"])],
    lang: LangParam = LanguageParam.EN,
) -> ConditionInfo:
    knowledge = container.engine.knowledge
    if not knowledge.has_condition(id):
        raise HTTPException(404, f"no condition has the id {id!r}: GET /v1/knowledge/conditions lists them")
    return _condition(knowledge, id, lang.code)


@router.get(
    "/evidences", response_model=list[EvidenceInfo], operation_id="listEvidences", summary="Every evidence (question)"
)
def evidences(container: ContainerDep, lang: LangParam = LanguageParam.EN) -> list[EvidenceInfo]:
    return [_evidence(container, e, lang.code) for e in container.engine.knowledge.evidences]


@router.get(
    "/evidences/{id}",
    response_model=EvidenceInfo,
    operation_id="getEvidence",
    summary="One evidence (question)",
    responses={404: problem_response("No such evidence", "no evidence has the id 'X'", 404)},
)
def evidence(
    container: ContainerDep,
    id: Annotated[str, Path(max_length=16, examples=["E_91"])],
    lang: LangParam = LanguageParam.EN,
) -> EvidenceInfo:
    knowledge = container.engine.knowledge
    if not knowledge.has_evidence(id):
        raise HTTPException(404, f"no evidence has the id {id!r}: evidence ids look like E_91")
    return _evidence(container, knowledge.evidence(id), lang.code)


@router.get(
    "/triage-levels",
    response_model=list[TriageLevelInfo],
    operation_id="listTriageLevels",
    summary="The five triage levels",
)
def triage_levels(container: ContainerDep, lang: LangParam = LanguageParam.EN) -> list[TriageLevelInfo]:
    advice = container.engine.knowledge.advice
    code = lang.code
    return [
        TriageLevelInfo(id=level, urgency=level.urgency, title=advice[level][code].title,
                        action=advice[level][code].action)
        for level in TriageLevel
    ]  # fmt: skip
