"""Errors raised while loading or validating the knowledge base."""


class KnowledgeError(ValueError):
    """A knowledge file is malformed or inconsistent.

    The message names the file, the entry and the problem, so that whoever edits the file can fix it.
    """
