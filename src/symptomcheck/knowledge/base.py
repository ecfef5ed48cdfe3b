"""The knowledge base as one immutable value, with look-ups by code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from symptomcheck.knowledge.authored import AuthoredCell, AuthoredQuestion, FindingLink, PainSites
from symptomcheck.knowledge.catalogue import Catalogue
from symptomcheck.knowledge.protocols import ComplaintFamily, NotAsked
from symptomcheck.knowledge.types import (
    AgeReading,
    AnswerValue,
    BodyRegion,
    Condition,
    Evidence,
    Language,
    RedFlag,
    Synonym,
    Text,
    TriageLevel,
    TriageRule,
)

# how the items of a list are separated in a sentence: Chinese enumerates with the enumeration comma
LIST_SEPARATOR: Mapping[Language, str] = {"en": ", ", "fr": ", ", "zh": "、"}


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
    catalogue: Catalogue
    # questions with authored likelihoods (vocabulary/authored*.csv), for what no data source asks
    authored: tuple[AuthoredQuestion, ...] = ()
    # authored likelihoods of data sources' yes/no questions for conditions DDXPlus does not describe, and the
    # reasons for visit that also tell of a DDXPlus finding (vocabulary/authored_cells.csv, finding_links.csv)
    authored_cells: tuple[AuthoredCell, ...] = ()
    finding_links: tuple[FindingLink, ...] = ()
    # where the pain of a condition DDXPlus does not describe is felt (vocabulary/pain_sites.csv)
    pain_sites: tuple[PainSites, ...] = ()
    body_regions: tuple[BodyRegion, ...] = ()  # in body order
    body_site_evidences: frozenset[str] = frozenset()  # the evidences answered with body sites
    # what people type for each evidence, in every language (texts/synonyms*.csv): the free-text parser's vocabulary
    synonyms: tuple[Synonym, ...] = ()
    # what words mean said of a young child (texts/age_readings.csv), applied by the parser when the age is known
    age_readings: tuple[AgeReading, ...] = ()
    # complaint-led protocols (protocols/*.csv): families with their red-flag and core questions
    protocols: tuple[ComplaintFamily, ...] = ()
    # the questions the interview never asks, each with its reason (protocols/not_asked.csv)
    not_asked: tuple[NotAsked, ...] = ()
    # questions in the third person where the rules of interview.wording cannot word them well
    # (texts/third_person_questions.json): language -> subject ("child", "adult") -> evidence code -> text
    third_person_questions: Mapping[Language, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)
    # the advice of each triage level said of the patient, for someone answering for a child or another
    # adult (texts/advice.json, "levels_for_others"): subject -> level -> language -> advice
    advice_for_others: Mapping[str, Mapping[TriageLevel, Mapping[Language, Advice]]] = field(default_factory=dict)
    _conditions_by_code: dict[str, Condition] = field(init=False, repr=False)
    _evidences_by_code: dict[str, Evidence] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_conditions_by_code", {c.code: c for c in self.conditions})
        object.__setattr__(self, "_evidences_by_code", {e.code: e for e in self.evidences})

    def message(self, language: Language, key: str, subject: str = "self", **values: object) -> str:
        """An interface text in `language`, with its {placeholders} filled.

        For a consultation for someone else (`subject` "child" or "adult"), the text said of the patient
        (key `key@subject`) when there is one: "Your age" becomes "Your child's age".
        """
        texts = self.messages[language]
        return texts.get(f"{key}@{subject}", texts[key]).format(**values)

    def advice_of(self, level: TriageLevel, language: Language, subject: str = "self") -> Advice:
        """What `level` means, said to the patient, or of them to whoever answers for them."""
        others = self.advice_for_others.get(subject)
        return others[level][language] if others is not None else self.advice[level][language]

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

    def family(self, family_id: str) -> ComplaintFamily:
        for family in self.protocols:
            if family.id == family_id:
                return family
        raise KeyError(f"unknown complaint family {family_id!r}")

    def level_of(self, condition: str) -> TriageLevel:
        return self.triage[condition].level

    def follow_ups(self, parent: str) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidences if e.parent == parent)

    def ddxplus(self) -> KnowledgeBase:
        """The part of the knowledge base that DDXPlus patients and statistics describe: its 49 conditions and
        its own evidences (the catalogue's other conditions, the evidences of the reasons for visit and the
        authored questions left out). DDXPlus models are fitted on it."""
        added = {r.evidence for r in self.catalogue.reasons if r.relation != "same"} | {
            q.evidence for q in self.authored
        }
        return self.restricted(
            [c.code for c in self.conditions if self.catalogue.entry(c.code).source == "ddxplus"],
            [e.code for e in self.evidences if e.code not in added],
        )

    def restricted(self, conditions: Iterable[str], evidences: Iterable[str]) -> KnowledgeBase:
        """The knowledge base of these conditions and evidences only (a model's, say), with the red flags that
        still apply."""
        keep_conditions, keep_evidences = set(conditions), set(evidences)
        return replace(
            self,
            conditions=tuple(c for c in self.conditions if c.code in keep_conditions),
            evidences=tuple(e for e in self.evidences if e.code in keep_evidences),
            red_flags=tuple(flag for flag in self.red_flags if keep_evidences.issuperset(flag.evidences)),
        )

    def regions_for(self, evidence: str) -> tuple[BodyRegion, ...]:
        """The body regions of a body-site question (empty for any other question)."""
        return self.body_regions if evidence in self.body_site_evidences else ()

    def shown_values(self, evidence: Evidence) -> tuple[AnswerValue, ...]:
        """The values of a question in the order shown: a body-site question's in body order, after the
        values that are no site ("nowhere"); any other question's as the release lists them.

        The model keeps the release's order (its tables are laid out by it): only what is shown changes.
        """
        regions = self.regions_for(evidence.code)
        if not regions:
            return evidence.values
        sites = [code for region in regions for code in region.sites]
        rank = {code: n for n, code in enumerate(sites, start=1)}
        return tuple(sorted(evidence.values, key=lambda value: rank.get(value.code, 0)))

    def describe_values(self, evidence: Evidence, values: tuple[str, ...], language: Language) -> str:
        """The values given to a question, in words; a whole body region chosen is named as the region."""
        chosen = set(values)
        parts: list[str] = []
        covered: set[str] = set()
        for region in self.regions_for(evidence.code):
            if len(region.sites) > 1 and set(region.sites) <= chosen:
                parts.append(self.message(language, "region_whole", region=region.name[language]))
                covered.update(region.sites)
        parts += [evidence.value(code).text[language] for code in values if code not in covered]
        return LIST_SEPARATOR[language].join(parts)

    @property
    def condition_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.conditions)

    @property
    def evidence_codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.evidences)
