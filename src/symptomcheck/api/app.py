"""The FastAPI application: built around a `Container` (see bootstrap), with a purge of expired
consultations running in the background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from symptomcheck import web
from symptomcheck.api import problems
from symptomcheck.api.middleware import Guard
from symptomcheck.api.observability import Metrics
from symptomcheck.api.ratelimit import RateLimiter
from symptomcheck.api.routes import consultations, diagnosis, health, knowledge, parse
from symptomcheck.api.schemas import FhirBundle, Problem, component_schemas
from symptomcheck.bootstrap import Container
from symptomcheck.channels.wechat import webhook as wechat_webhook

log = logging.getLogger("symptomcheck.api")

DESCRIPTION = """\
symptomcheck interviews a person one question at a time, keeps a probabilistic differential diagnosis up to
date after every answer, and ends with likely conditions, the reasons for them and triage advice.

**Decision support, not a diagnosis.** Every response carries the disclaimer; show it. When in doubt the
advice errs to the more urgent level.

Errors are `application/problem+json` (RFC 9457) with a `detail` that says what was wrong and what is accepted.
"""


async def _purge_forever(container: Container) -> None:
    retention = timedelta(days=container.settings.retention_days)
    while True:
        try:
            erased = await run_in_threadpool(container.purge, retention)
            if erased:
                log.info("purged expired consultations and conversations", extra={"erased": erased})
        except Exception:
            log.exception("purge failed; will try again")
        await asyncio.sleep(container.settings.purge_interval_seconds)


def create_app(container: Container) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The routes' work (engine, database) runs on the default thread pool, bounded here: with more threads
        # than cores, a saturated API only adds threads that queue for the GIL and the database. The WeChat
        # webhook runs on a pool of its own (channels.wechat.webhook), so its replies never queue behind the
        # API's requests and keep well inside WeChat's 5-second limit.
        anyio.to_thread.current_default_thread_limiter().total_tokens = container.settings.rest_threads
        task = asyncio.create_task(_purge_forever(container))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        title="symptomcheck",
        version="1",
        summary="An interactive symptom checker with an exact differential and triage advice",
        description=DESCRIPTION,
        lifespan=lifespan,
        license_info={"name": "MIT (code); CC-BY 4.0 (DDXPlus data)"},
        # every operation names its own id (createConsultation...): a generated client's methods read well
        generate_unique_id_function=lambda route: route.operation_id or route.name,
    )
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = default_openapi()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(component_schemas(Problem, FhirBundle))
            # FastAPI documents a 422 of its own on any operation with a parameter, even an unconstrained id
            # in the path that nothing can refuse; where a 422 can happen, problems.document_errors has put the
            # real one (a Problem) in its place
            for item in document["paths"].values():
                for operation in item.values():
                    refused = operation["responses"].get("422", {})
                    if "HTTPValidationError" in str(refused.get("content", "")):
                        del operation["responses"]["422"]
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
    app.state.container = container
    app.state.metrics = metrics = Metrics()
    problems.install(app)
    for module in (consultations, diagnosis, parse, knowledge, health):
        problems.document_errors(module.router.routes)
        app.include_router(module.router)
    web.install(app)
    wechat_webhook.install(app)
    settings = container.settings
    app.add_middleware(
        Guard,
        limiter=RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst),
        metrics=metrics,
        max_body=settings.max_body_bytes,
        api_keys=settings.api_key_set,
    )
    return app
