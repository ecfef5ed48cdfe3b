"""The knowledge base as one immutable value, with look-ups by code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from symptomcheck.knowledge.types import (
    Condition,
    Evidence,
    Language,
    RedFlag,
    Synonym,
    Text,
    TriageLevel,
    TriageRule,
)


@dataclass(frozen=True, slots=True)
class Advice:
    """What a triage level means for the person, in one language."""

    title: str
    action: str
    when_to_escalate: str


@dataclass(frozen=True, slots=True)
class FrenchCodes:
    """The 1:1 mapping from the French release's codes to the English release's codes."""

    evidences: Mapping[str, str]  # French evidence code -> E_xx
    values: Mapping[tuple[str, str], str]  # (E_xx, French value code) -> V_xx
    conditions: Mapping[str, str]  # French condition name -> English condition code


@dataclass(frozen=True)
class KnowledgeBase:
    """Conditions, evidences, the triage table, red flags and the texts shown to people."""

    conditions: tuple[Condition, ...]
    evidences: tuple[Evidence, ...]
    triage: Mapping[str, TriageRule]
    triage_thresholds: Mapping[TriageLevel, float]
    messages: Mapping[Language, Mapping[str, str]]
    red_flags: tuple[RedFlag, ...]
    advice: Mapping[TriageLevel, Mapping[Language, Advice]]
    disclaimer: Text
    french: FrenchCodes
    # what people type for each evidence, in every language (texts/synonyms*.csv): the free-text parser's vocabulary
    synonyms: tuple[Synonym, ...] = ()
    _conditions_by_code: dict[str, Condition] = field(init=False, repr=False)
    _evidences_by_code: dict[str, Evidence] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_conditions_by_code", {c.code: c for c in self.conditions})
        object.__setattr__(self, "_evidences_by_code", {e.code: e for e in self.evidences})

    def message(self, language: Language, key: str, **values: object) -> str:
        """An interface text in `language`, with its {placeholders} filled."""
        return self.messages[language][key].format(**values)

    def condition(self, code: str) -> Condition:
        try:
            return self._conditions_by_code[code]
        except KeyError:
            raise KeyError(f"unknown condition {code!r}") from None

    def evidence(self, code: str) -> Evidence:
        try:
            return self._evidences_by_code[code]
        except KeyError:
            raise KeyError(f"unknown evidence {code!r}; evidence codes look like E_91") from None

    def has_evidence(self, code: str) -> bool:
        return code in self._evidences_by_code

    def has_condition(self, code: str) -> bool:
        return code in self._conditions_by_code

    def level_of(self, condition: str) -> TriageLevel:
        return self.triage[condition].level

    def follow_ups(self, parent: str) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidences if e.parent == parent)

    @property
    def condition_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.conditions)

    @property
    def evidence_codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.evidences)
