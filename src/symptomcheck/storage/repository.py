"""The SQL implementation of the services' `ConsultationRepository` (one transaction per method).

Written with SQLAlchemy Core, not the ORM's unit of work: every request of the API reads or writes one
consultation, and the ORM's session, identity map and flush cost more than the statements themselves. The
statements a request runs are built once (with bound parameters), so SQLAlchemy compiles each of them once
per process and finds it in its cache afterwards.

- A read is one statement: the consultation joined with its answers, in turn order.
- A write is the compare-and-set on the version first (on SQLite it takes the write lock before anything
  else is done), then only the answers that changed. Nothing is computed while the transaction is open, so
  the lock is held for the statements alone. Writes go through `group_commit`: on SQLite the writes that
  wait while one commits share the next commit; each returns once committed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, Row, Table, and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.interview import Consultation, Turn, subject_of
from symptomcheck.services.repository import DuplicateKeyError, Keyset, StoredConsultation, Summary
from symptomcheck.storage.database import check_schema
from symptomcheck.storage.group_commit import group_commit
from symptomcheck.storage.tables import AnswerRow, ConsultationRow

if TYPE_CHECKING:
    from typing import TypeAlias

    _Row: TypeAlias = Row[*tuple[Any, ...]]  # a row of any columns

_CONSULTATIONS = cast(Table, ConsultationRow.__table__)
_ANSWERS = cast(Table, AnswerRow.__table__)
_C = _CONSULTATIONS.c
_A = _ANSWERS.c
# the consultation's columns, then its answers' (labelled: none of them is needed twice)
_ANSWER_COLUMNS = (
    _A.turn.label("a_turn"),
    _A.evidence.label("a_evidence"),
    _A.status.label("a_status"),
    _A.answer_values.label("a_values"),
)
_JOINED = (
    select(
        _C.id,
        _C.version,
        _C.created,
        _C.updated,
        _C.age,
        _C.sex,
        _C.language,
        _C.complaint,
        _C.subject,
        _C.finished,
        _C.triage_level,
        _C.creation_request,
        *_ANSWER_COLUMNS,
    )
    .select_from(_CONSULTATIONS.outerjoin(_ANSWERS, _A.consultation_id == _C.id))
    .order_by(_A.turn)
)
_BY_ID = _JOINED.where(_C.id == bindparam("id"))
_BY_CREATION_KEY = _JOINED.where(_C.creation_key == bindparam("key"))
_ANSWER_ROW: dict[str, Any] = {
    "consultation_id": bindparam("a_id"),
    "turn": bindparam("a_turn"),
    "evidence": bindparam("a_evidence"),
    "status": bindparam("a_status"),
    "answer_values": bindparam("a_values"),
    "answered": bindparam("a_answered"),
}
_INSERT_ANSWERS = insert(_ANSWERS).values(_ANSWER_ROW)
_COMPARE_AND_SET = (
    update(_CONSULTATIONS)
    .where(_C.id == bindparam("c_id"), _C.version == bindparam("c_version"))
    .values(
        version=bindparam("c_new_version"),
        updated=bindparam("c_updated"),
        language=bindparam("c_language"),
        finished=bindparam("c_finished"),
        triage_level=bindparam("c_triage_level"),
    )
)
_DELETE_ANSWERS_FROM = delete(_ANSWERS).where(_A.consultation_id == bindparam("c_id"), _A.turn >= bindparam("c_turn"))
_NO_VALUES = json.dumps([])


def _values(answer: Answer) -> str:
    return json.dumps(list(answer.values)) if answer.values else _NO_VALUES


def _answer_parameters(id: str, turn: int, t: Turn, now: datetime) -> dict[str, Any]:
    return {
        "a_id": id,
        "a_turn": turn,
        "a_evidence": t.evidence,
        "a_status": t.answer.status.value,
        "a_values": _values(t.answer),
        "a_answered": now,
    }


def _turn(evidence: str, status: str, values: str) -> Turn:
    return Turn(evidence, Answer(AnswerStatus(status), tuple(json.loads(values)) if values != _NO_VALUES else ()))


def _stored(rows: Sequence[_Row]) -> StoredConsultation | None:
    """The consultation of `rows` (its columns on every row, one row per answer in turn order), or None."""
    if not rows:
        return None
    row = rows[0]
    # answers given with the complaint have negative turns (-n .. -1, in the order said): rows sort them first,
    # and the questions' turns keep counting from 0 as before; a consultation without answers has one row
    # whose answer columns are NULL
    answered = [r for r in rows if r.a_turn is not None]
    consultation = Consultation(
        age=row.age,
        sex=row.sex,
        language=row.language,
        complaint=row.complaint,
        turns=tuple(_turn(r.a_evidence, r.a_status, r.a_values) for r in answered if r.a_turn >= 0),
        findings=tuple(_turn(r.a_evidence, r.a_status, r.a_values) for r in answered if r.a_turn < 0),
        subject=subject_of(row.subject),
    )
    return StoredConsultation(
        id=row.id,
        consultation=consultation,
        version=row.version,
        created=row.created,
        updated=row.updated,
        summary=Summary(finished=row.finished, triage_level=row.triage_level),
        creation_request=row.creation_request,
    )


class SqlConsultationRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.writes = group_commit(engine)

    def add(
        self,
        id: str,
        consultation: Consultation,
        now: datetime,
        summary: Summary,
        creation_key: str | None,
        creation_request: str | None = None,
    ) -> StoredConsultation:
        said = consultation.findings
        answers = [_answer_parameters(id, n - len(said), t, now) for n, t in enumerate(said)]
        answers += [_answer_parameters(id, n, t, now) for n, t in enumerate(consultation.turns)]
        row = {
            "id": id,
            "version": 1,
            "created": now,
            "updated": now,
            "age": consultation.age,
            "sex": consultation.sex,
            "language": consultation.language,
            "complaint": consultation.complaint,
            "subject": consultation.subject.value,
            "finished": summary.finished,
            "triage_level": summary.triage_level,
            "creation_key": creation_key,
            "creation_request": creation_request,
        }

        def write(connection: Connection) -> None:
            connection.execute(insert(_CONSULTATIONS), row)
            if answers:
                connection.execute(_INSERT_ANSWERS, answers)

        try:
            self.writes.run(write, may_fail=True)  # a creation key already used fails this write alone
        except IntegrityError:
            if creation_key is not None:
                raise DuplicateKeyError(creation_key) from None
            raise
        return StoredConsultation(id, consultation, 1, now, now, summary, creation_request)

    def get(self, id: str) -> StoredConsultation | None:
        with self.engine.begin() as connection:
            return _stored(connection.execute(_BY_ID, {"id": id}).all())

    def get_by_creation_key(self, creation_key: str) -> StoredConsultation | None:
        with self.engine.begin() as connection:
            return _stored(connection.execute(_BY_CREATION_KEY, {"key": creation_key}).all())

    def save(
        self, stored: StoredConsultation, consultation: Consultation, now: datetime, summary: Summary
    ) -> StoredConsultation | None:
        old, new = stored.consultation.turns, consultation.turns
        same = 0
        while same < min(len(old), len(new)) and old[same] == new[same]:
            same += 1
        # every parameter is ready before the transaction begins: it holds the write lock for the statements alone
        compare_and_set = {
            "c_id": stored.id,
            "c_version": stored.version,
            "c_new_version": stored.version + 1,
            "c_updated": now,
            "c_language": consultation.language,
            "c_finished": summary.finished,
            "c_triage_level": summary.triage_level,
        }
        added = [_answer_parameters(stored.id, n, new[n], now) for n in range(same, len(new))]

        def write(connection: Connection) -> bool:
            # the compare-and-set comes first: on SQLite it takes the write lock before anything is read
            if connection.execute(_COMPARE_AND_SET, compare_and_set).rowcount != 1:
                return False  # nothing written
            if same < len(old):
                connection.execute(_DELETE_ANSWERS_FROM, {"c_id": stored.id, "c_turn": same})
            if added:
                connection.execute(_INSERT_ANSWERS, added)
            return True

        if not self.writes.run(write):
            return None
        return StoredConsultation(
            stored.id, consultation, stored.version + 1, stored.created, now, summary, stored.creation_request
        )

    def delete(self, id: str) -> bool:
        # the consultation row first: it is what a concurrent `save` compares and sets, so after this
        # statement no answer can be added to it (the foreign key's cascade would erase them anyway)

        def write(connection: Connection) -> bool:
            gone = connection.execute(delete(_CONSULTATIONS).where(_C.id == id))
            connection.execute(delete(_ANSWERS).where(_A.consultation_id == id))
            return gone.rowcount > 0

        return self.writes.run(write)

    def purge(self, updated_before: datetime) -> int:
        # as in `delete`, consultation rows first, then the answers of exactly those

        def write(connection: Connection) -> int:
            ids = connection.scalars(delete(_CONSULTATIONS).where(_C.updated < updated_before).returning(_C.id)).all()
            for start in range(0, len(ids), 500):
                connection.execute(delete(_ANSWERS).where(_A.consultation_id.in_(ids[start : start + 500])))
            return len(ids)

        return self.writes.run(write)

    def list(
        self, limit: int, updated_before: datetime | None = None, after: Keyset | None = None
    ) -> Sequence[StoredConsultation]:
        # two queries whatever the limit: the page of consultations, then all their answers with them
        with self.engine.begin() as connection:
            page = select(_C.id).order_by(_C.updated.desc(), _C.id.desc()).limit(limit)
            if updated_before is not None:
                page = page.where(_C.updated < updated_before)
            if after is not None:
                # the keyset (updated, id): strictly after the last one seen in this order, ties included
                at, id = after
                page = page.where(or_(_C.updated < at, and_(_C.updated == at, _C.id < id)))
            ids = connection.scalars(page).all()
            rows: dict[str, list[_Row]] = {id: [] for id in ids}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                query = _JOINED.where(_C.id.in_(chunk)).order_by(None).order_by(_C.id, _A.turn)
                for row in connection.execute(query):
                    rows[row.id].append(row)
        found = (_stored(rows[id]) for id in ids)
        return [stored for stored in found if stored is not None]

    def ping(self) -> None:
        check_schema(self.engine)
