"""The result's pictures: the triage advice with an icon beside its words, and the differential as a bar
chart whose numbers are also text, in a table a screen reader reads row by row."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page
from test_web_screenshots import resume

ICON_LEVELS = ("emergency_ambulance", "emergency", "consultation_24", "consultation", "self_care")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_result_shows_a_bar_per_condition_with_its_name_and_percentage_in_a_table(
    open_page: Any, consult: Any, web_server: Any, lang: str
) -> None:
    page: Page = open_page(lang)
    person = consult(page, lang)
    person.start()
    view = web_server.finish(person.consultation_id)
    resume(page, person.consultation_id)
    differential = view["assessment"]["differential"]
    assert differential, "a finished consultation on a cough lists conditions"
    table = page.get_by_role("table", name=person.text["chart_caption"])
    assert table.is_visible()
    headers = page.locator(".chart-table thead th").all_inner_texts()
    assert headers == [person.text["chart_condition"], person.text["chart_chance"]]
    rows = page.locator(".chart-table tbody tr")
    assert rows.count() == len(differential)
    for index, condition in enumerate(differential):
        row = rows.nth(index)
        assert row.locator("th[scope=row]").inner_text() == condition["name"]
        shown = row.locator(".chart-value").inner_text()
        assert shown in page.locator(".conditions").nth(0).inner_text()  # the same number as the list below
        width = int(row.locator("rect.bar-fill").get_attribute("width") or "0")
        assert width == max(1, round(100 * condition["posterior"]))
        assert (
            row.locator("svg.bar").get_attribute("aria-hidden") == "true"
        )  # the text says it; the bar adds nothing to read


def test_the_triage_advice_has_its_level_icon_beside_the_words_hidden_from_screen_readers(
    open_page: Any, consult: Any, web_server: Any
) -> None:
    page: Page = open_page("en")
    person = consult(page, "en")
    at_rest = web_server.http.get("/v1/knowledge/evidences/E_14", params={"lang": "en"}).json()["question"]
    person.start("chest pain", age=60, sex="M", pick=at_rest)
    view = web_server.finish(person.consultation_id)
    resume(page, person.consultation_id)
    level = view["assessment"]["triage"]["level"]
    assert level == "emergency_ambulance"
    card = page.locator(".result .triage")
    icon = card.locator("svg.triage-icon")
    assert icon.get_attribute("class") == f"triage-icon icon-{level}"
    assert icon.get_attribute("aria-hidden") == "true"
    assert card.locator(".triage-title").inner_text() == view["assessment"]["triage"]["title"]
    # every level has its own picture
    drawn = page.evaluate(
        """async (levels) => {
            const { triageIcon } = await import('/static/js/pictures.js');
            return levels.map((level) => triageIcon(level).innerHTML);
        }""",
        list(ICON_LEVELS),
    )
    assert len(set(drawn)) == len(ICON_LEVELS)
