"""Schema-driven fuzzing of the whole API from its own OpenAPI document (schemathesis), with every check:
requests that fit the document and requests that break it on purpose, one operation at a time, then whole
scenarios that follow the document's links (a consultation created, then read, answered, stepped back,
switched, exported and erased through the id the creation returned). Whatever is sent, no 5xx, and every
response conforms to the document (status code, content type, headers, body schema)."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from live_server import API_KEY, Server

pytestmark = pytest.mark.slow
# bounded so that both tests together stay under about two minutes on a shared 2-core machine
EXAMPLES_PER_OPERATION = 25
STATEFUL_SCENARIOS = 40
# A request can fit the document and still name no known complaint, evidence or consultation, or answer a
# question that is not the current one: a 404, 409 or 422 problem by design, so "valid by the schema implies
# accepted" is checked with those statuses counted as answers too.
ACCEPTED = [200, 201, 204, 404, 409, 422]
# a body broken on purpose may also be too large: 413 is as much a refusal as 400 or 422
REFUSED = [400, 401, 403, 404, 406, 409, 413, 415, 422]


def _schema(server: Server) -> Any:
    config = schemathesis.Config.from_dict(
        {
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ACCEPTED},
                "negative_data_rejection": {"expected-statuses": REFUSED},
            },
            # the key that lists and exports; the checks that leave it out expect 401 or 403
            "headers": {"X-API-Key": API_KEY},
        }
    )
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json", config=config)


def test_no_request_makes_the_api_fail_or_break_its_document(sqlite_server: Server) -> None:
    schema = _schema(sqlite_server)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17
    unbreakable: list[str] = []
    for operation, mode in product(operations, (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)):
        takes_input = any(len(part) for part in (operation.body, operation.query, operation.path_parameters))
        if mode is GenerationMode.NEGATIVE and not takes_input:
            continue  # nothing to break

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate()

        try:
            check()
        except Unsatisfiable:
            # only strings without constraints (e.g. an id in the path): no value breaks the document
            assert mode is GenerationMode.NEGATIVE, operation.label
            unbreakable.append(operation.label)
    assert len(unbreakable) <= 6, unbreakable


def test_scenarios_that_follow_the_links_from_a_new_consultation_never_break_the_api(sqlite_server: Server) -> None:
    schema = _schema(sqlite_server)
    links = schema.raw_schema["paths"]["/v1/consultations"]["post"]["responses"]["201"]["links"]
    assert {"getConsultation", "answerQuestion", "stepBack", "changeLanguage", "exportFhir"} <= set(links)
    workflow = schema.as_state_machine()
    workflow.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=8,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
