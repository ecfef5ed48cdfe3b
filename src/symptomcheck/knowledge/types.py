"""Typed, immutable values of the knowledge base: conditions, evidences, answer values and texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, get_args

Language = Literal["en", "fr", "zh"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
MAX_CODE_LENGTH = 16  # an evidence or value code: the REST API accepts no longer one


class EvidenceKind(StrEnum):
    """How an evidence is answered."""

    BINARY = "B"  # yes / no
    CATEGORICAL = "C"  # exactly one value (a 0-10 scale or a coded value)
    MULTI = "M"  # one or several coded values


class TriageLevel(StrEnum):
    """Triage advice, most urgent first (the order of declaration is the order of urgency)."""

    EMERGENCY_AMBULANCE = "emergency_ambulance"
    EMERGENCY = "emergency"
    CONSULTATION_24 = "consultation_24"
    CONSULTATION = "consultation"
    SELF_CARE = "self_care"

    @property
    def urgency(self) -> int:
        """4 for an ambulance down to 0 for self-care: larger is more urgent."""
        return len(_LEVELS) - 1 - _LEVELS.index(self)

    @classmethod
    def by_urgency(cls, urgency: int) -> TriageLevel:
        return _LEVELS[len(_LEVELS) - 1 - urgency]


_LEVELS: tuple[TriageLevel, ...] = tuple(TriageLevel)


@dataclass(frozen=True, slots=True)
class Text:
    """One text in the three languages."""

    en: str
    fr: str
    zh: str

    def __getitem__(self, language: Language) -> str:
        return str(getattr(self, language))


@dataclass(frozen=True, slots=True)
class AnswerValue:
    """A possible answer of a categorical or multi-choice evidence.

    `code` is a `V_xx` code of the release, or a number "0".."10" for a scale.
    """

    code: str
    text: Text


@dataclass(frozen=True, slots=True)
class Evidence:
    """A question the interview can ask, with its possible answers."""

    code: str
    kind: EvidenceKind
    is_antecedent: bool
    question: Text
    parent: str | None = None  # the yes/no question this one follows up (asked only if it was yes)
    values: tuple[AnswerValue, ...] = ()
    default: str | None = None  # the ordinary answer (no pain, "nowhere", 0) of a C or M evidence
    scale: tuple[Text, Text] | None = None  # meaning of 0 and of 10 when the values are a 0-10 scale

    @property
    def is_scale(self) -> bool:
        return self.scale is not None

    @property
    def value_codes(self) -> tuple[str, ...]:
        return tuple(value.code for value in self.values)

    def value(self, code: str) -> AnswerValue:
        for value in self.values:
            if value.code == code:
                return value
        raise KeyError(f"{self.code} has no value {code!r}; accepted: {', '.join(self.value_codes)}")


@dataclass(frozen=True, slots=True)
class BodyRegion:
    """A part of the body a person can point to, grouping the precise sites the model knows.

    `sites` are value codes of the body-site evidences (V_xx), in body order. Choosing the region without a
    precise site answers with all of them: a multi-choice answer means "the site lies in this set".
    """

    id: str
    order: int  # body order, head to foot
    name: Text
    sites: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition the service can suggest."""

    code: str  # the release's English name, used as a stable key
    name: Text
    icd10: str
    severity: int  # DDXPlus severity: 1 (most severe) to 5
    symptoms: frozenset[str] = field(default_factory=frozenset)
    antecedents: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_severe(self) -> bool:
        """Severe in the sense of the DDXPlus metrics (severity 1 or 2)."""
        return self.severity <= 2

    @property
    def evidences(self) -> frozenset[str]:
        return self.symptoms | self.antecedents


@dataclass(frozen=True, slots=True)
class TriageRule:
    """The triage level of one condition and the clinical reason for it."""

    condition: str
    level: TriageLevel
    reason: str


@dataclass(frozen=True, slots=True)
class RedFlag:
    """An answer that raises the advice to at least `level`: on its own, or together with a second answer.

    `value` is None for a yes to a yes/no question, a value code for a categorical or multi-choice
    question, and `minimum` a lower bound for a 0-10 scale. `with_evidence` (and `with_value` or
    `with_minimum`, in the same way) names a second answer the flag also needs: a sign that warrants its level
    only in combination (a fever with a swollen joint: septic arthritis; feeling faint with a missed period: a
    ruptured ectopic pregnancy; a belly pain both sudden and severe), each of which on its own is a weaker flag
    or none.
    """

    evidence: str
    level: TriageLevel
    reason: str
    value: str | None = None
    minimum: int | None = None
    family: str | None = None  # a protocol's flag counts only while its complaint family applies
    min_age: int | None = None
    max_age: int | None = None
    sex: str | None = None
    # what to do, in the flag's own words, in place of its level's general action (thoughts of suicide: not to
    # stay alone, and the crisis lines): (subject, language, text) for "self", "child" and "adult"
    actions: tuple[tuple[str, str, str], ...] = ()
    with_evidence: str | None = None
    with_value: str | None = None
    with_minimum: int | None = None

    @property
    def evidences(self) -> tuple[str, ...]:
        """The questions whose answers raise the flag: its own, then the second one's when it has one."""
        return (self.evidence,) if self.with_evidence is None else (self.evidence, self.with_evidence)

    def action(self, subject: str, language: str) -> str | None:
        """The flag's own action for this subject and language, if it has one."""
        return next((text for who, lang, text in self.actions if who == subject and lang == language), None)

    def applies(self, age: int | None, sex: str | None, families: frozenset[str] | None) -> bool:
        """Whether the flag counts for this person (unknown age, sex or families: it counts)."""
        if families is not None and self.family is not None and self.family not in families:
            return False
        if age is not None and (
            (self.min_age is not None and age < self.min_age) or (self.max_age is not None and age > self.max_age)
        ):
            return False
        return sex is None or self.sex is None or self.sex == sex


@dataclass(frozen=True, slots=True)
class AgeReading:
    """What words mean said of a young child: up to `max_age`, a finding of `evidence` is one of `reads_as`
    ("screaming fits" in a baby is crying much more than usual, not an adult's emotional outbursts)."""

    evidence: str
    max_age: int
    reads_as: str
    reason: str


@dataclass(frozen=True, slots=True)
class Synonym:
    """A phrase people use for an evidence, in one language.

    `values` names the answer values the phrase implies for a categorical or multi-choice evidence ("pain in my
    chest" is the pain site question with the chest's values); empty for a yes/no evidence.
    """

    evidence: str
    language: Language
    phrase: str
    values: tuple[str, ...] = ()
