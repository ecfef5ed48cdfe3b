"""A client generated from the served OpenAPI document (openapi-python-client), as an integrator would make one,
runs a whole consultation, the stateless diagnosis and the complaint search against a live server.

The generator must give no warning: a warning means an operation or a response it could not type, which the
integrator's client would silently lack. New operations are tried by adding a call through `Generated`
(`generated.call("stateless", "parse", body=generated.model("ParseRequest").from_dict({...}))`).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from api_helpers import wire_answer
from fhir.resources.R4B.bundle import Bundle

from live_server import Server
from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.patients import read_patients

pytestmark = pytest.mark.slow
# the export is newline-delimited JSON, which the generator has no parser for: it is handed over as bytes
GENERATOR_CONFIG = "content_type_overrides:\n  application/x-ndjson: application/octet-stream\n"


@dataclass
class Generated:
    """The generated package, and a client of it bound to the live server."""

    package: ModuleType
    client: Any

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{self.package.__name__}.models"), name)

    def call(self, tag: str, operation: str, **arguments: Any) -> Any:
        """Call an operation by its tag and operationId's module (createConsultation -> create_consultation);
        the detailed response, with `.status_code` and the typed `.parsed` body."""
        module = importlib.import_module(f"{self.package.__name__}.api.{tag}.{operation}")
        return module.sync_detailed(client=self.client, **arguments)


@pytest.fixture(scope="module")
def generated(sqlite_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    where = tmp_path_factory.mktemp("client")
    document = where / "openapi.json"
    document.write_text(json.dumps(sqlite_server.http.get("/openapi.json").json()))
    config = where / "config.yaml"
    name = f"symptomcheck_client_{uuid.uuid4().hex[:8]}"  # a fresh module name: nothing cached is imported
    config.write_text(GENERATOR_CONFIG + f"package_name_override: {name}\n")
    tools = str(Path(sys.executable).parent)  # the generator formats its output with ruff from this environment
    env = {**os.environ, "PATH": tools + os.pathsep + os.environ.get("PATH", "")}
    run = subprocess.run(
        [
            sys.executable, "-m", "openapi_python_client", "generate", "--path", str(document),
            "--meta", "none", "--config", str(config), "--output-path", str(where / name),
        ],
        check=False, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert "error" not in output.lower(), output
    sys.path.insert(0, str(where))
    try:
        package = importlib.import_module(name)
        client = package.Client(base_url=sqlite_server.url, raise_on_unexpected_status=True)
        with client:
            yield Generated(package, client)
    finally:
        sys.path.remove(str(where))


def test_a_generated_client_has_one_enum_per_set_of_codes(generated: Generated) -> None:
    models = Path(generated.package.__file__).parent / "models"
    enums = sorted(p.stem for p in models.glob("*.py") if "Enum):" in p.read_text())
    for shared in ("language", "sex", "subject", "triage_level", "likelihood", "stop_reason", "answer_status"):
        assert shared in enums
    # one enum per set of codes, each used wherever the set is (not one per field or parameter)
    assert len(enums) <= 12, enums
    assert not [e for e in enums if e.startswith(("language_", "get_", "list_", "sex_", "triage_level_"))], enums
    operations = Path(generated.package.__file__).parent / "api"
    names = {p.stem for p in operations.rglob("*.py")}
    for readable in ("create_consultation", "answer_question", "get_consultation", "step_back", "change_language",
                     "delete_consultation", "export_fhir", "diagnose", "search_complaints"):  # fmt: skip
        assert readable in names


def test_a_generated_client_runs_a_whole_consultation(
    generated: Generated, knowledge: KnowledgeBase, fixtures_dir: Path
) -> None:
    patient = next(read_patients(fixtures_dir / "patients_en.csv", knowledge))
    language, sex, status = (generated.model(n) for n in ("Language", "Sex", "AnswerStatus"))
    create = generated.model("CreateConsultation")(
        age=patient.age, sex=sex(patient.sex), language=language.EN, complaint=patient.initial_evidence
    )
    key = uuid.uuid4().hex
    created = generated.call("consultations", "create_consultation", body=create, idempotency_key=key)
    assert created.status_code == 201
    state = created.parsed
    retried = generated.call("consultations", "create_consultation", body=create, idempotency_key=key)
    assert retried.status_code == 200 and retried.parsed.id == state.id  # the retry's body is typed too

    answer_request, answer_body = generated.model("AnswerRequest"), generated.model("AnswerBody")
    while not state.finished:
        question = state.assessment.question
        given = wire_answer(knowledge, patient, question.id)
        body = answer_request(
            question=question.id,
            turn=state.turn,
            answer=answer_body(status=status(given["status"]), values=given["values"]),
        )
        answered = generated.call("consultations", "answer_question", id=state.id, body=body)
        assert answered.status_code == 200, answered.content
        state = answered.parsed
    assert state.assessment.should_stop and state.assessment.stop_reason is not None

    read = generated.call("consultations", "get_consultation", id=state.id, lang=language.FR).parsed
    assert read.turn == state.turn and read.language == language.FR
    leader = read.assessment.differential[0]
    assert isinstance(leader.triage_level, generated.model("TriageLevel"))
    assert isinstance(leader.likelihood_level, generated.model("Likelihood"))

    fhir = generated.call("consultations", "export_fhir", id=state.id)
    assert fhir.status_code == 200
    assert fhir.parsed.resource_type == "Bundle"
    Bundle.model_validate(fhir.parsed.to_dict())  # what the typed client hands over is still valid FHIR R4B

    stale = answer_request(question="E_53", turn=0, answer=answer_body(status=status.ABSENT))
    refused = generated.call("consultations", "answer_question", id=state.id, body=stale)
    assert refused.status_code == 409
    assert refused.parsed.turn == state.turn  # the Problem's extension is typed
    assert generated.call("consultations", "delete_consultation", id=state.id).status_code == 204


def test_a_generated_client_diagnoses_and_searches(generated: Generated) -> None:
    item, status = generated.model("EvidenceItem"), generated.model("AnswerStatus")
    request = generated.model("DiagnosisRequest")(
        age=54,
        sex=generated.model("Sex").M,
        evidence=[item(id="E_53", status=status.PRESENT), item(id="E_55", status=status.PRESENT, values=["V_101"])],
    )
    assessment = generated.call("stateless", "diagnose", body=request).parsed
    assert assessment.differential and isinstance(assessment.triage.level, generated.model("TriageLevel"))

    matches = generated.call("stateless", "search_complaints", text="mal de gorge", lang=generated.model("Language").ZH)
    assert matches.status_code == 200 and matches.parsed and matches.parsed[0].can_start
