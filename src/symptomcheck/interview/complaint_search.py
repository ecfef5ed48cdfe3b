"""Finding the evidence a typed complaint means, in English, French or Chinese.

Each evidence is found by its question and by the words people use for it (complaint_terms.json, curated:
"headache" is the pain question E_53, "chest pain" is E_53 too and not the red flag E_14 "chest pain even at
rest"). Matching is robust to case, accents, word order and small misspellings (each word of the query is
matched to the closest word of a question or term by similarity ratio), and works on Chinese without word
spaces (overlap of character pairs, with 疼/痛 and 烧/热 taken as one).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from itertools import pairwise
from pathlib import Path

from symptomcheck.interview.text_parser import TextParser
from symptomcheck.knowledge import DATA_DIR, LANGUAGES, KnowledgeBase, KnowledgeError

TERMS_FILE = DATA_DIR / "texts" / "complaint_terms.json"
Terms = Mapping[str, Mapping[str, Sequence[str]]]  # evidence code -> language -> what people type

_WORD = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CODE = re.compile(r"E_\d+")
_STOP = {
    "do", "you", "have", "your", "a", "an", "the", "of", "or", "and", "in", "on", "to", "is", "are", "any", "with",
    "i", "my", "me", "am", "feel", "feeling", "some", "it", "at", "for", "that", "this", "been", "had", "has",
    "im", "ive", "like", "very", "really", "so", "bad", "got", "lot", "bit", "little", "just",
    "avez", "vous", "votre", "vos", "un", "une", "des", "de", "du", "la", "le", "les", "et", "ou", "en", "au",
    "aux", "j", "ai", "je", "mon", "ma", "mes", "est", "que", "qui", "d", "l", "pas", "ressentez", "ne", "suis",
    "tres", "peu", "beaucoup",
}  # fmt: skip
_ZH_STOP = set("您是否有吗的了我在感到觉得最近很")
_ZH_SAME = {"疼": "痛", "烧": "热"}  # characters people use interchangeably for a symptom (头疼/头痛, 发烧/发热)
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
# a good match (above _GOOD) on a question's wording counts a little less than the same match on a curated term,
# so that the words people use win ties (and a term the query covers entirely beats one it partly covers); weaker
# matches, and every score up to _GOOD, are left as they are
_GOOD = 0.75
_QUESTION_WEIGHT = 0.96
_CLOSE = 0.75  # a word counts as matched from this similarity on (`_word_score`)
_CACHED_WORDS = 20_000  # similarities kept per searcher, for the words typed most recently


@dataclass(frozen=True, slots=True)
class Match:
    evidence: str
    score: float  # 0..1


@dataclass(frozen=True, slots=True)
class _Entry:
    evidence: str
    words: list[str]
    pairs: set[str]
    curated: bool  # a term from complaint_terms.json, not the question


def fold(text: str) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fold(text)) if w not in _STOP and len(w) > 1]


def _pairs(text: str) -> set[str]:
    han = [_ZH_SAME.get(c, c) for c in _HAN.findall(text) if c not in _ZH_STOP]
    return {a + b for a, b in pairwise(han)} | set(han)


def _word_score(query: list[str], target: list[str]) -> float:
    """The share of the query's words found in the target, allowing small misspellings."""
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


def _similarity(word: str, other: str) -> float:
    """How well `other` stands for `word` in `_word_score`: 1 when equal or when `word` (4 letters or more)
    begins `other`, else their similarity ratio when they share the first letter, else 0."""
    if word == other or (len(word) >= 4 and other.startswith(word)):
        return 1.0
    if word[0] != other[0] or 2 * min(len(word), len(other)) / (len(word) + len(other)) < _CLOSE:
        return 0.0  # the ratio cannot reach _CLOSE: not worth computing
    matcher = SequenceMatcher(None, word, other)
    return matcher.ratio() if matcher.quick_ratio() >= _CLOSE else 0.0


def _scored(query: list[str], target: list[str], close: Mapping[str, Mapping[str, float]]) -> float:
    """`_word_score` from precomputed similarities: close[w] holds the words at least _CLOSE similar to w."""
    if not query or not target:
        return 0.0
    total = 0.0
    for word in query:
        similar = close[word]
        total += max((similar.get(other, 0.0) for other in target), default=0.0)
    return total / len(query)


def _han_score(query: set[str], target: set[str]) -> float:
    return len(query & target) / len(query) if query else 0.0


@cache
def complaint_terms(path: Path = TERMS_FILE) -> Terms:
    """The curated words people use for each complaint, checked; a malformed file raises KnowledgeError."""
    name = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError(f"{name}: the complaint terms file is missing from {path.parent}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise KnowledgeError(f"{name}: not valid UTF-8 JSON ({error})") from None
    terms = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(terms, dict):
        raise KnowledgeError(f'{name}: expected an object whose "terms" maps evidence codes to terms by language')
    checked: dict[str, dict[str, tuple[str, ...]]] = {}
    for code, by_language in terms.items():
        if not _CODE.fullmatch(code):
            raise KnowledgeError(f"{name}: {code!r} is not an evidence code (they look like E_53)")
        if not isinstance(by_language, dict) or not set(by_language) <= set(LANGUAGES):
            raise KnowledgeError(f"{name}: {code} must map languages ({', '.join(LANGUAGES)}) to lists of terms")
        checked[code] = {}
        for language in LANGUAGES:
            listed = by_language.get(language, [])
            if not isinstance(listed, list) or not all(isinstance(t, str) and t.strip() for t in listed):
                raise KnowledgeError(f"{name}: {code}.{language} must be a list of non-empty strings")
            checked[code][language] = tuple(listed)
    return checked


class ComplaintSearch:
    """Search over a set of evidences by their questions and curated terms (every language at once)."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        evidences: tuple[str, ...],
        prevalence: Mapping[str, float] | None = None,
        terms: Terms | None = None,
        parser: TextParser | None = None,
    ) -> None:
        """`prevalence` (how often each evidence is present) breaks ties: common complaints come first.

        `terms` defaults to complaint_terms.json ({} searches the questions alone); terms of evidences not
        searched here are ignored. With a `parser`, the evidences a text states present come first, with score 1,
        when it states several ("咳嗽发烧": the cough and the fever, though its characters resemble the whooping
        sound) or when the similarity finds no good match.
        """
        self._prevalence = prevalence or {}
        self._parser = parser
        self._searched = frozenset(evidences)
        terms = complaint_terms() if terms is None else terms
        self._entries: list[_Entry] = []
        for code in evidences:
            question = knowledge.evidence(code).question
            words = [w for lang in LANGUAGES if lang != "zh" for w in _words(question[lang])]
            self._entries.append(_Entry(code, words, _pairs(question.zh), curated=False))
            said = dict.fromkeys(t for listed in terms.get(code, {}).values() for t in listed)
            self._entries += [_Entry(code, _words(t), _pairs(t), curated=True) for t in said]
        # for speed: entries by their words, vocabulary by first letter, and each typed word's close words
        # (both ways: the typed word in an entry, and an entry's word in the text) computed once
        self._by_word: dict[str, list[int]] = {}
        for number, entry in enumerate(self._entries):
            for word in dict.fromkeys(entry.words):
                self._by_word.setdefault(word, []).append(number)
        self._by_letter: dict[str, list[str]] = {}
        for word in self._by_word:
            self._by_letter.setdefault(word[0], []).append(word)
        self._close: dict[str, tuple[dict[str, float], dict[str, float]]] = {}

    def _close_words(self, word: str) -> tuple[dict[str, float], dict[str, float]]:
        """Vocabulary words close to `word`: as `_word_score(query=[word], ...)` and `(..., target=[word])` see them."""
        known = self._close.get(word)
        if known is None:
            forward: dict[str, float] = {}
            backward: dict[str, float] = {}
            for other in self._by_letter.get(word[0], ()):
                if (score := _similarity(word, other)) >= _CLOSE:
                    forward[other] = score
                if (score := _similarity(other, word)) >= _CLOSE:
                    backward[other] = score
            if len(self._close) >= _CACHED_WORDS:
                self._close.clear()
            known = self._close[word] = (forward, backward)
        return known

    def _score(
        self, entry: _Entry, words: list[str], pairs: set[str], close: Mapping[str, Mapping[str, float]] | None = None
    ) -> float:
        if pairs:
            cover, complete = _han_score(pairs, entry.pairs), _han_score(entry.pairs, pairs)
        elif close is not None:
            forward = {w: close[w] for w in words}
            cover = _scored(words, entry.words, forward)
            complete = 0.0
            if entry.curated and cover:
                # an entry word is found in the text when a typed word has it among its backward-close words
                found = [max((close[f"<{w}"].get(e, 0.0) for w in words), default=0.0) for e in entry.words]
                complete = sum(found) / len(found) if found else 0.0
        else:
            cover = _word_score(words, entry.words)
            complete = _word_score(entry.words, words) if entry.curated and cover else 0.0
        if cover <= _GOOD:
            return cover if cover >= 0.5 else 0.0
        weight = _QUESTION_WEIGHT + (1 - _QUESTION_WEIGHT) * complete if entry.curated else _QUESTION_WEIGHT
        return _GOOD + (cover - _GOOD) * weight

    def search(self, text: str, limit: int = 5) -> list[Match]:
        """The best matches, best first; empty when nothing is close."""
        text = text.strip()[:200]
        if not text:
            return []
        words, pairs = _words(text), _pairs(text) if _HAN.search(text) else set()
        best: dict[str, float] = {}
        if pairs or not words:
            candidates: list[_Entry] = self._entries
            close: dict[str, Mapping[str, float]] | None = None
        else:
            # only entries sharing a close word with the text can score: the others cover none of its words
            close = {}
            numbers: set[int] = set()
            for word in words:
                forward, backward = self._close_words(word)
                close[word], close[f"<{word}"] = forward, backward
                for other in forward:
                    numbers.update(self._by_word[other])
            candidates = [self._entries[n] for n in sorted(numbers)]
        for entry in candidates:
            score = self._score(entry, words, pairs, close)
            if score > best.get(entry.evidence, 0.0):
                best[entry.evidence] = score
        matches = [Match(code, round(score, 3)) for code, score in best.items()]
        matches.sort(key=lambda m: (-m.score, -self._prevalence.get(m.evidence, 0.0), m.evidence))
        if self._parser is not None:
            # several complaints in one text: each is offered (the similarity of the whole text to one question
            # would find none of them well); one complaint is left to the similarity ranking, tuned for it, unless
            # that finds nothing good ("burning when I pee" resembled only the seizure question)
            stated = [f.evidence for f in self._parser.parse(text) if f.present and f.evidence in self._searched]
            first = list(dict.fromkeys(stated))
            if len(first) > 1 or (first and (not matches or matches[0].score < _GOOD)):
                matches = [Match(code, 1.0) for code in first] + [m for m in matches if m.evidence not in first]
        return matches[:limit]
