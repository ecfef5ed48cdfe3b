"""The curated complaint terms: what people type, in their own words, finds the question a clinician asks first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from symptomcheck.engine.assessment import Engine
from symptomcheck.interview import complaint_prevalence, complaints
from symptomcheck.interview.complaint_search import ComplaintSearch, complaint_terms
from symptomcheck.knowledge import KnowledgeBase, KnowledgeError
from symptomcheck.model import load_model

# red flags a curated term may reach: the words name the alarm itself (not an ordinary complaint)
ALARM_WORDS = {"E_43", "E_45", "E_66", "E_140", "E_159", "E_210"}  # E_66: "can't breathe", "gasping for air"


@pytest.fixture(scope="module")
def engine(knowledge: KnowledgeBase) -> Engine:
    return Engine(load_model(), knowledge)


@pytest.fixture(scope="module")
def search(knowledge: KnowledgeBase, engine: Engine) -> ComplaintSearch:
    return ComplaintSearch(knowledge, complaints(engine), complaint_prevalence(engine))


@pytest.mark.parametrize(
    "text", ["chest pain", "pain in my chest", "douleur thoracique", "douleur au thorax", "mal à la poitrine",
             "胸痛", "胸口疼"],
)  # fmt: skip
def test_chest_pain_starts_at_the_pain_question_never_at_the_chest_pain_at_rest_red_flag(
    search: ComplaintSearch, text: str
) -> None:
    matches = search.search(text)
    assert matches[0].evidence == "E_53"
    assert matches[0].score == 1.0


def test_chest_pain_said_to_come_at_rest_still_finds_the_red_flag(search: ComplaintSearch) -> None:
    assert search.search("chest pain at rest")[0].evidence == "E_14"


@pytest.mark.parametrize(
    "text", ["headache", "HEADACHE", "hedache", "head ache", "mal de tête", "mal de tete", "头疼", "头痛",
             "stomach ache", "tummy ache", "back pain", "pain back", "mal au ventre", "肚子疼", "我肚子很疼", "earache",
             "牙疼"],
)  # fmt: skip
def test_pain_anywhere_starts_at_the_pain_question(search: ComplaintSearch, text: str) -> None:
    assert search.search(text)[0].evidence == "E_53"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sore throat", "E_97"), ("嗓子疼", "E_97"), ("angine", "E_97"),
        ("fainting", "E_159"), ("passed out", "E_159"), ("évanoui", "E_159"), ("晕倒", "E_159"),
        ("feel faint", "E_82"), ("about to pass out", "E_82"), ("快晕倒了", "E_82"),
        ("dizzy", "E_76"), ("dizziness", "E_76"), ("vertiges", "E_76"), ("头晕", "E_76"),
        ("rash", "E_129"), ("hives", "E_129"), ("boutons", "E_129"), ("皮疹", "E_129"),
        ("tired", "E_89"), ("je suis fatigué", "E_89"), ("乏力", "E_89"),
        ("palpitations", "E_155"), ("heart racing", "E_155"), ("心慌", "E_155"),
        ("runny nose", "E_181"), ("nez bouché", "E_181"), ("流鼻涕", "E_181"),
        ("can't breathe", "E_66"), ("short of breath", "E_64"), ("essoufflé", "E_64"), ("喘不上气", "E_64"),
        ("vomiting", "E_148"), ("feel sick", "E_148"), ("mal au cœur", "E_148"), ("mal au coeur", "E_148"),
        ("呕吐", "E_148"),
        ("diarrhoea", "E_51"), ("diarrhea", "E_51"), ("diarrhée", "E_51"), ("拉肚子", "E_51"),
        ("swollen leg", "E_151"), ("ankles swollen", "E_151"), ("浮肿", "E_151"),
        ("fever", "E_91"), ("high temperature", "E_91"), ("发烧", "E_91"), ("发热", "E_91"),
        ("cough", "E_201"), ("咳嗽", "E_201"), ("coughing up blood", "E_45"), ("咳血", "E_45"),
        ("muscle aches", "E_144"), ("heartburn", "E_173"), ("烧心", "E_173"), ("stiff neck", "E_192"),
    ],
)  # fmt: skip
def test_a_complaint_in_lay_words_finds_a_sensible_evidence_first(
    search: ComplaintSearch, text: str, expected: str
) -> None:
    assert search.search(text)[0].evidence == expected


def test_a_curated_term_outranks_a_question_it_matches_as_well(search: ComplaintSearch) -> None:
    scores = {m.evidence: m.score for m in search.search("chest pain")}
    assert scores["E_53"] > scores["E_14"]


def test_every_curated_term_finds_its_own_evidence_first(search: ComplaintSearch) -> None:
    missed = [
        (code, term)
        for code, by_language in complaint_terms().items()
        for terms in by_language.values()
        for term in terms
        if search.search(term)[0].evidence != code
    ]
    assert missed == []


def test_every_evidence_in_the_terms_file_exists_and_can_start_a_consultation(
    knowledge: KnowledgeBase, engine: Engine
) -> None:
    terms = complaint_terms()
    assert set(terms) <= set(complaints(engine))
    for code, by_language in terms.items():
        assert knowledge.has_evidence(code)
        assert all(by_language[language] for language in ("en", "fr", "zh")), code


def test_curated_terms_reach_a_red_flag_only_when_they_name_the_alarm_itself(knowledge: KnowledgeBase) -> None:
    red_flags = {flag.evidence for flag in knowledge.red_flags if flag.family is None}  # the ones that apply anywhere
    assert set(complaint_terms()) & red_flags <= ALARM_WORDS
    assert "E_14" not in complaint_terms()  # chest pain at rest
    # significant shortness of breath only for words that say breathing is impossible, never for breathlessness
    assert not {"short of breath", "breathless", "difficulty breathing"} & set(complaint_terms()["E_66"]["en"])


def test_no_term_is_listed_for_two_evidences() -> None:
    owner: dict[str, str] = {}
    for code, by_language in complaint_terms().items():
        for term in {t.casefold() for terms in by_language.values() for t in terms}:
            assert owner.setdefault(term, code) == code, term


def test_terms_of_evidences_not_searched_are_ignored(knowledge: KnowledgeBase) -> None:
    terms = {"E_53": {"en": ["headache"]}, "E_9999": {"en": ["xylophone"]}}
    only_fever = ComplaintSearch(knowledge, ("E_91",), terms=terms)
    assert only_fever.search("headache") == []
    assert only_fever.search("xylophone") == []
    assert ComplaintSearch(knowledge, ("E_53",), terms=terms).search("headache")[0].evidence == "E_53"


def test_without_terms_the_questions_alone_are_searched(knowledge: KnowledgeBase, engine: Engine) -> None:
    # only a curated term leads "headache" to the pain question; the questions alone find those that say it
    found = [m.evidence for m in ComplaintSearch(knowledge, complaints(engine), terms={}).search("headache")]
    assert "E_53" not in found
    assert all("headache" in knowledge.evidence(code).question.en.lower() for code in found)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid UTF-8 JSON"),
        ('["E_53"]', '"terms"'),
        ('{"terms": {"headache": {"en": ["headache"]}}}', "'headache' is not an evidence code"),
        ('{"terms": {"E_53": {"de": ["Kopfschmerzen"]}}}', "E_53 must map languages"),
        ('{"terms": {"E_53": {"en": "headache"}}}', "E_53.en must be a list of non-empty strings"),
        ('{"terms": {"E_53": {"en": ["headache", ""]}}}', "E_53.en must be a list of non-empty strings"),
    ],
)
def test_a_malformed_terms_file_raises_an_error_naming_the_problem(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "complaint_terms.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"complaint_terms\.json") as error:
        complaint_terms(path)
    assert problem in str(error.value)


def test_a_missing_terms_file_raises_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="missing"):
        complaint_terms(tmp_path / "complaint_terms.json")


def test_the_shipped_terms_file_is_valid_json_with_a_comment() -> None:
    from symptomcheck.interview.complaint_search import TERMS_FILE

    data = json.loads(TERMS_FILE.read_text(encoding="utf-8"))
    assert data["_comment"]
    assert 30 <= len(data["terms"]) <= 70
