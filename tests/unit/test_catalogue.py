"""The condition catalogue and the reason vocabulary: codes that define each condition, and their checks."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from symptomcheck.knowledge import DATA_DIR, KnowledgeBase, KnowledgeError, TriageLevel, load_knowledge
from symptomcheck.knowledge.catalogue import CONDITIONS_FILE, NOT_IN_CATALOGUE


def test_the_catalogue_holds_the_ddxplus_conditions_among_hundreds(knowledge: KnowledgeBase) -> None:
    sources = {entry.source for entry in knowledge.catalogue.entries}
    assert sources == {"ddxplus", "visits", "open_world"}
    assert len(knowledge.catalogue.entries) >= 400
    assert knowledge.catalogue.entry("URTI").source == "ddxplus"
    assert knowledge.catalogue.entry(NOT_IN_CATALOGUE).source == "open_world"


def test_every_condition_has_lay_names_a_description_a_level_and_a_reason(knowledge: KnowledgeBase) -> None:
    for entry in knowledge.catalogue.entries:
        condition = knowledge.condition(entry.code)
        for language in ("en", "fr", "zh"):
            assert condition.name[language].strip()
            assert entry.description[language].strip()
        assert knowledge.triage[entry.code].reason


def test_the_longest_icd10_prefix_wins(knowledge: KnowledgeBase) -> None:
    assert knowledge.catalogue.condition_of("J020", "ICD10") == "strep_throat"
    assert knowledge.catalogue.condition_of("J029", "ICD10") == "Viral pharyngitis"
    assert knowledge.catalogue.condition_of("J051", "ICD10") == "Epiglottitis"


def test_icd9_codes_of_the_records_are_bridged_to_the_same_conditions(knowledge: KnowledgeBase) -> None:
    catalogue = knowledge.catalogue
    assert catalogue.condition_of("4659", "ICD9") == catalogue.condition_of("J069", "ICD10") == "URTI"
    assert catalogue.condition_of("5990", "ICD9") == catalogue.condition_of("N390", "ICD10")
    assert catalogue.condition_of("5409", "ICD9") == catalogue.condition_of("K359", "ICD10")


def test_a_screening_visit_is_excluded_for_a_stated_reason(knowledge: KnowledgeBase) -> None:
    assert knowledge.catalogue.condition_of("Z000", "ICD10") is None
    exclusion = knowledge.catalogue.exclusion_of("Z000", "ICD10")
    assert exclusion is not None and exclusion.reason


def test_a_reason_with_the_meaning_of_a_ddxplus_evidence_is_that_evidence(knowledge: KnowledgeBase) -> None:
    assert knowledge.catalogue.evidence_of_reason(10100) == "E_91"  # fever
    burning = knowledge.catalogue.evidence_of_reason(16500)
    assert burning is not None and knowledge.evidence(burning).question.en.endswith("?")


def test_the_emergencies_people_ask_about_are_urgent_and_not_to_miss(knowledge: KnowledgeBase) -> None:
    for code in ("K359", "I639", "I219"):  # appendicitis, stroke, heart attack
        condition = knowledge.catalogue.condition_of(code, "ICD10")
        assert condition is not None
        assert knowledge.level_of(condition).urgency >= TriageLevel.EMERGENCY.urgency
        assert knowledge.catalogue.entry(condition).must_not_miss


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _rewrite(path: Path, change: dict[str, str], where: str) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames or [], list(reader)
    for row in rows:
        if row["id"] == where:
            row.update(change)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_a_code_claimed_by_two_conditions_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _rewrite(directory / CONDITIONS_FILE, {"icd10": "J06"}, "strep_throat")
    with pytest.raises(KnowledgeError, match="J06 already belongs to"):
        load_knowledge(directory)


def test_a_condition_without_a_level_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _rewrite(directory / CONDITIONS_FILE, {"level": "soon"}, "strep_throat")
    with pytest.raises(KnowledgeError, match="level 'soon'"):
        load_knowledge(directory)


def test_a_condition_without_a_french_name_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _rewrite(directory / CONDITIONS_FILE, {"name_fr": ""}, "strep_throat")
    with pytest.raises(KnowledgeError, match="name is empty in fr"):
        load_knowledge(directory)


def test_every_justified_triage_level_names_a_catalogue_condition(knowledge: KnowledgeBase) -> None:
    from symptomcheck.evaluation.catalogue_review import read_notes

    notes = read_notes(DATA_DIR)
    assert notes
    for condition, justification in notes.items():
        assert knowledge.has_condition(condition), condition
        assert len(justification) > 40
