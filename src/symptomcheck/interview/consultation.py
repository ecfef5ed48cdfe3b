"""The consultation as a value: who, the complaint and the answers so far. Pure and serialisable.

A `Consultation` never holds derived state (posterior, next question): those are recomputed from its
answers by the engine, so a stored consultation resumes identically anywhere, with any copy of the same
model, and going back one answer is simply dropping it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from symptomcheck.engine.answers import Answer
from symptomcheck.knowledge import LANGUAGES, Language

FORMAT_VERSION = 1
MIN_AGE, MAX_AGE = 0, 120
# a child is someone younger than this: at 16 a person can describe their own symptoms, and the service
# then speaks of "another adult"
CHILD_AGE_LIMIT = 16


class Subject(StrEnum):
    """Who the consultation is for: the person answering, their child, or another adult.

    The age, sex and answers are always the patient's (the child's, for a child); the subject only changes
    who answers for them, and so the wording of the questions and advice.
    """

    SELF = "self"
    CHILD = "child"
    ADULT = "adult"  # another adult, answered for by someone else


class ConsultationError(ValueError):
    """A consultation cannot be built or changed this way; the message says what is accepted."""


@dataclass(frozen=True, slots=True)
class Turn:
    evidence: str
    answer: Answer


@dataclass(frozen=True, slots=True)
class Consultation:
    age: int
    sex: str
    language: Language
    complaint: str  # the evidence code of the first complaint, answered yes
    turns: tuple[Turn, ...] = ()
    # what else the person said with the complaint ("cough and fever": the fever; "no rash": the rash absent),
    # answered before the first question; going back never withdraws them
    findings: tuple[Turn, ...] = ()
    subject: Subject = Subject.SELF

    def __post_init__(self) -> None:
        if isinstance(self.age, bool) or not isinstance(self.age, int) or not MIN_AGE <= self.age <= MAX_AGE:
            raise ConsultationError(
                f"age must be a whole number of years from {MIN_AGE} to {MAX_AGE}, not {self.age!r}"
            )
        if self.sex not in ("F", "M"):
            raise ConsultationError(f"sex must be 'F' or 'M', not {self.sex!r}")
        if self.language not in LANGUAGES:
            raise ConsultationError(f"language must be one of {', '.join(LANGUAGES)}, not {self.language!r}")
        if not isinstance(self.subject, Subject):
            accepted = ", ".join(s.value for s in Subject)
            raise ConsultationError(f"subject must be one of {accepted}, not {self.subject!r}")
        if self.subject is Subject.CHILD and self.age >= CHILD_AGE_LIMIT:
            raise ConsultationError(
                f"a consultation for a child needs the child's age, under {CHILD_AGE_LIMIT}, not {self.age}: "
                f"for someone aged {CHILD_AGE_LIMIT} or more choose 'adult' (another adult) or 'self'"
            )

    @property
    def for_someone_else(self) -> bool:
        """True when the answers are given by someone else on the patient's behalf."""
        return self.subject is not Subject.SELF

    @property
    def answers(self) -> list[tuple[str, Answer]]:
        """The complaint (as a yes), what was said with it, then every answer, in order: what the engine assesses."""
        given = (*self.findings, *self.turns)
        return [(self.complaint, Answer.yes()), *((t.evidence, t.answer) for t in given)]

    @property
    def questions_asked(self) -> int:
        return len(self.turns)

    def answered(self, evidence: str, answer: Answer) -> Consultation:
        return replace(self, turns=(*self.turns, Turn(evidence, answer)))

    def back(self) -> Consultation:
        """The consultation without its last answer (unchanged when there is none)."""
        return replace(self, turns=self.turns[:-1])

    def in_language(self, language: Language) -> Consultation:
        return replace(self, language=language)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "age": self.age,
            "sex": self.sex,
            "language": self.language,
            "subject": self.subject.value,
            "complaint": self.complaint,
            "turns": [{"evidence": t.evidence, **t.answer.to_json()} for t in self.turns],
            "findings": [{"evidence": t.evidence, **t.answer.to_json()} for t in self.findings],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Consultation:
        version = data.get("format")
        if type(version) is not int or version != FORMAT_VERSION:
            raise ConsultationError(
                f"unsupported consultation format {data.get('format')!r}; expected {FORMAT_VERSION}"
            )
        try:
            turns = tuple(Turn(str(t["evidence"]), Answer.from_json(t)) for t in data["turns"])
            # consultations stored before findings existed have none
            findings = tuple(Turn(str(t["evidence"]), Answer.from_json(t)) for t in data.get("findings", []))
            return cls(
                age=data["age"],
                sex=data["sex"],
                language=data["language"],
                complaint=str(data["complaint"]),
                turns=turns,
                findings=findings,
                # consultations stored before the subject existed were all for the person answering
                subject=subject_of(data.get("subject", Subject.SELF.value)),
            )
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, ConsultationError):
                raise
            raise ConsultationError(f"not a stored consultation ({type(error).__name__}: {error})") from None

    @classmethod
    def loads(cls, text: str) -> Consultation:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConsultationError(f"not a stored consultation (invalid JSON: {error})") from None
        if not isinstance(data, dict):
            raise ConsultationError("not a stored consultation (expected a JSON object)")
        return cls.from_json(data)


def subject_of(value: object) -> Subject:
    """The subject named by `value` ("self", "child" or "adult"); refuse anything else with the accepted values."""
    if isinstance(value, Subject):
        return value
    if isinstance(value, str) and value in Subject._value2member_map_:
        return Subject(value)
    accepted = ", ".join(s.value for s in Subject)
    raise ConsultationError(f"subject must be one of {accepted}, not {value!r}")
