"""A route's work off the event loop in one step, its response rendered there too.

FastAPI runs each synchronous dependency, a synchronous route and the validation of its response on the
thread pool one after another: four trips between the event loop and a thread per request, each queued
behind every other request's on the bounded pool. The consultation routes instead run on the event loop
and hand their whole work (the use case, the view, its JSON) to the pool once, as `in_thread`.
`Rendered` gives the same bytes FastAPI's `response_model` gives: the value validated against the model,
then dumped by alias.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, ParamSpec, TypeVar

from fastapi import Response
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
T = TypeVar("T")


async def in_thread(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`function(*args, **kwargs)` on the bounded thread pool the synchronous routes use."""
    return await run_in_threadpool(function, *args, **kwargs)


class Rendered(Generic[T]):
    """JSON responses of one response model."""

    def __init__(self, model: Any) -> None:  # a class, or a union such as `QuestionView | None`
        self.adapter: TypeAdapter[T] = TypeAdapter(model)

    def response(self, value: T, status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        body = self.adapter.dump_json(self.adapter.validate_python(value, from_attributes=True), by_alias=True)
        return Response(body, status_code, headers, media_type="application/json")
