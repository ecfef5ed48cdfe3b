"""Questions put in the third person for a consultation for a child or for another adult, in every language."""

from __future__ import annotations

import re

import pytest

from symptomcheck.interview import Subject
from symptomcheck.interview.wording import question_text, third_person
from symptomcheck.knowledge import LANGUAGES, KnowledgeBase, Language

OTHERS = (Subject.CHILD, Subject.ADULT)
# the patient as the person answering names them: the only second person left ("your child", "votre enfant")
NAMING = {
    "en": re.compile(r"\byour (child|baby)\b", re.IGNORECASE),
    "fr": re.compile(r"\bvotre (enfant|bébé)\b", re.IGNORECASE),
    "zh": re.compile(r"$^"),
}
SECOND_PERSON = {
    "en": re.compile(r"\b(you|your|yours|yourself|yourselves)\b", re.IGNORECASE),
    "fr": re.compile(r"\b(vous|votre|vos|vôtre)\b|-vous\b", re.IGNORECASE),
    "zh": re.compile(r"[您你]"),
}
# what a rule gone wrong leaves: a verb still in the second person, a verb that does not agree, a doubled word
BROKEN = {  # (case-insensitive only where said)
    "en": re.compile(
        r"\b(\w+) \1\b"
        r"|\b(Is|Has|Was) your child (have|are|were|do)\b|\bDoes your child (has|is|does)\b"
        r"|\b(Is|Has|Was|Does) they\b"
        r"|\b(Are|Have|Were|Do) your child\b(?!')"
        r"|\b(?!(?i:does|did|can|could|will|would|should|must|may|might|to)\b)\w+ your child (have|are|were|do|don't)\b"
        r"|\bthem (are|is|have|has|would|must|were|was|can|think|feel)\b"
        r"|\byour child's child\b|\btheir child's\b"
    ),
    "fr": re.compile(
        r"\b(\w+) \1\b"
        r"|\b(?!(?i:nez|chez|assez)\b)\w+ez\b"
        r"|\b(de|à) (les|le) (?!faire|déclencher)\w+s? de (votre enfant|la personne)\b"
        r"|\b(que|se|de) (il|elle|est|a)\b|\b(il|elle) (démangent|démange)"
        r"|\bl'h\w*\b(?<=l'haut)"
        r"|\bEst-ce que (votre enfant|la personne) (a|est) -"
        r"|\bla personne (est|s'est|se sent) (\w+ )?\w+é\b"
        r"|\bil/elle\b"
    ),
    "zh": re.compile(r"(孩子|患者)\1|孩子的孩子|患者的孩子|(?<!其)[他她](?![人们])"),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("subject", OTHERS, ids=lambda s: s.value)
def test_every_question_put_in_the_third_person_keeps_no_second_person_and_no_broken_grammar(
    knowledge: KnowledgeBase, language: Language, subject: Subject
) -> None:
    left, broken = [], []
    for evidence in knowledge.evidences:
        text = question_text(knowledge, evidence.code, language, subject)
        assert text.strip(), evidence.code
        named = NAMING[language].sub("", text) if subject is Subject.CHILD else text
        if SECOND_PERSON[language].search(named):
            left.append(f"{evidence.code}: {text}")
        if BROKEN[language].search(text):
            broken.append(f"{evidence.code}: {text}")
    assert not left, "second person left:\n" + "\n".join(left)
    assert not broken, "broken grammar:\n" + "\n".join(broken)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_consultation_for_oneself_keeps_every_question_as_written(
    knowledge: KnowledgeBase, language: Language
) -> None:
    for evidence in knowledge.evidences:
        assert question_text(knowledge, evidence.code, language, Subject.SELF) == evidence.question[language]


@pytest.mark.parametrize(
    ("language", "text", "child", "adult"),
    [
        ("en", "Do you have a fever?", "Does your child have a fever?", "Do they have a fever?"),
        ("en", "Are you pregnant?", "Is your child pregnant?", "Are they pregnant?"),
        ("en", "Have you had chills?", "Has your child had chills?", "Have they had chills?"),
        ("en", "Is your skin itchy?", "Is your child's skin itchy?", "Is their skin itchy?"),
        (
            "en",
            "After your coughing fits, do you make a whooping sound when you breathe in?",
            "After your child's coughing fits, do they make a whooping sound when they breathe in?",
            "After their coughing fits, do they make a whooping sound when they breathe in?",
        ),
        (
            "en",
            "Do you have bouts of choking that wake you up at night?",
            "Does your child have bouts of choking that wake them up at night?",
            "Do they have bouts of choking that wake them up at night?",
        ),
        (
            "fr",
            "Avez-vous de la fièvre ?",
            "Est-ce que votre enfant a de la fièvre ?",
            "Est-ce que la personne a de la fièvre ?",
        ),
        (
            "fr",
            "Êtes-vous vite essoufflé à l'effort ?",
            "Est-ce que votre enfant est vite essoufflé à l'effort ?",
            "Est-ce que la personne est vite essoufflée à l'effort ?",
        ),
        (
            "fr",
            "Vous sentez-vous confus ou désorienté ?",
            "Est-ce que votre enfant se sent confus ou désorienté ?",
            "Est-ce que la personne se sent confuse ou désorientée ?",
        ),
        (
            "fr",
            "Avez-vous remarqué que vous avez plus de salive que d'habitude ?",
            "Est-ce que votre enfant a remarqué qu'il a plus de salive que d'habitude ?",
            "Est-ce que la personne a remarqué qu'elle a plus de salive que d'habitude ?",
        ),
        (
            "fr",
            "Vos yeux brûlent-ils ?",
            "Chez votre enfant, les yeux brûlent-ils ?",
            "Chez la personne, les yeux brûlent-ils ?",
        ),
        ("zh", "您发烧吗？", "孩子发烧吗？", "患者发烧吗？"),
        (
            "zh",
            "您本人或您的家人中，是否有人得过哮吼？",
            "孩子本人或孩子的家人中，是否有人得过哮吼？",
            "患者本人或患者的家人中，是否有人得过哮吼？",
        ),
        ("zh", "您的宝宝是否吃奶困难？", "宝宝是否吃奶困难？", "宝宝是否吃奶困难？"),
    ],
)
def test_the_rules_put_a_question_in_the_third_person_as_a_speaker_would(
    language: Language, text: str, child: str, adult: str
) -> None:
    assert third_person(text, language, Subject.CHILD) == child
    assert third_person(text, language, Subject.ADULT) == adult


def test_a_text_for_oneself_is_never_changed() -> None:
    assert third_person("Do you have a fever?", "en", Subject.SELF) == "Do you have a fever?"


def test_the_override_table_names_only_known_questions_and_has_the_last_word(knowledge: KnowledgeBase) -> None:
    for language, by_subject in knowledge.third_person_questions.items():
        for subject, texts in by_subject.items():
            for code, text in texts.items():
                assert knowledge.has_evidence(code), f"{language}/{subject}: unknown {code}"
                assert question_text(knowledge, code, language, Subject(subject)) == text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("subject", OTHERS, ids=lambda s: s.value)
def test_the_advice_of_every_level_is_said_of_the_patient_for_someone_answering_for_them(
    knowledge: KnowledgeBase, language: Language, subject: Subject
) -> None:
    who = {"en": {"child": "your child", "adult": "they"}, "fr": {"child": "enfant", "adult": "personne"}}
    for level in knowledge.advice:
        advice = knowledge.advice_of(level, language, subject.value)
        assert advice != knowledge.advice[level][language]
        said = f"{advice.title} {advice.action}".lower()
        if language in who:
            assert who[language][subject.value] in said, (level, said)
        else:
            assert ("孩子" if subject is Subject.CHILD else "患者") in said, (level, said)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_prompts_about_the_patient_have_a_version_for_a_child_and_for_another_adult(
    knowledge: KnowledgeBase, language: Language
) -> None:
    for key in ("age_prompt", "sex_prompt", "complaint_prompt", "why_findings", "wechat_age_prompt"):
        mine = knowledge.message(language, key)
        for subject in OTHERS:
            theirs = knowledge.message(language, key, subject.value)
            assert theirs != mine, (key, subject)
            assert not SECOND_PERSON[language].search(NAMING[language].sub("", theirs)), theirs
