"""Every parser of outside input refuses what it cannot read with its own clear error, never another one:
patient files (for `fit` and `evaluate`), typed complaints, stored consultations and knowledge files."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symptomcheck.interview import Consultation, ConsultationError
from symptomcheck.interview.complaint_search import ComplaintSearch
from symptomcheck.knowledge import DATA_DIR, KnowledgeBase, KnowledgeError, load_knowledge
from symptomcheck.patients import PatientFileError, read_patients

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def _mutations(original: bytes) -> st.SearchStrategy[bytes]:
    """The original bytes with a few random insertions, deletions and replacements."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        data = bytearray(original)
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, max(len(data) - 1, 0)))
            kind = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
            chunk = draw(st.binary(min_size=1, max_size=12))
            if kind == "insert":
                data[at:at] = chunk
            elif kind == "delete":
                del data[at : at + len(chunk)]
            elif kind == "replace":
                data[at : at + len(chunk)] = chunk
            else:
                del data[at:]
        return bytes(data)

    return mutate()


@FUZZ
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_as_a_patient_file_are_read_or_refused_cleanly(
    tmp_path_factory: pytest.TempPathFactory, knowledge: KnowledgeBase, data: bytes
) -> None:
    for name in ("patients.csv", "patients.zip"):
        path = tmp_path_factory.mktemp("fuzz") / name
        path.write_bytes(data)
        try:
            list(read_patients(path, knowledge))
        except PatientFileError as error:
            assert str(error)


@FUZZ
@given(data=st.data())
def test_a_damaged_patient_file_is_read_or_refused_cleanly(
    tmp_path_factory: pytest.TempPathFactory, knowledge: KnowledgeBase, fixtures_dir: Path, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(["patients_en.csv", "patients_fr.csv"]))
    damaged = data.draw(_mutations((fixtures_dir / name).read_bytes()))
    path = tmp_path_factory.mktemp("fuzz") / "patients.csv"
    path.write_bytes(damaged)
    try:
        for patient in read_patients(path, knowledge):
            assert patient.pathology in knowledge.condition_codes
    except PatientFileError as error:
        assert str(error)


@pytest.fixture(scope="module")
def search(knowledge: KnowledgeBase) -> ComplaintSearch:
    return ComplaintSearch(knowledge, knowledge.evidence_codes)


@FUZZ
@given(text=st.text(max_size=300))
def test_any_typed_complaint_gives_matches_or_none_and_never_fails(search: ComplaintSearch, text: str) -> None:
    matches = search.search(text)
    assert len(matches) <= 5
    assert all(0.5 <= m.score <= 1.0 for m in matches)


@FUZZ
@given(data=st.data())
def test_a_damaged_stored_consultation_is_resumed_or_refused_cleanly(data: st.DataObject) -> None:
    stored = Consultation(age=40, sex="F", language="zh", complaint="E_91").dumps().encode()
    damaged = data.draw(_mutations(stored))
    try:
        Consultation.loads(damaged.decode("utf-8", "replace"))
    except ConsultationError as error:
        assert str(error)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_a_damaged_knowledge_file_is_refused_with_a_knowledge_error(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    directory = tmp_path_factory.mktemp("knowledge") / "data"
    shutil.copytree(DATA_DIR, directory)
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".json", ".csv"))
    target = data.draw(st.sampled_from(files))
    original = target.read_bytes()
    if target.suffix == ".json" and data.draw(st.booleans()):
        # a structural change that keeps valid JSON: drop or retype one entry somewhere
        document = json.loads(original)
        rng = random.Random(data.draw(st.integers(0, 2**32)))
        node = document
        while isinstance(node, dict | list) and node and rng.random() < 0.7:
            key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
            child = node[key]
            if not isinstance(child, dict | list) or not child or rng.random() < 0.3:
                node[key] = rng.choice([None, 7, "", [], {}])  # type: ignore[index]
                break
            node = child
        target.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    else:
        target.write_bytes(data.draw(_mutations(original)))
    try:
        load_knowledge(directory)
    except KnowledgeError as error:
        assert str(error)
