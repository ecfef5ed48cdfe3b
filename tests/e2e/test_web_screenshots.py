"""Screenshots of the page's main states on a phone (390x844) and a desktop (1280x800), in each language,
saved as docs/screenshots/{phone,desktop}-{start,question,emergency,result}-{lang}.png for the README. A
file is rewritten only when the picture changed. Each state must also fit the width of the screen (no
sideways scrolling)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
CHEST_PAIN = {"en": "chest pain", "fr": "douleur thoracique", "zh": "胸痛"}


def shoot(page: Page, device: str, state: str, lang: str, full_page: bool = False) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{device}-{state}-{lang} scrolls sideways by {overflow}px"
    picture = page.screenshot(full_page=full_page, animations="disabled", caret="hide")
    path = SCREENSHOTS / f"{device}-{state}-{lang}.png"
    if not path.exists() or path.read_bytes() != picture:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path.write_bytes(picture)


def resume(page: Page, id: str) -> None:
    page.evaluate("(id) => localStorage.setItem('symptomcheck.consultation', id)", id)
    page.reload()
    page.wait_for_selector("#consultation:not([hidden])")
    page.wait_for_function("() => !document.body.classList.contains('busy')")


@pytest.mark.parametrize("lang", ["en", "fr", "zh"])
def test_screenshots_of_the_main_states_on_a_phone_and_a_desktop(
    open_page: Any, consult: Any, web_server: Any, lang: str
) -> None:
    phone = open_page(lang, PHONE)
    desktop = open_page(lang, DESKTOP)
    person = consult(phone, lang)
    words = person.text
    for device, page in (("phone", phone), ("desktop", desktop)):
        page.fill("#age", "45")
        page.check("input[name=sex][value=F]")
        page.fill("#complaint", {"en": "cough", "fr": "toux", "zh": "咳嗽"}[lang])
        page.wait_for_selector("#complaint-options:not([hidden]) [role=option]")
        page.press("#complaint", "ArrowDown")
        shoot(page, device, "start", lang, full_page=True)
        page.fill("#complaint", "")

    person.start()
    person.dont_know()
    person.dont_know()
    id = person.consultation_id
    resume(desktop, id)
    for device, page in (("phone", phone), ("desktop", desktop)):
        assert page.locator("#question-text").is_visible()
        shoot(page, device, "question", lang)

    web_server.finish(id)
    for device, page in (("phone", phone), ("desktop", desktop)):
        resume(page, id)
        assert page.locator(".result .triage").is_visible()
        shoot(page, device, "result", lang)

    phone.get_by_role("button", name=words["new_consultation"]).click()
    at_rest = web_server.http.get("/v1/knowledge/evidences/E_14", params={"lang": lang}).json()["question"]
    person.start(CHEST_PAIN[lang], age=60, sex="M", pick=at_rest)
    resume(desktop, person.consultation_id)
    for device, page in (("phone", phone), ("desktop", desktop)):
        assert page.locator("#emergency .triage").is_visible()
        page.locator("#emergency").scroll_into_view_if_needed()
        shoot(page, device, "emergency", lang)
