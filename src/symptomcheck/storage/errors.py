"""Storage failures that a caller can act on."""

from __future__ import annotations


class StorageError(Exception):
    """The database cannot be used (unreachable, wrong schema, bad URL); the message says which."""
