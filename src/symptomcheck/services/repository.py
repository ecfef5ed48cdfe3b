"""The storage interface the use cases need, and the stored form of a consultation.

Every method is one transaction: when it returns, what it wrote is committed. `save` is a compare-and-set on
the consultation's version, so two requests that change one consultation at the same moment never both
apply: the second sees `None` and must re-read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from symptomcheck.interview import Consultation


@dataclass(frozen=True, slots=True)
class Summary:
    """What is known of a consultation without the engine: kept beside it for listing and metrics."""

    finished: bool
    triage_level: str


@dataclass(frozen=True, slots=True)
class StoredConsultation:
    id: str
    consultation: Consultation
    version: int
    created: datetime
    updated: datetime
    summary: Summary
    # SHA-256 of the request that created it with an idempotency key (None: no key, or stored before 0003)
    creation_request: str | None = None


# a position in the list of consultations, most recently changed first: (updated, id) of the last one seen
Keyset = tuple[datetime, str]


class ConsultationRepository(Protocol):
    def add(
        self,
        id: str,
        consultation: Consultation,
        now: datetime,
        summary: Summary,
        creation_key: str | None,
        creation_request: str | None = None,
    ) -> StoredConsultation:
        """Store a new consultation (with the digest of the request that created it under `creation_key`);
        raise `DuplicateKeyError` if `creation_key` was already used."""
        ...

    def get(self, id: str) -> StoredConsultation | None: ...

    def get_by_creation_key(self, creation_key: str) -> StoredConsultation | None: ...

    def save(
        self, stored: StoredConsultation, consultation: Consultation, now: datetime, summary: Summary
    ) -> StoredConsultation | None:
        """Replace `stored` by `consultation` if nobody changed it since it was read, else return None."""
        ...

    def delete(self, id: str) -> bool:
        """Erase the consultation and every answer of it; False if there was none."""
        ...

    def purge(self, updated_before: datetime) -> int:
        """Erase the consultations not changed since `updated_before`; return how many."""
        ...

    def list(
        self, limit: int, updated_before: datetime | None = None, after: Keyset | None = None
    ) -> Sequence[StoredConsultation]:
        """The most recently changed consultations first (ties by id, descending), `limit` at most, changed
        before `updated_before`, and after `after` in that order. A bounded number of queries, whatever `limit`."""
        ...

    def ping(self) -> None:
        """Raise if the database cannot be reached or its schema is not the current one."""
        ...


class DuplicateKeyError(Exception):
    """A consultation was already created with this creation (idempotency) key."""
