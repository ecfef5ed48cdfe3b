"""Punctuation and spacing of every text the knowledge base shows people, per language.

French: a space before ? ! : ; (a normal, no-break or narrow no-break one), none before a comma, no
doubled space, no doubled article ("des de la"). Chinese: full-width punctuation next to Chinese
characters (？，：；（）, 、 or 或 rather than /), no space between two Chinese characters. English: no
doubled space. In every language a question ends with its question mark and advice ends as a sentence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from symptomcheck.knowledge import LANGUAGES, KnowledgeBase, Language

CJK = r"\u3400-\u9fff"
HALF_WIDTH_NEXT_TO_CHINESE = re.compile(rf"[{CJK}][?,:;()/]|[?,:;()/][{CJK}]")
SPACE_BETWEEN_CHINESE = re.compile(rf"[{CJK}][ \u00a0\u202f\u3000]+[{CJK}]")
FRENCH_MARK_WITHOUT_SPACE = re.compile(r"[^\s\u00a0\u202f«(\d{}][?!;:]")
FRENCH_SPACE_BEFORE_COMMA = re.compile(r"[ \u00a0\u202f],")
DOUBLED_ARTICLE = re.compile(r"\b(?:des|les|du) (?:des|de|du)\b|\b(?:un un|une une|la la|le le)\b", re.IGNORECASE)
QUESTION_END = {"en": "?", "fr": "?", "zh": "？"}
SENTENCE_END = {"en": (".", "!", ")"), "fr": (".", "!", ")"), "zh": ("。", "！", "）")}


def texts(knowledge: KnowledgeBase, language: Language) -> Iterator[tuple[str, str]]:
    """(where, text) for every text shown to people in `language`."""
    for evidence in knowledge.evidences:
        yield f"question {evidence.code}", evidence.question[language]
        if evidence.scale is not None:
            for end, anchor in zip(("0", "10"), evidence.scale, strict=True):
                yield f"scale {evidence.code} {end}", anchor[language]
        else:
            for value in evidence.values:
                yield f"value {evidence.code} {value.code}", value.text[language]
    for condition in knowledge.conditions:
        yield f"condition {condition.code}", condition.name[language]
    for region in knowledge.body_regions:
        yield f"region {region.id}", region.name[language]
    for level, by_language in knowledge.advice.items():
        advice = by_language[language]
        for part in ("title", "action", "when_to_escalate"):
            yield f"advice {level.value} {part}", getattr(advice, part)
    yield "disclaimer", knowledge.disclaimer[language]
    for key, message in knowledge.messages[language].items():
        yield f"message {key}", message


def problems(language: Language, text: str) -> list[str]:
    found = []
    for line in text.split("\n"):
        if "  " in line:
            found.append("a doubled space")
        if line != line.strip(" "):
            found.append("a space at the start or end of a line")
    if language == "fr":
        if FRENCH_MARK_WITHOUT_SPACE.search(text):
            found.append("no space before ? ! : or ;")
        if FRENCH_SPACE_BEFORE_COMMA.search(text):
            found.append("a space before a comma")
        if DOUBLED_ARTICLE.search(text):
            found.append(f"a doubled article ({DOUBLED_ARTICLE.search(text).group()!r})")  # type: ignore[union-attr]
    if language == "zh":
        if HALF_WIDTH_NEXT_TO_CHINESE.search(text):
            found.append(
                f"half-width punctuation next to Chinese ({HALF_WIDTH_NEXT_TO_CHINESE.search(text).group()!r})"
            )  # type: ignore[union-attr]
        if SPACE_BETWEEN_CHINESE.search(text):
            found.append("a space between Chinese characters")
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_follows_the_punctuation_and_spacing_of_its_language(
    knowledge: KnowledgeBase, language: Language
) -> None:
    found = [
        f"{where}: {problem}: {text!r}"
        for where, text in texts(knowledge, language)
        for problem in problems(language, text)
    ]
    assert not found, f"{len(found)} texts:\n" + "\n".join(found[:40])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_question_ends_with_its_question_mark_and_every_piece_of_advice_as_a_sentence(
    knowledge: KnowledgeBase, language: Language
) -> None:
    mark = QUESTION_END[language]
    # a question may end with an aside in brackets after its question mark (the meaning of a scale)
    questions = [
        e.code
        for e in knowledge.evidences
        if not (
            e.question[language].endswith(mark)
            or (mark in e.question[language] and e.question[language].endswith("）"))
        )
    ]
    assert not questions, questions
    for level, by_language in knowledge.advice.items():
        advice = by_language[language]
        for text in (advice.action, advice.when_to_escalate):
            assert text.endswith(SENTENCE_END[language]), (level, text)
    assert knowledge.disclaimer[language].endswith(SENTENCE_END[language])


@pytest.mark.parametrize(
    ("language", "text", "problem"),
    [
        ("fr", "Avez-vous des de la difficulté à avaler ?", "a doubled article"),
        ("fr", "Avez-vous mal?", "no space before"),
        ("fr", "rouge , chaud", "a space before a comma"),
        ("fr", "Avez-vous  mal ?", "a doubled space"),
        ("zh", "您是否发烧?", "half-width punctuation"),
        ("zh", "头痛, 发烧", "half-width punctuation"),
        ("zh", "头 痛", "a space between Chinese characters"),
        ("en", "Do you  cough?", "a doubled space"),
    ],
)
def test_the_checks_catch_the_errors_they_are_for(language: Language, text: str, problem: str) -> None:
    assert any(found.startswith(problem) for found in problems(language, text))


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "Avez-vous mal\u202f?"),
        ("fr", "Avez-vous mal\u00a0?"),
        ("fr", "Avez-vous mal ?"),
        ("fr", "Répondez « ? » si vous ne savez pas"),
        ("zh", "您是否感染了 HIV？"),
        ("zh", "请回复“?”"),
        ("en", "Do you cough?"),
    ],
)
def test_correct_texts_pass_the_checks(language: Language, text: str) -> None:
    assert problems(language, text) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_web_pages_own_texts_follow_the_same_rules(language: Language) -> None:
    from symptomcheck.web import STATIC_DIR

    strings: dict[str, str] = json.loads((STATIC_DIR / "i18n" / f"{language}.json").read_text(encoding="utf-8"))
    found = [f"{key}: {problem}: {text!r}" for key, text in strings.items() for problem in problems(language, text)]
    assert not found, "\n".join(found)
