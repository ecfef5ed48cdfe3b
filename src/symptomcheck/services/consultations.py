"""The consultation use cases: start, read, answer, go back, switch language, export, erase, purge.

A consultation is stored as a value (its answers); everything derived (posterior, next question, triage) is
computed by the engine from it, so any instance of the service can take any request. Each process keeps the
assessments it computed in a bounded cache keyed by (id, version): the version changes with every write, so
an entry can never be stale, whichever instance wrote last, and a read of an unchanged consultation costs a
query and no engine work.

Answering is idempotent and safe under concurrency:
- the client sends the question it answers and the consultation's turn it saw;
- the same answer to the same question at the same turn, sent again (a retry), changes nothing and gets the
  current state;
- any other answer that is not for the current question and turn is refused (`StaleAnswerError`) with the
  current question;
- the write is a compare-and-set on the stored version: of two concurrent answers only one applies; the
  other re-reads and is then either a retry of it or stale.

An answer does not read the consultation first when this process wrote it last: each process remembers the
state it last wrote of each consultation (bounded, like the assessments), and an answer that fits that state
is written with a compare-and-set on its version. The compare-and-set is the check: if any instance has
changed the consultation since, it fails, nothing is written, and the answer is handled from the stored state
as above. Only a write that succeeds is ever taken from memory; a retry, a stale answer or an error is always
decided on the stored state.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Assessment, Engine
from symptomcheck.engine.errors import AnswerError
from symptomcheck.interview import (
    Consultation,
    ConsultationError,
    Subject,
    Turn,
    assess,
    complaints,
    said_with,
    start,
)
from symptomcheck.interview.complaint_search import ComplaintSearch
from symptomcheck.interview.text_parser import TextParser
from symptomcheck.knowledge import Language
from symptomcheck.services.errors import (
    ComplaintNotFoundError,
    ConcurrentUpdateError,
    IdempotencyKeyReusedError,
    InvalidRequestError,
    NotFoundError,
    StaleAnswerError,
)
from symptomcheck.services.repository import (
    ConsultationRepository,
    DuplicateKeyError,
    Keyset,
    StoredConsultation,
    Summary,
)
from symptomcheck.services.views import ConsultationView, Presenter

# a conflicting write re-reads and tries again this many times before giving up (each retry means another
# request changed the same consultation in the meantime: more than a few is a client hammering it)
MAX_ATTEMPTS = 5
# a complaint given as text is taken when its best match is at least this good (see ComplaintSearch)
COMPLAINT_MATCH = 0.75


# assessments kept per process (about 20 KB each): enough for every consultation active at once on a busy
# instance; the least recently used go first
ASSESSMENT_CACHE_SIZE = 4096


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


@dataclass(frozen=True, slots=True)
class Page:
    items: Sequence[StoredConsultation]
    next_cursor: str | None  # None on the last page


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """A bounded map, the least recently used entry evicted first; safe across threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def discard(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)


class AssessmentCache:
    """Assessments by (consultation id, version), least recently used evicted first; safe across threads.

    Keyed by version, an entry describes exactly one stored state, so it needs no invalidation: a write makes a
    new version (and a new key), and the old entry just ages out.
    """

    def __init__(self, size: int = ASSESSMENT_CACHE_SIZE) -> None:
        self._recent: Recent[tuple[str, int], Assessment] = Recent(size)

    def get(self, id: str, version: int) -> Assessment | None:
        return self._recent.get((id, version))

    def put(self, id: str, version: int, assessment: Assessment) -> None:
        self._recent.put((id, version), assessment)


def encode_cursor(keyset: Keyset) -> str:
    updated, id = keyset
    raw = json.dumps([updated.isoformat(), id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Keyset:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        updated, id = json.loads(raw)
        at = datetime.fromisoformat(updated)
        if at.tzinfo is None or not isinstance(id, str) or not _ID.fullmatch(id):
            raise ValueError(id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidRequestError(
            "the cursor is not one this service gave: pass the next_cursor of the previous page unchanged"
        ) from None
    return at, id


def request_digest(age: int, sex: str, language: str, complaint: str, subject: Subject = Subject.SELF) -> str:
    """SHA-256 of the creation request in a canonical form (the fields as validated, keys sorted).

    The subject is part of it only when it is not the default, so a request for oneself has the digest it had
    before the subject existed (a retry that straddles the upgrade is still recognised as one).
    """
    fields: dict[str, object] = {"age": age, "sex": sex, "language": language, "complaint": complaint}
    if subject is not Subject.SELF:
        fields["subject"] = subject.value
    canonical = json.dumps(
        fields,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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
        self.assessments = AssessmentCache()
        # the state this process last wrote of each consultation: an answer to it needs no read (see above)
        self.written: Recent[str, StoredConsultation] = Recent(ASSESSMENT_CACHE_SIZE)

    # -- reading -------------------------------------------------------------------------------------------

    def _load(self, id: str) -> StoredConsultation:
        stored = self.repository.get(id) if _ID.fullmatch(id) else None
        if stored is None:
            raise NotFoundError(f"no consultation has the id {id!r} (it may have been deleted or expired)")
        return stored

    def assess(self, stored: StoredConsultation) -> Assessment:
        """The stored consultation's assessment, from the cache when this version was assessed before."""
        found = self.assessments.get(stored.id, stored.version)
        if found is None:
            found = assess(self.engine, stored.consultation)
            self.assessments.put(stored.id, stored.version, found)
        return found

    def snapshot(self, id: str) -> Snapshot:
        stored = self._load(id)
        return Snapshot(stored, self.assess(stored))

    def view(self, snapshot: Snapshot, language: Language | None = None) -> ConsultationView:
        s = snapshot.stored
        return self.presenter.consultation(s.id, s.consultation, snapshot.assessment, s.created, s.updated, language)

    def get(self, id: str, language: Language | None = None) -> ConsultationView:
        return self.view(self.snapshot(id), language)

    # -- changing ------------------------------------------------------------------------------------------

    def resolve_complaint(self, complaint: str, language: Language = "en") -> str:
        """An evidence code from a code or a typed complaint; refuse text that matches nothing closely."""
        return self.opening(complaint, language).complaint

    def opening(self, complaint: str, language: Language = "en", age: int | None = None) -> Opening:
        """The complaint and the other findings of what the person typed (or of an evidence code).

        The text is parsed: its first present finding that can start a consultation is the complaint, and every
        other finding (present or absent) is answered with it. When the parser finds nothing to start from, the
        complaint search takes the text as one complaint, as before; when that fails too, the refusal lists the
        closest complaints. With the patient's `age`, words said of a young child are read as at that age
        ("screaming fits" in a baby: crying much more than usual).
        """
        code = complaint.strip()
        if code in self.complaint_codes:
            return Opening(code)
        if self.engine.knowledge.has_evidence(code):
            raise InvalidRequestError(
                f"{code} cannot start a consultation: give a symptom answered yes or no (not a history "
                "question nor a follow-up), or describe the complaint in words"
            )
        found = self.parser.parse(complaint, language, age)
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
        self,
        age: int,
        sex: str,
        language: Language,
        complaint: str,
        creation_key: str | None = None,
        subject: Subject = Subject.SELF,
    ) -> tuple[Snapshot, bool]:
        """Create a consultation; with a creation key, a retried request returns the first one (created False).

        As payment APIs do, the key is stored (as a SHA-256) with a SHA-256 of the request it came with: the
        same key with the same request is a retry and gets the consultation it created; the same key with
        another request is a client's mistake (a reused key) and is refused, rather than silently starting a
        second consultation or answering with the first.
        """
        if creation_key is not None and not creation_key.isprintable():
            raise InvalidRequestError("the Idempotency-Key must be printable text of at most 200 characters")
        if subject is Subject.CHILD:
            try:  # before the complaint is looked at: the age is the first thing a person gets wrong here
                Consultation(age=age, sex=sex, language=language, complaint=complaint, subject=subject)
            except ConsultationError as error:
                raise InvalidRequestError(str(error)) from None
        opening = self.opening(complaint, language, age)
        digest = request_digest(age, sex, language, complaint, subject)
        if creation_key is not None:
            creation_key = hashlib.sha256(creation_key.encode("utf-8")).hexdigest()
            existing = self.repository.get_by_creation_key(creation_key)
            if existing is not None:
                return self._retried(existing, digest), False
        try:
            consultation = start(self.engine, age, sex, language, opening.complaint, opening.findings, subject)
        except (ConsultationError, AnswerError) as error:
            raise InvalidRequestError(str(error)) from None
        assessment = assess(self.engine, consultation)
        try:
            stored = self.repository.add(
                self.make_id(),
                consultation,
                self.clock(),
                self._summary(assessment),
                creation_key,
                digest if creation_key is not None else None,
            )
        except DuplicateKeyError:
            # the same key sent twice at the same moment: the other request created it
            assert creation_key is not None
            existing = self.repository.get_by_creation_key(creation_key)
            if existing is None:  # created and deleted in between
                raise ConcurrentUpdateError("the consultation was created and deleted meanwhile: try again") from None
            return self._retried(existing, digest), False
        self.assessments.put(stored.id, stored.version, assessment)
        self.written.put(stored.id, stored)
        return Snapshot(stored, assessment), True

    def _retried(self, existing: StoredConsultation, digest: str) -> Snapshot:
        # None only for rows written before the request digest was recorded (migration 0003); their keys were
        # stored in another form and are never found here, so this is a guard, not a way around the check
        if existing.creation_request is not None and existing.creation_request != digest:
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was already used with another request body: a retry must send the same "
                "body; use a new key for a new consultation"
            )
        return Snapshot(existing, self.assess(existing), applied=False)

    def answer(self, id: str, question: str, turn: int, given: Answer) -> Snapshot:
        """Apply the answer to the current question at `turn` (once, however often it is sent)."""
        written = self.written.get(id)
        if written is not None:
            snapshot = self._answer_unread(written, question, turn, given)
            if snapshot is not None:
                return snapshot
        for _ in range(MAX_ATTEMPTS):
            stored = self._load(id)
            consultation = stored.consultation
            current = consultation.questions_asked
            if turn < current and turn >= 0:
                earlier = consultation.turns[turn]
                if earlier.evidence == question and earlier.answer == given:
                    return Snapshot(stored, self.assess(stored), applied=False)  # a retry
            assessment = self.assess(stored)
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

    def _answer_unread(self, written: StoredConsultation, question: str, turn: int, given: Answer) -> Snapshot | None:
        """The answer written on the state this process last wrote, if it is the current question of that state
        and the compare-and-set finds that state still stored; None in every other case (nothing written)."""
        assessment = self.assess(written)
        if turn != written.consultation.questions_asked or question != assessment.next_question:
            return None
        updated = written.consultation.answered(question, given)
        try:
            after = assess(self.engine, updated)
        except (ConsultationError, AnswerError):
            return None  # refused from the stored state, with its message
        return self._save(written, updated, after)

    def back(self, id: str, turn: int | None = None) -> Snapshot:
        """Withdraw the last answer; with `turn` (the turn the client saw), only if nothing changed since."""
        for _ in range(MAX_ATTEMPTS):
            stored = self._load(id)
            current = stored.consultation.questions_asked
            if turn is not None and turn != current:
                assessment = self.assess(stored)
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
        self.written.discard(id)
        if not _ID.fullmatch(id) or not self.repository.delete(id):
            raise NotFoundError(f"no consultation has the id {id!r} (it may have been deleted or expired)")

    def purge(self, retention: timedelta) -> int:
        """Erase the consultations left unchanged for longer than `retention`."""
        return self.repository.purge(self.clock() - retention)

    def list(self, limit: int, updated_before: datetime | None = None, cursor: str | None = None) -> Page:
        """The most recently changed first; a page ends where the next one's `cursor` starts, on (updated, id),
        so consultations changed at the same instant are neither skipped nor repeated."""
        after = decode_cursor(cursor) if cursor is not None else None
        items = self.repository.list(limit, updated_before, after)
        last = items[-1] if len(items) == limit else None
        return Page(items, encode_cursor((last.updated, last.id)) if last is not None else None)

    def fhir(self, id: str, model_version: str) -> dict[str, Any]:
        return self.fhir_of(self._load(id), model_version)

    def fhir_of(self, stored: StoredConsultation, model_version: str) -> dict[str, Any]:
        """The FHIR Bundle of a consultation already read (the export reads each one once)."""
        from symptomcheck.fhir import consultation_bundle

        return consultation_bundle(
            stored.consultation, self.assess(stored), self.engine.knowledge, stored.id, stored.created, model_version
        )

    # -- helpers -------------------------------------------------------------------------------------------

    def _save(
        self, stored: StoredConsultation, updated: Consultation, assessment: Assessment | None = None
    ) -> Snapshot | None:
        assessment = assessment or assess(self.engine, updated)
        saved = self.repository.save(stored, updated, self.clock(), self._summary(assessment))
        if saved is None:
            return None
        self.assessments.put(saved.id, saved.version, assessment)
        self.written.put(saved.id, saved)
        return Snapshot(saved, assessment)

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
