"""Complaint-led protocols: the families of complaints, their red-flag questions and their core questions.

Two tables (`protocols/families.csv`, `protocols/questions.csv`, documented in docs/protocols.md):
- a family (chest pain, a child with fever, ...) applies when one of its triggers is among the answers: a yes
  to a yes/no evidence (`E_53`), or a value of a categorical or multi-choice evidence (`E_55:V_29`);
- its red-flag questions are asked first, in order; a red-flag answer sets a minimum triage level, with its
  clinical reason, whatever the model says (the flag counts only while its family applies: a possible
  pregnancy raises abdominal pain, not a cold); a flag may need a second answer as well (`with`: a fever
  with a swollen joint), whose question is then asked among the red flags, at the place of the flag's own;
- its core questions (onset, severity, the symptoms that separate its common causes) are always among the
  questions the interview may choose from, beside those the conditions still in play depend on.

A third table (`protocols/not_asked.csv`) lists the questions the interview never asks, each with its reason:
DDXPlus's population markers (where one lives, how many live at home), which a person reads as irrelevant and
which barely change a likely cause. An answer volunteered in the complaint still counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from symptomcheck.knowledge.catalogue import lay_texts, read_csv
from symptomcheck.knowledge.errors import KnowledgeError
from symptomcheck.knowledge.types import Evidence, EvidenceKind, RedFlag, Text, TriageLevel

FAMILIES_FILE = "protocols/families.csv"
QUESTIONS_FILE = "protocols/questions.csv"
NOT_ASKED_FILE = "protocols/not_asked.csv"
FAMILY_COLUMNS = (
    "family",
    "name_en",
    "name_fr",
    "name_zh",
    "triggers",
    "min_age",
    "max_age",
    "advice_en",
    "advice_fr",
    "advice_zh",
    "reason",
)
QUESTION_COLUMNS = (
    "family", "order", "role", "evidence", "value", "with", "level", "min_age", "max_age", "sex", "reason",
)  # fmt: skip
Role = Literal["red_flag", "core"]
ROLES: tuple[Role, ...] = ("red_flag", "core")


@dataclass(frozen=True, slots=True)
class Trigger:
    """A yes to `evidence` (value None), or `value` among the answer's values."""

    evidence: str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class ProtocolQuestion:
    family: str
    order: int
    role: Role
    evidence: str
    reason: str
    flag: RedFlag | None = None  # what a red-flag question's answer raises the advice to
    min_age: int | None = None
    max_age: int | None = None
    sex: str | None = None

    def applies_to(self, age: int, sex: str) -> bool:
        return _in_ages(age, self.min_age, self.max_age) and (self.sex is None or self.sex == sex)


@dataclass(frozen=True, slots=True)
class ComplaintFamily:
    id: str
    name: Text
    triggers: tuple[Trigger, ...]
    advice: Text  # symptom-based advice, shown when no likely cause can be named
    reason: str
    questions: tuple[ProtocolQuestion, ...]  # in order: red flags first, then core questions
    min_age: int | None = None
    max_age: int | None = None

    @property
    def red_flags(self) -> tuple[ProtocolQuestion, ...]:
        return tuple(q for q in self.questions if q.role == "red_flag")

    @property
    def core(self) -> tuple[ProtocolQuestion, ...]:
        return tuple(q for q in self.questions if q.role == "core")

    def applies_to_age(self, age: int) -> bool:
        return _in_ages(age, self.min_age, self.max_age)


def _in_ages(age: int, low: int | None, high: int | None) -> bool:
    return (low is None or age >= low) and (high is None or age <= high)


def load_protocols(directory: Path, evidences: Mapping[str, Evidence]) -> tuple[ComplaintFamily, ...]:
    """Read and check both protocol tables against the evidences."""
    families_rows = read_csv(directory, FAMILIES_FILE, FAMILY_COLUMNS)
    question_rows = read_csv(directory, QUESTIONS_FILE, QUESTION_COLUMNS)
    questions: dict[str, list[ProtocolQuestion]] = {}
    for number, row in enumerate(question_rows, start=2):
        where = f"line {number}"
        question = _question(row, evidences, where)
        questions.setdefault(question.family, []).append(question)
    families: list[ComplaintFamily] = []
    seen: set[str] = set()
    for number, row in enumerate(families_rows, start=2):
        where = f"line {number}"
        family = row["family"]
        if not family or family in seen:
            raise KnowledgeError(f"{FAMILIES_FILE}: {where}: family id {family!r} is empty or repeated")
        seen.add(family)
        triggers = tuple(_trigger(item, evidences, f"{where} ({family})") for item in row["triggers"].split())
        if not triggers:
            raise KnowledgeError(f"{FAMILIES_FILE}: {where} ({family}): no triggers")
        own = sorted(questions.pop(family, []), key=lambda q: q.order)
        orders = [q.order for q in own]
        if orders != list(range(1, len(own) + 1)):
            raise KnowledgeError(f"{QUESTIONS_FILE}: family {family!r}: orders must run 1..n, found {orders}")
        if not any(q.role == "red_flag" for q in own):
            raise KnowledgeError(f"{QUESTIONS_FILE}: family {family!r} has no red-flag question")
        families.append(
            ComplaintFamily(
                id=family,
                name=lay_texts(row, "name", FAMILIES_FILE, where),
                triggers=triggers,
                advice=lay_texts(row, "advice", FAMILIES_FILE, where),
                reason=row["reason"],
                questions=tuple(own),
                min_age=_age(row["min_age"], FAMILIES_FILE, where),
                max_age=_age(row["max_age"], FAMILIES_FILE, where),
            )
        )
    if questions:
        raise KnowledgeError(f"{QUESTIONS_FILE}: questions for unknown families: {', '.join(sorted(questions))}")
    return tuple(families)


def _trigger(item: str, evidences: Mapping[str, Evidence], where: str) -> Trigger:
    code, _, value = item.partition(":")
    evidence = evidences.get(code)
    if evidence is None:
        raise KnowledgeError(f"{FAMILIES_FILE}: {where}: trigger {item!r} names an unknown evidence")
    if value:
        if value not in evidence.value_codes:
            raise KnowledgeError(f"{FAMILIES_FILE}: {where}: trigger {item!r}: {code} has no value {value!r}")
        return Trigger(code, value)
    if evidence.kind is not EvidenceKind.BINARY:
        raise KnowledgeError(f"{FAMILIES_FILE}: {where}: trigger {item!r}: {code} is not yes/no, give CODE:VALUE")
    return Trigger(code)


def _question(row: dict[str, str], evidences: Mapping[str, Evidence], where: str) -> ProtocolQuestion:
    family, code, role = row["family"], row["evidence"], row["role"]
    where = f"{where} ({family}, {code})"
    evidence = evidences.get(code)
    if evidence is None:
        raise KnowledgeError(f"{QUESTIONS_FILE}: {where}: unknown evidence")
    if role not in ROLES:
        raise KnowledgeError(f"{QUESTIONS_FILE}: {where}: role must be red_flag or core, not {role!r}")
    try:
        order = int(row["order"])
    except ValueError:
        raise KnowledgeError(f"{QUESTIONS_FILE}: {where}: order must be a whole number") from None
    sex = row["sex"] or None
    if sex not in (None, "F", "M"):
        raise KnowledgeError(f"{QUESTIONS_FILE}: {where}: sex must be F, M or empty")
    min_age, max_age = _age(row["min_age"], QUESTIONS_FILE, where), _age(row["max_age"], QUESTIONS_FILE, where)
    flag = None
    if role == "red_flag":
        flag = _flag(row, evidence, evidences, family, where, min_age, max_age, sex)
    elif row["level"] or row["value"] or row["with"]:
        raise KnowledgeError(f"{QUESTIONS_FILE}: {where}: a core question has no value, second answer or level")
    return ProtocolQuestion(
        family=family,
        order=order,
        role=role,
        evidence=code,
        reason=row["reason"],
        flag=flag,
        min_age=min_age,
        max_age=max_age,
        sex=sex,
    )


def _flag(
    row: dict[str, str],
    evidence: Evidence,
    evidences: Mapping[str, Evidence],
    family: str,
    where: str,
    min_age: int | None,
    max_age: int | None,
    sex: str | None,
) -> RedFlag:
    try:
        level = TriageLevel(row["level"])
    except ValueError:
        raise KnowledgeError(f"{QUESTIONS_FILE}: {where}: unknown level {row['level']!r}") from None
    if level is TriageLevel.SELF_CARE:
        raise KnowledgeError(f"{QUESTIONS_FILE}: {where}: a red flag cannot set self-care")
    if not row["reason"]:
        raise KnowledgeError(f"{QUESTIONS_FILE}: {where}: a red flag needs its clinical reason")
    if not row["value"] and evidence.kind is not EvidenceKind.BINARY:
        raise KnowledgeError(f"{QUESTIONS_FILE}: {where}: {evidence.code} is not yes/no, so the flag needs a value")
    value, minimum = _answer(row["value"], evidence, f"{QUESTIONS_FILE}: {where}")
    with_evidence, with_value, with_minimum = _second_answer(row["with"], evidence, evidences, where)
    return RedFlag(
        evidence=evidence.code,
        level=level,
        reason=row["reason"],
        value=value,
        minimum=minimum,
        family=family,
        min_age=min_age,
        max_age=max_age,
        sex=sex,
        with_evidence=with_evidence,
        with_value=with_value,
        with_minimum=with_minimum,
    )


def _second_answer(
    item: str, evidence: Evidence, evidences: Mapping[str, Evidence], where: str
) -> tuple[str | None, str | None, int | None]:
    """The second answer a red flag needs (`with`: a yes, `CODE`; a value, `CODE:VALUE`; or at least n on a 0-10
    scale, `CODE:>=n`), if any: its evidence, value and minimum."""
    if not item:
        return None, None, None
    code, _, value = item.partition(":")
    second = evidences.get(code)
    if second is None or code == evidence.code:
        raise KnowledgeError(f"{QUESTIONS_FILE}: {where}: with {item!r} must name another known evidence")
    if not value and second.kind is not EvidenceKind.BINARY:
        raise KnowledgeError(f"{QUESTIONS_FILE}: {where}: with {item!r}: {code} is not yes/no, give CODE:VALUE")
    return (code, *_answer(value, second, f"{QUESTIONS_FILE}: {where}: with {item!r}"))


def _answer(text: str, evidence: Evidence, where: str) -> tuple[str | None, int | None]:
    """One answer a red flag names, as (value, minimum): a yes (empty), a value code, or `>=n` on a 0-10 scale."""
    if text.startswith(">="):
        if not evidence.is_scale or not text[2:].isdigit() or not 0 <= int(text[2:]) <= 10:
            raise KnowledgeError(f"{where}: '>=n' needs a 0-10 scale and n in 0..10")
        return None, int(text[2:])
    if text and text not in evidence.value_codes:
        raise KnowledgeError(f"{where}: {evidence.code} has no value {text!r}")
    return text or None, None


def _age(text: str, file: str, where: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or int(text) > 120:
        raise KnowledgeError(f"{file}: {where}: an age bound is a whole number of years from 0 to 120, not {text!r}")
    return int(text)


@dataclass(frozen=True, slots=True)
class NotAsked:
    """A question the interview never asks, with its reason."""

    evidence: str
    why: str


def load_not_asked(directory: Path, evidences: Mapping[str, Evidence]) -> tuple[NotAsked, ...]:
    """The questions never asked (`protocols/not_asked.csv`), checked against the evidences."""
    entries: dict[str, NotAsked] = {}
    for number, row in enumerate(read_csv(directory, NOT_ASKED_FILE, ("evidence", "why")), start=2):
        code, where = row["evidence"], f"{NOT_ASKED_FILE}: line {number}"
        if code not in evidences:
            raise KnowledgeError(f"{where}: {code!r} is not an evidence of the knowledge base")
        if code in entries:
            raise KnowledgeError(f"{where}: {code} is given twice")
        if not row["why"]:
            raise KnowledgeError(f"{where}: the reason for never asking {code} is missing")
        entries[code] = NotAsked(code, row["why"])
    return tuple(entries.values())
