"""The emergency banner: shown at once, above the question, the moment the API says an emergency is likely
(assessment.triage.emergency_now), with what to do now."""

from __future__ import annotations

import json
from typing import Any

import pytest

from symptomcheck.knowledge import DATA_DIR

# yes/no questions whose "yes" is a red flag on its own (texts/advice.json)
RED_FLAG_QUESTIONS = {
    flag["evidence"]
    for flag in json.loads((DATA_DIR / "texts" / "advice.json").read_text(encoding="utf-8"))["red_flags"]
    if flag["value"] is None
}


@pytest.mark.parametrize(
    ("words", "evidence", "age", "said"),
    [
        ("chest pain", "E_14", 60, None),
        # thoughts of suicide: the flag's own action, with a crisis line, in place of the general one
        ("I want to end my life", "A_SUICIDAL", 35, "988"),
    ],
    ids=["pain at rest", "thoughts of suicide"],
)
def test_an_emergency_complaint_shows_the_banner_at_once_with_what_to_do(
    open_page: Any, consult: Any, web_server: Any, words: str, evidence: str, age: int, said: str | None
) -> None:
    page = open_page("en")
    person = consult(page, "en")
    flagged = web_server.http.get(f"/v1/knowledge/evidences/{evidence}", params={"lang": "en"}).json()["question"]
    person.start(words, age=age, sex="M", pick=flagged)
    triage = web_server.consultation(person.consultation_id)["assessment"]["triage"]
    assert triage["emergency_now"]
    banner = page.locator("#emergency")
    assert banner.get_attribute("role") == "alert"
    assert banner.locator(".triage-title").inner_text() == triage["title"]
    assert banner.locator(".triage-action").inner_text() == triage["action"]
    assert said is None or said in triage["action"]
    assert flagged in banner.inner_text()  # the answer that raised it
    # it takes the focus, and stands above the question
    assert page.evaluate("() => document.activeElement.id") == "emergency-title"
    banner_box = banner.bounding_box()
    question_box = page.locator("#question-text").bounding_box()
    assert banner_box is not None and question_box is not None
    assert banner_box["y"] < question_box["y"]


def test_the_banner_appears_the_moment_a_red_flag_answer_makes_an_emergency_likely(
    open_page: Any, consult: Any, web_server: Any
) -> None:
    page = open_page("fr")
    person = consult(page, "fr")
    person.start()
    while person.question not in RED_FLAG_QUESTIONS:
        assert page.locator("#emergency").inner_text() == ""
        person.dont_know()
        assert not person.finished, "no red-flag question was asked"
    flagged = page.locator("#question-text").inner_text()
    person.yes()
    triage = web_server.consultation(person.consultation_id)["assessment"]["triage"]
    assert triage["emergency_now"]
    banner = page.locator("#emergency")
    assert banner.is_visible()
    assert banner.locator(".triage-title").inner_text() == triage["title"]
    assert banner.locator(".kicker").inner_text().lower() == person.text["emergency_kicker"].lower()
    assert flagged in banner.inner_text()
    assert page.evaluate("() => document.activeElement.id") == "emergency-title"
    # the next answer keeps the banner but gives the focus back to the question
    person.dont_know()
    if not person.finished:
        assert banner.is_visible()
        assert page.evaluate("() => document.activeElement.id") == "question-text"
