"""The web page for a consultation for a child: chosen on the start form (a radio group), and then every
question and the advice speak of "your child"."""

from __future__ import annotations

from typing import Any


def test_a_consultation_for_a_child_is_chosen_on_the_start_form_and_asks_about_your_child(
    open_page: Any, consult: Any, web_server: Any
) -> None:
    page = open_page("en")
    person = consult(page, "en")
    text = person.text
    group = page.get_by_role("group", name=text["subject_legend"])
    assert group.get_by_role("radio", name=text["subject_self_option"]).is_checked()  # for oneself by default
    group.get_by_role("radio", name=text["subject_child_option"]).check()
    assert page.locator("label[for=age]").inner_text() == text["age_label_child"]
    # a child here is under 16: the form says so and sends nothing
    page.fill("#age", "17")
    page.check("input[name=sex][value=M]")
    page.fill("#complaint", "fever")
    page.locator("#start-form button[type=submit]").click()
    assert page.locator("#age-error").inner_text() == text["age_child_invalid"]
    assert page.locator("#consultation").is_hidden()

    person.start(age=4, sex="M", subject="child")
    view = web_server.consultation(person.consultation_id)
    assert view["subject"] == "child" and view["age"] == 4
    question = page.locator("#question-text").inner_text()
    assert question == view["assessment"]["question"]["text"]
    assert "your child" in question.lower() or "you" not in question.lower().split()
    person.finish()
    result = web_server.consultation(person.consultation_id)["assessment"]["triage"]
    assert page.locator(".result .triage-title").inner_text() == result["title"]
    assert "child" in result["title"].lower() or "child" in result["action"].lower()
