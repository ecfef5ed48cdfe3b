"""The SQL implementation of the services' `ConsultationRepository` (one transaction per method)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.interview import Consultation, Turn, subject_of
from symptomcheck.services.repository import DuplicateKeyError, Keyset, StoredConsultation, Summary
from symptomcheck.storage.database import check_schema
from symptomcheck.storage.tables import AnswerRow, ConsultationRow


def _answer_row(id: str, turn: int, t: Turn, now: datetime) -> AnswerRow:
    return AnswerRow(
        consultation_id=id,
        turn=turn,
        evidence=t.evidence,
        status=t.answer.status.value,
        answer_values=json.dumps(list(t.answer.values)),
        answered=now,
    )


def _turn(a: AnswerRow) -> Turn:
    return Turn(a.evidence, Answer(AnswerStatus(a.status), tuple(json.loads(a.answer_values))))


def _stored(row: ConsultationRow, answers: Sequence[AnswerRow]) -> StoredConsultation:
    # answers given with the complaint have negative turns (-n .. -1, in the order said): rows sort them first,
    # and the questions' turns keep counting from 0 as before
    turns = tuple(_turn(a) for a in answers if a.turn >= 0)
    findings = tuple(_turn(a) for a in answers if a.turn < 0)
    consultation = Consultation(
        age=row.age,
        sex=row.sex,
        language=row.language,  # type: ignore[arg-type]  # checked by Consultation itself
        complaint=row.complaint,
        turns=turns,
        findings=findings,
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
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add(
        self,
        id: str,
        consultation: Consultation,
        now: datetime,
        summary: Summary,
        creation_key: str | None,
        creation_request: str | None = None,
    ) -> StoredConsultation:
        row = ConsultationRow(
            id=id,
            version=1,
            created=now,
            updated=now,
            age=consultation.age,
            sex=consultation.sex,
            language=consultation.language,
            complaint=consultation.complaint,
            subject=consultation.subject.value,
            finished=summary.finished,
            triage_level=summary.triage_level,
            creation_key=creation_key,
            creation_request=creation_request,
        )
        said = consultation.findings
        answers = [_answer_row(id, n - len(said), t, now) for n, t in enumerate(said)]
        answers += [_answer_row(id, n, t, now) for n, t in enumerate(consultation.turns)]
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                session.add_all(answers)
        except IntegrityError:
            if creation_key is not None:
                raise DuplicateKeyError(creation_key) from None
            raise
        return _stored(row, answers)

    def _read(self, session: Session, row: ConsultationRow | None) -> StoredConsultation | None:
        if row is None:
            return None
        answers = session.scalars(
            select(AnswerRow).where(AnswerRow.consultation_id == row.id).order_by(AnswerRow.turn)
        ).all()
        return _stored(row, answers)

    def get(self, id: str) -> StoredConsultation | None:
        with self._sessions.begin() as session:
            return self._read(session, session.get(ConsultationRow, id))

    def get_by_creation_key(self, creation_key: str) -> StoredConsultation | None:
        with self._sessions.begin() as session:
            row = session.scalars(select(ConsultationRow).where(ConsultationRow.creation_key == creation_key)).first()
            return self._read(session, row)

    def save(
        self, stored: StoredConsultation, consultation: Consultation, now: datetime, summary: Summary
    ) -> StoredConsultation | None:
        old, new = stored.consultation.turns, consultation.turns
        same = 0
        while same < min(len(old), len(new)) and old[same] == new[same]:
            same += 1
        with self._sessions.begin() as session:
            # the compare-and-set comes first: on SQLite it takes the write lock before anything is read
            changed = session.execute(
                update(ConsultationRow)
                .where(ConsultationRow.id == stored.id, ConsultationRow.version == stored.version)
                .values(
                    version=stored.version + 1,
                    updated=now,
                    language=consultation.language,
                    finished=summary.finished,
                    triage_level=summary.triage_level,
                )
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                return None
            if same < len(old):
                session.execute(
                    delete(AnswerRow)
                    .where(AnswerRow.consultation_id == stored.id, AnswerRow.turn >= same)
                    .execution_options(synchronize_session=False)
                )
            session.add_all(_answer_row(stored.id, n, new[n], now) for n in range(same, len(new)))
        return StoredConsultation(
            stored.id, consultation, stored.version + 1, stored.created, now, summary, stored.creation_request
        )

    def delete(self, id: str) -> bool:
        # the consultation row first: it is what a concurrent `save` compares and sets, so after this
        # statement no answer can be added to it (the foreign key's cascade would erase them anyway)
        with self._sessions.begin() as session:
            gone = session.execute(delete(ConsultationRow).where(ConsultationRow.id == id))
            session.execute(delete(AnswerRow).where(AnswerRow.consultation_id == id))
            return bool(gone.rowcount)  # type: ignore[attr-defined]

    def purge(self, updated_before: datetime) -> int:
        # as in `delete`, consultation rows first, then the answers of exactly those
        with self._sessions.begin() as session:
            ids = session.scalars(
                delete(ConsultationRow).where(ConsultationRow.updated < updated_before).returning(ConsultationRow.id)
            ).all()
            for start in range(0, len(ids), 500):
                session.execute(delete(AnswerRow).where(AnswerRow.consultation_id.in_(ids[start : start + 500])))
            return len(ids)

    def list(
        self, limit: int, updated_before: datetime | None = None, after: Keyset | None = None
    ) -> Sequence[StoredConsultation]:
        # two queries whatever the limit: the page of consultations, then all their answers at once
        with self._sessions.begin() as session:
            query = (
                select(ConsultationRow).order_by(ConsultationRow.updated.desc(), ConsultationRow.id.desc()).limit(limit)
            )
            if updated_before is not None:
                query = query.where(ConsultationRow.updated < updated_before)
            if after is not None:
                # the keyset (updated, id): strictly after the last one seen in this order, ties included
                at, id = after
                query = query.where(
                    or_(ConsultationRow.updated < at, and_(ConsultationRow.updated == at, ConsultationRow.id < id))
                )
            rows = session.scalars(query).all()
            answers: dict[str, list[AnswerRow]] = {row.id: [] for row in rows}
            for start in range(0, len(rows), 500):
                chunk = [row.id for row in rows[start : start + 500]]
                for answer in session.scalars(
                    select(AnswerRow)
                    .where(AnswerRow.consultation_id.in_(chunk))
                    .order_by(AnswerRow.consultation_id, AnswerRow.turn)
                ):
                    answers[answer.consultation_id].append(answer)
            return [_stored(row, answers[row.id]) for row in rows]

    def ping(self) -> None:
        check_schema(self.engine)
