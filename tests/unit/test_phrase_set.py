"""The shipped synonyms understand everyday speech: precision and recall on the labelled phrase set
(tests/data/phrases.jsonl, written as people speak) reach the floor in every language."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from symptomcheck.evaluation.phrases import Phrase, load_phrases, score
from symptomcheck.interview.text_parser import TextParser
from symptomcheck.knowledge import LANGUAGES, KnowledgeBase

PHRASES = Path(__file__).parents[1] / "data" / "phrases.jsonl"
FLOOR = 0.90


@pytest.fixture(scope="module")
def phrases() -> list[Phrase]:
    return load_phrases(PHRASES)


def test_the_phrase_set_has_at_least_200_phrases_in_each_language(phrases: list[Phrase]) -> None:
    counts = Counter(p.language for p in phrases)
    assert all(counts[language] >= 200 for language in LANGUAGES), counts


def test_the_phrase_set_names_only_evidences_of_the_knowledge_base(
    phrases: list[Phrase], knowledge: KnowledgeBase
) -> None:
    unknown = {code for p in phrases for code, _ in p.findings if not knowledge.has_evidence(code)}
    assert not unknown


def test_the_phrase_set_holds_the_failures_reported_by_new_users(phrases: list[Phrase]) -> None:
    texts = {p.text for p in phrases}
    reported = {"cough and fever", "咳嗽发烧", "burning when I pee", "slurred speech", "stroke", "urinary infection",
                "尿痛", "can't breathe", "allergic reaction after eating peanuts"}  # fmt: skip
    assert reported <= texts


def test_the_parser_reaches_the_precision_and_recall_floor_in_every_language(
    phrases: list[Phrase], knowledge: KnowledgeBase
) -> None:
    scores = score(TextParser(knowledge), phrases)
    for language in LANGUAGES:
        s = scores[language]
        misses = "\n".join(f"{text!r}: missed {missed}, wrong {wrong}" for text, missed, wrong in s.misses)
        assert s.precision >= FLOOR and s.recall >= FLOOR, f"{language}: {s.precision:.3f}/{s.recall:.3f}\n{misses}"


def test_a_malformed_phrase_line_is_refused_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "phrases.jsonl"
    path.write_text('{"text": "fever", "language": "en", "findings": []}\n{"text": "x", "language": "de"}\n')
    with pytest.raises(ValueError, match=r"phrases.jsonl: line 2"):
        load_phrases(path)
