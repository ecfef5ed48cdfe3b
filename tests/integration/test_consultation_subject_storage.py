"""Who a consultation is for is stored with it, on SQLite and PostgreSQL; rows from before it read as 'self'."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from symptomcheck.interview import Consultation, Subject
from symptomcheck.services.repository import Summary
from symptomcheck.storage.database import _alembic_config, migrate, open_database
from symptomcheck.storage.repository import SqlConsultationRepository

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
SUMMARY = Summary(finished=False, triage_level="consultation")


def test_a_consultation_for_a_child_and_one_for_another_adult_read_back_with_their_subject(
    database_kind: str, new_database: Callable[[str], str]
) -> None:
    engine = open_database(new_database(database_kind))
    migrate(engine)
    repository = SqlConsultationRepository(engine)
    child = Consultation(age=6, sex="F", language="fr", complaint="E_91", subject=Subject.CHILD)
    adult = Consultation(age=80, sex="M", language="zh", complaint="E_91", subject=Subject.ADULT)
    repository.add("child", child, NOW, SUMMARY, None)
    repository.add("adult", adult, NOW, SUMMARY, None)
    stored_child, stored_adult = repository.get("child"), repository.get("adult")
    assert stored_child is not None and stored_adult is not None
    assert stored_child.consultation == child
    assert stored_child.consultation.age == 6  # the child's own age
    assert stored_adult.consultation.subject is Subject.ADULT
    engine.dispose()


def test_consultations_stored_before_the_subject_existed_keep_everything_and_read_as_for_oneself(
    database_kind: str, new_database: Callable[[str], str]
) -> None:
    engine = open_database(new_database(database_kind))
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.execute(
            text(
                "INSERT INTO consultations (id, version, created, updated, age, sex, language, complaint, finished, "
                "triage_level) VALUES ('old', 3, :now, :now, 34, 'F', 'en', 'E_91', false, 'consultation')"
            ),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO answers (consultation_id, turn, evidence, status, answer_values, answered) "
                "VALUES ('old', 0, 'E_201', 'present', '[]', :now)"
            ),
            {"now": NOW},
        )
    migrate(engine)  # 0004 and anything after it
    stored = SqlConsultationRepository(engine).get("old")
    assert stored is not None
    assert stored.consultation.subject is Subject.SELF
    assert stored.consultation.age == 34 and stored.version == 3
    assert [t.evidence for t in stored.consultation.turns] == ["E_201"]
    engine.dispose()
