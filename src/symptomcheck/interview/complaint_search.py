"""Finding the evidence a typed complaint means, in English, French or Chinese.

Matching is robust to case, accents, word order and small misspellings (each word of the query is
matched to the closest word of a question by similarity ratio), and works on Chinese without word
spaces (overlap of character pairs).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import pairwise

from symptomcheck.knowledge import LANGUAGES, Evidence, KnowledgeBase

_WORD = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_STOP = {
    "do", "you", "have", "your", "a", "an", "the", "of", "or", "and", "in", "on", "to", "is", "are", "any", "with",
    "i", "my", "me", "am", "feel", "feeling", "some", "it", "at", "for", "that", "this", "been", "had", "has",
    "avez", "vous", "votre", "vos", "un", "une", "des", "de", "du", "la", "le", "les", "et", "ou", "en", "au",
    "aux", "j", "ai", "je", "mon", "ma", "mes", "est", "que", "qui", "d", "l", "pas", "ressentez",
}  # fmt: skip
_ZH_STOP = set("您是否有吗的了我在感到觉得最近")
_ZH_SAME = {"疼": "痛", "烧": "热"}  # characters people use interchangeably for a symptom (头疼/头痛, 发烧/发热)


@dataclass(frozen=True, slots=True)
class Match:
    evidence: str
    score: float  # 0..1


def fold(text: str) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fold(text)) if w not in _STOP and len(w) > 1]


def _pairs(text: str) -> set[str]:
    han = [_ZH_SAME.get(c, c) for c in _HAN.findall(text) if c not in _ZH_STOP]
    return {a + b for a, b in pairwise(han)} | set(han)


def _word_score(query: list[str], target: list[str]) -> float:
    if not query or not target:
        return 0.0
    total = 0.0
    for word in query:
        # a misspelling keeps the first letter: "fevr" is fever, "ever" is not
        best = max((SequenceMatcher(None, word, o).ratio() for o in target if o[0] == word[0]), default=0.0)
        if word in target or any(other.startswith(word) and len(word) >= 4 for other in target):
            best = 1.0
        total += best if best >= 0.75 else 0.0
    return total / len(query)


def _han_score(query: str, target: str) -> float:
    q = _pairs(query)
    if not q:
        return 0.0
    return len(q & _pairs(target)) / len(q)


class ComplaintSearch:
    """Search over a set of evidences by their questions (every language at once)."""

    def __init__(
        self, knowledge: KnowledgeBase, evidences: tuple[str, ...], prevalence: Mapping[str, float] | None = None
    ) -> None:
        """`prevalence` (how often each evidence is present) breaks ties: common complaints come first."""
        self._prevalence = prevalence or {}
        self._entries: list[tuple[Evidence, list[str], str]] = []
        for code in evidences:
            evidence = knowledge.evidence(code)
            words = [w for lang in LANGUAGES if lang != "zh" for w in _words(evidence.question[lang])]
            self._entries.append((evidence, words, evidence.question.zh))

    def search(self, text: str, limit: int = 5) -> list[Match]:
        """The best matches, best first; empty when nothing is close."""
        text = text.strip()[:200]
        if not text:
            return []
        query_words = _words(text)
        has_han = bool(_HAN.search(text))
        matches = []
        for evidence, words, chinese in self._entries:
            score = _han_score(text, chinese) if has_han else _word_score(query_words, words)
            if score >= 0.5:
                matches.append(Match(evidence.code, round(score, 3)))
        matches.sort(key=lambda m: (-m.score, -self._prevalence.get(m.evidence, 0.0), m.evidence))
        return matches[:limit]
