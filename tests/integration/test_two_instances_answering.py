"""Two instances of the service on one database (each its own engine and connections, as two processes): an
instance answers without reading a consultation it wrote last, and whatever the other instance did meanwhile,
the answer is decided on the stored state, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Engine as DiagnosisEngine
from symptomcheck.interview import complaints
from symptomcheck.interview.complaint_search import ComplaintSearch
from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.model import load_model
from symptomcheck.services.consultations import ConsultationService
from symptomcheck.services.errors import NotFoundError, StaleAnswerError
from symptomcheck.storage.database import migrate, open_database
from symptomcheck.storage.repository import SqlConsultationRepository


@pytest.fixture(scope="module")
def diagnosis(knowledge: KnowledgeBase) -> DiagnosisEngine:
    return DiagnosisEngine(load_model(), knowledge)


@pytest.fixture
def databases(database_kind: str, new_database: Callable[[str], str]) -> Iterator[tuple[Engine, Engine]]:
    url = new_database(database_kind)
    first, second = open_database(url), open_database(url)
    migrate(first)
    yield first, second
    first.dispose()
    second.dispose()


class CountingRepository(SqlConsultationRepository):
    reads = 0

    def get(self, id: str):  # type: ignore[no-untyped-def]
        self.reads += 1
        return super().get(id)


def _service(diagnosis: DiagnosisEngine, database: Engine) -> tuple[ConsultationService, CountingRepository]:
    repository = CountingRepository(database)
    search = ComplaintSearch(diagnosis.knowledge, complaints(diagnosis))
    return ConsultationService(diagnosis, repository, search), repository


def test_an_instance_answers_what_it_wrote_last_without_reading_and_defers_to_the_other_instances_writes(
    diagnosis: DiagnosisEngine, databases: tuple[Engine, Engine]
) -> None:
    one, one_repository = _service(diagnosis, databases[0])
    two, _ = _service(diagnosis, databases[1])
    snapshot, _ = one.start(30, "F", "en", "E_91")
    id, first = snapshot.stored.id, snapshot.assessment.next_question or ""

    answered = one.answer(id, first, 0, Answer.no())
    one_repository.reads = 0
    one.answer(id, answered.assessment.next_question or "", 1, Answer.no())
    assert one_repository.reads == 0  # its own last write: no read

    # the other instance withdraws both answers and answers the first question otherwise
    two.back(id)
    two.back(id)
    changed = two.answer(id, first, 0, Answer.yes())
    assert one.answer(id, first, 0, Answer.yes()).applied is False  # a retry of what is stored now
    with pytest.raises(StaleAnswerError):
        one.answer(id, first, 0, Answer.no())
    result = one.answer(id, changed.assessment.next_question or "", 1, Answer.unknown())
    assert result.applied
    stored = two.snapshot(id).stored
    assert stored.version == result.stored.version
    assert stored.consultation == result.stored.consultation
    assert [t.answer for t in stored.consultation.turns] == [Answer.yes(), Answer.unknown()]

    two.delete(id)
    with pytest.raises(NotFoundError):
        one.answer(id, result.assessment.next_question or "", 2, Answer.no())
