"""The closed sets of values a client sees or sends, as enumerations.

Each is one class, so the OpenAPI document holds each once (a component `Language`, `Sex`, `TriageLevel`...)
and every field that takes it refers to it: a generated client gets one enum per set, not one per field.
Being `StrEnum`s they compare equal to their values, so code that reads a view as plain text keeps working.
"""

from __future__ import annotations

from enum import StrEnum

from symptomcheck.engine.answers import AnswerStatus
from symptomcheck.engine.assessment import StopReason
from symptomcheck.interview import Subject
from symptomcheck.knowledge import Language as LanguageCode
from symptomcheck.knowledge import TriageLevel

__all__ = [
    "AnswerStatus",
    "Language",
    "Likelihood",
    "QuestionKind",
    "ReasonPurpose",
    "Sex",
    "StopReason",
    "Subject",
    "TriageLevel",
]


class Language(StrEnum):
    """A language of the texts: English, French or Chinese (Simplified)."""

    EN = "en"
    FR = "fr"
    ZH = "zh"

    @property
    def code(self) -> LanguageCode:
        return self.value


class Sex(StrEnum):
    """The sex the statistics distinguish."""

    F = "F"
    M = "M"


class Likelihood(StrEnum):
    """A calibrated chance in words (never a certainty): 50% or more, 20%, 5%, below 5%."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    VERY_LOW = "very_low"


class QuestionKind(StrEnum):
    """How a question is answered: yes/no, one option, several options, or a number on a 0-10 scale."""

    YES_NO = "yes_no"
    ONE = "one"
    SEVERAL = "several"
    SCALE = "scale"


class ReasonPurpose(StrEnum):
    """Why a question is asked: to tell conditions apart, to rule an urgent one in or out, or for findings."""

    SEPARATE = "separate"
    URGENT = "urgent"
    FINDINGS = "findings"
    RED_FLAG = "red_flag"
