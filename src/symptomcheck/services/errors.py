"""What a use case can refuse, independent of any transport (the API maps these to HTTP codes)."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the errors a client can cause; the message says what was wrong and what is accepted."""


class InvalidRequestError(ServiceError):
    """The request does not fit the knowledge base or the consultation (unknown code, bad value...)."""


class NotFoundError(ServiceError):
    """No consultation has this id (never created, erased, or purged after the retention period)."""


class StaleAnswerError(ServiceError):
    """An answer or a step back that is not for the consultation's current turn."""

    def __init__(self, message: str, current_question: str | None, turn: int) -> None:
        super().__init__(message)
        self.current_question = current_question
        self.turn = turn


class ConcurrentUpdateError(ServiceError):
    """Another request changed the consultation at the same moment and kept changing it: try again."""


class ComplaintNotFoundError(InvalidRequestError):
    """The complaint text matched nothing close enough."""

    def __init__(self, message: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.suggestions = suggestions


class IdempotencyKeyReusedError(InvalidRequestError):
    """An Idempotency-Key already used with another request: a client's mistake, never a retry."""
