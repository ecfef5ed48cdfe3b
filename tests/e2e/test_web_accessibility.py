"""Accessibility: axe-core (4.12, shipped in the pinned `axe-playwright-python`) finds no serious or critical
violation in the page's main states (start, question, emergency, result) in each language; moderate and
minor ones are printed (pytest -s) for the record."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page

BLOCKING = {"serious", "critical"}
AXE = Axe()


def violations(page: Page, state: str) -> list[str]:
    """The serious and critical violations of the page as it is, one line each."""
    found: list[dict[str, Any]] = AXE.run(page).response["violations"]
    for violation in found:
        print(f"axe {state}: {violation['id']} ({violation['impact']}) on {len(violation['nodes'])} element(s)")
    return [
        f"{state}: {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("lang", ["en", "fr", "zh"])
def test_the_main_states_have_no_serious_accessibility_violation(
    open_page: Any, consult: Any, web_server: Any, lang: str
) -> None:
    page = open_page(lang)
    person = consult(page, lang)
    found = violations(page, f"start/{lang}")
    # an error shown on the form
    page.click("#start-form button[type=submit]")
    found += violations(page, f"start-errors/{lang}")
    person.start()
    found += violations(page, f"question/{lang}")
    page.locator("#stage details.considered summary").click()
    found += violations(page, f"question-details/{lang}")
    web_server.finish(person.consultation_id)
    page.reload()
    page.wait_for_selector(".result")
    for summary in page.locator(".result summary").all():
        summary.click()
    found += violations(page, f"result/{lang}")
    page.get_by_role("button", name=person.text["new_consultation"]).click()
    chest = {"en": "chest pain", "fr": "douleur thoracique", "zh": "胸痛"}[lang]
    at_rest = web_server.http.get("/v1/knowledge/evidences/E_14", params={"lang": lang}).json()["question"]
    person.start(chest, age=60, sex="M", pick=at_rest)
    assert page.locator("#emergency .triage").is_visible()
    found += violations(page, f"emergency/{lang}")
    assert not found, "\n".join(found)
