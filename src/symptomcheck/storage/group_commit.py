"""Write transactions on SQLite, grouped: the writes that wait while one commits share the next commit.

SQLite has one writer at a time, and with `synchronous=FULL` each commit waits for the disk (an fsync of the
write-ahead log: from half a millisecond to several on a busy disk). With one transaction per answer, the
answers of a busy process queue for the write lock one fsync at a time, and the threads that find it taken
poll for it (SQLite's busy handler sleeps 1, 2, 5, 10... ms between tries), so a saturated API spends its
time waiting for the lock rather than working.

Here the writes of one process go through one queue. The first thread to find no transaction open takes
every write waiting in the queue, runs each of them in the same transaction and commits once; then every
one of those writes returns, or raises if the commit failed. A write that may fail on its own (a duplicate
key) runs in a savepoint of its own when it shares the transaction, so that its failure undoes only it. So:

- a write returns only once it is committed (and on disk): the same promise as one transaction per write;
- a write that may fail alone fails alone; any other failure fails the whole group, and a group whose
  commit fails fails as a whole: none of its writes is reported as done;
- the writes of one process never poll SQLite's lock against each other; processes still take turns through
  SQLite's own locking.

PostgreSQL commits concurrently and groups its own log flushes: there every write is its own transaction.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")


@dataclass(slots=True)
class _Write(Generic[T]):
    work: Callable[[Connection], T]
    may_fail: bool
    result: T | None = None
    error: BaseException | None = None
    finished: bool = False


class GroupCommit:
    """Runs `work(connection)` in a transaction that is committed before `run` returns."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.grouped = engine.dialect.name == "sqlite"
        self._queue: list[_Write[Any]] = []
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()  # held by the thread whose transaction is open
        self.commits = 0  # transactions committed, and writes in them: how well writes are grouped
        self.writes = 0

    @property
    def waiting(self) -> int:
        """Writes queued for the next transaction."""
        with self._queue_lock:
            return len(self._queue)

    def run(self, work: Callable[[Connection], T], may_fail: bool = False) -> T:
        """`work`'s result once committed; `may_fail`: its error must not undo the others' writes."""
        if not self.grouped:
            with self.engine.begin() as connection:
                result = work(connection)
            with self._queue_lock:
                self.commits += 1
                self.writes += 1
            return result
        write: _Write[T] = _Write(work, may_fail)
        with self._queue_lock:
            self._queue.append(write)
        with self._writer:
            # the write is either in the queue still, or was taken by a transaction that has ended since
            # (its thread held the writer lock until every write of it was finished)
            if not write.finished:
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._commit(group)
        if write.error is not None:
            raise write.error
        return write.result  # type: ignore[return-value]  # set, as `error` is None

    def _commit(self, group: list[_Write[Any]]) -> None:
        try:
            with self.engine.begin() as connection:
                for write in group:
                    if not (write.may_fail and len(group) > 1):
                        write.result = write.work(connection)  # an error ends the transaction, undone
                        continue
                    savepoint = connection.begin_nested()
                    try:
                        write.result = write.work(connection)
                    except Exception as error:
                        savepoint.rollback()
                        write.error = error
                    else:
                        savepoint.commit()
            self.commits += 1
            self.writes += len(group)
        except BaseException as error:
            # not committed: no write of the group happened, whatever each returned
            for write in group:
                write.result = None
                write.error = write.error or error
            if not isinstance(error, Exception):
                raise
        finally:
            for write in group:
                write.finished = True


_groups: weakref.WeakKeyDictionary[Engine, GroupCommit] = weakref.WeakKeyDictionary()
_groups_lock = threading.Lock()


def group_commit(engine: Engine) -> GroupCommit:
    """The one `GroupCommit` of `engine` in this process (every repository on it writes through it)."""
    with _groups_lock:
        found = _groups.get(engine)
        if found is None:
            found = _groups[engine] = GroupCommit(engine)
        return found
