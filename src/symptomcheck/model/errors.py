"""Errors of the model package."""


class ModelError(ValueError):
    """A model artifact cannot be built, saved or loaded; the message says what was wrong."""
