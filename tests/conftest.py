"""Shared fixtures: the shipped knowledge base, a writable copy of its files, and the patient fixture files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from symptomcheck.knowledge import DATA_DIR, KnowledgeBase, default_knowledge

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeBase:
    """The knowledge base shipped with the package (read-only, shared)."""
    return default_knowledge()


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped knowledge files, free to corrupt."""
    directory = tmp_path / "knowledge"
    shutil.copytree(DATA_DIR, directory)
    return directory


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
