"""Reading and validating the knowledge files.

Every check names the file, the entry and the problem: a knowledge file that is malformed or inconsistent is
refused as a whole, never half-loaded.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from symptomcheck.knowledge.authored import load_authored, load_authored_cells, load_finding_links, load_pain_sites
from symptomcheck.knowledge.base import Advice, FrenchCodes, KnowledgeBase
from symptomcheck.knowledge.catalogue import load_catalogue
from symptomcheck.knowledge.errors import KnowledgeError
from symptomcheck.knowledge.protocols import load_not_asked, load_protocols
from symptomcheck.knowledge.types import (
    LANGUAGES,
    AgeReading,
    AnswerValue,
    BodyRegion,
    Condition,
    Evidence,
    EvidenceKind,
    Language,
    RedFlag,
    Synonym,
    Text,
    TriageLevel,
    TriageRule,
)

DATA_DIR = Path(__file__).parent / "data"

CONDITIONS_FILE = "release_conditions.json"
EVIDENCES_FILE = "release_evidences.json"
FRENCH_CONDITIONS_FILE = "release_conditions_fr.json"
FRENCH_EVIDENCES_FILE = "release_evidences_fr.json"
ZH_QUESTIONS_FILE = "texts/zh_questions.json"
ZH_CONDITIONS_VALUES_FILE = "texts/zh_conditions_values.json"
EN_QUESTIONS_FILE = "texts/en_questions_curated.json"
FR_QUESTIONS_FILE = "texts/fr_questions_curated.json"
EN_CONDITIONS_VALUES_FILE = "texts/en_conditions_values_curated.json"
ADVICE_FILE = "texts/advice.json"
TRIAGE_FILE = "triage.csv"
CURATION_FILE = "curation.json"
TRIAGE_RULE_FILE = "triage_rule.csv"
AGE_READINGS_FILE = "texts/age_readings.csv"
AGE_READING_COLUMNS = ("evidence", "max_age", "reads_as", "reason")
MESSAGES_FILE = "texts/messages.json"
BODY_SITES_FILE = "body_sites.json"
THIRD_PERSON_FILE = "texts/third_person_questions.json"
OTHERS = ("child", "adult")  # the subjects of a consultation for someone else
# every file matching this pattern adds synonyms, so a new set of evidences brings its own file
SYNONYMS_PATTERN = "texts/synonyms*.csv"
SYNONYM_COLUMNS = ("evidence", "language", "phrase", "values")

Json = dict[str, Any]


@cache
def default_knowledge() -> KnowledgeBase:
    """The knowledge base shipped with the package (loaded and validated once per process)."""
    return load_knowledge(DATA_DIR)


def load_knowledge(directory: Path) -> KnowledgeBase:
    """Load and validate every knowledge file of `directory`."""
    try:
        return _load(directory)
    except (AttributeError, KeyError, TypeError) as error:
        # a structural slip the specific checks did not name: still refused as a knowledge error
        raise KnowledgeError(
            f"{directory}: a knowledge entry has the wrong shape ({type(error).__name__}: {error})"
        ) from None


def _load(directory: Path) -> KnowledgeBase:
    raw_conditions = _read_json(directory, CONDITIONS_FILE)
    raw_evidences = _read_json(directory, EVIDENCES_FILE)
    zh_questions = _section(_read_json(directory, ZH_QUESTIONS_FILE), "questions", ZH_QUESTIONS_FILE)
    zh_other = _read_json(directory, ZH_CONDITIONS_VALUES_FILE)
    zh_conditions = _section(zh_other, "conditions", ZH_CONDITIONS_VALUES_FILE)
    zh_values = _section(zh_other, "values", ZH_CONDITIONS_VALUES_FILE)
    en_questions_file = _read_json(directory, EN_QUESTIONS_FILE)
    en_questions = _section(en_questions_file, "questions", EN_QUESTIONS_FILE)
    fr_questions = _section(_read_json(directory, FR_QUESTIONS_FILE), "questions", FR_QUESTIONS_FILE)
    scales = _section(en_questions_file, "scales", EN_QUESTIONS_FILE)
    en_other = _read_json(directory, EN_CONDITIONS_VALUES_FILE)
    curated_conditions = _section(en_other, "conditions", EN_CONDITIONS_VALUES_FILE)
    curated_values = _section(en_other, "values", EN_CONDITIONS_VALUES_FILE)
    curated_conditions_fr = (
        _section(en_other, "conditions_fr", EN_CONDITIONS_VALUES_FILE) if "conditions_fr" in en_other else {}
    )

    standalone = _section(_read_json(directory, CURATION_FILE), "standalone", CURATION_FILE)
    curated_values_fr = _section(en_other, "values_fr", EN_CONDITIONS_VALUES_FILE) if "values_fr" in en_other else {}
    evidences = _evidences(
        raw_evidences,
        zh_questions,
        zh_values,
        en_questions,
        curated_values,
        curated_values_fr,
        scales,
        standalone,
        fr_questions,
    )
    regions, site_evidences, evidences = _body_sites(_read_json(directory, BODY_SITES_FILE), evidences)
    known = {e.code for e in evidences}
    conditions = _conditions(raw_conditions, known, zh_conditions, curated_conditions, curated_conditions_fr)
    _refuse_unknown_keys(ZH_QUESTIONS_FILE, "questions", zh_questions, known)
    _refuse_unknown_keys(EN_QUESTIONS_FILE, "questions", en_questions, known)
    _refuse_unknown_keys(FR_QUESTIONS_FILE, "questions", fr_questions, known)
    _refuse_unknown_keys(EN_QUESTIONS_FILE, "scales", scales, {e.code for e in evidences if e.is_scale})
    codes = {c.code for c in conditions}
    _refuse_unknown_keys(ZH_CONDITIONS_VALUES_FILE, "conditions", zh_conditions, codes)
    _refuse_unknown_keys(EN_CONDITIONS_VALUES_FILE, "conditions", curated_conditions, codes)
    _refuse_unknown_keys(EN_CONDITIONS_VALUES_FILE, "conditions_fr", curated_conditions_fr, codes)
    value_codes = {v.code for e in evidences for v in e.values if not v.code.isdigit()}
    _refuse_unknown_keys(ZH_CONDITIONS_VALUES_FILE, "values", zh_values, value_codes)
    _refuse_unknown_keys(EN_CONDITIONS_VALUES_FILE, "values", curated_values, value_codes)
    _refuse_unknown_keys(EN_CONDITIONS_VALUES_FILE, "values_fr", curated_values_fr, value_codes)

    triage = _triage(directory, conditions)
    catalogue, catalogue_conditions, reason_evidences = load_catalogue(directory, conditions, evidences)
    for condition in catalogue_conditions:
        entry = catalogue.entry(condition.code)
        assert entry.level is not None and entry.reason is not None
        triage[condition.code] = TriageRule(condition.code, entry.level, entry.reason)
    ddxplus_conditions, ddxplus_yes_no = (
        frozenset(c.code for c in conditions),
        frozenset(e.code for e in evidences if e.kind is EvidenceKind.BINARY),
    )
    conditions = (*conditions, *catalogue_conditions)
    evidences = (*evidences, *reason_evidences)
    authored, authored_evidences = load_authored(
        directory,
        frozenset(c.code for c in conditions),
        frozenset(e.code for e in evidences),
        frozenset(e.code for e in evidences if e.kind is EvidenceKind.BINARY) - {e.code for e in reason_evidences},
    )
    authored_cells = load_authored_cells(
        directory,
        ddxplus_conditions,
        frozenset(c.code for c in catalogue_conditions),
        ddxplus_yes_no | frozenset(e.code for e in reason_evidences if e.kind is EvidenceKind.BINARY),
    )
    reasons = frozenset(mapping.evidence for mapping in catalogue.reasons)  # a reason may be a DDXPlus evidence
    finding_links = load_finding_links(directory, ddxplus_yes_no, reasons)
    pain_sites = load_pain_sites(
        directory,
        ddxplus_conditions,
        frozenset(c.code for c in catalogue_conditions),
        frozenset(region.id for region in regions) if "E_55" in site_evidences else frozenset(),
    )
    evidences = (*evidences, *authored_evidences)
    thresholds = _triage_thresholds(directory)
    advice_file = _read_json(directory, ADVICE_FILE)
    advice, disclaimer = _advice(advice_file)
    by_code = {e.code: e for e in evidences}
    protocols = load_protocols(directory, by_code)
    not_asked = load_not_asked(directory, by_code)
    red_flags = (*_red_flags(advice_file, by_code), *(q.flag for f in protocols for q in f.red_flags if q.flag))
    french = _french_codes(
        _read_json(directory, FRENCH_EVIDENCES_FILE),
        _read_json(directory, FRENCH_CONDITIONS_FILE),
        raw_evidences,
        raw_conditions,
    )
    third_person = _third_person(directory, {e.code for e in evidences})
    return KnowledgeBase(
        third_person_questions=third_person,
        advice_for_others=_advice_for_others(advice_file),
        conditions=conditions,
        evidences=evidences,
        triage=triage,
        triage_thresholds=thresholds,
        messages=_messages(_read_json(directory, MESSAGES_FILE)),
        red_flags=red_flags,
        advice=advice,
        disclaimer=disclaimer,
        french=french,
        catalogue=catalogue,
        authored=authored,
        authored_cells=authored_cells,
        finding_links=finding_links,
        pain_sites=pain_sites,
        body_regions=regions,
        body_site_evidences=site_evidences,
        synonyms=_synonyms(directory, by_code),
        age_readings=_age_readings(directory, by_code),
        protocols=protocols,
        not_asked=not_asked,
    )


def _read_json(directory: Path, name: str) -> Json:
    path = directory / name
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise KnowledgeError(f"{name}: the knowledge file is missing from {directory}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise KnowledgeError(f"{name}: not valid UTF-8 JSON ({error})") from None
    if not isinstance(data, dict):
        raise KnowledgeError(f"{name}: expected a JSON object at the top level, found {type(data).__name__}")
    return data


def _section(data: Json, key: str, file: str) -> Json:
    section = data.get(key)
    if not isinstance(section, dict):
        raise KnowledgeError(f"{file}: expected an object under {key!r}")
    return section


def _refuse_unknown_keys(file: str, section: str, entries: Mapping[str, object], known: set[str]) -> None:
    unknown = sorted(set(entries) - known)
    if unknown:
        raise KnowledgeError(f"{file}: {section} {unknown[0]!r} is not in the knowledge base ({len(unknown)} unknown)")


def _text(entry: Json, key: str, file: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeError(f"{file}: {where}: {key!r} must be a non-empty string")
    return value.strip()


def _curated(curated: Json, code: str, file: str, key: str = "text") -> str | None:
    entry = curated.get(code)
    if entry is None:
        return None
    if not isinstance(entry, dict):
        raise KnowledgeError(f"{file}: {code!r}: expected an object with {key!r} and 'why'")
    _text(entry, "why", file, repr(code))
    return _text(entry, key, file, repr(code))


def _evidences(
    raw: Json,
    zh_questions: Json,
    zh_values: Json,
    en_questions: Json,
    en_values: Json,
    fr_values: Json,
    scales: Json,
    standalone: Json,
    fr_questions: Json,
) -> tuple[Evidence, ...]:
    file = EVIDENCES_FILE
    parents: dict[str, str] = {}
    evidences: list[Evidence] = []
    for code, entry in raw.items():
        where = f"evidence {code!r}"
        if not isinstance(entry, dict):
            raise KnowledgeError(f"{file}: {where}: expected an object")
        if entry.get("name") != code:
            raise KnowledgeError(f"{file}: {where}: its 'name' is {entry.get('name')!r}, not its key")
        try:
            kind = EvidenceKind(str(entry.get("data_type")))
        except ValueError:
            raise KnowledgeError(
                f"{file}: {where}: data_type {entry.get('data_type')!r} is not one of B, C, M"
            ) from None
        if not isinstance(entry.get("is_antecedent"), bool):
            raise KnowledgeError(f"{file}: {where}: 'is_antecedent' must be true or false")
        question_zh = zh_questions.get(code)
        if not isinstance(question_zh, str) or not question_zh.strip():
            raise KnowledgeError(f"{ZH_QUESTIONS_FILE}: {where} has no Chinese question")
        question = Text(
            en=_curated(en_questions, code, EN_QUESTIONS_FILE) or _text(entry, "question_en", file, where),
            fr=_curated(fr_questions, code, FR_QUESTIONS_FILE) or _text(entry, "question_fr", file, where),
            zh=question_zh.strip(),
        )
        values, default, scale = _values(code, kind, entry, zh_values, en_values, fr_values, scales)
        parent = entry.get("code_question")
        if not isinstance(parent, str):
            raise KnowledgeError(f"{file}: {where}: 'code_question' must name an evidence")
        if code in standalone:
            parent = code  # curated: the release names a parent question it does not contain
        if parent != code:
            parents[code] = parent
        evidences.append(
            Evidence(
                code=code,
                kind=kind,
                is_antecedent=entry["is_antecedent"],
                question=question,
                parent=parent if parent != code else None,
                values=values,
                default=default,
                scale=scale,
            )
        )
    _refuse_unknown_keys(CURATION_FILE, "standalone", standalone, {e.code for e in evidences})
    kinds = {e.code: e.kind for e in evidences}
    for child, parent in parents.items():
        if parent not in kinds:
            raise KnowledgeError(f"{file}: evidence {child!r}: its parent question {parent!r} does not exist")
        if kinds[parent] is not EvidenceKind.BINARY or parent in parents:
            raise KnowledgeError(
                f"{file}: evidence {child!r}: its parent question {parent!r} must be a yes/no question asked first"
            )
    return tuple(sorted(evidences, key=lambda e: _code_order(e.code)))


def _values(
    code: str, kind: EvidenceKind, entry: Json, zh_values: Json, en_values: Json, fr_values: Json, scales: Json
) -> tuple[tuple[AnswerValue, ...], str | None, tuple[Text, Text] | None]:
    file = EVIDENCES_FILE
    where = f"evidence {code!r}"
    possible = entry.get("possible-values")
    meanings = entry.get("value_meaning")
    if not isinstance(possible, list) or not isinstance(meanings, dict):
        raise KnowledgeError(f"{file}: {where}: 'possible-values' must be a list and 'value_meaning' an object")
    if kind is EvidenceKind.BINARY:
        if possible or meanings:
            raise KnowledgeError(f"{file}: {where}: a yes/no evidence takes no values")
        return (), None, None
    if not possible:
        raise KnowledgeError(f"{file}: {where}: a {kind.name.lower()} evidence needs possible values")
    codes = [str(value) for value in possible]
    if len(set(codes)) != len(codes):
        raise KnowledgeError(f"{file}: {where}: a possible value is listed twice")
    default = str(entry.get("default_value"))
    if default not in codes:
        raise KnowledgeError(f"{file}: {where}: default value {default!r} is not one of its possible values")
    numeric = all(isinstance(value, int) for value in possible)
    if numeric:
        if codes != [str(n) for n in range(len(codes))]:
            raise KnowledgeError(f"{file}: {where}: a numeric scale must run 0, 1, 2, ... without gaps")
        anchors = scales.get(code)
        if not isinstance(anchors, dict) or any(
            not isinstance(anchors.get(lang), dict) or not {"0", "10"} <= set(anchors[lang]) for lang in LANGUAGES
        ):
            raise KnowledgeError(
                f"{EN_QUESTIONS_FILE}: {where}: a 0-10 scale needs the meaning of 0 and 10 in en, fr, zh"
            )
        low = Text(**{lang: str(anchors[lang]["0"]) for lang in LANGUAGES})
        high = Text(**{lang: str(anchors[lang]["10"]) for lang in LANGUAGES})
        number_values = tuple(AnswerValue(c, Text(c, c, c)) for c in codes)
        return number_values, default, (low, high)
    values: list[AnswerValue] = []
    for value in codes:
        meaning = meanings.get(value)
        if not isinstance(meaning, dict):
            raise KnowledgeError(f"{file}: {where}: value {value!r} has no meaning in 'value_meaning'")
        zh = zh_values.get(value)
        if not isinstance(zh, str) or not zh.strip():
            raise KnowledgeError(f"{ZH_CONDITIONS_VALUES_FILE}: value {value!r} of {where} has no Chinese text")
        en = _curated(en_values, value, EN_CONDITIONS_VALUES_FILE) or _text(
            meaning, "en", file, f"{where} value {value!r}"
        )
        fr = _curated(fr_values, value, EN_CONDITIONS_VALUES_FILE) or _text(
            meaning, "fr", file, f"{where} value {value!r}"
        )
        values.append(AnswerValue(value, Text(en=en, fr=fr, zh=zh.strip())))
    return tuple(values), default, None


def _conditions(raw: Json, evidences: set[str], zh: Json, curated: Json, curated_fr: Json) -> tuple[Condition, ...]:
    file = CONDITIONS_FILE
    conditions: list[Condition] = []
    for code, entry in raw.items():
        where = f"condition {code!r}"
        if not isinstance(entry, dict):
            raise KnowledgeError(f"{file}: {where}: expected an object")
        if entry.get("condition_name") != code:
            raise KnowledgeError(
                f"{file}: {where}: its 'condition_name' is {entry.get('condition_name')!r}, not its key"
            )
        severity = entry.get("severity")
        if not isinstance(severity, int) or isinstance(severity, bool) or not 1 <= severity <= 5:
            raise KnowledgeError(f"{file}: {where}: severity must be a whole number from 1 to 5, found {severity!r}")
        lists: dict[str, frozenset[str]] = {}
        for key in ("symptoms", "antecedents"):
            listed = entry.get(key)
            if not isinstance(listed, dict):
                raise KnowledgeError(f"{file}: {where}: {key!r} must be an object of evidence codes")
            unknown = sorted(set(listed) - evidences)
            if unknown:
                raise KnowledgeError(f"{file}: {where}: {key} names unknown evidence {unknown[0]!r}")
            lists[key] = frozenset(listed)
        if not lists["symptoms"]:
            raise KnowledgeError(f"{file}: {where}: a condition needs at least one symptom")
        zh_name = zh.get(code)
        if not isinstance(zh_name, str) or not zh_name.strip():
            raise KnowledgeError(f"{ZH_CONDITIONS_VALUES_FILE}: {where} has no Chinese name")
        fix = curated.get(code, {})
        fix_fr = curated_fr.get(code, {})
        for section, entry_fix in (("conditions", fix), ("conditions_fr", fix_fr)):
            if not isinstance(entry_fix, dict):
                raise KnowledgeError(f"{EN_CONDITIONS_VALUES_FILE}: {section} {code!r}: expected an object with 'why'")
            if entry_fix:
                _text(entry_fix, "why", EN_CONDITIONS_VALUES_FILE, f"{section} {code!r}")
        name_en = _text(fix, "name", EN_CONDITIONS_VALUES_FILE, f"conditions {code!r}") if "name" in fix else None
        name_fr = (
            _text(fix_fr, "name", EN_CONDITIONS_VALUES_FILE, f"conditions_fr {code!r}") if "name" in fix_fr else None
        )
        name = Text(
            en=name_en or _text(entry, "cond-name-eng", file, where),
            fr=name_fr or _text(entry, "cond-name-fr", file, where),
            zh=zh_name.strip(),
        )
        icd10 = str(fix.get("icd10") or _text(entry, "icd10-id", file, where)).upper()
        conditions.append(
            Condition(
                code=code,
                name=name,
                icd10=icd10,
                severity=severity,
                symptoms=lists["symptoms"],
                antecedents=lists["antecedents"],
            )
        )
    return tuple(sorted(conditions, key=lambda c: c.code))


def _triage(directory: Path, conditions: tuple[Condition, ...]) -> dict[str, TriageRule]:
    path = directory / TRIAGE_FILE
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise KnowledgeError(f"{TRIAGE_FILE}: the triage table is missing from {directory}") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise KnowledgeError(f"{TRIAGE_FILE}: not a readable UTF-8 CSV ({error})") from None
    known = {c.code: c for c in conditions}
    rules: dict[str, TriageRule] = {}
    for number, row in enumerate(rows, start=2):
        where = f"line {number}"
        condition = (row.get("condition") or "").strip()
        if condition not in known:
            raise KnowledgeError(f"{TRIAGE_FILE}: {where}: unknown condition {condition!r}")
        if condition in rules:
            raise KnowledgeError(f"{TRIAGE_FILE}: {where}: condition {condition!r} is listed twice")
        try:
            level = TriageLevel((row.get("level") or "").strip())
        except ValueError:
            accepted = ", ".join(level.value for level in TriageLevel)
            raise KnowledgeError(
                f"{TRIAGE_FILE}: {where}: level {row.get('level')!r} of {condition!r} is not one of {accepted}"
            ) from None
        severity = (row.get("severity") or "").strip()
        if severity != str(known[condition].severity):
            raise KnowledgeError(
                f"{TRIAGE_FILE}: {where}: severity {severity!r} of {condition!r} differs from the release's "
                f"{known[condition].severity}"
            )
        reason = (row.get("reason") or "").strip()
        if not reason:
            raise KnowledgeError(f"{TRIAGE_FILE}: {where}: {condition!r} needs a clinical reason for its level")
        rules[condition] = TriageRule(condition, level, reason)
    missing = sorted(set(known) - set(rules))
    if missing:
        raise KnowledgeError(f"{TRIAGE_FILE}: condition {missing[0]!r} has no triage level ({len(missing)} missing)")
    return rules


def _triage_thresholds(directory: Path) -> dict[TriageLevel, float]:
    """The probability each level's conditions must together reach; lower for more urgent levels."""
    path = directory / TRIAGE_RULE_FILE
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise KnowledgeError(f"{TRIAGE_RULE_FILE}: the triage rule is missing from {directory}") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise KnowledgeError(f"{TRIAGE_RULE_FILE}: not a readable UTF-8 CSV ({error})") from None
    thresholds: dict[TriageLevel, float] = {}
    for number, row in enumerate(rows, start=2):
        try:
            level = TriageLevel((row.get("level") or "").strip())
        except ValueError:
            raise KnowledgeError(f"{TRIAGE_RULE_FILE}: line {number}: unknown level {row.get('level')!r}") from None
        try:
            threshold = float(row.get("threshold") or "")
        except ValueError:
            raise KnowledgeError(
                f"{TRIAGE_RULE_FILE}: line {number}: threshold {row.get('threshold')!r} is not a number in [0, 1]"
            ) from None
        if not 0.0 <= threshold <= 1.0 or level in thresholds or not (row.get("why") or "").strip():
            raise KnowledgeError(
                f"{TRIAGE_RULE_FILE}: line {number}: each level once, with a threshold in [0, 1] and its why"
            )
        thresholds[level] = threshold
    if set(thresholds) != set(TriageLevel):
        raise KnowledgeError(f"{TRIAGE_RULE_FILE}: every level needs a threshold")
    ordered = [thresholds[level] for level in TriageLevel if level is not TriageLevel.SELF_CARE]
    if ordered != sorted(ordered):
        raise KnowledgeError(f"{TRIAGE_RULE_FILE}: a more urgent level must have a lower (or equal) threshold")
    return thresholds


def _messages(data: Json) -> dict[Language, dict[str, str]]:
    """The interface's texts: the same keys in every language, none empty."""
    messages: dict[Language, dict[str, str]] = {}
    for language in LANGUAGES:
        texts = _section(data, language, MESSAGES_FILE)
        messages[language] = {key: _text(texts, key, MESSAGES_FILE, language) for key in texts}
    keys = set(messages["en"])
    for language in LANGUAGES:
        if set(messages[language]) != keys:
            difference = sorted(keys ^ set(messages[language]))
            raise KnowledgeError(f"{MESSAGES_FILE}: {language!r} and 'en' differ in message {difference[0]!r}")
    return messages


def _advice(data: Json) -> tuple[dict[TriageLevel, dict[Language, Advice]], Text]:
    levels = _section(data, "levels", ADVICE_FILE)
    advice: dict[TriageLevel, dict[Language, Advice]] = {}
    for level in TriageLevel:
        by_language = levels.get(level.value)
        if not isinstance(by_language, dict):
            raise KnowledgeError(f"{ADVICE_FILE}: level {level.value!r} has no advice")
        advice[level] = {}
        for language in LANGUAGES:
            entry = by_language.get(language)
            if not isinstance(entry, dict):
                raise KnowledgeError(f"{ADVICE_FILE}: level {level.value!r} has no advice in {language!r}")
            where = f"level {level.value!r} in {language!r}"
            advice[level][language] = Advice(
                title=_text(entry, "title", ADVICE_FILE, where),
                action=_text(entry, "action", ADVICE_FILE, where),
                when_to_escalate=_text(entry, "when_to_escalate", ADVICE_FILE, where),
            )
    disclaimer = _section(data, "disclaimer", ADVICE_FILE)
    texts = {lang: _text(disclaimer, lang, ADVICE_FILE, "disclaimer") for lang in LANGUAGES}
    return advice, Text(**texts)


def _advice_for_others(data: Json) -> dict[str, dict[TriageLevel, dict[Language, Advice]]]:
    """Every level's advice said of the patient, for each subject that is not the person answering."""
    if "levels_for_others" not in data:
        return {}
    others = _section(data, "levels_for_others", ADVICE_FILE)
    _refuse_unknown_keys(ADVICE_FILE, "levels_for_others", others, set(OTHERS))
    out: dict[str, dict[TriageLevel, dict[Language, Advice]]] = {}
    for subject in OTHERS:
        advice, _ = _advice({"levels": _section(others, subject, ADVICE_FILE), "disclaimer": data["disclaimer"]})
        out[subject] = advice
    return out


def _third_person(directory: Path, known: set[str]) -> dict[Language, dict[str, dict[str, str]]]:
    """The override table of questions in the third person: only known subjects, languages and evidences."""
    if not (directory / THIRD_PERSON_FILE).exists():
        return {}
    data = _read_json(directory, THIRD_PERSON_FILE)
    table: dict[Language, dict[str, dict[str, str]]] = {}
    for language in LANGUAGES:
        by_subject = _section(data, language, THIRD_PERSON_FILE) if language in data else {}
        _refuse_unknown_keys(THIRD_PERSON_FILE, language, by_subject, set(OTHERS))
        table[language] = {}
        for subject, texts in by_subject.items():
            if not isinstance(texts, dict):
                raise KnowledgeError(f"{THIRD_PERSON_FILE}: {language}.{subject} must map evidence codes to texts")
            _refuse_unknown_keys(THIRD_PERSON_FILE, f"{language}.{subject}", texts, known)
            table[language][subject] = {code: _text(texts, code, THIRD_PERSON_FILE, language) for code in texts}
    return table


def _red_flags(data: Json, evidences: Mapping[str, Evidence]) -> tuple[RedFlag, ...]:
    entries = data.get("red_flags")
    if not isinstance(entries, list):
        raise KnowledgeError(f"{ADVICE_FILE}: 'red_flags' must be a list")
    flags: list[RedFlag] = []
    for number, entry in enumerate(entries):
        where = f"red flag #{number}"
        if not isinstance(entry, dict):
            raise KnowledgeError(f"{ADVICE_FILE}: {where}: expected an object")
        code = entry.get("evidence")
        if not isinstance(code, str) or code not in evidences:
            raise KnowledgeError(f"{ADVICE_FILE}: {where}: unknown evidence {code!r}")
        evidence = evidences[code]
        try:
            level = TriageLevel(str(entry.get("level")))
        except ValueError:
            raise KnowledgeError(f"{ADVICE_FILE}: {where}: unknown level {entry.get('level')!r}") from None
        reason = _text(entry, "reason", ADVICE_FILE, where)
        value = entry.get("value")
        minimum: int | None = None
        if isinstance(value, dict):
            raw_minimum = value.get("min")
            if not evidence.is_scale or not isinstance(raw_minimum, int) or not 0 <= raw_minimum <= 10:
                raise KnowledgeError(f"{ADVICE_FILE}: {where}: {{'min': n}} needs a 0-10 scale and n in 0..10")
            minimum, value = raw_minimum, None
        elif value is not None:
            if str(value) not in evidence.value_codes:
                raise KnowledgeError(f"{ADVICE_FILE}: {where}: {code} has no value {value!r}")
            value = str(value)
        elif evidence.kind is not EvidenceKind.BINARY:
            raise KnowledgeError(f"{ADVICE_FILE}: {where}: {code} is not yes/no, so the flag needs a value")
        actions = _flag_actions(entry.get("action"), where)
        flags.append(RedFlag(evidence=code, level=level, reason=reason, value=value, minimum=minimum, actions=actions))
    return tuple(flags)


def _flag_actions(data: object, where: str) -> tuple[tuple[str, str, str], ...]:
    """A red flag's own action: absent, or said to the person and of them to whoever answers for them, in
    every language ({"self": {"en": ..., "fr": ..., "zh": ...}, "child": {...}, "adult": {...}})."""
    if data is None:
        return ()
    subjects = ("self", *OTHERS)
    if not isinstance(data, dict) or set(data) != set(subjects):
        raise KnowledgeError(f"{ADVICE_FILE}: {where}: 'action' needs exactly {', '.join(subjects)}")
    actions = []
    for subject in subjects:
        texts = data[subject]
        if not isinstance(texts, dict) or set(texts) != set(LANGUAGES):
            raise KnowledgeError(f"{ADVICE_FILE}: {where}: 'action' for {subject} needs {', '.join(LANGUAGES)}")
        actions += [(subject, language, _text(texts, language, ADVICE_FILE, where)) for language in LANGUAGES]
    return tuple(actions)


def _french_codes(fr_evidences: Json, fr_conditions: Json, en_evidences: Json, en_conditions: Json) -> FrenchCodes:
    """Map the French release's codes onto the English ones by question and value meaning (1:1, checked)."""
    by_question = {(e["question_fr"], e["question_en"]): code for code, e in en_evidences.items()}
    evidences: dict[str, str] = {}
    values: dict[tuple[str, str], str] = {}
    for fr_code, entry in fr_evidences.items():
        if not isinstance(entry, dict):
            raise KnowledgeError(f"{FRENCH_EVIDENCES_FILE}: evidence {fr_code!r}: expected an object")
        key = (entry.get("question_fr"), entry.get("question_en"))
        if key not in by_question:
            raise KnowledgeError(f"{FRENCH_EVIDENCES_FILE}: evidence {fr_code!r} has no English counterpart")
        en_code = by_question[key]
        evidences[fr_code] = en_code
        en_meanings = {(m.get("fr"), m.get("en")): v for v, m in en_evidences[en_code]["value_meaning"].items()}
        for fr_value, meaning in entry.get("value_meaning", {}).items():
            if not isinstance(meaning, dict) or not meaning.get("fr") or not meaning.get("en"):
                raise KnowledgeError(
                    f"{FRENCH_EVIDENCES_FILE}: value {fr_value!r} of {fr_code!r} needs its 'fr' and 'en' meaning"
                )
            mapped = en_meanings.get((meaning["fr"], meaning["en"]))
            if mapped is None:
                raise KnowledgeError(
                    f"{FRENCH_EVIDENCES_FILE}: value {fr_value!r} of {fr_code!r} has no English counterpart"
                )
            values[(en_code, fr_value)] = mapped
    if len(set(evidences.values())) != len(evidences) or len(evidences) != len(en_evidences):
        raise KnowledgeError(f"{FRENCH_EVIDENCES_FILE}: the French evidences do not map 1:1 onto the English ones")
    by_french_name = {c["cond-name-fr"]: code for code, c in en_conditions.items()}
    conditions: dict[str, str] = {}
    for fr_name in fr_conditions:
        if fr_name not in by_french_name:
            raise KnowledgeError(f"{FRENCH_CONDITIONS_FILE}: condition {fr_name!r} has no English counterpart")
        conditions[fr_name] = by_french_name[fr_name]
    if len(conditions) != len(en_conditions):
        missing = sorted(set(en_conditions) - set(conditions.values()))
        raise KnowledgeError(f"{FRENCH_CONDITIONS_FILE}: condition {missing[0]!r} has no French counterpart")
    return FrenchCodes(evidences=evidences, values=values, conditions=conditions)


def _body_sites(
    data: Json, evidences: tuple[Evidence, ...]
) -> tuple[tuple[BodyRegion, ...], frozenset[str], tuple[Evidence, ...]]:
    """The body regions, the evidences answered with body sites, and the evidences with the sites' lay names.

    Every precise site of every body-site evidence (all its values but the ordinary one, "nowhere") must
    belong to exactly one region, and a region names only such sites: a person can then reach every site the
    model knows, and a choice means one thing.
    """
    file = BODY_SITES_FILE
    by_code = {e.code: e for e in evidences}
    listed = data.get("evidences")
    if not isinstance(listed, list) or not listed or not all(isinstance(code, str) for code in listed):
        raise KnowledgeError(f"{file}: 'evidences' must list the body-site evidence codes")
    raw_regions = data.get("regions")
    if not isinstance(raw_regions, list) or not raw_regions:
        raise KnowledgeError(f"{file}: 'regions' must be a non-empty list")
    regions: list[BodyRegion] = []
    names: dict[str, Text] = {}
    for number, entry in enumerate(raw_regions):
        if not isinstance(entry, dict):
            raise KnowledgeError(f"{file}: region #{number}: expected an object")
        region_id = _text(entry, "id", file, f"region #{number}")
        where = f"region {region_id!r}"
        order = entry.get("order")
        if not isinstance(order, int) or isinstance(order, bool):
            raise KnowledgeError(f"{file}: {where}: 'order' must be a whole number")
        name = entry.get("name")
        if not isinstance(name, dict):
            raise KnowledgeError(f"{file}: {where}: 'name' must give the name in en, fr and zh")
        sites = entry.get("sites")
        if not isinstance(sites, list) or not sites:
            raise KnowledgeError(f"{file}: {where}: 'sites' must list its precise sites")
        codes: list[str] = []
        for site in sites:
            if not isinstance(site, dict):
                raise KnowledgeError(f"{file}: {where}: each site must be an object with a code and its names")
            code = _text(site, "code", file, where)
            if code in names:
                raise KnowledgeError(f"{file}: {where}: site {code!r} is already in another region")
            names[code] = Text(**{lang: _text(site, lang, file, f"{where} site {code!r}") for lang in LANGUAGES})
            codes.append(code)
        texts = {lang: _text(name, lang, file, where) for lang in LANGUAGES}
        regions.append(BodyRegion(region_id, order, Text(**texts), tuple(codes)))
    if len({r.id for r in regions}) != len(regions) or len({r.order for r in regions}) != len(regions):
        raise KnowledgeError(f"{file}: every region needs its own id and its own order")
    for code in listed:
        evidence = by_code.get(code)
        if evidence is None or evidence.kind is EvidenceKind.BINARY or evidence.is_scale:
            raise KnowledgeError(f"{file}: {code!r} is not an evidence answered with body sites")
        precise = set(evidence.value_codes) - {evidence.default}
        if precise != set(names):
            missing, extra = sorted(precise - set(names)), sorted(set(names) - precise)
            raise KnowledgeError(
                f"{file}: the sites of {code!r} and the regions' sites differ "
                f"(in no region: {missing[:3]}; not a site of {code!r}: {extra[:3]})"
            )
    site_evidences = frozenset(listed)
    for evidence in evidences:
        if evidence.code not in site_evidences and set(evidence.value_codes) & set(names):
            raise KnowledgeError(f"{file}: {evidence.code!r} is answered with body sites but is not listed")
    renamed = tuple(
        replace(e, values=tuple(AnswerValue(v.code, names.get(v.code, v.text)) for v in e.values))
        if e.code in site_evidences
        else e
        for e in evidences
    )
    return tuple(sorted(regions, key=lambda r: r.order)), site_evidences, renamed


def _table_rows(path: Path, name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a UTF-8 CSV knowledge table whose header must be `columns` (`name` in messages)."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != columns:
                raise KnowledgeError(f"{name}: the header must be {','.join(columns)}")
            return list(reader)
    except (UnicodeDecodeError, csv.Error) as error:
        raise KnowledgeError(f"{name}: not a readable UTF-8 CSV ({error})") from None


def _age_readings(directory: Path, evidences: Mapping[str, Evidence]) -> tuple[AgeReading, ...]:
    """What words mean said of a young child (texts/age_readings.csv; the file may be absent).

    Columns: evidence, max_age (whole years, 0 to 17), reads_as, reason: up to that age, a finding of `evidence`
    is one of `reads_as`. Both are yes/no questions, and an evidence has one reading."""
    path = directory / AGE_READINGS_FILE
    if not path.exists():
        return ()
    readings: dict[str, AgeReading] = {}
    for number, row in enumerate(_table_rows(path, AGE_READINGS_FILE, AGE_READING_COLUMNS), start=2):
        where = f"{AGE_READINGS_FILE}: line {number}"
        code, reads_as = (row.get("evidence") or "").strip(), (row.get("reads_as") or "").strip()
        for named in (code, reads_as):
            if named not in evidences:
                raise KnowledgeError(f"{where}: unknown evidence {named!r}")
            if evidences[named].kind is not EvidenceKind.BINARY:
                raise KnowledgeError(f"{where}: {named} is not a yes/no question")
        if code == reads_as or code in readings:
            raise KnowledgeError(f"{where}: {code} needs one reading, as another evidence")
        max_age = (row.get("max_age") or "").strip()
        if not max_age.isdigit() or int(max_age) > 17:
            raise KnowledgeError(f"{where}: max_age {max_age!r} must be a whole number of years from 0 to 17")
        reason = " ".join((row.get("reason") or "").split())
        if not reason:
            raise KnowledgeError(f"{where}: the reason is empty")
        readings[code] = AgeReading(code, int(max_age), reads_as, reason)
    return tuple(readings.values())


def _synonyms(directory: Path, evidences: Mapping[str, Evidence]) -> tuple[Synonym, ...]:
    """The phrases people use for each evidence, from every texts/synonyms*.csv (none is allowed).

    Columns: evidence, language, phrase, values (value codes separated by spaces; required for a categorical or
    multi-choice evidence, since a phrase like "pain in my chest" only means something with its site, and
    refused for a yes/no one). A phrase listed twice for the same evidence and language is refused.
    """
    synonyms: list[Synonym] = []
    seen: set[tuple[str, str, str]] = set()
    for path in sorted(directory.glob(SYNONYMS_PATTERN)):
        name = f"texts/{path.name}"
        for number, row in enumerate(_table_rows(path, name, SYNONYM_COLUMNS), start=2):
            where = f"{name}: line {number}"
            code = (row.get("evidence") or "").strip()
            evidence = evidences.get(code)
            if evidence is None:
                raise KnowledgeError(f"{where}: unknown evidence {code!r}")
            language = (row.get("language") or "").strip()
            if language not in LANGUAGES:
                raise KnowledgeError(f"{where}: language {language!r} is not one of {', '.join(LANGUAGES)}")
            phrase = " ".join((row.get("phrase") or "").split())
            if not phrase:
                raise KnowledgeError(f"{where}: the phrase of {code} is empty")
            values = tuple((row.get("values") or "").split())
            if evidence.kind is EvidenceKind.BINARY and values:
                raise KnowledgeError(f"{where}: {code} is a yes/no question: its phrases take no values")
            if evidence.kind is not EvidenceKind.BINARY and not values:
                raise KnowledgeError(f"{where}: {code} has answer values: the phrase {phrase!r} must name them")
            unknown = [v for v in values if v not in evidence.value_codes]
            if unknown:
                raise KnowledgeError(f"{where}: {code} has no value {unknown[0]!r}")
            if evidence.kind is EvidenceKind.CATEGORICAL and len(values) != 1:
                raise KnowledgeError(f"{where}: {code} takes exactly one value, the phrase names {len(values)}")
            key = (code, language, phrase.casefold())
            if key in seen:
                raise KnowledgeError(f"{where}: the phrase {phrase!r} of {code} in {language!r} is listed twice")
            seen.add(key)
            synonyms.append(Synonym(code, language, phrase, values))
    return tuple(synonyms)


def _code_order(code: str) -> tuple[int, str]:
    digits = code.rpartition("_")[2]
    return (int(digits) if digits.isdigit() else 1 << 30, code)
