"""The condition catalogue and the evidence vocabulary of the visit records.

Files (in `data/catalogue/` and `data/vocabulary/`):
- `conditions.csv`: one row per condition a person could be told about: a stable id, its source (`ddxplus`
  for the 49 DDXPlus conditions, whose names, evidences and triage rows stay in the release files and
  `triage.csv`; `visits` for conditions defined by visit records; `open_world` for the one outcome that keeps
  mass for what fits nothing known), the ICD-10 code to display, the ICD-10-CM prefixes (NCHS format, no dot)
  and the ICD-9-CM codes that define it in the records, a triage level with its clinical reason, a
  must-not-miss flag, and lay names and a one-sentence description in English, French and Chinese.
- `exclusions.csv`: diagnoses that are not a condition to tell a person about (screening, follow-up,
  administrative, ...), each with its kind and reason.
- `reasons.csv`: the reasons for visit (NCHS RVC codes) that become evidences: a yes/no question in the three
  languages, lay names and synonyms, and how each relates to a DDXPlus evidence (`same`: they are one
  evidence, keeping the DDXPlus code).

ICD codes are matched by longest prefix: a condition owning `J020` wins over one owning `J02`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from symptomcheck.knowledge.errors import KnowledgeError
from symptomcheck.knowledge.types import LANGUAGES, Condition, Evidence, EvidenceKind, Language, Text, TriageLevel

CONDITIONS_FILE = "catalogue/conditions.csv"
EXCLUSIONS_FILE = "catalogue/exclusions.csv"
REASONS_FILE = "vocabulary/reasons.csv"
NOT_IN_CATALOGUE = "not_in_catalogue"
SOURCES = ("ddxplus", "visits", "open_world")
EXCLUSION_KINDS = (
    "screening", "follow_up", "administrative", "supervision", "procedure", "history", "not_a_condition", "rare",
)  # fmt: skip
_T = TypeVar("_T")
RELATIONS = ("same", "narrower", "broader", "related", "none")
# the severity (DDXPlus scale, 1 = most severe) a condition defined by visit records takes from its level
SEVERITY_OF_LEVEL = {
    TriageLevel.EMERGENCY_AMBULANCE: 1,
    TriageLevel.EMERGENCY: 2,
    TriageLevel.CONSULTATION_24: 3,
    TriageLevel.CONSULTATION: 4,
    TriageLevel.SELF_CARE: 5,
}


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """What the catalogue says of one condition (DDXPlus ones included)."""

    code: str
    source: str
    icd10_display: str
    icd10: tuple[str, ...]
    icd9: tuple[str, ...]
    must_not_miss: bool
    description: Text
    level: TriageLevel | None  # None for DDXPlus conditions: their level is in triage.csv
    reason: str | None


@dataclass(frozen=True, slots=True)
class Exclusion:
    icd10: tuple[str, ...]
    icd9: tuple[str, ...]
    kind: str
    reason: str


@dataclass(frozen=True, slots=True)
class ReasonMapping:
    """How reasons for visit (RVC codes) become an evidence."""

    evidence: str
    rfv_codes: tuple[int, ...]
    ddxplus_equivalent: str | None
    relation: str
    body_system: str
    name: Text
    synonyms: Mapping[Language, tuple[str, ...]]


@dataclass(frozen=True)
class Catalogue:
    entries: tuple[CatalogueEntry, ...]
    exclusions: tuple[Exclusion, ...]
    reasons: tuple[ReasonMapping, ...]
    _icd10: dict[str, str] = field(init=False, repr=False)
    _icd9: dict[str, str] = field(init=False, repr=False)
    _excluded10: dict[str, Exclusion] = field(init=False, repr=False)
    _excluded9: dict[str, Exclusion] = field(init=False, repr=False)
    _by_rfv: dict[int, str] = field(init=False, repr=False)
    _entries: dict[str, CatalogueEntry] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_icd10", {p: e.code for e in self.entries for p in e.icd10})
        object.__setattr__(self, "_icd9", {p: e.code for e in self.entries for p in e.icd9})
        object.__setattr__(self, "_excluded10", {p: x for x in self.exclusions for p in x.icd10})
        object.__setattr__(self, "_excluded9", {p: x for x in self.exclusions for p in x.icd9})
        object.__setattr__(self, "_by_rfv", {code: r.evidence for r in self.reasons for code in r.rfv_codes})
        object.__setattr__(self, "_entries", {e.code: e for e in self.entries})

    def entry(self, code: str) -> CatalogueEntry:
        return self._entries[code]

    def condition_of(self, code: str, system: str) -> str | None:
        """The catalogue condition a diagnosis code (NCHS format) belongs to, by longest prefix, if any."""
        return _longest_prefix(code, self._icd10 if system == "ICD10" else self._icd9)

    def exclusion_of(self, code: str, system: str) -> Exclusion | None:
        """The exclusion a diagnosis code falls under, when it maps to no condition."""
        return _longest_prefix(code, self._excluded10 if system == "ICD10" else self._excluded9)

    def evidence_of_reason(self, rfv_code: int) -> str | None:
        return self._by_rfv.get(rfv_code)


def _longest_prefix(code: str, table: Mapping[str, _T]) -> _T | None:
    for length in range(len(code), 2, -1):
        found = table.get(code[:length])
        if found is not None:
            return found
    return None


def read_csv(directory: Path, name: str, columns: Iterable[str]) -> list[dict[str, str]]:
    path = directory / name
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise KnowledgeError(f"{name}: missing columns {', '.join(missing)}")
            return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    except FileNotFoundError:
        raise KnowledgeError(f"{name}: the knowledge file is missing from {directory}") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise KnowledgeError(f"{name}: not a readable UTF-8 CSV ({error})") from None


def lay_texts(row: dict[str, str], stem: str, file: str, where: str) -> Text:
    values = {lang: row.get(f"{stem}_{lang}", "") for lang in LANGUAGES}
    empty = [lang for lang, text in values.items() if not text]
    if empty:
        raise KnowledgeError(f"{file}: {where}: {stem} is empty in {', '.join(empty)}")
    return Text(**values)


def _codes(text: str) -> tuple[str, ...]:
    return tuple(code.upper().replace(".", "") for code in text.split())


def load_catalogue(
    directory: Path, ddxplus: tuple[Condition, ...], ddxplus_evidences: tuple[Evidence, ...]
) -> tuple[Catalogue, tuple[Condition, ...], tuple[Evidence, ...]]:
    """The catalogue, the conditions it adds to the DDXPlus ones, and the evidences the reasons add."""
    rows = read_csv(
        directory,
        CONDITIONS_FILE,
        ("id", "source", "icd10_display", "icd10", "icd9", "level", "must_not_miss", "reason",
         "name_en", "name_fr", "name_zh", "description_en", "description_fr", "description_zh"),
    )  # fmt: skip
    ddxplus_codes = {c.code for c in ddxplus}
    entries: list[CatalogueEntry] = []
    added: list[Condition] = []
    owner10: dict[str, str] = {}
    owner9: dict[str, str] = {}
    for row in rows:
        code = row["id"]
        where = f"condition {code!r}"
        source = row["source"]
        if source not in SOURCES:
            raise KnowledgeError(f"{CONDITIONS_FILE}: {where}: source {source!r} is not one of {', '.join(SOURCES)}")
        if (source == "ddxplus") != (code in ddxplus_codes):
            raise KnowledgeError(f"{CONDITIONS_FILE}: {where}: only the DDXPlus conditions have source ddxplus")
        if any(e.code == code for e in entries):
            raise KnowledgeError(f"{CONDITIONS_FILE}: {where} is listed twice")
        if row["must_not_miss"] not in ("0", "1"):
            raise KnowledgeError(f"{CONDITIONS_FILE}: {where}: must_not_miss is 0 or 1")
        icd10, icd9 = _codes(row["icd10"]), _codes(row["icd9"])
        if source != "open_world" and not icd10:
            raise KnowledgeError(f"{CONDITIONS_FILE}: {where}: needs the ICD-10 codes that define it")
        for table, codes, system in ((owner10, icd10, "ICD-10"), (owner9, icd9, "ICD-9")):
            for prefix in codes:
                if prefix in table:
                    raise KnowledgeError(
                        f"{CONDITIONS_FILE}: {where}: {system} {prefix} already belongs to {table[prefix]!r}"
                    )
                table[prefix] = code
        level: TriageLevel | None = None
        if source != "ddxplus":
            try:
                level = TriageLevel(row["level"])
            except ValueError:
                accepted = ", ".join(level.value for level in TriageLevel)
                raise KnowledgeError(
                    f"{CONDITIONS_FILE}: {where}: level {row['level']!r}; accepted: {accepted}"
                ) from None
            if not row["reason"]:
                raise KnowledgeError(f"{CONDITIONS_FILE}: {where}: its triage level needs a reason")
        entry = CatalogueEntry(
            code=code,
            source=source,
            icd10_display=row["icd10_display"],
            icd10=icd10,
            icd9=icd9,
            must_not_miss=row["must_not_miss"] == "1",
            description=lay_texts(row, "description", CONDITIONS_FILE, where),
            level=level,
            reason=row["reason"] or None,
        )
        entries.append(entry)
        if source != "ddxplus":
            assert level is not None
            added.append(
                Condition(
                    code=code,
                    name=lay_texts(row, "name", CONDITIONS_FILE, where),
                    icd10=row["icd10_display"] or "",
                    severity=SEVERITY_OF_LEVEL[level],
                )
            )
    missing = sorted(ddxplus_codes - {e.code for e in entries})
    if missing:
        raise KnowledgeError(f"{CONDITIONS_FILE}: the DDXPlus condition {missing[0]!r} has no row")
    if not any(e.source == "open_world" for e in entries):
        raise KnowledgeError(f"{CONDITIONS_FILE}: needs the {NOT_IN_CATALOGUE!r} row (source open_world)")
    exclusions = []
    for row in read_csv(directory, EXCLUSIONS_FILE, ("icd10", "icd9", "kind", "reason")):
        if row["kind"] not in EXCLUSION_KINDS:
            raise KnowledgeError(
                f"{EXCLUSIONS_FILE}: {row['icd10']}: kind {row['kind']!r}; accepted: {', '.join(EXCLUSION_KINDS)}"
            )
        if not row["reason"]:
            raise KnowledgeError(f"{EXCLUSIONS_FILE}: {row['icd10']}: needs a reason")
        exclusions.append(Exclusion(_codes(row["icd10"]), _codes(row["icd9"]), row["kind"], row["reason"]))
    reasons, evidences = _reasons(directory, ddxplus_evidences)
    return Catalogue(tuple(entries), tuple(exclusions), reasons), tuple(added), evidences


def _reasons(
    directory: Path, ddxplus_evidences: tuple[Evidence, ...]
) -> tuple[tuple[ReasonMapping, ...], tuple[Evidence, ...]]:
    file = REASONS_FILE
    rows = read_csv(
        directory,
        file,
        ("rfv_codes", "evidence_id", "ddxplus_equivalent", "relation", "body_system",
         *(f"{stem}_{lang}" for stem in ("name", "question", "synonyms") for lang in LANGUAGES)),
    )  # fmt: skip
    ddxplus = {e.code: e for e in ddxplus_evidences}
    seen_rfv: dict[int, str] = {}
    mappings: list[ReasonMapping] = []
    evidences: dict[str, Evidence] = {}
    for row in rows:
        code = row["evidence_id"]
        where = f"reason {row['rfv_codes']!r}"
        try:
            rfv_codes = tuple(int(c) for c in row["rfv_codes"].split())
        except ValueError:
            raise KnowledgeError(f"{file}: {where}: rfv_codes are NCHS codes such as 10100") from None
        if not rfv_codes:
            raise KnowledgeError(f"{file}: a row has no rfv_codes")
        for rfv in rfv_codes:
            if rfv in seen_rfv:
                raise KnowledgeError(f"{file}: reason {rfv} is mapped twice ({seen_rfv[rfv]} and {code})")
            seen_rfv[rfv] = code
        relation = row["relation"]
        if relation not in RELATIONS:
            raise KnowledgeError(f"{file}: {where}: relation {relation!r}; accepted: {', '.join(RELATIONS)}")
        if relation == "same":
            target = ddxplus.get(code)
            if target is None or target.kind is not EvidenceKind.BINARY:
                raise KnowledgeError(f"{file}: {where}: relation same needs a DDXPlus yes/no evidence, not {code!r}")
        elif not code.startswith("R_") or code in evidences:
            raise KnowledgeError(f"{file}: {where}: a new evidence id is R_ and a reason code, used once ({code!r})")
        equivalent = row["ddxplus_equivalent"] or None
        if equivalent is not None and equivalent.split(":")[0] not in ddxplus:
            raise KnowledgeError(f"{file}: {where}: ddxplus_equivalent {equivalent!r} is not a DDXPlus evidence")
        synonyms = {
            lang: tuple(s.strip() for s in row[f"synonyms_{lang}"].split("|") if s.strip()) for lang in LANGUAGES
        }
        mapping = ReasonMapping(
            evidence=code,
            rfv_codes=rfv_codes,
            ddxplus_equivalent=equivalent,
            relation=relation,
            body_system=row["body_system"],
            name=lay_texts(row, "name", file, where),
            synonyms=synonyms,
        )
        mappings.append(mapping)
        if relation != "same":
            evidences[code] = Evidence(
                code=code,
                kind=EvidenceKind.BINARY,
                is_antecedent=False,
                question=lay_texts(row, "question", file, where),
            )
    return tuple(mappings), tuple(evidences.values())
