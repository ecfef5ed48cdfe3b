"""Schema-driven fuzzing of the whole API from its own OpenAPI document (schemathesis): requests that fit the
document and requests that break it on purpose; whatever is sent, no 5xx, and every response conforms to the
document (status code, content type, body schema)."""

from __future__ import annotations

from itertools import product

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from live_server import Server

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = 60
# A request can fit the document and still name no known complaint, evidence or consultation: those get a
# 404 or 422 problem by design, so "valid by the schema implies accepted" does not hold for this API.
EXCLUDED = [positive_data_acceptance]


def test_no_request_makes_the_api_fail_or_break_its_document(sqlite_server: Server) -> None:
    config = schemathesis.Config.from_dict(
        # a body broken on purpose may also be too large: 413 is as much a refusal as 400 or 422
        {"checks": {"negative_data_rejection": {"expected-statuses": [400, 401, 403, 404, 406, 413, 415, 422]}}}
    )
    schema = schemathesis.openapi.from_url(f"{sqlite_server.url}/openapi.json", config=config)
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
            case.call_and_validate(excluded_checks=EXCLUDED)

        try:
            check()
        except Unsatisfiable:
            # only strings without constraints (e.g. an id in the path): no value breaks the document
            assert mode is GenerationMode.NEGATIVE, operation.label
            unbreakable.append(operation.label)
    assert len(unbreakable) <= 6, unbreakable
