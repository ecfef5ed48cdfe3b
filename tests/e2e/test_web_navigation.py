"""Going back, reloading, changing language: the consultation is never lost."""

from __future__ import annotations

from typing import Any


def test_going_back_withdraws_the_last_answer(open_page: Any, consult: Any, web_server: Any) -> None:
    page = open_page("en")
    person = consult(page, "en")
    person.start()
    assert page.get_by_role("button", name=person.text["back"]).count() == 0  # nothing to go back to yet
    person.dont_know()
    second = page.locator("#question-text").inner_text()
    person.dont_know()
    assert person.turn == 2
    person.back()
    assert person.turn == 1
    assert page.locator("#question-text").inner_text() == second
    assert page.locator("#chat .exchange").count() == 2  # the complaint and the first answer
    assert web_server.consultation(person.consultation_id)["turn"] == 1
    assert page.evaluate("() => document.activeElement.id") == "question-text"


def test_a_reload_resumes_the_consultation_where_it_was(open_page: Any, consult: Any) -> None:
    page = open_page("zh")
    person = consult(page, "zh")
    person.start()
    person.dont_know()
    person.dont_know()
    question = page.locator("#question-text").inner_text()
    chat = page.locator("#chat").inner_text()
    page.reload()
    page.wait_for_selector("#consultation:not([hidden])")
    assert person.turn == 2
    assert page.locator("#question-text").inner_text() == question
    assert page.locator("#chat").inner_text() == chat
    person.dont_know()
    assert person.turn == 3


def test_an_expired_consultation_gives_way_to_a_new_one(open_page: Any) -> None:
    page = open_page("en")
    page.evaluate("() => localStorage.setItem('symptomcheck.consultation', 'no-such-consultation')")
    page.reload()
    page.wait_for_selector("#start:not([hidden])")
    assert page.evaluate("() => localStorage.getItem('symptomcheck.consultation')") is None


def test_switching_language_midway_changes_every_text_and_keeps_the_answers(
    open_page: Any, consult: Any, web_server: Any
) -> None:
    page = open_page("en")
    person = consult(page, "en")
    person.start()
    person.dont_know()
    person.dont_know()
    id = person.consultation_id
    page.get_by_role("button", name="Français").click()
    page.wait_for_function("() => document.documentElement.lang === 'fr'")
    person.settle()
    french = consult(page, "fr")
    view = web_server.consultation(id)
    assert view["language"] == "fr"
    assert view["turn"] == 2
    assert french.turn == 2
    assert page.locator("#question-text").inner_text() == view["assessment"]["question"]["text"]
    assert page.locator("#stage").get_by_role("button", name=french.text["answer_dont_know"]).is_visible()
    assert page.locator("#progress-text").inner_text() == french.text["question_progress"].format(
        n=3, max=view["assessment"]["max_questions"]
    )
    answers = page.locator("#chat .answered").all_inner_texts()
    assert len(answers) == 3
    for given, shown in zip(view["transcript"], answers[1:], strict=True):
        assert given["answer"] in shown
    assert page.locator("#disclaimer-text").inner_text() == view["assessment"]["disclaimer"]
    assert page.locator("nav.languages").get_attribute("aria-label") == french.text["language_label"]
    # and on to Chinese, then one more answer in Chinese
    page.get_by_role("button", name="中文").click()
    page.wait_for_function("() => document.documentElement.lang === 'zh-Hans'")
    person.settle()
    chinese = consult(page, "zh")
    chinese.dont_know()
    view = web_server.consultation(id)
    assert (view["language"], view["turn"]) == ("zh", 3)
    assert page.locator("#question-text").inner_text() == view["assessment"]["question"]["text"]


def test_the_language_chosen_before_a_consultation_is_the_consultations(open_page: Any, consult: Any) -> None:
    page = open_page("en")
    page.fill("#age", "30")
    page.get_by_role("button", name="中文").click()
    page.wait_for_function("() => document.documentElement.lang === 'zh-Hans'")
    assert page.input_value("#age") == "30"  # what was typed stays
    person = consult(page, "zh")
    person.start()
    assert page.locator("#about").inner_text() == person.text["about_person"].format(age=45, sex=person.text["sex_F"])


def test_an_answer_to_a_question_already_answered_elsewhere_shows_the_current_question(
    open_page: Any, consult: Any, web_server: Any
) -> None:
    page = open_page("en")
    person = consult(page, "en")
    person.start()
    id = person.consultation_id
    # the same consultation is answered meanwhile in another window
    view = web_server.consultation(id)
    body = {"question": view["assessment"]["question"]["id"], "turn": 0, "answer": {"status": "absent"}}
    assert web_server.http.post(f"/v1/consultations/{id}/answers", json=body).status_code == 200
    page.locator("#stage").get_by_role("button", name=person.text["answer_dont_know"]).click()
    page.wait_for_function("() => document.querySelector('#consultation').dataset.turn === '1'")
    person.settle()
    assert page.locator("#error").inner_text() == person.text["error_stale"]
    view = web_server.consultation(id)
    assert view["transcript"][0]["status"] == "absent"  # the stale answer was not applied
    assert page.locator("#question-text").inner_text() == view["assessment"]["question"]["text"]
    person.dont_know()
    assert page.locator("#error").inner_text() == ""
