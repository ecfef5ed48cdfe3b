"""Request bodies and the responses that are not views of the services (those are in services.views)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from symptomcheck.knowledge import MAX_CODE_LENGTH
from symptomcheck.services.codes import AnswerStatus, Language, QuestionKind, Sex, Subject, TriageLevel

# the names these sets had when they were Literals, kept for code written against them
LanguageCode = Language
Status = AnswerStatus
# a body-site answer may name every site of a region (up to 19), or of several: room for all 165 values
MAX_VALUES = 170


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=200)


# a JSON boolean is not an integer (`{"age": false}` is not age 0), nor is 34.0 or "34" (pydantic's lax mode
# takes all three); strings were never coerced from numbers, and enums take their values only
StrictInt = Annotated[int, Field(strict=True)]


class AnswerBody(Strict):
    status: AnswerStatus = Field(description="present (yes, or the values chosen), absent (no) or unknown (don't know)")
    values: list[Annotated[str, Field(max_length=MAX_CODE_LENGTH)]] = Field(
        default=[],
        max_length=MAX_VALUES,
        description="for a question with options: the option ids chosen (one, or several where allowed); "
        'for a 0-10 scale: one number as text, e.g. "7"; empty for yes/no',
    )


class CreateConsultation(Strict):
    age: StrictInt = Field(
        ge=0, le=120, description="the patient's age in whole years (a child's own age, under 16, for a child)"
    )
    sex: Sex = Field(description="F or M: the patient's sex, as the statistics distinguish it")
    language: Language = Language.EN
    subject: Subject = Field(
        default=Subject.SELF,
        description="who the consultation is for: self (the person answering), child (their child, under 16) or "
        "adult (another adult). Questions and advice are worded for them; age and sex are always the patient's",
    )
    complaint: str = Field(
        min_length=1,
        max_length=200,
        description="what brings the person: an evidence code (GET /v1/search), or their own words in English, "
        "French or Chinese (POST /v1/parse shows what is understood). From words, the first finding that can start "
        "a consultation is the complaint and every other finding, present or absent, is answered with it before "
        'the first question ("cough and fever": the cough, with the fever answered yes)',
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"age": 54, "sex": "M", "language": "en", "complaint": "chest pain"},
                {"age": 34, "sex": "F", "language": "en", "complaint": "cough and fever, no headache"},
                {"age": 30, "sex": "F", "language": "zh", "complaint": "发烧"},
                {"age": 8, "sex": "F", "language": "fr", "complaint": "E_91", "subject": "child"},
                {"age": 4, "sex": "M", "language": "en", "complaint": "fever", "subject": "child"},
                {"age": 81, "sex": "F", "language": "zh", "complaint": "胸痛", "subject": "adult"},
            ]
        }
    )


class AnswerRequest(Strict):
    question: str = Field(
        max_length=MAX_CODE_LENGTH, description="the id of the question answered (the current question)"
    )
    turn: StrictInt = Field(ge=0, description="the consultation's turn when the question was shown")
    answer: AnswerBody

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"question": "E_53", "turn": 0, "answer": {"status": "present", "values": []}},
                {"question": "E_55", "turn": 1, "answer": {"status": "present", "values": ["V_101", "V_56"]}},
                {"question": "E_56", "turn": 2, "answer": {"status": "present", "values": ["7"]}},
                {"question": "E_204", "turn": 5, "answer": {"status": "unknown", "values": []}},
            ]
        }
    )


class BackRequest(Strict):
    turn: StrictInt | None = Field(
        default=None,
        ge=0,
        description="the consultation's turn the client saw; if given, the step back is refused (409) when the "
        "consultation has changed since, so a retried request never withdraws two answers",
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"turn": 4}, {}]})


class LanguageChange(Strict):
    language: Language

    model_config = ConfigDict(json_schema_extra={"examples": [{"language": "fr"}]})


class EvidenceItem(Strict):
    id: str = Field(max_length=MAX_CODE_LENGTH, description="an evidence code, e.g. E_91")
    status: AnswerStatus
    values: list[Annotated[str, Field(max_length=MAX_CODE_LENGTH)]] = Field(default=[], max_length=MAX_VALUES)


class DiagnosisRequest(Strict):
    age: StrictInt = Field(ge=0, le=120)
    sex: Sex
    language: Language = Language.EN
    evidence: list[EvidenceItem] = Field(
        min_length=1,
        max_length=250,
        description="what is known, the complaint first; a follow-up question may be given only with its parent "
        "present (in any order)",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "age": 54,
                    "sex": "M",
                    "language": "en",
                    "evidence": [
                        {"id": "E_53", "status": "present"},
                        {"id": "E_55", "status": "present", "values": ["V_101"]},
                        {"id": "E_56", "status": "present", "values": ["8"]},
                        {"id": "E_57", "status": "present", "values": ["V_121", "V_195"]},
                        {"id": "E_66", "status": "absent"},
                        {"id": "E_91", "status": "unknown"},
                    ],
                }
            ]
        }
    )


class SearchMatch(BaseModel):
    id: str
    text: str
    score: float = Field(description="1 for an exact match of every word, down to 0.5")
    can_start: bool = Field(description="whether it can be the first complaint of a consultation")


class ConditionInfo(BaseModel):
    id: str
    name: str
    icd10: str
    severity: int = Field(description="DDXPlus severity: 1 (most severe) to 5")
    triage_level: TriageLevel
    triage_reason: str


class OptionInfo(BaseModel):
    id: str
    text: str


class RegionInfo(BaseModel):
    id: str
    text: str
    options: list[OptionInfo] = Field(description="the region's precise sites, in body order")


class EvidenceInfo(BaseModel):
    id: str
    question: str
    kind: QuestionKind
    antecedent: bool = Field(description="a risk factor or history rather than a current symptom")
    parent: str | None = Field(description="the yes/no question it follows up (asked only after a yes)")
    options: list[OptionInfo]
    default: str | None = Field(description="the ordinary answer (no pain, nowhere, 0) of a question with options")
    can_start: bool
    regions: list[RegionInfo] = Field(
        default=[],
        description="for a question answered with body sites: the parts of the body, head to foot, each with "
        "its sites (a part chosen without a site is answered with all of them); empty for any other question",
    )


class TriageLevelInfo(BaseModel):
    id: TriageLevel
    urgency: int = Field(description="4 for an ambulance down to 0 for self-care")
    title: str
    action: str


class ConsultationSummary(BaseModel):
    id: str
    created: datetime
    updated: datetime
    language: Language
    questions_asked: int
    finished: bool
    triage_level: TriageLevel


class ConsultationList(BaseModel):
    items: list[ConsultationSummary]
    next_cursor: str | None = Field(
        description="pass as cursor for the next page; null on the last page. Pages follow (updated, id), so "
        "consultations changed at the same instant are neither skipped nor repeated"
    )


class HealthStatus(StrEnum):
    OK = "ok"
    UNAVAILABLE = "unavailable"


class Health(BaseModel):
    status: HealthStatus
    detail: str | None = None
    model_version: str | None = None


class ParseRequest(Strict):
    text: str = Field(
        min_length=1,
        max_length=1000,
        description='what the person typed: several symptoms, negations ("no fever", "pas de fièvre", 没有发烧), '
        "small misspellings",
    )
    language: Language = Field(
        default=Language.EN,
        description="the language of the text and of the returned questions; text in another of the three languages "
        "is still read (Chinese characters always as Chinese)",
    )

    model_config = ConfigDict(
        str_max_length=1000,
        json_schema_extra={
            "examples": [
                {"text": "I have a cough and a fever but no headache", "language": "en"},
                {"text": "咳嗽发烧，没有头疼", "language": "zh"},
                {"text": "j'ai mal à la poitrine et je n'ai pas de fièvre", "language": "fr"},
            ]
        },
    )


class Span(BaseModel):
    start: int = Field(description="offset of the first character, counted in Unicode characters from 0")
    end: int = Field(description="offset just after the last character: text[start:end] is what was said")


class ParsedFinding(BaseModel):
    id: str = Field(description="the evidence code, e.g. E_91")
    status: Literal["present", "absent"]
    values: list[str] = Field(
        default=[], description="the answer values the words imply (the sites of a pain), for a question with options"
    )
    span: Span
    text: str = Field(description="the words of the text that were understood")
    matched: str = Field(description="the phrase of the vocabulary they matched")
    question: str = Field(description="the evidence's question in the requested language")
    can_start: bool = Field(description="whether it can be the first complaint of a consultation")


class ParseResult(BaseModel):
    findings: list[ParsedFinding] = Field(description="in the order they were said")
    complaint: str | None = Field(
        description="the finding a consultation started with this text would take as its complaint (the first present "
        "one that can start); null when none can"
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "findings": [
                        {"id": "E_201", "status": "present", "values": [], "span": {"start": 9, "end": 14},
                         "text": "cough", "matched": "cough", "question": "Do you have a cough?", "can_start": True},
                        {"id": "E_91", "status": "absent", "values": [], "span": {"start": 26, "end": 31},
                         "text": "fever", "matched": "fever",
                         "question": "Do you have a fever (either felt or measured with a thermometer)?",
                         "can_start": True},
                    ],
                    "complaint": "E_201",
                }
            ]
        }
    )  # fmt: skip


class SearchScope(StrEnum):
    """complaints: what can start a consultation; all: every evidence."""

    COMPLAINTS = "complaints"
    ALL = "all"


class FieldProblem(BaseModel):
    field: str = Field(description="where in the request, e.g. age or answer.status")
    problem: str


class Problem(BaseModel):
    """RFC 9457 problem details. Some problems add a typed extension: `errors` (422, each field refused),
    `current_question` and `turn` (409, where the consultation is now), `suggestions` (422, complaints close to
    the text given)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description='"about:blank": the status and title say it all')
    title: str
    status: int
    detail: str = Field(description="what was wrong and what is accepted")
    errors: list[FieldProblem] | None = None
    current_question: str | None = Field(
        default=None, description="the consultation's current question (null once the interview is finished)"
    )
    turn: int | None = Field(default=None, description="the consultation's current turn")
    suggestions: list[str] | None = Field(default=None, description="evidence codes of complaints close to the text")


class FhirResource(BaseModel):
    """A FHIR R4B resource (Encounter, QuestionnaireResponse, Observation, Condition, RiskAssessment,
    ClinicalImpression); its fields are those of the FHIR specification."""

    model_config = ConfigDict(extra="allow")

    resourceType: str  # noqa: N815  (FHIR's own field name)
    id: str | None = None


class FhirBundleEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    fullUrl: str | None = None  # noqa: N815
    resource: FhirResource


class FhirBundle(BaseModel):
    """A FHIR R4B Bundle of type collection: https://hl7.org/fhir/R4B/bundle.html. Only its top level is
    described here; every resource validates against the FHIR R4B specification."""

    model_config = ConfigDict(extra="allow")

    resourceType: Literal["Bundle"]  # noqa: N815
    id: str | None = None
    type: str = Field(description="collection")
    timestamp: str | None = None
    entry: list[FhirBundleEntry]


def component_schemas(*models: type[BaseModel]) -> dict[str, Any]:
    """The JSON schemas of `models` (and what they refer to) as OpenAPI components."""
    components: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    return components
