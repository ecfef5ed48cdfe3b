"""The emergency banner: shown at once, above the question, the moment the API says an emergency is likely
(assessment.triage.emergency_now), with what to do now."""

from __future__ import annotations

import json
from typing import Any

from symptomcheck.knowledge import DATA_DIR

# yes/no questions whose "yes" is a red flag on its own (texts/advice.json)
RED_FLAG_QUESTIONS = {
    flag["evidence"]
    for flag in json.loads((DATA_DIR / "texts" / "advice.json").read_text(encoding="utf-8"))["red_flags"]
    if flag["value"] is None
}


def test_an_emergency_complaint_shows_the_banner_at_once_with_what_to_do(
    open_page: Any, consult: Any, web_server: Any
) -> None:
    page = open_page("en")
    person = consult(page, "en")
    at_rest = web_server.http.get("/v1/knowledge/evidences/E_14", params={"lang": "en"}).json()["question"]
    person.start("chest pain", age=60, sex="M", pick=at_rest)
    triage = web_server.consultation(person.consultation_id)["assessment"]["triage"]
    assert triage["emergency_now"]
    banner = page.locator("#emergency")
    assert banner.get_attribute("role") == "alert"
    assert banner.locator(".triage-title").inner_text() == triage["title"]
    assert banner.locator(".triage-action").inner_text() == triage["action"]
    assert at_rest in banner.inner_text()  # the answer that raised it
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
