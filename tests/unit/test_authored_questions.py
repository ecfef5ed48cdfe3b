"""Questions authored from clinical knowledge (knowledge/authored.py): loaded, checked, kept out of the DDXPlus
fit and joined to the DDXPlus model afterwards (model/authored.py)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Engine
from symptomcheck.engine.tables import compile_tables
from symptomcheck.evaluation.simulate import derived_answers
from symptomcheck.knowledge import (
    DATA_DIR,
    MAX_CODE_LENGTH,
    KnowledgeBase,
    KnowledgeError,
    TriageLevel,
    load_knowledge,
)
from symptomcheck.knowledge.authored import (
    CELLS_FILE,
    LIKELIHOODS_FILE,
    LINKS_FILE,
    PAIN_SITES_FILE,
    QUESTIONS_FILE,
)
from symptomcheck.model import DDXPLUS_MODEL, SHIPPED_MODEL, Model, load_model
from symptomcheck.model.authored import with_authored
from symptomcheck.model.broad import PROVENANCE
from symptomcheck.model.demographics import AGE_BAND_STARTS
from symptomcheck.model.fit import ABSENT, PRESENT
from symptomcheck.patients import Patient


def _copy_with(tmp_path: Path, name: str, append: str) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    with (target / name).open("a", encoding="utf-8") as handle:
        handle.write(append)
    return target


def test_thoughts_of_suicide_are_asked_in_three_languages_with_a_reason_for_every_likelihood(
    knowledge: KnowledgeBase,
) -> None:
    question = next(q for q in knowledge.authored if q.evidence == "A_SUICIDAL")
    evidence = knowledge.evidence("A_SUICIDAL")
    assert all(evidence.question[lang] for lang in ("en", "fr", "zh"))
    assert question.p_yes["suicidal_thoughts"] > question.p_yes["depression"] > question.default_yes
    assert set(question.reasons) == set(question.p_yes)


def test_a_yes_to_thoughts_of_suicide_is_an_emergency_red_flag_whatever_the_complaint(
    knowledge: KnowledgeBase,
) -> None:
    flags = [flag for flag in knowledge.red_flags if flag.evidence == "A_SUICIDAL" and flag.family is None]
    assert flags and flags[0].level is TriageLevel.EMERGENCY


def test_the_ddxplus_part_of_the_knowledge_leaves_the_authored_questions_out(knowledge: KnowledgeBase) -> None:
    assert "A_SUICIDAL" not in knowledge.ddxplus().evidence_codes


@pytest.mark.parametrize(
    ("file", "row", "problem"),
    [
        (LIKELIHOODS_FILE, 'A_SUICIDAL,no_such_condition,0.3,"A reason."', "no such condition"),
        (LIKELIHOODS_FILE, 'A_SUICIDAL,broken_wrist,1,"A reason."', "between 0 and 1"),
        (LIKELIHOODS_FILE, 'A_SUICIDAL,depression,0.3,"Again."', "given twice"),
        (LIKELIHOODS_FILE, "A_SUICIDAL,broken_wrist,0.3,", "reason is missing"),
        (CELLS_FILE, 'E_82,Anemia,0.3,"A reason."', "DDXPlus describes this condition"),
        (CELLS_FILE, 'A_SUICIDAL,depression,0.3,"A reason."', "is not a yes/no question of DDXPlus or of the reasons"),
        (CELLS_FILE, 'E_55,gastrointestinal_bleeding,0.3,"A reason."', "is not a yes/no question"),
        (CELLS_FILE, 'E_82,no_such_condition,0.3,"A reason."', "no such condition"),
        (CELLS_FILE, 'E_82,ruptured_aortic_aneurysm,0.3,"Again."', "given twice"),
        (CELLS_FILE, "E_146,gastric_varices,0.2,", "reason is missing"),
        (CELLS_FILE, 'E_146,gastric_varices,0,"A reason."', "between 0 and 1"),
        (LINKS_FILE, 'R_10200,E_76,"A reason."', "not a yes/no finding of DDXPlus"),
        (LINKS_FILE, 'E_82,E_82,"A reason."', "not another reason"),
        (LINKS_FILE, 'E_82,R_99999,"A reason."', "not another reason"),
        (LINKS_FILE, 'E_82,E_76,"Again."', "given twice"),
        (LINKS_FILE, "E_82,R_12352,", "reason for the link is missing"),
        (PAIN_SITES_FILE, 'Anemia,chest,0.3,"A reason."', "DDXPlus describes this condition"),
        (PAIN_SITES_FILE, 'no_such_condition,chest,0.3,"A reason."', "no such condition"),
        (PAIN_SITES_FILE, 'broken_wrist,left_elbow_region,0.3,"A reason."', "no such body region"),
        (PAIN_SITES_FILE, "acute_appendicitis,abdomen_lower_right,0.3,", "given twice"),
        (PAIN_SITES_FILE, "broken_wrist,hand_left,0.5,", "reason is missing"),
        (PAIN_SITES_FILE, 'acute_appendicitis,chest,0.5,"A reason."', "add up to 1.35"),
        (PAIN_SITES_FILE, 'broken_wrist,hand_left,1,"A reason."', "between 0 and 1"),
    ],
    ids=[
        "likelihood: unknown condition",
        "likelihood: probability of one",
        "likelihood: given twice",
        "likelihood: no reason",
        "cell: a DDXPlus condition",
        "cell: an authored question",
        "cell: a question with values",
        "cell: unknown condition",
        "cell: given twice",
        "cell: no reason",
        "cell: probability of zero",
        "link: not a DDXPlus finding",
        "link: to itself",
        "link: unknown reason",
        "link: given twice",
        "link: no reason",
        "pain sites: a DDXPlus condition",
        "pain sites: unknown condition",
        "pain sites: unknown region",
        "pain sites: given twice",
        "pain sites: no reason",
        "pain sites: more than all the answers",
        "pain sites: a share of one",
    ],
)
def test_a_broken_authored_row_is_refused_with_its_problem(tmp_path: Path, file: str, row: str, problem: str) -> None:
    directory = _copy_with(tmp_path, file, row + "\n")
    with pytest.raises(KnowledgeError, match=problem):
        load_knowledge(directory)


def test_every_authored_cell_and_finding_link_has_its_reason(knowledge: KnowledgeBase) -> None:
    assert knowledge.authored_cells and knowledge.finding_links
    assert all(len(cell.reason) > 20 for cell in knowledge.authored_cells)
    assert all(len(link.why) > 20 for link in knowledge.finding_links)
    ddxplus = set(knowledge.ddxplus().condition_codes)
    assert not {cell.condition for cell in knowledge.authored_cells} & ddxplus


def test_every_authored_pain_site_has_its_reason_and_leaves_room_for_other_sites(knowledge: KnowledgeBase) -> None:
    assert len(knowledge.pain_sites) >= 40
    assert all(len(entry.reason) > 20 for entry in knowledge.pain_sites)
    assert all(sum(entry.shares.values()) <= 0.9 + 1e-9 for entry in knowledge.pain_sites)
    assert not {entry.condition for entry in knowledge.pain_sites} & set(knowledge.ddxplus().condition_codes)


def test_an_authored_question_needs_its_own_id_and_every_language(tmp_path: Path) -> None:
    taken = _copy_with(tmp_path / "taken", QUESTIONS_FILE, 'E_91,0.1,"A reason.",Fever?,Fièvre ?,发烧？\n')
    with pytest.raises(KnowledgeError, match="an authored evidence id is A_"):
        load_knowledge(taken)
    untranslated = _copy_with(tmp_path / "untranslated", QUESTIONS_FILE, 'A_NEW,0.1,"A reason.",New?,,新？\n')
    with pytest.raises(KnowledgeError, match="question is empty in fr"):
        load_knowledge(untranslated)
    too_long = _copy_with(tmp_path / "long", QUESTIONS_FILE, 'A_TOO_LONG_FOR_API,0.1,"A reason.",New?,Nouveau ?,新？\n')
    with pytest.raises(KnowledgeError, match="at most 16 characters"):
        load_knowledge(too_long)


def _ddxplus_only_model() -> Model:
    """Two conditions and one yes/no evidence, as a model fitted on DDXPlus alone would hold them."""
    bands = len(AGE_BAND_STARTS)
    return Model(
        conditions=("depression", "broken_wrist"),
        evidences=("E_91",),
        outcomes=((ABSENT, PRESENT),),
        p_outcome_=np.array([[0.9, 0.8], [0.1, 0.2]]),
        offsets_=np.array([0, 2], dtype=np.int64),
        p_prior_=np.array([0.5, 0.5]),
        p_age_band_=np.full((2, bands), 1.0 / bands),
        p_sex_=np.full((2, 2), 0.5),
    )


def test_a_model_fitted_without_the_authored_questions_gets_them_with_their_likelihoods(
    knowledge: KnowledgeBase,
) -> None:
    joined = with_authored(_ddxplus_only_model(), knowledge)
    question = next(q for q in knowledge.authored if q.evidence == "A_SUICIDAL")
    rows = joined.rows(joined.evidences.index("A_SUICIDAL"))
    assert joined.p_outcome_[rows][1].tolist() == [question.p_yes["depression"], question.default_yes]
    assert joined.p_outcome_[rows].sum(axis=0) == pytest.approx([1.0, 1.0])
    assert joined.provenance_ is not None
    assert set(joined.provenance_[:2].ravel()) == {PROVENANCE["ddxplus"]}
    assert set(joined.provenance_[rows].ravel()) == {PROVENANCE["authored"]}
    assert joined.provenance["authored_questions"] == [q.evidence for q in knowledge.authored]


def test_the_learned_differential_keeps_the_evidences_it_was_trained_on_and_joining_twice_changes_nothing(
    knowledge: KnowledgeBase,
) -> None:
    joined = with_authored(_ddxplus_only_model(), knowledge)
    assert joined.differential_evidences == ("E_91",)
    assert joined.differential_conditions == ("depression", "broken_wrist")
    assert with_authored(joined, knowledge) is joined


def test_the_shipped_ddxplus_model_asks_about_thoughts_of_suicide(knowledge: KnowledgeBase) -> None:
    shipped = load_model(DDXPLUS_MODEL)
    assert "A_SUICIDAL" in shipped.evidences
    assert "A_SUICIDAL" not in shipped.differential_evidences


@pytest.fixture(scope="module")
def broad(knowledge: KnowledgeBase) -> Engine:
    return Engine(load_model(SHIPPED_MODEL), knowledge)


@pytest.mark.parametrize(
    ("age", "complaint", "flag", "level"),
    [
        (30, "E_91", "A_NONBLANCH_RASH", TriageLevel.EMERGENCY_AMBULANCE),  # fever: meningococcal disease
        (4, "E_91", "A_NONBLANCH_RASH", TriageLevel.EMERGENCY_AMBULANCE),
        (30, "R_18600", "A_NONBLANCH_RASH", TriageLevel.EMERGENCY),  # a rash: low platelets, vasculitis
        (45, "R_19050", "A_SADDLE_NUMB", TriageLevel.EMERGENCY),  # back pain: cauda equina syndrome
        (3, "E_211", "A_GREEN_VOMIT", TriageLevel.EMERGENCY),  # a vomiting child: a blocked or twisted bowel
        (70, "R_19200", "A_COLD_LIMB", TriageLevel.EMERGENCY_AMBULANCE),  # leg pain: a blocked artery
        (17, "R_14300", "A_SENTENCES", TriageLevel.EMERGENCY_AMBULANCE),  # breathless: acute severe asthma
        (60, "E_201", "A_SENTENCES", TriageLevel.EMERGENCY_AMBULANCE),  # a cough: a COPD flare
        (6, "E_201", "A_SENTENCES", TriageLevel.EMERGENCY_AMBULANCE),  # a child's cough: severe distress
        (3, "E_201", "A_BLUE_LIPS", TriageLevel.EMERGENCY_AMBULANCE),  # a coughing child turning blue
        (0, "R_10800", "A_BLUE_LIPS", TriageLevel.EMERGENCY_AMBULANCE),  # an unwell baby turning blue
        (7, "A_HEAD_INJURY", "E_39", TriageLevel.EMERGENCY_AMBULANCE),  # a knock to the head, then drowsy
    ],
    ids=[
        "fever",
        "fever in a child",
        "rash",
        "back pain",
        "vomiting child",
        "leg pain",
        "breathlessness",
        "cough",
        "cough in a child",
        "blue lips in a coughing child",
        "blue lips in a baby",
        "drowsy after a knock to the head",
    ],
)
def test_an_authored_red_flag_is_asked_first_in_its_family_and_sets_its_level(
    broad: Engine, knowledge: KnowledgeBase, age: int, complaint: str, flag: str, level: TriageLevel
) -> None:
    red_flags = {code for red_flag in knowledge.red_flags for code in red_flag.evidences}
    answers = [(complaint, Answer.yes())]
    asked = []
    while (question := broad.assess(age, "F", answers).next_question) not in (flag, None):
        asked.append(question)
        answers.append((question, Answer.unknown()))
    assert question == flag
    assert set(asked) <= red_flags  # only red-flag questions before it
    after = broad.assess(age, "F", [(complaint, Answer.yes()), (flag, Answer.yes())])
    assert after.triage.level.urgency >= level.urgency
    assert flag in {raised.evidence for raised in after.triage.red_flags}


def test_green_vomit_is_a_red_flag_for_a_vomiting_child_and_not_for_an_adult(broad: Engine) -> None:
    adult = broad.assess(40, "M", [("E_211", Answer.yes()), ("A_GREEN_VOMIT", Answer.yes())])
    assert "A_GREEN_VOMIT" not in {raised.evidence for raised in adult.triage.red_flags}


@pytest.mark.parametrize(
    ("answer", "level"),
    [
        (("E_91", Answer.yes()), TriageLevel.EMERGENCY),  # a fever: the spleen no longer protects
        (("E_56", Answer.of("8")), TriageLevel.EMERGENCY),  # severe pain: a painful crisis
        (("E_66", Answer.yes()), TriageLevel.EMERGENCY),  # breathless: the acute chest syndrome
    ],
    ids=["fever", "severe pain", "breathlessness"],
)
def test_a_person_with_sickle_cell_disease_is_sent_to_hospital_for_what_would_wait_in_others(
    broad: Engine, answer: tuple[str, Answer], level: TriageLevel
) -> None:
    pain = [("E_53", Answer.yes()), ("E_55", Answer.of("V_40"))]  # the lower back
    with_disease = broad.assess(23, "F", [("A_SICKLE_CELL", Answer.yes()), *pain, answer])
    assert with_disease.triage.level.urgency >= level.urgency
    assert any(flag.family == "sickle_cell_disease" for flag in with_disease.triage.red_flags)
    without = broad.assess(23, "F", [("A_SICKLE_CELL", Answer.no()), *pain, answer])
    assert not any(flag.family == "sickle_cell_disease" for flag in without.triage.red_flags)


def test_both_shipped_models_ask_every_authored_question(knowledge: KnowledgeBase) -> None:
    for path in (DDXPLUS_MODEL, SHIPPED_MODEL):
        assert {q.evidence for q in knowledge.authored} <= set(load_model(path).evidences), path.name


def test_every_evidence_and_value_code_fits_what_the_rest_api_accepts(knowledge: KnowledgeBase) -> None:
    codes = [e.code for e in knowledge.evidences] + [v for e in knowledge.evidences for v in e.value_codes]
    assert max(len(code) for code in codes) <= MAX_CODE_LENGTH


def test_a_model_whose_codes_differ_has_another_version() -> None:
    model = _ddxplus_only_model()
    renamed = replace(model, evidences=("E_92",))
    assert renamed.version != model.version
    copied = replace(model, conditions=tuple(model.conditions), p_outcome_=model.p_outcome_.copy())
    assert copied.version == model.version  # the same codes and numbers: the same version


@pytest.mark.parametrize("named", ["R_14300", "E_55", "E_9999"])  # a reason, a question with values, unknown
def test_narrower_than_must_name_a_ddxplus_yes_no_question(tmp_path: Path, named: str) -> None:
    row = f'A_NEW,0.1,"A reason.",New?,Nouveau ?,新？,{named}\n'
    with pytest.raises(KnowledgeError, match="narrower_than"):
        load_knowledge(_copy_with(tmp_path, QUESTIONS_FILE, row))


def test_a_ddxplus_patient_answers_a_narrower_authored_question_dont_know_with_its_broader_finding_else_no(
    knowledge: KnowledgeBase,
) -> None:
    question = next(q for q in knowledge.authored if q.evidence == "A_SENTENCES")
    assert question.narrower_than == "E_66"
    tables = compile_tables(load_model(DDXPLUS_MODEL), knowledge)
    breathless = Patient(60, "M", "Pneumonia", "E_66", frozenset({"E_66"}), {}, ())
    coughing = Patient(60, "M", "Bronchitis", "E_201", frozenset({"E_201"}), {}, ())
    derived = derived_answers(knowledge, tables, [breathless, coughing])
    e = tables.evidence_index("A_SENTENCES")
    assert derived[0, e] == -1  # breathless: the record cannot tell how much
    assert derived[1, e] == 0  # no breathlessness at all: no
