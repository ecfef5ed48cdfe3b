"""The consultation use cases on their own, over an in-memory repository (the SQL one is tested for real in
tests/integration): idempotent answers, stale answers, steps back, concurrent writes, purge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Engine
from symptomcheck.interview import Consultation, complaints
from symptomcheck.interview.complaint_search import ComplaintSearch
from symptomcheck.knowledge import KnowledgeBase, Language, TriageLevel
from symptomcheck.model import load_model
from symptomcheck.services.consultations import ConsultationService
from symptomcheck.services.errors import (
    ComplaintNotFoundError,
    ConcurrentUpdateError,
    IdempotencyKeyReusedError,
    InvalidRequestError,
    NotFoundError,
    StaleAnswerError,
)
from symptomcheck.services.repository import DuplicateKeyError, Keyset, StoredConsultation, Summary


class MemoryRepository:
    """The repository interface over a dict, with the same compare-and-set on the version."""

    def __init__(self) -> None:
        self.rows: dict[str, StoredConsultation] = {}
        self.keys: dict[str, str] = {}
        self.interfere = 0  # how many of the next saves another writer wins
        self.reads = 0

    def add(
        self,
        id: str,
        consultation: Consultation,
        now: datetime,
        summary: Summary,
        creation_key: str | None,
        creation_request: str | None = None,
    ) -> StoredConsultation:
        if creation_key is not None and creation_key in self.keys:
            raise DuplicateKeyError(creation_key)
        stored = StoredConsultation(id, consultation, 1, now, now, summary, creation_request)
        self.rows[id] = stored
        if creation_key is not None:
            self.keys[creation_key] = id
        return stored

    def get(self, id: str) -> StoredConsultation | None:
        self.reads += 1
        return self.rows.get(id)

    def get_by_creation_key(self, creation_key: str) -> StoredConsultation | None:
        id = self.keys.get(creation_key)
        return self.rows.get(id) if id else None

    def save(
        self, stored: StoredConsultation, consultation: Consultation, now: datetime, summary: Summary
    ) -> StoredConsultation | None:
        current = self.rows.get(stored.id)
        if self.interfere:
            self.interfere -= 1
            assert current is not None
            self.rows[stored.id] = replace(current, version=current.version + 1)  # someone else wrote
            return None
        if current is None or current.version != stored.version:
            return None
        saved = replace(stored, consultation=consultation, version=stored.version + 1, updated=now, summary=summary)
        self.rows[stored.id] = saved
        return saved

    def delete(self, id: str) -> bool:
        return self.rows.pop(id, None) is not None

    def purge(self, updated_before: datetime) -> int:
        old = [id for id, s in self.rows.items() if s.updated < updated_before]
        for id in old:
            del self.rows[id]
        return len(old)

    def list(
        self, limit: int, updated_before: datetime | None = None, after: Keyset | None = None
    ) -> Sequence[StoredConsultation]:
        ordered = sorted(self.rows.values(), key=lambda s: (s.updated, s.id), reverse=True)
        return [
            s
            for s in ordered
            if (updated_before is None or s.updated < updated_before) and (after is None or (s.updated, s.id) < after)
        ][:limit]

    def ping(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(scope="module")
def engine(knowledge: KnowledgeBase) -> Engine:
    return Engine(load_model(), knowledge)


@pytest.fixture
def repository() -> MemoryRepository:
    return MemoryRepository()


@pytest.fixture
def service(engine: Engine, repository: MemoryRepository) -> ConsultationService:
    search = ComplaintSearch(engine.knowledge, complaints(engine))
    ids = iter(f"id{n:04d}" for n in range(10_000))
    return ConsultationService(engine, repository, search, clock=Clock(), make_id=lambda: next(ids))


def _current(service: ConsultationService, id: str) -> tuple[str, int]:
    snapshot = service.snapshot(id)
    assert snapshot.assessment.next_question is not None
    return snapshot.assessment.next_question, snapshot.stored.consultation.questions_asked


def test_an_answer_to_the_current_question_is_applied_and_a_retry_of_it_is_not(service: ConsultationService) -> None:
    snapshot, created = service.start(30, "F", "en", "E_91")
    assert created
    question, turn = _current(service, snapshot.stored.id)
    first = service.answer(snapshot.stored.id, question, turn, Answer.no())
    retry = service.answer(snapshot.stored.id, question, turn, Answer.no())
    assert first.applied and not retry.applied
    assert retry.stored.version == first.stored.version
    assert service.snapshot(snapshot.stored.id).stored.consultation.questions_asked == 1


def test_a_different_answer_at_an_answered_turn_is_stale(service: ConsultationService) -> None:
    snapshot, _ = service.start(30, "F", "en", "E_91")
    question, turn = _current(service, snapshot.stored.id)
    service.answer(snapshot.stored.id, question, turn, Answer.no())
    with pytest.raises(StaleAnswerError) as refused:
        service.answer(snapshot.stored.id, question, turn, Answer.yes())
    assert refused.value.turn == 1
    assert refused.value.current_question == _current(service, snapshot.stored.id)[0]


def test_an_answer_to_another_question_or_a_future_turn_is_stale(service: ConsultationService) -> None:
    snapshot, _ = service.start(30, "F", "en", "E_91")
    question, turn = _current(service, snapshot.stored.id)
    other = next(e.code for e in service.engine.knowledge.evidences if e.code not in (question, "E_91"))
    for code, at in ((other, turn), (question, turn + 1), (question, -1)):
        with pytest.raises(StaleAnswerError):
            service.answer(snapshot.stored.id, code, at, Answer.no())


def test_a_write_that_loses_the_race_re_reads_and_finds_its_own_answer_applied(
    service: ConsultationService, repository: MemoryRepository
) -> None:
    snapshot, _ = service.start(30, "F", "en", "E_91")
    id = snapshot.stored.id
    question, turn = _current(service, id)
    repository.interfere = 2  # two other writers (that change nothing) win first
    result = service.answer(id, question, turn, Answer.unknown())
    assert result.applied and result.stored.consultation.questions_asked == 1
    repository.interfere = 99
    next_question, next_turn = _current(service, id)
    with pytest.raises(ConcurrentUpdateError):
        service.answer(id, next_question, next_turn, Answer.no())


def test_going_back_is_refused_when_the_turn_seen_is_not_the_current_one(service: ConsultationService) -> None:
    snapshot, _ = service.start(30, "F", "en", "E_91")
    id = snapshot.stored.id
    with pytest.raises(InvalidRequestError):
        service.back(id)
    question, turn = _current(service, id)
    service.answer(id, question, turn, Answer.no())
    with pytest.raises(StaleAnswerError):
        service.back(id, turn=0)
    assert service.back(id, turn=1).stored.consultation.questions_asked == 0


def test_a_complaint_in_words_resolves_and_gibberish_is_refused_with_suggestions(service: ConsultationService) -> None:
    snapshot, _ = service.start(30, "F", "en", "fever")
    assert snapshot.stored.consultation.complaint == "E_91"
    with pytest.raises(ComplaintNotFoundError):
        service.start(30, "F", "en", "qqqq zzzz")
    with pytest.raises(InvalidRequestError, match="cannot start"):
        service.start(30, "F", "en", "E_204")


def test_a_creation_key_makes_a_retried_start_return_the_first_consultation(service: ConsultationService) -> None:
    first, created = service.start(30, "F", "en", "E_91", creation_key="k1")
    again, created_again = service.start(30, "F", "en", "E_91", creation_key="k1")
    assert created and not created_again and again.stored.id == first.stored.id
    with pytest.raises(InvalidRequestError):
        service.start(30, "F", "en", "E_91", creation_key="bad\x00key")


def test_unknown_or_malformed_ids_are_not_found(service: ConsultationService) -> None:
    for id in ("nope", "a/b", "x" * 65, "id\x00"):
        with pytest.raises(NotFoundError):
            service.snapshot(id)
        with pytest.raises(NotFoundError):
            service.delete(id)


def test_switching_language_keeps_every_answer(service: ConsultationService) -> None:
    snapshot, _ = service.start(30, "F", "en", "E_91")
    id = snapshot.stored.id
    question, turn = _current(service, id)
    service.answer(id, question, turn, Answer.no())
    switched = service.set_language(id, "zh")
    assert switched.stored.consultation.language == "zh"
    assert switched.stored.consultation.turns == service.snapshot(id).stored.consultation.turns
    assert len(switched.stored.consultation.turns) == 1


def test_the_purge_erases_only_consultations_older_than_the_retention(
    service: ConsultationService, repository: MemoryRepository
) -> None:
    old, _ = service.start(30, "F", "en", "E_91")
    repository.rows[old.stored.id] = replace(old.stored, updated=datetime(2020, 1, 1, tzinfo=UTC))
    recent, _ = service.start(30, "F", "en", "E_91")
    assert service.purge(timedelta(days=30)) == 1
    assert old.stored.id not in repository.rows and recent.stored.id in repository.rows


# -- starting from what the person typed ----------------------------------------------------------------------


def test_cough_and_fever_starts_from_the_cough_with_the_fever_answered_before_the_first_question(
    service: ConsultationService,
) -> None:
    snapshot, _ = service.start(30, "F", "en", "cough and fever")
    consultation = snapshot.stored.consultation
    assert consultation.complaint == "E_201"
    assert [(t.evidence, t.answer) for t in consultation.findings] == [("E_91", Answer.yes())]
    assert consultation.questions_asked == 0  # the client's turn still starts at 0
    # the engine counts the fever: it is among the answers assessed, and never asked
    assert ("E_91", Answer.yes()) in consultation.answers
    assert snapshot.assessment.next_question not in ("E_201", "E_91")


def test_the_findings_said_with_the_complaint_are_in_the_transcript_and_survive_a_reload(
    service: ConsultationService,
) -> None:
    snapshot, _ = service.start(30, "F", "en", "I have a sore throat and a cough but no fever")
    view = service.view(snapshot)
    said = [(entry.evidence, entry.status, entry.turn) for entry in view.transcript]
    assert said == [("E_201", "present", None), ("E_91", "absent", None)]
    assert view.complaint.evidence == "E_97"
    reloaded = service.get(snapshot.stored.id)
    assert reloaded.transcript == view.transcript
    assert reloaded.assessment.question == view.assessment.question


def test_going_back_never_withdraws_what_was_said_with_the_complaint(service: ConsultationService) -> None:
    snapshot, _ = service.start(30, "F", "en", "cough and fever")
    id = snapshot.stored.id
    with pytest.raises(InvalidRequestError, match="no answer to go back from"):
        service.back(id)
    question, turn = _current(service, id)
    service.answer(id, question, turn, Answer.no())
    after = service.back(id)
    assert after.stored.consultation.findings == snapshot.stored.consultation.findings


def test_a_pain_site_typed_with_the_complaint_answers_the_site_question(service: ConsultationService) -> None:
    snapshot, _ = service.start(54, "M", "en", "burning when I pee")
    consultation = snapshot.stored.consultation
    assert consultation.complaint == "E_53"
    assert [(t.evidence, t.answer.values) for t in consultation.findings] == [("E_55", ("V_185",))]


def test_chinese_without_spaces_keeps_every_symptom(service: ConsultationService) -> None:
    snapshot, _ = service.start(40, "M", "zh", "咳嗽发烧")
    consultation = snapshot.stored.consultation
    assert consultation.complaint == "E_201"
    assert [t.evidence for t in consultation.findings] == ["E_91"]


def test_text_that_states_only_absences_is_refused_with_suggestions(service: ConsultationService) -> None:
    with pytest.raises(ComplaintNotFoundError) as refused:
        service.start(30, "F", "en", "no fever")
    assert "no complaint matches" in str(refused.value)


def test_an_evidence_code_still_starts_with_that_complaint_alone(service: ConsultationService) -> None:
    snapshot, _ = service.start(30, "F", "en", "E_91")
    assert snapshot.stored.consultation.complaint == "E_91"
    assert snapshot.stored.consultation.findings == ()


def test_the_same_creation_key_with_other_findings_is_another_request_and_refused(
    service: ConsultationService,
) -> None:
    first, _ = service.start(30, "F", "en", "cough and fever", creation_key="k9")
    with pytest.raises(IdempotencyKeyReusedError):
        service.start(30, "F", "en", "cough, no fever", creation_key="k9")
    again, created_again = service.start(30, "F", "en", "cough and fever", creation_key="k9")
    assert not created_again and again.stored.id == first.stored.id


def test_a_stored_consultation_with_findings_round_trips_through_json(service: ConsultationService) -> None:
    snapshot, _ = service.start(30, "F", "en", "cough and fever")
    consultation = snapshot.stored.consultation
    assert Consultation.loads(consultation.dumps()) == consultation
    older = consultation.to_json()
    del older["findings"]  # stored before findings existed
    assert Consultation.from_json(older).findings == ()


def test_a_creation_key_reused_with_another_request_is_refused(service: ConsultationService) -> None:
    first, _ = service.start(30, "F", "en", "E_91", creation_key="k2")
    for other in ((31, "F", "en", "E_91"), (30, "M", "en", "E_91"), (30, "F", "fr", "E_91"), (30, "F", "en", "fever")):
        with pytest.raises(IdempotencyKeyReusedError):
            service.start(*other, creation_key="k2")  # type: ignore[arg-type]
    again, created = service.start(30, "F", "en", "E_91", creation_key="k2")
    assert not created and again.stored.id == first.stored.id


def test_pages_of_the_list_never_skip_or_repeat_consultations_changed_at_the_same_instant(
    engine: Engine, knowledge: KnowledgeBase
) -> None:
    same_instant = datetime(2026, 1, 1, tzinfo=UTC)
    service = ConsultationService(
        engine, MemoryRepository(), ComplaintSearch(knowledge, complaints(engine)), clock=lambda: same_instant
    )
    ids = {service.start(30 + k, "F", "en", "E_91")[0].stored.id for k in range(7)}
    seen: list[str] = []
    cursor = None
    while True:
        page = service.list(3, cursor=cursor)
        seen += [s.id for s in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(ids)


def test_a_read_of_an_unchanged_consultation_reuses_its_assessment(service: ConsultationService) -> None:
    snapshot, _ = service.start(30, "F", "en", "E_91")
    first = service.snapshot(snapshot.stored.id).assessment
    assert service.snapshot(snapshot.stored.id).assessment is first is snapshot.assessment
    answered = service.answer(snapshot.stored.id, first.next_question or "", 0, Answer.no())
    assert service.snapshot(snapshot.stored.id).assessment is answered.assessment is not first


@pytest.mark.parametrize(
    ("language", "text"), [("en", "I want to end my life"), ("fr", "j'ai envie d'en finir"), ("zh", "我不想活了")]
)
def test_thoughts_of_suicide_typed_as_the_complaint_start_an_emergency_consultation_on_the_default_model(
    service: ConsultationService, knowledge: KnowledgeBase, language: Language, text: str
) -> None:
    snapshot, _ = service.start(35, "M", language, text)
    assert snapshot.stored.consultation.complaint == "A_SUICIDAL"
    triage = service.view(snapshot, language).assessment.triage
    assert triage.emergency_now
    assert triage.level.urgency >= TriageLevel.EMERGENCY.urgency
    assert knowledge.evidence("A_SUICIDAL").question[language] in triage.because
    assert {"en": "988", "fr": "3114", "zh": "12356"}[language] in triage.action  # a crisis line


def test_an_answer_to_the_state_this_service_wrote_last_is_written_without_reading_it_first(
    service: ConsultationService, repository: MemoryRepository
) -> None:
    snapshot, _ = service.start(30, "F", "en", "E_91")
    id, question = snapshot.stored.id, snapshot.assessment.next_question or ""
    repository.reads = 0
    first = service.answer(id, question, 0, Answer.no())
    second = service.answer(id, first.assessment.next_question or "", 1, Answer.yes())
    assert repository.reads == 0
    assert second.applied and second.stored.version == 3
    assert repository.rows[id].consultation == second.stored.consultation


def test_an_answer_after_another_instance_changed_the_consultation_is_decided_on_the_stored_state(
    service: ConsultationService, repository: MemoryRepository, engine: Engine
) -> None:
    search = ComplaintSearch(engine.knowledge, complaints(engine))
    other = ConsultationService(engine, repository, search, clock=Clock())  # another instance, same database
    snapshot, _ = service.start(30, "F", "en", "E_91")
    id = snapshot.stored.id
    first = snapshot.assessment.next_question or ""
    # the other instance answers, goes back and answers otherwise: this service still remembers turn 0
    other.answer(id, first, 0, Answer.no())
    other.back(id)
    changed = other.answer(id, first, 0, Answer.yes())
    assert service.answer(id, first, 0, Answer.yes()).applied is False  # a retry of what is stored
    with pytest.raises(StaleAnswerError):
        service.answer(id, first, 0, Answer.no())  # what this service never saw stored: refused
    following = changed.assessment.next_question or ""
    result = service.answer(id, following, 1, Answer.unknown())
    assert result.applied
    assert [t.answer for t in result.stored.consultation.turns] == [Answer.yes(), Answer.unknown()]
    assert repository.rows[id].consultation == result.stored.consultation
    other.delete(id)
    with pytest.raises(NotFoundError):
        service.answer(id, result.assessment.next_question or "", 2, Answer.no())
