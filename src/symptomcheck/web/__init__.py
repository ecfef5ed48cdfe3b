"""The web chat page: one HTML file, plain ES modules and a style sheet, served from the package.

The page talks to the REST API only (/v1/...), so it has no server-side state of its own. Everything it
loads comes from this directory: the server's Content-Security-Policy allows no inline script or style and
no other origin, and there is no build step.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
INDEX = WEB_DIR / "index.html"


def install(app: FastAPI) -> None:
    """Serves the page at GET / and its files under /static."""
    page = INDEX.read_text(encoding="utf-8")

    async def index() -> HTMLResponse:
        return HTMLResponse(page)

    app.add_api_route("/", index, methods=["GET"], include_in_schema=False, response_class=HTMLResponse)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
