"""The repository reads a consultation in one statement and writes through grouped commits, on SQLite and
PostgreSQL: what is read back is what was written, answers in turn order, and a write returns once committed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from symptomcheck.engine.answers import Answer
from symptomcheck.interview import Consultation, Subject, Turn
from symptomcheck.services.repository import DuplicateKeyError, Summary
from symptomcheck.storage.database import migrate, open_database
from symptomcheck.storage.group_commit import GroupCommit
from symptomcheck.storage.repository import SqlConsultationRepository
from symptomcheck.storage.tables import WeChatMessageRow

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 12, 7, 9, 31, tzinfo=UTC)
SUMMARY = Summary(finished=False, triage_level="consultation")


@pytest.fixture
def engine(database_kind: str, new_database: Callable[[str], str]) -> Iterator[Engine]:
    engine = open_database(new_database(database_kind))
    migrate(engine)
    yield engine
    engine.dispose()


def _consultation() -> Consultation:
    # two findings said with the complaint (turns -2, -1) and eleven answers, so that turn 10 sorts after turn 9
    said = (Turn("E_55", Answer.of("V_29")), Turn("E_201", Answer.no()))
    answers = (
        Turn("E_54", Answer.of("V_161", "V_183")),
        Turn("E_57", Answer.unknown()),
        *(Turn(f"E_{n}", Answer.yes() if n % 2 else Answer.no()) for n in range(60, 69)),
    )
    return Consultation(age=41, sex="F", language="fr", complaint="E_53", turns=answers, findings=said)


def test_a_consultation_reads_back_with_its_findings_first_and_its_answers_in_turn_order(engine: Engine) -> None:
    repository = SqlConsultationRepository(engine)
    consultation = _consultation()
    repository.add("c1", consultation, NOW, SUMMARY, "key-1", "digest")
    stored = repository.get("c1")
    assert stored is not None
    assert stored.consultation == consultation
    assert stored.consultation.findings == consultation.findings  # in the order they were said
    assert [t.evidence for t in stored.consultation.turns] == [t.evidence for t in consultation.turns]
    assert (stored.version, stored.created, stored.updated, stored.creation_request) == (1, NOW, NOW, "digest")
    by_key = repository.get_by_creation_key("key-1")
    assert by_key is not None and by_key.consultation == consultation
    assert repository.get("missing") is None and repository.get_by_creation_key("other") is None


def test_a_consultation_without_any_answer_reads_back_without_answers(engine: Engine) -> None:
    repository = SqlConsultationRepository(engine)
    bare = Consultation(age=7, sex="M", language="zh", complaint="E_91", subject=Subject.CHILD)
    repository.add("bare", bare, NOW, SUMMARY, None)
    stored = repository.get("bare")
    assert stored is not None and stored.consultation == bare
    assert stored.consultation.turns == () and stored.consultation.findings == ()


def test_a_save_keeps_the_unchanged_answers_and_replaces_the_rest_and_a_stale_save_changes_nothing(
    engine: Engine,
) -> None:
    repository = SqlConsultationRepository(engine)
    first = repository.add("c2", _consultation(), NOW, SUMMARY, None)
    shorter = first.consultation.back().back().answered("E_70", Answer.yes())
    saved = repository.save(first, shorter, LATER, Summary(finished=True, triage_level="self_care"))
    assert saved is not None and saved.version == 2
    stored = repository.get("c2")
    assert stored is not None
    assert stored.consultation == shorter and stored.version == 2 and stored.updated == LATER
    assert stored.summary == Summary(finished=True, triage_level="self_care")
    assert repository.save(first, first.consultation, LATER, SUMMARY) is None  # version 1 is gone
    assert repository.get("c2") == stored
    page = repository.list(10)
    assert [s.id for s in page] == ["c2"] and page[0].consultation == shorter


def test_a_creation_key_used_twice_is_refused_and_the_first_consultation_is_kept(engine: Engine) -> None:
    repository = SqlConsultationRepository(engine)
    repository.add("first", _consultation(), NOW, SUMMARY, "same-key")
    with pytest.raises(DuplicateKeyError):
        repository.add("second", _consultation(), NOW, SUMMARY, "same-key")
    assert repository.get("first") is not None and repository.get("second") is None


def _grouped(
    engine: Engine, works: list[Callable[[Connection], object]], may_fail: list[bool]
) -> tuple[list[object], int]:
    """Runs `works` from threads of their own while a first write holds the transaction, so that they wait
    together and share the next one; returns each one's result or the error it raised, and the commits."""
    writes = GroupCommit(engine)
    release = threading.Event()
    outcomes: list[object] = [None] * len(works)

    def hold(connection: Connection) -> None:
        release.wait(10)

    def run(n: int) -> None:
        try:
            outcomes[n] = writes.run(works[n], may_fail=may_fail[n])
        except Exception as error:
            outcomes[n] = error

    holder = threading.Thread(target=writes.run, args=(hold,))
    holder.start()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(works))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while writes.waiting < len(works) and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for thread in [holder, *threads]:
        thread.join(10)
    return outcomes, writes.commits


def _reply(key: str) -> Callable[[Connection], str]:
    def write(connection: Connection) -> str:
        connection.execute(
            insert(WeChatMessageRow).values(openid_hash="h", message_key=key, reply=f"reply {key}", created=NOW)
        )
        return key

    return write


def _stored_keys(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.scalars(select(WeChatMessageRow.message_key)))


def test_writes_that_wait_together_are_each_committed_when_they_return(engine: Engine) -> None:
    outcomes, commits = _grouped(engine, [_reply("a"), _reply("b"), _reply("c")], [False, False, False])
    assert outcomes == ["a", "b", "c"]
    # SQLite: the first write's transaction, then one for the three; PostgreSQL: one each
    assert commits == (2 if engine.dialect.name == "sqlite" else 4)
    assert _stored_keys(engine) == ["a", "b", "c"]


def test_a_write_that_may_fail_alone_fails_without_undoing_the_others_of_its_group(engine: Engine) -> None:
    _grouped(engine, [_reply("taken")], [False])
    outcomes, _ = _grouped(engine, [_reply("a"), _reply("taken"), _reply("b")], [True, True, True])
    assert outcomes[0] == "a" and outcomes[2] == "b"
    assert isinstance(outcomes[1], IntegrityError)
    assert _stored_keys(engine) == ["a", "b", "taken"]


def test_any_other_failure_in_a_group_fails_every_write_of_it_and_stores_none(engine: Engine) -> None:
    _grouped(engine, [_reply("taken")], [False])
    outcomes, commits = _grouped(engine, [_reply("a"), _reply("taken"), _reply("b")], [False, False, False])
    if engine.dialect.name == "sqlite":  # one transaction for the three: none of them is done
        assert all(isinstance(outcome, IntegrityError) for outcome in outcomes)
        assert commits == 1  # the first write's only
        assert _stored_keys(engine) == ["taken"]
    else:  # PostgreSQL: a transaction each, as before
        assert outcomes[0] == "a" and outcomes[2] == "b" and isinstance(outcomes[1], IntegrityError)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(WeChatMessageRow)) == len(_stored_keys(engine))
