"""Loading the knowledge files: every corruption is refused with a message naming the file, the entry and the problem.

Each refusal test copies the shipped knowledge directory into tmp_path (the `knowledge_dir` fixture), corrupts one
thing and checks the KnowledgeError message.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from symptomcheck.knowledge import (
    DATA_DIR,
    LANGUAGES,
    EvidenceKind,
    KnowledgeBase,
    KnowledgeError,
    TriageLevel,
    load_knowledge,
)
from symptomcheck.knowledge.loader import (
    ADVICE_FILE,
    CONDITIONS_FILE,
    CURATION_FILE,
    EN_CONDITIONS_VALUES_FILE,
    EN_QUESTIONS_FILE,
    EVIDENCES_FILE,
    FRENCH_CONDITIONS_FILE,
    FRENCH_EVIDENCES_FILE,
    TRIAGE_FILE,
    ZH_CONDITIONS_VALUES_FILE,
    ZH_QUESTIONS_FILE,
)

JSON_FILES = (
    CONDITIONS_FILE,
    EVIDENCES_FILE,
    FRENCH_CONDITIONS_FILE,
    FRENCH_EVIDENCES_FILE,
    ZH_QUESTIONS_FILE,
    ZH_CONDITIONS_VALUES_FILE,
    EN_QUESTIONS_FILE,
    EN_CONDITIONS_VALUES_FILE,
    ADVICE_FILE,
    CURATION_FILE,
)


def _edit_json(directory: Path, name: str, change: Callable[[Any], object]) -> None:
    path = directory / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _edit_triage(directory: Path, change: Callable[[list[dict[str, str]]], object]) -> None:
    path = directory / TRIAGE_FILE
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or ())
        rows = list(reader)
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _row_of(rows: list[dict[str, str]], condition: str) -> dict[str, str]:
    return next(row for row in rows if row["condition"] == condition)


def _refusal(directory: Path) -> str:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)
    return str(caught.value)


# --- the copy itself loads ------------------------------------------------------------------------------------------


def test_an_untouched_copy_of_the_knowledge_files_loads_like_the_shipped_ones(
    knowledge_dir: Path, knowledge: KnowledgeBase
) -> None:
    copy = load_knowledge(knowledge_dir)
    assert copy.condition_codes == knowledge.condition_codes
    assert copy.evidence_codes == knowledge.evidence_codes
    assert copy.triage == knowledge.triage


# --- files ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*JSON_FILES, TRIAGE_FILE])
def test_a_missing_knowledge_file_is_refused_naming_the_file(knowledge_dir: Path, name: str) -> None:
    (knowledge_dir / name).unlink()
    message = _refusal(knowledge_dir)
    assert message.startswith(f"{name}: ")
    assert "missing" in message
    assert str(knowledge_dir) in message


@pytest.mark.parametrize("name", JSON_FILES)
def test_a_knowledge_file_that_is_not_valid_json_is_refused_naming_the_file(knowledge_dir: Path, name: str) -> None:
    path = knowledge_dir / name
    path.write_text(path.read_text(encoding="utf-8")[:-20], encoding="utf-8")  # truncated: unbalanced braces
    message = _refusal(knowledge_dir)
    assert message.startswith(f"{name}: not valid UTF-8 JSON")


def test_a_knowledge_file_with_invalid_utf8_bytes_is_refused_naming_the_file(knowledge_dir: Path) -> None:
    path = knowledge_dir / ZH_QUESTIONS_FILE
    path.write_bytes(path.read_bytes().replace("您".encode(), b"\xff\xfe", 1))
    assert _refusal(knowledge_dir).startswith(f"{ZH_QUESTIONS_FILE}: not valid UTF-8 JSON")


def test_a_knowledge_file_whose_top_level_is_a_list_is_refused_with_what_was_found(knowledge_dir: Path) -> None:
    (knowledge_dir / EVIDENCES_FILE).write_text("[]", encoding="utf-8")
    message = _refusal(knowledge_dir)
    assert message == f"{EVIDENCES_FILE}: expected a JSON object at the top level, found list"


def test_a_text_file_without_its_section_is_refused_naming_the_missing_section(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, ZH_QUESTIONS_FILE, lambda data: data.pop("questions"))
    assert _refusal(knowledge_dir) == f"{ZH_QUESTIONS_FILE}: expected an object under 'questions'"


# --- evidences ------------------------------------------------------------------------------------------------------


def test_an_evidence_with_an_unknown_data_type_is_refused_with_the_accepted_types(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EVIDENCES_FILE, lambda data: data["E_91"].__setitem__("data_type", "X"))
    message = _refusal(knowledge_dir)
    assert message.startswith(f"{EVIDENCES_FILE}: evidence 'E_91': ")
    assert "data_type 'X' is not one of B, C, M" in message


def test_an_evidence_whose_name_is_not_its_key_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EVIDENCES_FILE, lambda data: data["E_91"].__setitem__("name", "E_92"))
    assert _refusal(knowledge_dir) == f"{EVIDENCES_FILE}: evidence 'E_91': its 'name' is 'E_92', not its key"


def test_a_default_value_that_is_not_among_the_possible_values_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EVIDENCES_FILE, lambda data: data["E_204"].__setitem__("default_value", "V_999"))
    message = _refusal(knowledge_dir)
    assert message.startswith(f"{EVIDENCES_FILE}: evidence 'E_204': ")
    assert "default value 'V_999' is not one of its possible values" in message


def test_a_possible_value_listed_twice_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EVIDENCES_FILE, lambda data: data["E_204"]["possible-values"].append("V_10"))
    assert _refusal(knowledge_dir) == f"{EVIDENCES_FILE}: evidence 'E_204': a possible value is listed twice"


def test_a_yes_no_evidence_with_values_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EVIDENCES_FILE, lambda data: data["E_91"].__setitem__("possible-values", ["V_10"]))
    assert _refusal(knowledge_dir) == f"{EVIDENCES_FILE}: evidence 'E_91': a yes/no evidence takes no values"


def test_a_numeric_scale_with_a_gap_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EVIDENCES_FILE, lambda data: data["E_56"]["possible-values"].remove(5))
    message = _refusal(knowledge_dir)
    assert message == f"{EVIDENCES_FILE}: evidence 'E_56': a numeric scale must run 0, 1, 2, ... without gaps"


def test_an_evidence_missing_its_chinese_question_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, ZH_QUESTIONS_FILE, lambda data: data["questions"].pop("E_91"))
    assert _refusal(knowledge_dir) == f"{ZH_QUESTIONS_FILE}: evidence 'E_91' has no Chinese question"


def test_an_evidence_whose_chinese_question_is_blank_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, ZH_QUESTIONS_FILE, lambda data: data["questions"].__setitem__("E_91", "  "))
    assert _refusal(knowledge_dir) == f"{ZH_QUESTIONS_FILE}: evidence 'E_91' has no Chinese question"


def test_a_value_missing_its_chinese_text_is_refused_naming_the_value_and_its_evidence(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, ZH_CONDITIONS_VALUES_FILE, lambda data: data["values"].pop("V_71"))
    assert (
        _refusal(knowledge_dir) == f"{ZH_CONDITIONS_VALUES_FILE}: value 'V_71' of evidence 'E_54' has no Chinese text"
    )


def test_a_chinese_question_for_an_evidence_that_does_not_exist_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, ZH_QUESTIONS_FILE, lambda data: data["questions"].__setitem__("E_999", "问题？"))
    message = _refusal(knowledge_dir)
    assert message == f"{ZH_QUESTIONS_FILE}: questions 'E_999' is not in the knowledge base (1 unknown)"


def test_a_follow_up_whose_parent_does_not_exist_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EVIDENCES_FILE, lambda data: data["E_54"].__setitem__("code_question", "E_999"))
    message = _refusal(knowledge_dir)
    assert message == f"{EVIDENCES_FILE}: evidence 'E_54': its parent question 'E_999' does not exist"


def test_a_follow_up_of_the_release_with_a_dangling_parent_is_refused_without_its_curation(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, CURATION_FILE, lambda data: data["standalone"].pop("E_69"))
    message = _refusal(knowledge_dir)
    assert message == f"{EVIDENCES_FILE}: evidence 'E_69': its parent question 'E_68' does not exist"


def test_a_follow_up_whose_parent_is_not_a_yes_no_question_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EVIDENCES_FILE, lambda data: data["E_54"].__setitem__("code_question", "E_204"))
    message = _refusal(knowledge_dir)
    assert message.startswith(f"{EVIDENCES_FILE}: evidence 'E_54': its parent question 'E_204' must be a yes/no")


def test_a_standalone_curation_for_an_evidence_that_does_not_exist_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, CURATION_FILE, lambda data: data["standalone"].__setitem__("E_999", "why not"))
    message = _refusal(knowledge_dir)
    assert message == f"{CURATION_FILE}: standalone 'E_999' is not in the knowledge base (1 unknown)"


def test_a_scale_question_missing_its_anchors_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EN_QUESTIONS_FILE, lambda data: data["scales"].pop("E_56"))
    message = _refusal(knowledge_dir)
    assert message.startswith(f"{EN_QUESTIONS_FILE}: evidence 'E_56': ")
    assert "a 0-10 scale needs the meaning of 0 and 10 in en, fr, zh" in message


def test_a_scale_question_missing_the_chinese_meaning_of_10_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EN_QUESTIONS_FILE, lambda data: data["scales"]["E_56"]["zh"].pop("10"))
    message = _refusal(knowledge_dir)
    assert message.startswith(f"{EN_QUESTIONS_FILE}: evidence 'E_56': a 0-10 scale needs the meaning of 0 and 10")


def test_a_curated_value_text_without_its_why_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EN_CONDITIONS_VALUES_FILE, lambda data: data["values"]["V_71"].pop("why"))
    assert _refusal(knowledge_dir) == f"{EN_CONDITIONS_VALUES_FILE}: 'V_71': 'why' must be a non-empty string"


def test_a_curated_question_with_an_empty_why_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EN_QUESTIONS_FILE, lambda data: data["questions"]["E_3"].__setitem__("why", " "))
    assert _refusal(knowledge_dir) == f"{EN_QUESTIONS_FILE}: 'E_3': 'why' must be a non-empty string"


def test_a_curated_condition_name_without_its_why_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EN_CONDITIONS_VALUES_FILE, lambda data: data["conditions"]["Boerhaave"].pop("why"))
    assert (
        _refusal(knowledge_dir)
        == f"{EN_CONDITIONS_VALUES_FILE}: conditions 'Boerhaave': 'why' must be a non-empty string"
    )


def test_a_curated_text_that_is_a_bare_string_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, EN_QUESTIONS_FILE, lambda data: data["questions"].__setitem__("E_3", "Pericarditis?"))
    assert _refusal(knowledge_dir) == f"{EN_QUESTIONS_FILE}: 'E_3': expected an object with 'text' and 'why'"


# --- conditions -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("section", ["symptoms", "antecedents"])
def test_a_condition_naming_an_unknown_evidence_is_refused(knowledge_dir: Path, section: str) -> None:
    _edit_json(knowledge_dir, CONDITIONS_FILE, lambda data: data["Pneumonia"][section].__setitem__("E_999", {}))
    message = _refusal(knowledge_dir)
    assert message == f"{CONDITIONS_FILE}: condition 'Pneumonia': {section} names unknown evidence 'E_999'"


@pytest.mark.parametrize("severity", [0, "2", 6, 2.0, True, None])
def test_a_condition_severity_that_is_not_a_whole_number_from_1_to_5_is_refused(
    knowledge_dir: Path, severity: object
) -> None:
    _edit_json(knowledge_dir, CONDITIONS_FILE, lambda data: data["Pneumonia"].__setitem__("severity", severity))
    message = _refusal(knowledge_dir)
    assert message == (
        f"{CONDITIONS_FILE}: condition 'Pneumonia': severity must be a whole number from 1 to 5, found {severity!r}"
    )


def test_a_condition_without_a_symptom_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, CONDITIONS_FILE, lambda data: data["Pneumonia"].__setitem__("symptoms", {}))
    message = _refusal(knowledge_dir)
    assert message == f"{CONDITIONS_FILE}: condition 'Pneumonia': a condition needs at least one symptom"


def test_a_condition_without_its_chinese_name_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, ZH_CONDITIONS_VALUES_FILE, lambda data: data["conditions"].pop("Pneumonia"))
    assert _refusal(knowledge_dir) == f"{ZH_CONDITIONS_VALUES_FILE}: condition 'Pneumonia' has no Chinese name"


# --- triage.csv -----------------------------------------------------------------------------------------------------


def test_a_triage_row_for_an_unknown_condition_is_refused_naming_the_line(knowledge_dir: Path) -> None:
    _edit_triage(knowledge_dir, lambda rows: rows.append({**rows[0], "condition": "Common cold"}))
    message = _refusal(knowledge_dir)
    assert re.fullmatch(rf"{TRIAGE_FILE}: line \d+: unknown condition 'Common cold'", message)


def test_a_condition_listed_twice_in_the_triage_table_is_refused(knowledge_dir: Path) -> None:
    _edit_triage(knowledge_dir, lambda rows: rows.append(dict(_row_of(rows, "URTI"))))
    message = _refusal(knowledge_dir)
    assert message == f"{TRIAGE_FILE}: line 51: condition 'URTI' is listed twice"  # header + 49 rows, then the copy


def test_a_condition_missing_from_the_triage_table_is_refused(knowledge_dir: Path) -> None:
    _edit_triage(knowledge_dir, lambda rows: rows.remove(_row_of(rows, "URTI")))
    assert _refusal(knowledge_dir) == f"{TRIAGE_FILE}: condition 'URTI' has no triage level (1 missing)"


def test_a_triage_level_that_does_not_exist_is_refused_with_the_accepted_levels(knowledge_dir: Path) -> None:
    _edit_triage(knowledge_dir, lambda rows: _row_of(rows, "URTI").__setitem__("level", "whenever"))
    message = _refusal(knowledge_dir)
    assert message.startswith(f"{TRIAGE_FILE}: line ")
    assert "level 'whenever' of 'URTI' is not one of " in message
    assert message.endswith(", ".join(level.value for level in TriageLevel))


def test_a_triage_row_with_an_empty_reason_is_refused(knowledge_dir: Path) -> None:
    _edit_triage(knowledge_dir, lambda rows: _row_of(rows, "URTI").__setitem__("reason", "   "))
    message = _refusal(knowledge_dir)
    assert re.fullmatch(rf"{TRIAGE_FILE}: line \d+: 'URTI' needs a clinical reason for its level", message)


# --- red flags ------------------------------------------------------------------------------------------------------


def test_a_red_flag_on_an_unknown_evidence_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, ADVICE_FILE, lambda data: data["red_flags"][0].__setitem__("evidence", "E_999"))
    assert _refusal(knowledge_dir) == f"{ADVICE_FILE}: red flag #0: unknown evidence 'E_999'"


def test_a_red_flag_on_a_value_its_evidence_does_not_have_is_refused(knowledge_dir: Path) -> None:
    flags = json.loads((knowledge_dir / ADVICE_FILE).read_text(encoding="utf-8"))["red_flags"]
    number = next(i for i, flag in enumerate(flags) if flag["evidence"] == "E_152")
    _edit_json(knowledge_dir, ADVICE_FILE, lambda data: data["red_flags"][number].__setitem__("value", "V_10"))
    assert _refusal(knowledge_dir) == f"{ADVICE_FILE}: red flag #{number}: E_152 has no value 'V_10'"


def test_a_red_flag_with_an_unknown_level_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, ADVICE_FILE, lambda data: data["red_flags"][0].__setitem__("level", "now"))
    assert _refusal(knowledge_dir) == f"{ADVICE_FILE}: red flag #0: unknown level 'now'"


def test_a_red_flag_on_a_multi_choice_evidence_without_a_value_is_refused(knowledge_dir: Path) -> None:
    flags = json.loads((knowledge_dir / ADVICE_FILE).read_text(encoding="utf-8"))["red_flags"]
    number = next(i for i, flag in enumerate(flags) if flag["evidence"] == "E_152")
    _edit_json(knowledge_dir, ADVICE_FILE, lambda data: data["red_flags"][number].__setitem__("value", None))
    message = _refusal(knowledge_dir)
    assert message == f"{ADVICE_FILE}: red flag #{number}: E_152 is not yes/no, so the flag needs a value"


# --- French release -------------------------------------------------------------------------------------------------


def test_a_french_evidence_without_an_english_counterpart_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, FRENCH_EVIDENCES_FILE, lambda data: data["trav1"].__setitem__("question_en", "Moved?"))
    assert _refusal(knowledge_dir) == f"{FRENCH_EVIDENCES_FILE}: evidence 'trav1' has no English counterpart"


def test_a_french_condition_without_an_english_counterpart_is_refused(knowledge_dir: Path) -> None:
    _edit_json(knowledge_dir, FRENCH_CONDITIONS_FILE, lambda data: data.__setitem__("Rhume banal", {}))
    assert _refusal(knowledge_dir) == f"{FRENCH_CONDITIONS_FILE}: condition 'Rhume banal' has no English counterpart"


# --- the shipped knowledge ------------------------------------------------------------------------------------------


def test_the_shipped_knowledge_holds_the_ddxplus_part_within_a_catalogue_of_hundreds(
    knowledge: KnowledgeBase,
) -> None:
    ddxplus = knowledge.ddxplus()
    assert len(ddxplus.conditions) == 49
    assert len(ddxplus.evidences) == 223
    assert len(knowledge.conditions) >= 400
    assert len(set(knowledge.condition_codes)) == len(knowledge.conditions)
    assert len(set(knowledge.evidence_codes)) == len(knowledge.evidences)
    assert len(knowledge.evidences) >= 223 + 300


def test_every_condition_has_a_triage_rule(knowledge: KnowledgeBase) -> None:
    assert set(knowledge.triage) == set(knowledge.condition_codes)
    for code in knowledge.condition_codes:
        rule = knowledge.triage[code]
        assert rule.condition == code
        assert isinstance(rule.level, TriageLevel)
        assert rule.reason.strip()


def test_every_question_value_and_condition_name_is_non_empty_in_english_french_and_chinese(
    knowledge: KnowledgeBase,
) -> None:
    texts = [(condition.code, condition.name) for condition in knowledge.conditions]
    for evidence in knowledge.evidences:
        texts.append((evidence.code, evidence.question))
        texts.extend((f"{evidence.code} {value.code}", value.text) for value in evidence.values)
        if evidence.scale is not None:
            texts.extend((f"{evidence.code} scale", anchor) for anchor in evidence.scale)
    empty = [(where, language) for where, text in texts for language in LANGUAGES if not text[language].strip()]
    assert empty == []


def test_every_categorical_and_multi_choice_evidence_has_values_and_a_default_among_them(
    knowledge: KnowledgeBase,
) -> None:
    for evidence in knowledge.evidences:
        if evidence.kind is EvidenceKind.BINARY:
            assert evidence.values == ()
            assert evidence.default is None
        else:
            assert evidence.default in evidence.value_codes


def test_the_releases_heartbreaking_for_the_french_dechirante_is_curated_to_tearing(knowledge: KnowledgeBase) -> None:
    release = json.loads((DATA_DIR / EVIDENCES_FILE).read_text(encoding="utf-8"))
    assert release["E_54"]["value_meaning"]["V_71"] == {"fr": "déchirante", "en": "heartbreaking"}
    text = knowledge.evidence("E_54").value("V_71").text
    assert text.en == "tearing"
    assert text.fr == "déchirante"


def test_sle_has_icd10_m32(knowledge: KnowledgeBase) -> None:
    assert knowledge.condition("SLE").icd10 == "M32"


def test_every_icd10_code_is_upper_case(knowledge: KnowledgeBase) -> None:
    coded = [c for c in knowledge.conditions if knowledge.catalogue.entry(c.code).source != "open_world"]
    assert [c.code for c in coded if c.icd10 != c.icd10.upper() or not c.icd10] == []


def test_the_french_codes_map_one_to_one_onto_the_223_evidences_and_49_conditions(knowledge: KnowledgeBase) -> None:
    french = knowledge.french
    assert len(french.evidences) == 223
    assert sorted(french.evidences.values()) == sorted(knowledge.ddxplus().evidence_codes)
    assert len(french.conditions) == 49
    assert sorted(french.conditions.values()) == sorted(knowledge.ddxplus().condition_codes)
    assert french.evidences["trav1"] == "E_204"
    assert french.values[("E_204", "N")] == "V_10"
    for (evidence, _), value in french.values.items():
        assert value in knowledge.evidence(evidence).value_codes


def test_the_pain_follow_ups_e54_to_e59_have_e53_as_their_parent(knowledge: KnowledgeBase) -> None:
    assert [e.code for e in knowledge.follow_ups("E_53")] == [f"E_{n}" for n in range(54, 60)]
    assert knowledge.evidence("E_53").kind is EvidenceKind.BINARY
    assert knowledge.evidence("E_53").parent is None


def test_the_curated_standalone_entries_make_the_releases_dangling_follow_ups_load(knowledge: KnowledgeBase) -> None:
    release = json.loads((DATA_DIR / EVIDENCES_FILE).read_text(encoding="utf-8"))
    standalone = json.loads((DATA_DIR / CURATION_FILE).read_text(encoding="utf-8"))["standalone"]
    assert standalone
    for code in standalone:
        assert release[code]["code_question"] not in release  # the release names a parent it does not contain
        assert knowledge.evidence(code).parent is None


# -- synonyms (texts/synonyms*.csv) ---------------------------------------------------------------------------


def _append_synonym(directory: Path, row: str, name: str = "synonyms.csv") -> None:
    path = directory / "texts" / name
    if not path.exists():
        path.write_text("evidence,language,phrase,values\n", encoding="utf-8")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(row + "\n")


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("E_999,en,brain fog,", "unknown evidence 'E_999'"),
        ("E_91,de,Fieber,", "language 'de' is not one of en, fr, zh"),
        ("E_91,en,,", "the phrase of E_91 is empty"),
        ("E_91,en,hot head,V_101", "E_91 is a yes/no question: its phrases take no values"),
        ("E_55,en,ouchy place,", "E_55 has answer values: the phrase 'ouchy place' must name them"),
        ("E_55,en,ouchy place,V_9999", "E_55 has no value 'V_9999'"),
        ("E_91,en,fever,", "the phrase 'fever' of E_91 in 'en' is listed twice"),
    ],
)
def test_a_malformed_synonym_is_refused_naming_its_line(knowledge_dir: Path, row: str, problem: str) -> None:
    _append_synonym(knowledge_dir, row)
    with pytest.raises(KnowledgeError, match=r"texts/synonyms.csv: line \d+: " + re.escape(problem)):
        load_knowledge(knowledge_dir)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("E_999,3,R_10801,a reason", "unknown evidence 'E_999'"),
        ("R_11303,3,E_55,a reason", "E_55 is not a yes/no question"),
        ("R_11303,30,R_10801,a reason", "max_age '30' must be a whole number of years from 0 to 17"),
        ("R_11303,3,R_10801,", "the reason is empty"),
        ("R_11303,3,R_11303,a reason", "R_11303 needs one reading, as another evidence"),
    ],
)
def test_a_malformed_age_reading_is_refused_naming_its_line(knowledge_dir: Path, row: str, problem: str) -> None:
    path = knowledge_dir / "texts" / "age_readings.csv"
    path.write_text("evidence,max_age,reads_as,reason\n" + row + "\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"texts/age_readings.csv: line 2: " + re.escape(problem)):
        load_knowledge(knowledge_dir)


def test_a_second_synonyms_file_joins_the_vocabulary_without_code_changes(knowledge_dir: Path) -> None:
    _append_synonym(knowledge_dir, "E_91,en,pyrexial state,", name="synonyms_visits.csv")
    loaded = load_knowledge(knowledge_dir)
    assert any(s.phrase == "pyrexial state" and s.evidence == "E_91" for s in loaded.synonyms)


def test_a_synonyms_file_with_another_header_is_refused(knowledge_dir: Path) -> None:
    (knowledge_dir / "texts" / "synonyms_bad.csv").write_text("code,lang,text\nE_91,en,fever\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"synonyms_bad.csv: the header must be evidence,language,phrase,values"):
        load_knowledge(knowledge_dir)


def test_the_shipped_synonyms_cover_every_symptom_a_person_would_type_in_three_languages(
    knowledge: KnowledgeBase,
) -> None:
    covered: dict[str, set[str]] = {}
    for synonym in knowledge.synonyms:
        covered.setdefault(synonym.evidence, set()).add(synonym.language)
    # every yes/no symptom that can start a consultation, except the few a person would not say as a complaint
    # (E_13 "worse over two weeks with less effort", E_150 "can you pass stools or gas": a question, not words)
    ddxplus = knowledge.ddxplus()
    typed = {e.code for e in ddxplus.evidences if e.kind is EvidenceKind.BINARY and not e.is_antecedent}
    missing = sorted(typed - set(covered) - {"E_13", "E_150"})
    assert not missing
    assert all(covered[code] == set(LANGUAGES) for code in typed - {"E_13", "E_150"})
    assert len(knowledge.synonyms) / len(covered) >= 5
    # the reasons for visit: their own words, unless the words already lead to the DDXPlus evidence they detail
    # ("chest pain" is the pain question with the chest as its site)
    reasons = {r.evidence for r in knowledge.catalogue.reasons if r.relation != "same"}
    assert len(reasons & set(covered)) >= 0.9 * len(reasons)


def test_every_english_and_french_phrase_alone_is_understood_as_its_own_evidence_only(
    knowledge: KnowledgeBase,
) -> None:
    # two evidences with the same words (once small words like "very" or "à" are set aside) would make one of
    # them unreachable; only the kind and the site of one pain may come together ("crampes d'estomac")
    from symptomcheck.interview.text_parser import TextParser

    parser = TextParser(knowledge)
    wrong = []
    for synonym in knowledge.synonyms:
        if synonym.language == "zh":
            continue  # Chinese may name two at once on purpose: 上吐下泻 is vomiting and diarrhoea
        parent = knowledge.evidence(synonym.evidence).parent
        found = {f.evidence for f in parser.parse(synonym.phrase, synonym.language) if f.present}
        others = {code for code in found if code not in (synonym.evidence, parent)}
        others = {code for code in others if parent is None or knowledge.evidence(code).parent != parent}
        if synonym.evidence not in found or others:
            wrong.append((synonym.language, synonym.phrase, synonym.evidence, sorted(others)))
    assert not wrong
