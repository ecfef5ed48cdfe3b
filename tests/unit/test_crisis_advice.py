"""A red flag that says what to do in its own words: thoughts of suicide give the crisis lines and not to stay
alone, in place of the emergency level's general action, for the person and for whoever answers for them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Engine
from symptomcheck.interview import Subject
from symptomcheck.interview.result import advice_given
from symptomcheck.knowledge import KnowledgeBase, KnowledgeError, Language, TriageLevel, load_knowledge
from symptomcheck.model import DDXPLUS_MODEL, SHIPPED_MODEL, load_model

# a crisis line each text must give, by language
CRISIS_LINE: dict[Language, str] = {"en": "988", "fr": "3114", "zh": "12356"}


@pytest.fixture(scope="module", params=["default", "broad"])
def engine(request: pytest.FixtureRequest, knowledge: KnowledgeBase) -> Engine:
    return Engine(load_model(DDXPLUS_MODEL if request.param == "default" else SHIPPED_MODEL), knowledge)


@pytest.mark.parametrize("subject", list(Subject))
@pytest.mark.parametrize("language", ["en", "fr", "zh"])
def test_thoughts_of_suicide_give_the_crisis_lines_under_the_emergency_title(
    engine: Engine, knowledge: KnowledgeBase, subject: Subject, language: Language
) -> None:
    assessment = engine.assess(35, "F", [("A_SUICIDAL", Answer.yes())])
    assert assessment.triage.level.urgency >= TriageLevel.EMERGENCY.urgency
    general = knowledge.advice_of(assessment.triage.level, language, subject.value)
    given = advice_given(knowledge, assessment, language, subject)
    assert given.title == general.title
    assert given.action != general.action
    assert CRISIS_LINE[language] in given.action


def test_each_subject_is_spoken_to_in_its_own_words(knowledge: KnowledgeBase) -> None:
    flag = next(flag for flag in knowledge.red_flags if flag.evidence == "A_SUICIDAL" and flag.family is None)
    for language in ("en", "fr", "zh"):
        texts = {subject: flag.action(subject.value, language) for subject in Subject}
        assert len(set(texts.values())) == 3, language


def test_advice_the_chances_set_keeps_the_levels_general_action(knowledge: KnowledgeBase) -> None:
    engine = Engine(load_model(DDXPLUS_MODEL), knowledge)
    assessment = engine.assess(40, "F", [("E_201", Answer.yes())])  # a cough: no red flag
    assert not assessment.triage.red_flags
    for language in ("en", "fr", "zh"):
        general = knowledge.advice_of(assessment.triage.level, language)
        assert advice_given(knowledge, assessment, language) == general


def test_a_more_urgent_level_set_by_a_likely_condition_keeps_its_own_action(knowledge: KnowledgeBase) -> None:
    engine = Engine(load_model(SHIPPED_MODEL), knowledge)
    # crushing chest pain at rest with sweating in a 60-year-old man, who also has thoughts of suicide
    answers = [("E_53", Answer.yes()), ("E_14", Answer.yes()), ("E_50", Answer.yes()), ("A_SUICIDAL", Answer.yes())]
    assessment = engine.assess(60, "M", answers)
    assert assessment.triage.level is TriageLevel.EMERGENCY_AMBULANCE
    assert advice_given(knowledge, assessment, "en") == knowledge.advice_of(TriageLevel.EMERGENCY_AMBULANCE, "en")


@pytest.mark.parametrize(
    ("action", "problem"),
    [
        ({"self": {"en": "x", "fr": "x", "zh": "x"}}, "needs exactly self, child, adult"),
        (
            {who: {"en": "x", "fr": "x"} for who in ("self", "child", "adult")},
            "needs en, fr, zh",
        ),
        ({who: {"en": "x", "fr": "x", "zh": " "} for who in ("self", "child", "adult")}, "non-empty"),
    ],
    ids=["a subject missing", "a language missing", "an empty text"],
)
def test_a_red_flag_action_is_refused_unless_every_subject_has_it_in_every_language(
    knowledge_dir: Path, action: object, problem: str
) -> None:
    path = knowledge_dir / "texts" / "advice.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    next(flag for flag in data["red_flags"] if flag["evidence"] == "A_SUICIDAL")["action"] = action
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=problem):
        load_knowledge(knowledge_dir)
