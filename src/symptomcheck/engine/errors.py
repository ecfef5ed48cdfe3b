"""Errors of the engine."""


class AnswerError(ValueError):
    """An answer does not fit its question (unknown evidence, value not offered, follow-up asked too early)."""
