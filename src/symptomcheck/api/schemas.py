"""Request bodies and the responses that are not views of the services (those are in services.views)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

LanguageCode = Literal["en", "fr", "zh"]
Sex = Literal["F", "M"]
Status = Literal["present", "absent", "unknown"]
# a body-site answer may name every site of a region (up to 19), or of several: room for all 165 values
MAX_VALUES = 170


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=200)


class AnswerBody(Strict):
    status: Status = Field(description="present (yes, or the values chosen), absent (no) or unknown (don't know)")
    values: list[Annotated[str, Field(max_length=16)]] = Field(
        default=[],
        max_length=MAX_VALUES,
        description="for a question with options: the option ids chosen (one, or several where allowed); "
        'for a 0-10 scale: one number as text, e.g. "7"; empty for yes/no',
    )


class CreateConsultation(Strict):
    age: int = Field(ge=0, le=120, description="age in whole years")
    sex: Sex = Field(description="F or M: the sex the statistics distinguish")
    language: LanguageCode = "en"
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
                {"age": 8, "sex": "F", "language": "fr", "complaint": "E_91"},
            ]
        }
    )


class AnswerRequest(Strict):
    question: str = Field(max_length=16, description="the id of the question answered (the current question)")
    turn: int = Field(ge=0, description="the consultation's turn when the question was shown")
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
    turn: int | None = Field(
        default=None,
        ge=0,
        description="the consultation's turn the client saw; if given, the step back is refused (409) when the "
        "consultation has changed since, so a retried request never withdraws two answers",
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"turn": 4}, {}]})


class LanguageChange(Strict):
    language: LanguageCode

    model_config = ConfigDict(json_schema_extra={"examples": [{"language": "fr"}]})


class EvidenceItem(Strict):
    id: str = Field(max_length=16, description="an evidence code, e.g. E_91")
    status: Status
    values: list[Annotated[str, Field(max_length=16)]] = Field(default=[], max_length=MAX_VALUES)


class DiagnosisRequest(Strict):
    age: int = Field(ge=0, le=120)
    sex: Sex
    language: LanguageCode = "en"
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
    triage_level: str
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
    kind: Literal["yes_no", "one", "several", "scale"]
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
    id: str
    urgency: int = Field(description="4 for an ambulance down to 0 for self-care")
    title: str
    action: str


class ConsultationSummary(BaseModel):
    id: str
    created: datetime
    updated: datetime
    language: str
    questions_asked: int
    finished: bool
    triage_level: str


class ConsultationList(BaseModel):
    items: list[ConsultationSummary]
    next_updated_before: datetime | None = Field(description="pass as updated_before for the next page")


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: str | None = None
    model_version: str | None = None


class ParseRequest(Strict):
    text: str = Field(
        min_length=1,
        max_length=1000,
        description='what the person typed: several symptoms, negations ("no fever", "pas de fièvre", 没有发烧), '
        "small misspellings",
    )
    language: LanguageCode = Field(
        default="en",
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
