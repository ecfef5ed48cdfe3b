"""The consultation use cases: start, read, answer, go back, switch language, export, erase, purge.

A consultation is stored as a value (its answers); everything derived (posterior, next question, triage) is
recomputed by the engine on each request, so any instance of the service can take any request.

Answering is idempotent and safe under concurrency:
- the client sends the question it answers and the consultation's turn it saw;
- the same answer to the same question at the same turn, sent again (a retry), changes nothing and gets the
  current state;
- any other answer that is not for the current question and turn is refused (`StaleAnswerError`) with the
  current question;
- the write is a compare-and-set on the stored version: of two concurrent answers only one applies; the
  other re-reads and is then either a retry of it or stale.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Assessment, Engine
from symptomcheck.engine.errors import AnswerError
from symptomcheck.interview import Consultation, ConsultationError, Turn, assess, complaints, said_with, start
from symptomcheck.interview.complaint_search import ComplaintSearch
from symptomcheck.interview.text_parser import TextParser
from symptomcheck.knowledge import Language
from symptomcheck.services.errors import (
    ComplaintNotFoundError,
    ConcurrentUpdateError,
    InvalidRequestError,
    NotFoundError,
    StaleAnswerError,
)
from symptomcheck.services.repository import ConsultationRepository, DuplicateKeyError, StoredConsultation, Summary
from symptomcheck.services.views import ConsultationView, Presenter

# a conflicting write re-reads and tries again this many times before giving up (each retry means another
# request changed the same consultation in the meantime: more than a few is a client hammering it)
MAX_ATTEMPTS = 5
# a complaint given as text is taken when its best match is at least this good (see ComplaintSearch)
COMPLAINT_MATCH = 0.75


# ids this service makes (and would ever accept): anything else is unknown without asking the database
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """An unguessable consultation id: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class Opening:
    """How a consultation starts: the complaint, and what else was said with it (answered before any question)."""

    complaint: str
    findings: tuple[Turn, ...] = ()


@dataclass(frozen=True, slots=True)
class Snapshot:
    stored: StoredConsultation
    assessment: Assessment
    applied: bool = True  # False when the request was a retry of one already applied


class ConsultationService:
    def __init__(
        self,
        engine: Engine,
        repository: ConsultationRepository,
        search: ComplaintSearch,
        clock: Callable[[], datetime] = utc_now,
        make_id: Callable[[], str] = new_id,
        parser: TextParser | None = None,
    ) -> None:
        self.engine = engine
        self.repository = repository
        self.search = search
        self.parser = parser or TextParser(engine.knowledge)
        self.presenter = Presenter(engine.knowledge, engine.max_turns)
        self.clock = clock
        self.make_id = make_id
        self.complaint_codes = frozenset(complaints(engine))

    # -- reading -------------------------------------------------------------------------------------------

    def _load(self, id: str) -> StoredConsultation:
        stored = self.repository.get(id) if _ID.fullmatch(id) else None
        if stored is None:
            raise NotFoundError(f"no consultation has the id {id!r} (it may have been deleted or expired)")
        return stored

    def snapshot(self, id: str) -> Snapshot:
        stored = self._load(id)
        return Snapshot(stored, assess(self.engine, stored.consultation))

    def view(self, snapshot: Snapshot, language: Language | None = None) -> ConsultationView:
        s = snapshot.stored
        return self.presenter.consultation(s.id, s.consultation, snapshot.assessment, s.created, s.updated, language)

    def get(self, id: str, language: Language | None = None) -> ConsultationView:
        return self.view(self.snapshot(id), language)

    # -- changing ------------------------------------------------------------------------------------------

    def resolve_complaint(self, complaint: str, language: Language = "en") -> str:
        """An evidence code from a code or a typed complaint; refuse text that matches nothing closely."""
        return self.opening(complaint, language).complaint

    def opening(self, complaint: str, language: Language = "en") -> Opening:
        """The complaint and the other findings of what the person typed (or of an evidence code).

        The text is parsed: its first present finding that can start a consultation is the complaint, and every
        other finding (present or absent) is answered with it. When the parser finds nothing to start from, the
        complaint search takes the text as one complaint, as before; when that fails too, the refusal lists the
        closest complaints.
        """
        code = complaint.strip()
        if code in self.complaint_codes:
            return Opening(code)
        if self.engine.knowledge.has_evidence(code):
            raise InvalidRequestError(
                f"{code} cannot start a consultation: give a symptom answered yes or no (not a history "
                "question nor a follow-up), or describe the complaint in words"
            )
        found = self.parser.parse(complaint, language)
        starter = next((f.evidence for f in found if f.present and f.evidence in self.complaint_codes), None)
        if starter is None:
            matches = self.search.search(complaint)
            if not matches or matches[0].score < COMPLAINT_MATCH:
                raise ComplaintNotFoundError(
                    f"no complaint matches {complaint.strip()[:80]!r} closely enough: give an evidence code such as "
                    "E_53, or one of the suggestions (GET /v1/search?text=... lists matches; POST /v1/parse shows "
                    "what is understood)",
                    tuple(m.evidence for m in matches),
                )
            starter = matches[0].evidence
        return Opening(starter, said_with(self.engine, starter, found))

    def start(
        self, age: int, sex: str, language: Language, complaint: str, creation_key: str | None = None
    ) -> tuple[Snapshot, bool]:
        """Create a consultation; with a creation key, a retried request returns the first one (created False).

        The key is stored only combined with what the request asks (a SHA-256 of both), so the same key sent
        with another request starts another consultation: a key never gives access to somebody else's.
        """
        if creation_key is not None and not creation_key.isprintable():
            raise InvalidRequestError("the Idempotency-Key must be printable text of at most 200 characters")
        opening = self.opening(complaint, language)
        if creation_key is not None:
            said = ",".join(
                f"{t.evidence}={t.answer.status.value}:{'+'.join(t.answer.values)}" for t in opening.findings
            )
            request = f"{age}|{sex}|{language}|{opening.complaint}|{creation_key}"
            if said:  # the same key with other findings is another request (the format of before is kept otherwise)
                request += f"|{said}"
            creation_key = hashlib.sha256(request.encode("utf-8")).hexdigest()
            existing = self.repository.get_by_creation_key(creation_key)
            if existing is not None:
                return Snapshot(existing, assess(self.engine, existing.consultation)), False
        try:
            consultation = start(self.engine, age, sex, language, opening.complaint, opening.findings)
        except (ConsultationError, AnswerError) as error:
            raise InvalidRequestError(str(error)) from None
        assessment = assess(self.engine, consultation)
        try:
            stored = self.repository.add(
                self.make_id(), consultation, self.clock(), self._summary(assessment), creation_key
            )
        except DuplicateKeyError:
            # the same key sent twice at the same moment: the other request created it
            assert creation_key is not None
            existing = self.repository.get_by_creation_key(creation_key)
            if existing is None:  # created and deleted in between
                raise ConcurrentUpdateError("the consultation was created and deleted meanwhile: try again") from None
            return Snapshot(existing, assess(self.engine, existing.consultation)), False
        return Snapshot(stored, assessment), True

    def answer(self, id: str, question: str, turn: int, given: Answer) -> Snapshot:
        """Apply the answer to the current question at `turn` (once, however often it is sent)."""
        for _ in range(MAX_ATTEMPTS):
            stored = self._load(id)
            consultation = stored.consultation
            current = consultation.questions_asked
            if turn < current and turn >= 0:
                earlier = consultation.turns[turn]
                if earlier.evidence == question and earlier.answer == given:
                    return Snapshot(stored, assess(self.engine, consultation), applied=False)  # a retry
            assessment = assess(self.engine, consultation)
            if turn != current or question != assessment.next_question:
                raise self._stale(f"the answer is for {question} at turn {turn}", assessment, current)
            updated = consultation.answered(question, given)
            try:
                after = assess(self.engine, updated)  # refuses an answer that does not fit its question
            except (ConsultationError, AnswerError) as error:
                raise InvalidRequestError(str(error)) from None
            snapshot = self._save(stored, updated, after)
            if snapshot is not None:
                return snapshot
        raise ConcurrentUpdateError(f"consultation {id} keeps changing under concurrent requests: try again")

    def back(self, id: str, turn: int | None = None) -> Snapshot:
        """Withdraw the last answer; with `turn` (the turn the client saw), only if nothing changed since."""
        for _ in range(MAX_ATTEMPTS):
            stored = self._load(id)
            current = stored.consultation.questions_asked
            if turn is not None and turn != current:
                assessment = assess(self.engine, stored.consultation)
                raise self._stale(f"the step back is from turn {turn}", assessment, current)
            if current == 0:
                raise InvalidRequestError("there is no answer to go back from: only the complaint has been given")
            snapshot = self._save(stored, stored.consultation.back())
            if snapshot is not None:
                return snapshot
        raise ConcurrentUpdateError(f"consultation {id} keeps changing under concurrent requests: try again")

    def set_language(self, id: str, language: Language) -> Snapshot:
        for _ in range(MAX_ATTEMPTS):
            stored = self._load(id)
            snapshot = self._save(stored, stored.consultation.in_language(language))
            if snapshot is not None:
                return snapshot
        raise ConcurrentUpdateError(f"consultation {id} keeps changing under concurrent requests: try again")

    def delete(self, id: str) -> None:
        if not _ID.fullmatch(id) or not self.repository.delete(id):
            raise NotFoundError(f"no consultation has the id {id!r} (it may have been deleted or expired)")

    def purge(self, retention: timedelta) -> int:
        """Erase the consultations left unchanged for longer than `retention`."""
        return self.repository.purge(self.clock() - retention)

    def list(self, limit: int, updated_before: datetime | None = None) -> Sequence[StoredConsultation]:
        return self.repository.list(limit, updated_before)

    def fhir(self, id: str, model_version: str) -> dict[str, Any]:
        from symptomcheck.fhir import consultation_bundle

        snapshot = self.snapshot(id)
        s = snapshot.stored
        bundle = consultation_bundle(
            s.consultation, snapshot.assessment, self.engine.knowledge, s.id, s.created, model_version
        )
        return bundle

    # -- helpers -------------------------------------------------------------------------------------------

    def _save(
        self, stored: StoredConsultation, updated: Consultation, assessment: Assessment | None = None
    ) -> Snapshot | None:
        assessment = assessment or assess(self.engine, updated)
        saved = self.repository.save(stored, updated, self.clock(), self._summary(assessment))
        return Snapshot(saved, assessment) if saved is not None else None

    @staticmethod
    def _summary(assessment: Assessment) -> Summary:
        return Summary(finished=assessment.should_stop, triage_level=assessment.triage.level.value)

    @staticmethod
    def _stale(what: str, assessment: Assessment, turn: int) -> StaleAnswerError:
        if assessment.next_question is None:
            now = f"the consultation is finished (after {turn} answers)"
        else:
            now = f"the current question is {assessment.next_question} at turn {turn}"
        return StaleAnswerError(f"{what}, but {now}", assessment.next_question, turn)
