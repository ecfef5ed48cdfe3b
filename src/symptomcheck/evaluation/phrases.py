"""How well the free-text parser understands people: precision and recall on a labelled phrase set.

The set is JSON Lines, one phrase a line: {"text", "language", "findings": [{"id", "status"}]}, the findings a
careful reader would note (present or absent). Each phrase is scored on its set of (evidence, status) pairs; a
present follow-up (a pain's site) implies its parent present on both sides, as the parser reports it. Precision
and recall are micro-averaged per language: found and expected / found, and / expected.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from symptomcheck.interview.text_parser import TextParser
from symptomcheck.knowledge import LANGUAGES, KnowledgeBase, Language

Pair = tuple[str, str]  # (evidence, "present" | "absent")


@dataclass(frozen=True, slots=True)
class Phrase:
    text: str
    language: Language
    findings: frozenset[Pair]


@dataclass(slots=True)
class Scores:
    phrases: int = 0
    expected: int = 0
    found: int = 0
    correct: int = 0
    misses: list[tuple[str, list[Pair], list[Pair]]] = field(default_factory=list)  # text, missed, wrong

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0


def load_phrases(path: Path) -> list[Phrase]:
    """The phrases of a JSON Lines file; a malformed line raises ValueError naming it."""
    phrases: list[Phrase] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            language = record["language"]
            if language not in LANGUAGES or not isinstance(record["text"], str):
                raise ValueError(f"language must be one of {', '.join(LANGUAGES)} and text a string")
            pairs = frozenset((str(f["id"]), str(f["status"])) for f in record["findings"])
            if any(status not in ("present", "absent") for _, status in pairs):
                raise ValueError("a finding's status is present or absent")
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path.name}: line {number}: {error}") from None
        phrases.append(Phrase(record["text"], language, pairs))
    return phrases


def _with_parents(pairs: Iterable[Pair], knowledge: KnowledgeBase) -> set[Pair]:
    closed = set(pairs)
    for code, status in list(closed):
        parent = knowledge.evidence(code).parent if knowledge.has_evidence(code) else None
        if parent is not None and status == "present":
            closed.add((parent, "present"))
    return closed


def score(parser: TextParser, phrases: Sequence[Phrase]) -> dict[Language, Scores]:
    """Precision and recall of the parser on `phrases`, per language."""
    scores: dict[Language, Scores] = {}
    for phrase in phrases:
        s = scores.setdefault(phrase.language, Scores())
        expected = _with_parents(phrase.findings, parser.knowledge)
        found = _with_parents(
            ((f.evidence, f.status) for f in parser.parse(phrase.text, phrase.language)), parser.knowledge
        )
        s.phrases += 1
        s.expected += len(expected)
        s.found += len(found)
        s.correct += len(expected & found)
        if expected != found:
            s.misses.append((phrase.text, sorted(expected - found), sorted(found - expected)))
    return scores
