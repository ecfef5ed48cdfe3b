"""Keyboard only: every control is reached with Tab, pressed with Enter or Space, and the focus moves to
each new question."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page


def tab_to(page: Page, selector: str, backwards: bool = False) -> None:
    """Presses Tab (or Shift+Tab) until the focus is on the element matching `selector`."""
    for _ in range(40):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"Tab never reached {selector}")


def focused_id(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement.id"))


def test_a_consultation_can_be_started_and_answered_with_the_keyboard_only(open_page: Any, consult: Any) -> None:
    page = open_page("en")
    person = consult(page, "en")
    text = person.text
    # the first Tab reaches the skip link, which leads to the main content
    page.keyboard.press("Tab")
    assert focused_id(page) == "" and page.evaluate("() => document.activeElement.className") == "skip-link"
    tab_to(page, "#age")
    page.keyboard.type("52")
    tab_to(page, "input[name=sex]")
    page.keyboard.press("ArrowDown")  # in a radio group the arrow keys choose: Female, then Male
    assert page.evaluate("() => document.querySelector('input[name=sex]:checked').value") == "M"
    tab_to(page, "#complaint")
    page.keyboard.type("fever")
    page.wait_for_selector("#complaint-options:not([hidden]) [role=option]")
    page.keyboard.press("ArrowDown")
    assert page.get_attribute("#complaint", "aria-activedescendant") == "complaint-option-0"
    page.keyboard.press("Enter")  # chooses the suggestion
    assert page.get_attribute("#complaint", "aria-expanded") == "false"
    page.keyboard.press("Enter")  # sends the form
    page.wait_for_selector("#consultation:not([hidden])")
    person.settle()
    assert focused_id(page) == "question-text"

    for key in ("Enter", "Space", "Enter"):
        before, question = person.turn, person.question
        tab_to(page, "#stage .answer.quiet")  # "I don't know", which every kind of question has
        assert page.evaluate("() => document.activeElement.textContent") == text["answer_dont_know"]
        page.keyboard.press(key)
        person.wait_turn(before)
        assert person.turn == before + 1
        assert person.question != question or person.finished
        assert focused_id(page) == "question-text"

    tab_to(page, "#stage button.back")
    page.keyboard.press("Enter")
    person.wait_turn(3)
    assert person.turn == 2
    assert focused_id(page) == "question-text"


def test_a_missing_field_is_announced_and_takes_the_focus(open_page: Any, consult: Any) -> None:
    page = open_page("fr")
    text = consult(page, "fr").text
    page.focus("#complaint")
    page.keyboard.type("toux")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    assert focused_id(page) == "age"
    assert page.get_attribute("#age", "aria-invalid") == "true"
    assert page.locator("#age-error").inner_text() == text["age_invalid"]
    assert page.locator("#sex-error").inner_text() == text["sex_invalid"]
    assert page.locator("#consultation").is_hidden()
