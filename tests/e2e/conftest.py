"""Fixtures for the web page's browser tests: a real server (uvicorn on a loopback port, SQLite in a temporary
directory) and Debian's Chromium driven by Playwright.

Playwright is imported inside the fixtures, so the other end-to-end tests do not need it. The browser is the
system's (`apt-get install chromium`), never one that Playwright downloads; SYMPTOMCHECK_CHROMIUM names
another executable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

CHROMIUM = os.environ.get("SYMPTOMCHECK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
LOCALES = {"en": "en-GB", "fr": "fr-FR", "zh": "zh-CN"}


@dataclass
class WebServer:
    url: str
    http: httpx.Client  # the API, to check what the page shows against it

    def consultation(self, id: str) -> dict[str, Any]:
        response = self.http.get(f"/v1/consultations/{id}")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def finish(self, id: str) -> dict[str, Any]:
        """Answers "don't know" through the API until the result (quicker than through the page)."""
        view = self.consultation(id)
        while not view["finished"]:
            body = {
                "question": view["assessment"]["question"]["id"],
                "turn": view["turn"],
                "answer": {"status": "unknown"},
            }
            response = self.http.post(f"/v1/consultations/{id}/answers", json=body)
            assert response.status_code == 200, response.text
            view = response.json()
        return view


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    from live_server import serve_in_thread
    from symptomcheck.bootstrap import build
    from symptomcheck.config import Settings

    database = tmp_path_factory.mktemp("web") / "symptomcheck.db"
    container = build(Settings(database_url=f"sqlite:///{database}", rate_limit_per_minute=0.0, log_level="WARNING"))
    server, thread, url = serve_in_thread(container)
    http = httpx.Client(base_url=url, timeout=30)
    try:
        yield WebServer(url, http)
    finally:
        http.close()
        server.should_exit = True
        thread.join(timeout=10)
        container.close()
        container.close()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set SYMPTOMCHECK_CHROMIUM)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


OpenPage = Callable[..., "Page"]
# the browser logs every API answer of 4xx as an error; the page handles those (an expired consultation, a
# stale answer), so they are not a fault of the page
_HANDLED = "Failed to load resource: the server responded with a status of 4"


def _console(kind: str, text: str, problems: list[str]) -> None:
    if kind == "error" and not text.startswith(_HANDLED):
        problems.append(f"console error: {text}")


@pytest.fixture
def open_page(browser: Browser, web_server: WebServer) -> Iterator[OpenPage]:
    """open_page(lang="en", viewport=PHONE): a new browser profile whose preferred language is `lang`, at the
    page. Every page fails the test on a JavaScript error or a console error (a CSP refusal shows there)."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def open(lang: str = "en", viewport: dict[str, int] | None = None, accept_downloads: bool = False) -> Page:
        context = browser.new_context(
            viewport=viewport or PHONE,  # type: ignore[arg-type]
            locale=LOCALES[lang],
            base_url=web_server.url,
            accept_downloads=accept_downloads,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda message: _console(message.type, message.text, problems))
        page.goto("/")
        page.wait_for_selector("#loading", state="hidden")
        return page

    yield open
    for context in contexts:
        context.close()
    assert not problems, problems


def page_strings(lang: str) -> dict[str, str]:
    """The page's own texts in one language (src/symptomcheck/web/static/i18n/)."""
    from symptomcheck.web import STATIC_DIR

    strings: dict[str, str] = json.loads((STATIC_DIR / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    return strings


COMPLAINT_WORDS = {"en": "cough", "fr": "toux", "zh": "咳嗽"}


class Consult:
    """A person using the page: starts a consultation, answers, goes back, waits for each new state."""

    def __init__(self, page: Page, lang: str) -> None:
        self.page = page
        self.lang = lang
        self.text = page_strings(lang)

    def start(
        self, words: str | None = None, age: int = 45, sex: str = "F", pick: str | None = None, subject: str = "self"
    ) -> None:
        """Fills the form (for `subject`: self, child or adult), chooses a suggestion with the arrow keys (the
        first, or the one whose text is `pick`), and starts."""
        page = self.page
        if subject != "self":
            page.check(f"input[name=subject][value={subject}]")
        page.fill("#age", str(age))
        page.check(f"input[name=sex][value={sex}]")
        page.fill("#complaint", words or COMPLAINT_WORDS[self.lang])
        page.wait_for_selector("#complaint-options:not([hidden]) [role=option]")
        offered = page.locator("#complaint-options [role=option]").all_inner_texts()
        index = offered.index(pick) if pick is not None else 0
        for _ in range(index + 1):
            page.press("#complaint", "ArrowDown")
        page.press("#complaint", "Enter")  # chooses the suggestion
        page.press("#complaint", "Enter")  # sends the form
        page.wait_for_selector("#consultation:not([hidden])")
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_function("() => !document.body.classList.contains('busy')")

    @property
    def turn(self) -> int:
        return int(self.page.get_attribute("#consultation", "data-turn") or "-1")

    @property
    def finished(self) -> bool:
        return self.page.get_attribute("#consultation", "data-finished") == "true"

    @property
    def question(self) -> str:
        return self.page.get_attribute("#stage [data-question]", "data-question") or ""

    @property
    def consultation_id(self) -> str:
        id = self.page.evaluate("() => localStorage.getItem('symptomcheck.consultation')")
        assert isinstance(id, str)
        return id

    def press(self, name: str) -> None:
        """Presses an answer button of the current question by its label, and waits for the next state."""
        before = self.turn
        self.page.locator("#stage").get_by_role("button", name=name, exact=True).click()
        self.wait_turn(before)

    def wait_turn(self, before: int) -> None:
        self.page.wait_for_function(
            "(before) => document.querySelector('#consultation').dataset.turn !== before"
            " && !document.body.classList.contains('busy')",
            arg=str(before),
        )

    def dont_know(self) -> None:
        self.press(self.text["answer_dont_know"])

    def yes(self) -> None:
        self.press(self.text["answer_yes"])

    def back(self) -> None:
        self.press(self.text["back"])

    def finish(self) -> int:
        """Answers "don't know" until the result; returns the number of answers given."""
        given = 0
        while not self.finished:
            self.dont_know()
            given += 1
            assert given <= 40, "the consultation never ended"
        return given


@pytest.fixture
def consult() -> Callable[[Page, str], Consult]:
    return Consult
