"""The web page end to end, in a real browser against a real server: a consultation in each language from
the start form to the result, checked against what the API says of the same consultation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

LANGUAGES = ["en", "fr", "zh"]
HTML_LANG = {"en": "en", "fr": "fr", "zh": "zh-Hans"}
# a chance shown as certain: 0% or 100% (with or without a space before %, as French writes it)
CERTAIN = re.compile(r"(?<![\d<>.])(?:0|100)\s?%")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_consultation_reaches_the_result_in_each_language_with_the_triage_first(
    open_page: Any, consult: Any, web_server: Any, lang: str
) -> None:
    page = open_page(lang, accept_downloads=True)
    person = consult(page, lang)
    text = person.text
    assert page.get_attribute("html", "lang") == HTML_LANG[lang]
    assert page.locator("#start-form button[type=submit]").inner_text() == text["start_button"]
    assert text["intro_not_diagnosis"] in page.locator("#start").inner_text()
    assert page.locator("nav.languages [aria-pressed=true]").get_attribute("data-lang") == lang

    person.start()
    view = web_server.consultation(person.consultation_id)
    assert view["language"] == lang
    assert page.locator("#question-text").inner_text() == view["assessment"]["question"]["text"]
    assert page.locator("#progress-text").inner_text() == text["question_progress"].format(
        n=1, max=view["assessment"]["max_questions"]
    )
    assert page.evaluate("() => document.activeElement.id") == "question-text"

    person.finish()
    view = web_server.consultation(person.consultation_id)
    assert view["finished"]
    assessment = view["assessment"]
    # the advice comes first, before the conditions, and says what the API says
    first = page.locator(".result > :nth-child(2)")
    assert first.get_attribute("data-level") == assessment["triage"]["level"]
    assert page.locator(".result .triage-title").inner_text() == assessment["triage"]["title"]
    assert page.locator(".result .triage-action").inner_text() == assessment["triage"]["action"]
    triage_box = page.locator(".result .triage").bounding_box()
    conditions_box = page.locator(".result .differential").bounding_box()
    assert triage_box is not None and conditions_box is not None
    assert triage_box["y"] < conditions_box["y"]
    assert page.evaluate("() => document.activeElement.id") == "result-heading"
    # the differential, in order, with its words and a percentage that is never a certainty
    shown = page.locator(".condition").evaluate_all("items => items.map(item => item.dataset.condition)")
    assert shown == [c["id"] for c in assessment["differential"]]
    assert shown, "the result lists no condition"
    chances = page.locator(".condition .likelihood").all_inner_texts()
    for condition, chance in zip(assessment["differential"], chances, strict=True):
        assert condition["likelihood"] in chance
        assert "%" in chance
        assert not CERTAIN.search(chance), chance
    # the reasons for each condition are there to unfold
    page.locator(".condition").first.locator("summary").click()
    assert page.locator(".condition").first.locator(".why-details").is_visible()
    # the disclaimer of the assessment, on the result
    assert page.locator("#disclaimer-text").inner_text() == assessment["disclaimer"]
    assert page.locator("#disclaimer").is_visible()
    # the FHIR record downloads as a JSON Bundle
    with page.expect_download() as event:
        page.get_by_role("link", name=text["download_fhir"]).click()
    bundle = json.loads(Path(event.value.path()).read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle"
    assert event.value.suggested_filename.endswith(".json")


def test_a_new_consultation_can_be_started_from_the_result(open_page: Any, consult: Any, web_server: Any) -> None:
    page = open_page("en")
    person = consult(page, "en")
    person.start()
    first = person.consultation_id
    web_server.finish(first)
    page.reload()
    page.wait_for_selector(".result")
    page.get_by_role("button", name=person.text["new_consultation"]).click()
    assert page.locator("#start").is_visible()
    assert page.evaluate("() => localStorage.getItem('symptomcheck.consultation')") is None
    person.start("fever")
    assert person.consultation_id != first
    assert person.turn == 0


def test_the_page_shows_what_it_understood_and_starts_from_all_of_it(
    open_page: Any, consult: Any, web_server: Any
) -> None:
    page = open_page("en")
    session = consult(page, "en")
    page.fill("#age", "30")
    page.check("input[name=sex][value=F]")
    page.fill("#complaint", "cough and fever, no rash")
    page.wait_for_function("() => document.querySelector('#complaint-understood').textContent.includes('fever')")
    shown = page.locator("#complaint-understood").inner_text()
    assert shown == session.text["understood"].replace("{items}", "cough · fever · no rash")
    page.press("#complaint", "Escape")  # the suggestions closed: Enter sends the words themselves
    page.press("#complaint", "Enter")
    page.wait_for_selector("#consultation:not([hidden])")
    session.settle()
    view = web_server.consultation(session.consultation_id)
    assert view["complaint"]["evidence"] == "E_201"
    assert [(e["evidence"], e["status"]) for e in view["transcript"]] == [("E_91", "present"), ("E_129", "absent")]


def test_words_that_match_no_complaint_get_a_message_and_no_consultation(open_page: Any, consult: Any) -> None:
    page = open_page("zh")
    text = consult(page, "zh").text
    page.fill("#age", "30")
    page.check("input[name=sex][value=M]")
    page.fill("#complaint", "xyzzy blorp")
    page.press("#complaint", "Enter")
    page.wait_for_function("() => document.querySelector('#complaint-error').textContent !== ''")
    assert page.locator("#complaint-error").inner_text() == text["complaint_not_found"]
    assert page.get_attribute("#complaint", "aria-invalid") == "true"
    assert page.locator("#consultation").is_hidden()
    assert page.evaluate("() => localStorage.getItem('symptomcheck.consultation')") is None
