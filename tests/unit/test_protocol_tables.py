"""Data tests of the complaint protocol tables (knowledge/data/protocols), read as plain CSV.

They hold the tables to what the engine's loader and the clinical rules expect: codes that exist, levels that
exist, red flags askable in order, texts in three languages, and the same level as the global red flags for
the same answer.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from symptomcheck.knowledge import DATA_DIR, EvidenceKind, KnowledgeBase, TriageLevel

PROTOCOLS_DIR = DATA_DIR / "protocols"
ROOT = Path(__file__).resolve().parents[2]
FAMILY_COLUMNS = [
    "family", "name_en", "name_fr", "name_zh", "triggers", "min_age", "max_age",
    "advice_en", "advice_fr", "advice_zh", "reason",
]  # fmt: skip
QUESTION_COLUMNS = [
    "family", "order", "role", "evidence", "value", "with", "level", "min_age", "max_age", "sex", "reason",
]  # fmt: skip
RED_FLAG_LEVELS = {"emergency_ambulance", "emergency", "consultation_24", "consultation"}
MUST_HAVE_FAMILIES = {
    "chest_pain", "abdominal_pain", "headache", "sore_throat", "cough", "breathlessness", "fever",
    "fever_child", "urinary_symptoms", "rash", "back_pain", "joint_pain", "dizziness", "eye_symptoms",
    "ear_symptoms", "diarrhoea_vomiting", "vaginal_symptoms", "low_mood_anxiety",
}  # fmt: skip
SCALE_MINIMUM = re.compile(r">=(\d+)")
ASCII_PUNCTUATION_IN_ZH = re.compile(r"[,?;:]")


def _read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (PROTOCOLS_DIR / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


@pytest.fixture(scope="module")
def families() -> list[dict[str, str]]:
    return _read("families.csv")[1]


@pytest.fixture(scope="module")
def questions() -> list[dict[str, str]]:
    return _read("questions.csv")[1]


@pytest.fixture(scope="module")
def questions_by_family(questions: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = {}
    for row in questions:
        grouped.setdefault(row["family"], []).append(row)
    return {family: sorted(rows, key=lambda row: int(row["order"])) for family, rows in grouped.items()}


def _where(row: dict[str, str]) -> str:
    return f"{row['family']} #{row.get('order', '')} {row.get('evidence', '')}"


def test_the_tables_have_exactly_the_agreed_columns() -> None:
    assert _read("families.csv")[0] == FAMILY_COLUMNS
    assert _read("questions.csv")[0] == QUESTION_COLUMNS


def test_there_are_at_least_forty_families_with_unique_snake_case_ids(families: list[dict[str, str]]) -> None:
    ids = [family["family"] for family in families]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", i) for i in ids)


def test_the_must_have_families_exist(families: list[dict[str, str]]) -> None:
    missing = MUST_HAVE_FAMILIES - {family["family"] for family in families}
    assert not missing


def test_every_trigger_is_an_existing_evidence_or_evidence_value(
    families: list[dict[str, str]], knowledge: KnowledgeBase
) -> None:
    for family in families:
        triggers = family["triggers"].split()
        assert triggers, family["family"]
        for trigger in triggers:
            code, _, value = trigger.partition(":")
            assert knowledge.has_evidence(code), f"{family['family']}: {trigger}"
            evidence = knowledge.evidence(code)
            if value:
                assert evidence.kind is not EvidenceKind.BINARY, f"{family['family']}: {trigger}"
                assert value in evidence.value_codes, f"{family['family']}: {trigger}"
            else:
                assert evidence.kind is EvidenceKind.BINARY, f"{family['family']}: {trigger} needs a value"


def test_every_question_names_an_existing_evidence_of_a_known_family(
    families: list[dict[str, str]], questions: list[dict[str, str]], knowledge: KnowledgeBase
) -> None:
    ids = {family["family"] for family in families}
    for row in questions:
        assert row["family"] in ids, _where(row)
        assert knowledge.has_evidence(row["evidence"]), _where(row)


def test_every_red_flag_names_an_answer_its_evidence_can_give(
    questions: list[dict[str, str]], knowledge: KnowledgeBase
) -> None:
    for row in questions:
        if row["role"] != "red_flag":
            continue
        evidence = knowledge.evidence(row["evidence"])
        value = row["value"]
        if not value:
            assert evidence.kind is EvidenceKind.BINARY, f"{_where(row)}: a value is needed"
        elif match := SCALE_MINIMUM.fullmatch(value):
            assert evidence.is_scale, f"{_where(row)}: >=N needs a 0-10 scale"
            assert 0 < int(match.group(1)) <= 10, _where(row)
        else:
            assert evidence.kind is not EvidenceKind.BINARY, _where(row)
            assert not evidence.is_scale, f"{_where(row)}: a scale red flag is written >=N"
            assert value in evidence.value_codes, _where(row)


def test_every_red_flag_has_a_valid_level_and_core_questions_have_none(questions: list[dict[str, str]]) -> None:
    for row in questions:
        assert row["role"] in {"red_flag", "core"}, _where(row)
        if row["role"] == "red_flag":
            assert row["level"] in RED_FLAG_LEVELS, _where(row)
        else:
            assert row["level"] == "", _where(row)
            assert row["value"] == "", _where(row)
            assert row["with"] == "", _where(row)


def test_a_red_flag_that_needs_a_second_answer_names_another_answer_its_evidence_can_give(
    questions: list[dict[str, str]], knowledge: KnowledgeBase
) -> None:
    seconds = [row for row in questions if row["with"]]
    assert seconds, "the tables have red flags that need two answers (a fever with a swollen joint)"
    for row in seconds:
        code, _, value = row["with"].partition(":")
        evidence = knowledge.evidence(code)
        assert code != row["evidence"], _where(row)
        if value.startswith(">="):  # at least n on a 0-10 scale
            assert evidence.is_scale and 0 <= int(value[2:]) <= 10, _where(row)
        else:
            assert value in evidence.value_codes if value else evidence.kind is EvidenceKind.BINARY, _where(row)


def test_every_family_has_a_red_flag_and_a_core_question(
    families: list[dict[str, str]], questions_by_family: dict[str, list[dict[str, str]]]
) -> None:
    for family in families:
        roles = {row["role"] for row in questions_by_family.get(family["family"], [])}
        assert roles == {"red_flag", "core"}, family["family"]


def test_orders_run_from_one_without_gaps(questions_by_family: dict[str, list[dict[str, str]]]) -> None:
    for family, rows in questions_by_family.items():
        assert [int(row["order"]) for row in rows] == list(range(1, len(rows) + 1)), family


def test_no_family_asks_the_same_answer_twice_for_the_same_people(
    questions_by_family: dict[str, list[dict[str, str]]],
) -> None:
    for family, rows in questions_by_family.items():
        keys = [
            (row["evidence"], row["value"], row["with"], row["min_age"], row["max_age"], row["sex"]) for row in rows
        ]
        assert len(set(keys)) == len(keys), (family, [k for k, n in Counter(keys).items() if n > 1])


def test_red_flags_come_first_except_the_parent_a_red_flag_needs(
    questions_by_family: dict[str, list[dict[str, str]]], knowledge: KnowledgeBase
) -> None:
    for family, rows in questions_by_family.items():
        red_flag_parents = {knowledge.evidence(r["evidence"]).parent for r in rows if r["role"] == "red_flag"}
        last_red_flag = max(i for i, row in enumerate(rows) if row["role"] == "red_flag")
        for row in rows[:last_red_flag]:
            if row["role"] == "core":
                assert row["evidence"] in red_flag_parents, f"{family}: core {row['evidence']} before red flags"


def test_a_follow_up_red_flag_has_its_parent_earlier_or_in_the_triggers(
    families: list[dict[str, str]], questions_by_family: dict[str, list[dict[str, str]]], knowledge: KnowledgeBase
) -> None:
    triggers = {family["family"]: {t.partition(":")[0] for t in family["triggers"].split()} for family in families}
    for family, rows in questions_by_family.items():
        for index, row in enumerate(rows):
            parent = knowledge.evidence(row["evidence"]).parent
            if row["role"] != "red_flag" or parent is None:
                continue
            earlier = {r["evidence"] for r in rows[:index]}
            assert parent in earlier or parent in triggers[family], f"{_where(row)} needs {parent} first"


def test_ages_are_whole_years_in_order_and_sex_is_f_m_or_empty(
    families: list[dict[str, str]], questions: list[dict[str, str]]
) -> None:
    for row in [*families, *questions]:
        bounds = [row["min_age"], row["max_age"]]
        for bound in bounds:
            assert bound == "" or (bound.isdigit() and int(bound) <= 120), _where(row)
        if all(bounds):
            assert int(bounds[0]) <= int(bounds[1]), _where(row)
    for row in questions:
        assert row["sex"] in {"", "F", "M"}, _where(row)


def test_question_ages_fit_inside_their_family(families: list[dict[str, str]], questions: list[dict[str, str]]) -> None:
    by_id = {family["family"]: family for family in families}
    for row in questions:
        family = by_id[row["family"]]
        if family["max_age"] and row["min_age"]:
            assert int(row["min_age"]) <= int(family["max_age"]), _where(row)
        if family["min_age"] and row["max_age"]:
            assert int(row["max_age"]) >= int(family["min_age"]), _where(row)


def test_names_advice_and_reasons_are_written_in_every_language(
    families: list[dict[str, str]], questions: list[dict[str, str]]
) -> None:
    for family in families:
        for column in ("name_en", "name_fr", "name_zh", "advice_en", "advice_fr", "advice_zh", "reason"):
            assert family[column].strip(), f"{family['family']}: {column}"
        for language in ("en", "fr", "zh"):
            assert family[f"advice_{language}"] != family["advice_en"] or language == "en", family["family"]
    for row in questions:
        assert row["reason"].strip(), _where(row)


def test_chinese_texts_use_full_width_punctuation(families: list[dict[str, str]]) -> None:
    for family in families:
        for column in ("name_zh", "advice_zh"):
            assert not ASCII_PUNCTUATION_IN_ZH.search(family[column]), f"{family['family']}: {column}"
            assert re.search(r"[\u4e00-\u9fff]", family[column]), f"{family['family']}: {column}"


def test_advice_names_what_should_make_the_person_seek_care(families: list[dict[str, str]]) -> None:
    for family in families:
        assert re.search(r"\b(doctor|emergency|dentist|midwife)\b", family["advice_en"]), family["family"]
        assert re.search(r"médecin|urgence|dentiste|sage-femme", family["advice_fr"]), family["family"]
        assert re.search(r"就医|急诊|医生|急救|牙医|产科", family["advice_zh"]), family["family"]


def _global_red_flag_levels() -> dict[tuple[str, str], str]:
    data = json.loads((DATA_DIR / "texts/advice.json").read_text(encoding="utf-8"))
    levels = {}
    for flag in data["red_flags"]:
        value = flag["value"]
        if value is None:
            key = ""
        elif isinstance(value, dict):
            key = f">={value['min']}"
        else:
            key = value
        levels[flag["evidence"], key] = flag["level"]
    return levels


def test_a_red_flag_shared_with_the_global_list_is_never_less_urgent_in_a_family(
    questions: list[dict[str, str]],
) -> None:
    # the global red flag applies in every consultation; a family may only raise it (confusion is an emergency
    # on its own, and with a fever or a headache it needs an ambulance)
    global_levels = _global_red_flag_levels()
    for row in questions:
        key = (row["evidence"], row["value"])
        if row["role"] == "red_flag" and key in global_levels:
            family, general = TriageLevel(row["level"]), TriageLevel(global_levels[key])
            assert family.urgency >= general.urgency, f"{_where(row)}: the global list says {general.value}"
            if family is not general:
                assert "same level as the global" not in row["reason"], f"{_where(row)} says the same level"


def test_pregnancy_questions_are_asked_only_of_women(questions: list[dict[str, str]]) -> None:
    pregnancy = {"E_167", "R_17900", "R_17901", "R_17902", "R_17903"}
    for row in questions:
        if row["evidence"] in pregnancy:
            assert row["sex"] == "F", _where(row)


def _doc_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("protocols_doc", ROOT / "scripts/protocols_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_protocols_document_matches_the_tables(knowledge: KnowledgeBase) -> None:
    expected = _doc_generator().build(knowledge)
    assert (ROOT / "docs/protocols.md").read_text(encoding="utf-8") == expected, (
        "docs/protocols.md is out of date: run PYTHONPATH=src python scripts/protocols_doc.py"
    )
