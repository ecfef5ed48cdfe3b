"""Clinical vignettes: written patients interviewed by the engine, scored on the differential and the triage.

A vignette set is JSON Lines, one patient a line (docs/vignettes.md describes the format): who (age, sex,
language), the complaint as said (text, or evidence codes), the findings the patient has (`present`) and those
the patient does not have (`absent`), the acceptable conditions and the triage level a clinician would advise.

The interview is the service's: the complaint is read as the service reads it (the parser's first present
finding that can start a consultation, else the complaint search), what else the complaint text says is
answered before the first question, and then the engine asks until its own stopping rule ends the interview.
Each question is answered from the vignette: yes (or the values given) for a present finding, no for an absent
one, and "don't know" for anything the vignette does not mention, as a person who was not asked about it would
be unable to say more. Nothing else of the vignette reaches the engine.

Scores: top-k (any acceptable condition among the first k of the final differential); triage exact, under
(advice less urgent than the gold level), over, and safe (not under); the questions asked.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.engine.assessment import Engine
from symptomcheck.engine.errors import AnswerError
from symptomcheck.interview import ConsultationError, Turn, assess, complaint_prevalence, complaints, said_with, start
from symptomcheck.interview.complaint_search import ComplaintSearch
from symptomcheck.interview.text_parser import Finding, TextParser
from symptomcheck.knowledge import LANGUAGES, EvidenceKind, KnowledgeBase, Language, TriageLevel

COMPLAINT_MATCH = 0.75  # the score from which the service takes a complaint search's best match (its setting)
TOP_K = (1, 3, 5)
FIELDS = (
    "id", "language", "age", "sex", "complaint", "present", "absent", "gold_conditions", "gold_triage",
    "triage_reason", "family",
)  # fmt: skip
REQUIRED = tuple(f for f in FIELDS if f != "absent")
_CODE = re.compile(r"^[A-Z]_(?:\d+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)(:.*)?$")  # E_91, R_16500, A_COLD_LIMB, E_55:V_29
LEVELS = ", ".join(level.value for level in TriageLevel)


class VignetteError(ValueError):
    """A vignette file that cannot be read; the message names the line and what is accepted."""


@dataclass(frozen=True, slots=True)
class Vignette:
    id: str
    language: Language
    age: int
    sex: str
    complaint: str | tuple[str, ...]  # the text said, or evidence codes
    present: Mapping[str, tuple[str, ...]]  # evidence -> the values given (none for a yes/no, or when not given)
    absent: frozenset[str]
    gold_conditions: tuple[str, ...]
    gold_triage: TriageLevel
    triage_reason: str
    family: str
    line: int = 0  # where it was read
    valued: frozenset[str] = frozenset()  # the present evidences whose answer is a value (not a yes)

    def answer_to(self, evidence: str) -> Answer:
        """What this patient answers when asked about `evidence`: yes / its values, no, or don't know."""
        if evidence in self.present:
            values = self.present[evidence]
            if values:
                return Answer.of(*values)
            # a present finding with values the vignette does not give: yes to a yes/no, else "don't know"
            return Answer.unknown() if evidence in self.valued else Answer.yes()
        if evidence in self.absent:
            return Answer.no()
        return Answer.unknown()


# -- reading -----------------------------------------------------------------------------------------------------


def load_vignettes(path: Path, knowledge: KnowledgeBase, parser: TextParser | None = None) -> list[Vignette]:
    """The vignettes of a JSON Lines file, each checked against the knowledge base; VignetteError names the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise VignetteError(f"{path}: cannot be read ({error})") from None
    reader = _Reader(knowledge, parser or TextParser(knowledge))
    vignettes: list[Vignette] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            vignette = reader.read(line, number)
            if vignette.id in seen:
                raise ValueError(f"id {vignette.id!r} is used by an earlier line; ids must be unique")
        except ValueError as error:
            raise VignetteError(f"{path.name}: line {number}: {error}") from None
        seen.add(vignette.id)
        vignettes.append(vignette)
    if not vignettes:
        raise VignetteError(f"{path.name}: holds no vignette (JSON Lines, one case a line; see docs/vignettes.md)")
    return vignettes


class _Reader:
    def __init__(self, knowledge: KnowledgeBase, parser: TextParser) -> None:
        self.knowledge = knowledge
        self.parser = parser
        self.conditions = frozenset(knowledge.condition_codes)
        self.starters = tuple(
            e.code
            for e in knowledge.evidences
            if e.kind is EvidenceKind.BINARY and not e.is_antecedent and e.parent is None
        )
        self._search: ComplaintSearch | None = None

    def read(self, line: str, number: int) -> Vignette:
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"not valid JSON ({error.msg} at column {error.colno})") from None
        if not isinstance(record, dict):
            raise ValueError("a line is one JSON object (one vignette)")
        unknown = sorted(set(record) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; the fields are {', '.join(FIELDS)}")
        missing = [f for f in REQUIRED if f not in record]
        if missing:
            raise ValueError(f"missing field(s) {', '.join(missing)}")
        id_ = _text(record, "id")
        language = record["language"]
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
        age = record["age"]
        if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 120:
            raise ValueError(f"age must be a whole number of years from 0 to 120, not {age!r}")
        sex = record["sex"]
        if sex not in ("F", "M"):
            raise ValueError(f"sex must be 'F' or 'M', not {sex!r}")
        complaint = self._complaint(record["complaint"], language)
        present: dict[str, list[str]] = {}
        absent: set[str] = set()
        for item in _strings(record, "present", allow_empty=False):
            for code, status, values in self._finding(item, language, "present", age):
                if status == "present":
                    given = present.setdefault(code, [])
                    given += [v for v in values if v not in given]
                else:
                    absent.add(code)
        for item in _strings(record, "absent", allow_empty=True) if "absent" in record else []:
            for code, _, _ in self._finding(item, language, "absent", age):
                absent.add(code)
        for code in list(present):  # a present follow-up (where the pain is) says its parent (pain) is present
            parent = self.knowledge.evidence(code).parent
            if parent is not None:
                present.setdefault(parent, [])
        both = sorted(set(present) & absent)
        if both:
            raise ValueError(f"{', '.join(both)} is both present and absent; keep it on one side")
        for code, chosen in present.items():
            if self.knowledge.evidence(code).kind is EvidenceKind.CATEGORICAL and len(chosen) > 1:
                raise ValueError(f"{code} takes one value, not {', '.join(chosen)}")
        gold = record["gold_conditions"]
        if not isinstance(gold, list) or not gold or not all(isinstance(g, str) for g in gold):
            raise ValueError("gold_conditions must be a non-empty list of condition ids (conditions.csv, column id)")
        for condition in gold:
            if condition not in self.conditions:
                raise ValueError(
                    f"unknown condition {condition!r}: gold_conditions take the ids of "
                    "knowledge/data/catalogue/conditions.csv (column id), such as urinary_tract_infection"
                )
        try:
            level = TriageLevel(record["gold_triage"])
        except ValueError:
            raise ValueError(f"gold_triage must be one of {LEVELS}, not {record['gold_triage']!r}") from None
        return Vignette(
            id=id_,
            language=language,
            age=age,
            sex=sex,
            complaint=complaint,
            present={code: tuple(values) for code, values in present.items()},
            absent=frozenset(absent),
            gold_conditions=tuple(dict.fromkeys(gold)),
            gold_triage=level,
            triage_reason=_text(record, "triage_reason"),
            family=_text(record, "family"),
            line=number,
            valued=frozenset(c for c in present if self.knowledge.evidence(c).kind is not EvidenceKind.BINARY),
        )

    def _complaint(self, complaint: Any, language: Language) -> str | tuple[str, ...]:
        codes = complaint if isinstance(complaint, list) else [complaint] if _is_code(complaint) else None
        if codes is not None:
            if not codes or not all(isinstance(c, str) for c in codes):
                raise ValueError("complaint must be a text, an evidence code or a non-empty list of evidence codes")
            for code in codes:
                self._evidence(code.strip())
            if not any(code.strip() in self.starters for code in codes):
                raise ValueError(
                    f"complaint {', '.join(codes)}: none can start a consultation; give a symptom answered yes or "
                    "no that follows no other question (such as E_53, pain), or the complaint in words"
                )
            return tuple(code.strip() for code in codes)
        if not isinstance(complaint, str) or not complaint.strip():
            raise ValueError("complaint must be a text, an evidence code or a non-empty list of evidence codes")
        found = self.parser.parse(complaint, language)
        if any(f.present and f.evidence in self.starters for f in found):
            return complaint
        if self._search is None:
            self._search = ComplaintSearch(self.knowledge, self.starters, parser=self.parser)
        matches = self._search.search(complaint)
        if not matches or matches[0].score < COMPLAINT_MATCH:
            raise ValueError(
                f"complaint {complaint!r} is understood as no symptom that can start a consultation; "
                "say it otherwise or give an evidence code"
            )
        return complaint

    def _evidence(self, code: str) -> None:
        if not self.knowledge.has_evidence(code):
            raise ValueError(
                f"unknown evidence {code!r}: evidence codes are those of the knowledge base "
                "(E_* from release_evidences.json, R_* from vocabulary/reasons.csv, A_* from vocabulary/authored.csv)"
            )

    def _finding(self, item: str, language: Language, side: str, age: int) -> list[tuple[str, str, tuple[str, ...]]]:
        """(evidence, status, values) of one item of `present` or `absent`."""
        item = item.strip()
        if _is_code(item):
            code, sep, value = item.partition(":")
            code, value = code.strip(), value.strip()
            self._evidence(code)
            evidence = self.knowledge.evidence(code)
            if sep:
                if evidence.kind is EvidenceKind.BINARY:
                    raise ValueError(f"{code} is a yes/no question: give {code} without a value")
                if side == "absent":
                    raise ValueError(
                        f"{item}: an absent finding takes no value; give {code} alone (the ordinary answer)"
                    )
                if value not in evidence.value_codes:
                    shown = ", ".join(evidence.value_codes[:15]) + (" ..." if len(evidence.value_codes) > 15 else "")
                    raise ValueError(f"unknown value {value!r} of {code}; its values are {shown}")
                return [(code, "present", (value,))]
            if side == "absent" and evidence.kind is not EvidenceKind.BINARY and evidence.default is None:
                raise ValueError(f"{code} has no ordinary answer to stand for 'no'; leave it out")
            return [(code, side, ())]
        found: list[Finding] = self.parser.parse(item, language, age)
        if not found:
            raise ValueError(
                f"{side} phrase {item!r} is understood as no finding; say it otherwise or give an evidence code "
                "(POST /v1/parse shows what a text is understood as)"
            )
        if side == "absent":  # "fever" and "no fever" both mean absent here
            return [(f.evidence, "absent", ()) for f in found if self.knowledge.evidence(f.evidence).parent is None]
        return [(f.evidence, f.status, f.values) for f in found]


def _is_code(value: object) -> bool:
    return isinstance(value, str) and bool(_CODE.match(value.strip()))


def _text(record: Mapping[str, Any], key: str) -> str:
    value = record[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be a non-empty text")
    return value.strip()


def _strings(record: Mapping[str, Any], key: str, allow_empty: bool) -> list[str]:
    value = record[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{key} must be a list of evidence codes (E_91, E_55:V_29) or phrases")
    if not value and not allow_empty:
        raise ValueError(f"{key} must list at least one finding")
    return value


# -- interviewing ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a vignette's interview ended with."""

    vignette: Vignette
    complaint: str | None  # the evidence the consultation started from; None when it could not start
    complaint_fallback: bool  # the complaint was not understood: the first present finding that can start was used
    ranked: tuple[tuple[str, float], ...]  # the final differential: (condition, probability), most likely first
    advised: TriageLevel | None
    questions: int
    unknown_answers: int  # questions answered "don't know"
    gold_known: bool  # the model knows at least one of the gold conditions

    @property
    def rank(self) -> int | None:
        """1-based rank of the best-placed gold condition in the differential; None when none is listed."""
        gold = set(self.vignette.gold_conditions)
        return next((n for n, (code, _) in enumerate(self.ranked, start=1) if code in gold), None)

    def hit(self, k: int) -> bool:
        rank = self.rank
        return rank is not None and rank <= k

    @property
    def triage(self) -> str:
        """exact, under (less urgent than the gold level), over, or none (the consultation could not start)."""
        if self.advised is None:
            return "none"
        gold = self.vignette.gold_triage.urgency
        return "exact" if self.advised.urgency == gold else "under" if self.advised.urgency < gold else "over"


class VignetteRunner:
    """Interviews vignettes with one engine, as the consultation service would."""

    def __init__(self, engine: Engine, parser: TextParser | None = None) -> None:
        self.engine = engine
        self.knowledge = engine.knowledge
        self.parser = parser or TextParser(engine.knowledge)
        self.starters = frozenset(complaints(engine))
        self.search = ComplaintSearch(
            self.knowledge, complaints(engine), complaint_prevalence(engine), parser=self.parser
        )
        self.conditions = frozenset(engine.tables.conditions)

    def opening(self, vignette: Vignette) -> tuple[str | None, tuple[Turn, ...], bool]:
        """The complaint, what was said with it, and whether the vignette's findings had to stand in for it."""
        if isinstance(vignette.complaint, tuple):
            found = [Finding(code, "present", 0, 0, code, code) for code in vignette.complaint]
            starter = next((f.evidence for f in found if f.evidence in self.starters), None)
        else:
            found = self.parser.parse(vignette.complaint, vignette.language, vignette.age)
            starter = next((f.evidence for f in found if f.present and f.evidence in self.starters), None)
            if starter is None:
                matches = self.search.search(vignette.complaint)
                if matches and matches[0].score >= COMPLAINT_MATCH:
                    starter = matches[0].evidence
        if starter is not None:
            return starter, said_with(self.engine, starter, found), False
        # the model knows nothing the complaint says (a model may cover part of the knowledge base): the person
        # would have been asked to say it otherwise; they give the first of their symptoms the service knows
        fallback = next((code for code in vignette.present if code in self.starters), None)
        return fallback, (), fallback is not None

    def run(self, vignette: Vignette) -> Outcome:
        complaint, findings, fallback = self.opening(vignette)
        known = bool(self.conditions & set(vignette.gold_conditions))
        if complaint is None:
            return Outcome(vignette, None, False, (), None, 0, 0, known)
        try:
            consultation = start(self.engine, vignette.age, vignette.sex, vignette.language, complaint, findings)
        except (ConsultationError, AnswerError):
            return Outcome(vignette, None, fallback, (), None, 0, 0, known)
        unknown = 0
        while True:
            assessment = assess(self.engine, consultation)
            question = assessment.next_question
            if assessment.should_stop or question is None or consultation.questions_asked >= self.engine.max_turns:
                break
            given = vignette.answer_to(question)
            try:
                self.engine.validate([*consultation.answers, (question, given)])
            except AnswerError:
                given = Answer.unknown()  # a value the model does not offer: the person cannot answer it
            unknown += given.status is AnswerStatus.UNKNOWN
            consultation = consultation.answered(question, given)
        ranked = tuple((r.code, r.probability) for r in assessment.differential)
        return Outcome(
            vignette,
            complaint,
            fallback,
            ranked,
            assessment.triage.level,
            assessment.questions_asked,
            unknown,
            known,
        )

    def run_all(
        self, vignettes: Sequence[Vignette], progress: Callable[[int, int], None] | None = None
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for vignette in vignettes:
            outcomes.append(self.run(vignette))
            if progress is not None:
                progress(len(outcomes), len(vignettes))
        return outcomes


# -- scoring -----------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Figures:
    vignettes: int = 0
    hits: dict[int, int] = field(default_factory=lambda: dict.fromkeys(TOP_K, 0))
    triage: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("exact", "under", "over", "none"), 0))
    questions: list[int] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.vignettes += 1
        for k in TOP_K:
            self.hits[k] += outcome.hit(k)
        self.triage[outcome.triage] += 1
        if outcome.complaint is not None:
            self.questions.append(outcome.questions)

    def to_json(self) -> dict[str, Any]:
        n = self.vignettes or 1
        return {
            "vignettes": self.vignettes,
            **{f"top{k}": round(self.hits[k] / n, 4) for k in TOP_K},
            "triage_exact": round(self.triage["exact"] / n, 4),
            "triage_under": round(self.triage["under"] / n, 4),
            "triage_over": round(self.triage["over"] / n, 4),
            "triage_safe": round((self.triage["exact"] + self.triage["over"]) / n, 4),
            "not_started": self.triage["none"],
            "questions_median": _percentile(self.questions, 50),
            "questions_p95": _percentile(self.questions, 95),
            "questions_max": max(self.questions, default=0),
        }


def _percentile(values: Sequence[int], q: float) -> float:
    """The q-th percentile by linear interpolation (numpy's default), 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def is_failure(outcome: Outcome) -> bool:
    """A failure: no acceptable condition in the top 3, or advice less urgent than the gold level (or none)."""
    return not outcome.hit(3) or outcome.triage in ("under", "none")


def summarise(outcomes: Iterable[Outcome], model: str = "") -> dict[str, Any]:
    """The figures overall, per family, per language and per gold level, and the failures."""
    overall = Figures()
    by: dict[str, dict[str, Figures]] = {"family": {}, "language": {}, "gold_triage": {}}
    failures: list[dict[str, Any]] = []
    outcomes = list(outcomes)
    for outcome in outcomes:
        v = outcome.vignette
        overall.add(outcome)
        for key, value in (("family", v.family), ("language", v.language), ("gold_triage", v.gold_triage.value)):
            by[key].setdefault(value, Figures()).add(outcome)
        if is_failure(outcome):
            failures.append(
                {
                    "id": v.id,
                    "family": v.family,
                    "gold": list(v.gold_conditions),
                    "gold_known": outcome.gold_known,
                    "rank": outcome.rank,
                    "top3": [[code, round(p, 3)] for code, p in outcome.ranked[:3]],
                    "gold_triage": v.gold_triage.value,
                    "advised": outcome.advised.value if outcome.advised else None,
                    "triage": outcome.triage,
                    "complaint": outcome.complaint,
                    "questions": outcome.questions,
                }
            )
    level_order = {level.value: -level.urgency for level in TriageLevel}
    return {
        "model": model,
        **overall.to_json(),
        "gold_unknown_to_model": sum(not o.gold_known for o in outcomes),
        "complaint_not_understood": sum(o.complaint_fallback for o in outcomes),
        "unknown_answers_median": _percentile([o.unknown_answers for o in outcomes], 50),
        "by_family": {k: f.to_json() for k, f in sorted(by["family"].items())},
        "by_language": {k: f.to_json() for k, f in sorted(by["language"].items())},
        "by_gold_triage": {
            k: f.to_json() for k, f in sorted(by["gold_triage"].items(), key=lambda item: level_order[item[0]])
        },
        "failures": failures,
    }


def format_report(summary: Mapping[str, Any]) -> str:
    """The summary as text: the figures, a table per family, language and gold level, then the failures."""
    lines = [
        f"model {summary['model']}: {summary['vignettes']} vignettes",
        f"top-1 {summary['top1']:.1%}   top-3 {summary['top3']:.1%}   top-5 {summary['top5']:.1%}",
        f"triage exact {summary['triage_exact']:.1%}   under {summary['triage_under']:.1%}   "
        f"over {summary['triage_over']:.1%}   safe {summary['triage_safe']:.1%}",
        f"questions median {summary['questions_median']:g}   p95 {summary['questions_p95']:g}   "
        f"max {summary['questions_max']}",
        f"gold conditions unknown to the model: {summary['gold_unknown_to_model']}   complaint not understood: "
        f"{summary['complaint_not_understood']}   not started: {summary['not_started']}",
    ]
    header = f"{'':<22}{'n':>4}{'top1':>7}{'top3':>7}{'top5':>7}{'exact':>7}{'under':>7}{'over':>7}{'asked':>7}"
    for key, title in (("by_family", "family"), ("by_language", "language"), ("by_gold_triage", "gold triage")):
        lines += ["", f"{title:<22}{header[22:]}"]
        for name, f in summary[key].items():
            lines.append(
                f"{name[:21]:<22}{f['vignettes']:>4}{f['top1']:>7.0%}{f['top3']:>7.0%}{f['top5']:>7.0%}"
                f"{f['triage_exact']:>7.0%}{f['triage_under']:>7.0%}{f['triage_over']:>7.0%}"
                f"{f['questions_median']:>7g}"
            )
    failures = summary["failures"]
    lines += ["", f"failures ({len(failures)}: no acceptable condition in the top 3, or under-triage)"]
    for f in failures:
        top = ", ".join(f"{code} {p:.0%}" for code, p in f["top3"]) or "nothing listed"
        unknown = "" if f["gold_known"] else " (unknown to the model)"
        lines.append(
            f"  {f['id']}: gold {' / '.join(f['gold'])}{unknown}; top-3 {top}; "
            f"advised {f['advised'] or 'nothing'} for {f['gold_triage']} ({f['triage']})"
        )
    return "\n".join(lines)
