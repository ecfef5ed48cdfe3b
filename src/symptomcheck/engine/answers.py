"""What a person answered to one question."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AnswerStatus(StrEnum):
    PRESENT = "present"  # yes, or one or several values of a categorical / multi-choice question
    ABSENT = "absent"  # no
    UNKNOWN = "unknown"  # don't know: leaves the posterior unchanged


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer: yes / no / don't know, or the value(s) chosen for a categorical or multi-choice question."""

    status: AnswerStatus
    values: tuple[str, ...] = ()

    @classmethod
    def yes(cls) -> Answer:
        return cls(AnswerStatus.PRESENT)

    @classmethod
    def no(cls) -> Answer:
        return cls(AnswerStatus.ABSENT)

    @classmethod
    def unknown(cls) -> Answer:
        return cls(AnswerStatus.UNKNOWN)

    @classmethod
    def of(cls, *values: str) -> Answer:
        return cls(AnswerStatus.PRESENT, tuple(values))

    def to_json(self) -> dict[str, object]:
        return {"status": self.status.value, "values": list(self.values)}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Answer:
        values = data.get("values", [])
        if not isinstance(values, list) or not all(isinstance(v, str | int) for v in values):
            raise ValueError("an answer's 'values' must be a list of value codes")
        try:
            status = AnswerStatus(str(data["status"]))
        except ValueError:
            accepted = ", ".join(s.value for s in AnswerStatus)
            raise ValueError(f"an answer's status must be one of {accepted}, not {data['status']!r}") from None
        return cls(status, tuple(str(v) for v in values))
