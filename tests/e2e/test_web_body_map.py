"""The body-site question on the page: a picture of the body (front and back) and a plain list of its parts,
head to foot, then the precise sites of the part chosen; with the mouse, with the keyboard only, and read
by axe-core. Screenshots of it in each language, on a phone and a desktop, go to docs/screenshots."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page
from test_web_accessibility import violations
from test_web_keyboard import tab_to
from test_web_screenshots import DESKTOP, PHONE, resume, shoot


def at_body_site_question(web_server: Any, lang: str) -> str:
    """A consultation (through the API) whose current question is where the pain is (E_55), the first one asked
    when the complaint is pain (E_53)."""
    http = web_server.http
    state = http.post("/v1/consultations", json={"age": 40, "sex": "M", "language": lang, "complaint": "E_53"}).json()
    assert state["assessment"]["question"]["id"] == "E_55"
    return str(state["id"])


def answered_values(web_server: Any, id: str) -> list[str]:
    transcript = web_server.consultation(id)["transcript"]
    assert transcript[0]["evidence"] == "E_55"
    return list(transcript[0]["values"])


def regions(web_server: Any, id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = web_server.consultation(id)["assessment"]["question"]["regions"]
    return found


def test_clicking_the_chest_on_the_picture_shows_its_sites_and_sends_the_one_ticked(
    open_page: Any, consult: Any, web_server: Any
) -> None:
    page: Page = open_page("en")
    person = consult(page, "en")
    id = at_body_site_question(web_server, "en")
    resume(page, id)
    # every part of the body is a button on the picture and in the list, head to foot
    names = [region["text"] for region in regions(web_server, id)]
    assert page.locator(".region-list .region-button").all_inner_texts() == names
    assert page.locator("svg.body-svg [role=button]").count() == len(names)
    page.locator("svg.body-svg [data-region=chest][role=button]").click()
    legend = page.locator("#stage .region-legend")
    assert legend.inner_text() == "Chest: where exactly?"
    labels = page.locator("#stage .choice span").all_inner_texts()
    assert labels[:2] == ["centre of the chest, upper part", "centre of the chest, lower part"]
    assert page.evaluate("() => document.activeElement.name") == "value"  # the first site has the focus
    page.get_by_label("centre of the chest, upper part").check()
    before = person.turn
    page.locator("#stage").get_by_role("button", name=person.text["continue"], exact=True).click()
    person.wait_turn(before)
    assert answered_values(web_server, id) == ["V_101"]
    chat = page.locator("#chat").inner_text()
    assert "centre of the chest, upper part" in chat


def test_the_body_map_works_with_the_keyboard_only_and_the_whole_part_can_be_chosen(
    open_page: Any, consult: Any, web_server: Any
) -> None:
    page: Page = open_page("fr")
    person = consult(page, "fr")
    id = at_body_site_question(web_server, "fr")
    resume(page, id)
    left_arm = next(region for region in regions(web_server, id) if region["id"] == "arm_left")
    assert left_arm["text"] == "Bras gauche"
    # the region on the picture: a focusable button with its name, pressed with Enter
    tab_to(page, "svg.body-svg [data-region=arm_left][role=button]")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Bras gauche"
    page.keyboard.press("Enter")
    assert page.locator("#stage .region-legend").inner_text() == person.text["sites_legend"].format(
        region="Bras gauche"
    )
    # back to the parts of the body, then the same part from the plain list, with Space
    tab_to(page, "#stage button.other-region")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.dataset.region") == "arm_left"
    assert page.evaluate("() => document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Space")
    before = person.turn
    tab_to(page, "#stage button.region-whole")
    page.keyboard.press("Enter")
    person.wait_turn(before)
    assert answered_values(web_server, id) == [option["id"] for option in left_arm["options"]]
    assert "Bras gauche (sans savoir où exactement)" in page.locator("#chat").inner_text()


@pytest.mark.parametrize("lang", ["en", "fr", "zh"])
def test_the_body_map_has_no_accessibility_violation_and_is_pictured_on_a_phone_and_a_desktop(
    open_page: Any, web_server: Any, lang: str
) -> None:
    id = at_body_site_question(web_server, lang)
    found: list[str] = []
    for device, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page: Page = open_page(lang, viewport)
        resume(page, id)
        page.locator("#stage .body-map").scroll_into_view_if_needed()
        found += violations(page, f"body-map/{lang}/{device}")
        shoot(page, device, "bodymap", lang)
        page.locator(".region-list .region-button[data-region=chest]").click()
        found += violations(page, f"body-sites/{lang}/{device}")
    assert not found, "\n".join(found)
