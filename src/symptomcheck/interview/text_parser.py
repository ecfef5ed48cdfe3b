"""Free text to findings: what a person typed, as evidences present or absent, each with its place in the text.

The vocabulary is the knowledge base's synonyms (texts/synonyms*.csv: evidence, language, phrase, values), so an
evidence added with its phrases is understood without a change here.

English and French: the text is cut into words (case and accents folded); small words that carry no symptom
("my", "the", "de", "la") are set aside, so "pain in my chest" and "pain in the chest" are the same phrase; a
phrase matches the words in order, with at most one other word between two of its words; a word that is not
known may be a misspelling of a vocabulary word (one edit, two for long words, same first letter).
Chinese: jieba cuts the text into words, with every phrase of the vocabulary kept whole; filler words (很, 有点,
了, 我...) are set aside and a phrase matches the remaining text, with 疼 and 痛 taken as one.
Overlapping matches: the one covering more words wins; two evidences may share words ("sharp pain in my chest"
is the kind and the site of one pain, "red itchy eyes" the redness and the itch), but a match whose words all
belong to other findings is dropped. Negation: a cue ("no", "don't", "pas", "sans", 不, 没有)
before a finding, in the same clause, makes it absent, and so does one between a site and its pain (头不疼); the
clause ends at punctuation, at "but" / "mais" / 但是, and at a new "I" / "je" / 有 that starts another statement.
A phrase that says the negation itself ("can't breathe", "no appetite", 没胃口) is a finding, not an absence.
A finding of a follow-up question (the pain's site) brings its parent (pain) with it when present.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from symptomcheck.interview.segmenter import segment
from symptomcheck.interview.spelling import deletions, distance
from symptomcheck.knowledge import LANGUAGES, EvidenceKind, KnowledgeBase, Language, Synonym

Status = Literal["present", "absent"]

_WORD = re.compile(r"[^\W\d_]+|\d+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "’": "'"})
_CLAUSE_END = re.compile(r"[.;:!?()\[\]\n]|,")
_ZH_CLAUSE_END = set("，,。.；;：:！!？?（）()\n")


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# words that carry no symptom: left out of phrases and text alike (negation words are not among them)
_STOP = {
    "en": _set(
        "a an the my me mine i im i'm is am are was were be been being it its it's this that these those of in on "
        "to for with from by into about and or so very really quite bit little some any have has had having got get "
        "getting feel feeling feels felt like just also too since days day week weeks lot lots kind sort"
    ),
    "fr": _set(
        "a à au aux la le les l un une des de du d en et ou mon ma mes ton ta tes son sa ses je j me m moi tu il elle "
        "on nous vous ai as avoir est suis es sont être c ça ca cela ce cette y très tres un peu beaucoup trop depuis "
        "jours jour semaine plutôt plutot assez vraiment"
    ),
}
# the words that make what follows absent (the stop words above never include them)
_NEGATION = {
    "en": _set(
        "no not never without nor neither none dont didnt doesnt havent hasnt isnt arent wasnt aint denies deny"
    ),
    "fr": _set("pas ne n sans aucun aucune jamais ni point"),
}
# the second half of a French negation ("ne ... plus"): in a phrase, it makes the "ne" before it part of the phrase
_PAIRED = _set("plus rien")
# "n't" arrives as two words ("don", "t"): these first halves make it a negation ("can't breathe" is a finding)
_CONTRACTED = _set("don doesn didn haven hasn hadn isn aren wasn weren ain")
_CONTRAST = _set("but however though although except yet mais cependant pourtant sauf quoique")
_SUBJECT = _set("i je j he she il elle")  # a new statement: "no fever and I have a cough"
# "and" before a possessive starts a new statement too: "my shoes don't fit and my feet are swollen"
_AND = _set("and et")
_POSSESSIVE = _set("my his her our their mon ma mes son sa ses notre nos leur leurs")
# common words a misspelling must not be taken for ("could" is not "cold", "tried" is not "tired")
_COMMON = _set(
    "breathes breathed could would should there their where which while about after again before being below "
    "under above other these those every think thing things tried trying taken taking since still whole woken "
    "awake today morning evening night tonight yesterday week month started start begin began worse better really "
    "maybe because pretty worst often always never sometimes little large small right left house couch touch water "
    "drink drank eaten eating sleep slept sleeping walk walked walking doctor hospital mother father child quand "
    "depuis avant après apres encore toujours jamais souvent matin soir nuit hier semaine docteur médecin medecin "
    "enfant maman papa mange manger dormir boire marche marcher avoir était etait quelque chose comme tres mieux "
    "moins pire plus autre aussi"
)
# words that say no symptom alone: a phrase reduced to one of them by the stop words above ("feeling down",
# "loss of feeling", "the runs", "à plat") matches only as a whole, so "low down on my right side" is not low mood
# and "sickle cell and terrible back pain" is not feeling terrible
_NOT_ALONE = _set(
    "down edge loss runs bug altered electric heavier thinner cold awful terrible fit fits"  # English
    " plat cran bois boit frappe louche froid brulant brulante"  # French
)
# forms of one word for that check: "I felt down", "she feels down"
_SAME_WORD = {"feeling": "feel", "feels": "feel", "felt": "feel", "je": "j", "m": "me"}
_ZH_FILLER = frozenset({
    "很", "有点", "有点儿", "有些", "一点", "一点儿", "非常", "特别", "好", "太", "比较", "挺", "十分", "超级", "老",
    "总", "了", "的", "得", "地", "着", "过", "啊", "呀", "吧", "呢", "嘛", "哦", "我", "我的", "自己", "感觉",
    "觉得", "最近", "今天", "昨天", "这两天", "几天", "一直", "还", "又", "在", "就", "都", "是", "还是", "会",
    "一些", "些", "也", "更", "越来越",
})  # fmt: skip
_ZH_NEGATION = frozenset({
    "不", "没", "没有", "无", "未", "并不", "并没有", "从不", "从没", "从来不", "从来没有", "不是", "没什么", "别",
    "毫无",
})  # fmt: skip
_ZH_CONTRAST = frozenset({"但", "但是", "可是", "不过", "却", "然而", "只是", "就是"})
_ZH_RESTART = frozenset({"有", "还有", "另外", "而且"})  # "没有发烧有咳嗽": 有 starts a new statement
_ZH_JOIN = frozenset({"和", "也", "或", "或者", "跟", "及", "以及", "、", "与"})
# words of onset or manner that may stand between a body site and its pain ("下腹突然剧痛", "肚子一阵阵绞痛",
# "右下腹持续疼痛"): the compact text does not join the site to the pain across them
_ZH_PAIN_MANNER = frozenset({
    "突然", "忽然", "猛然", "剧烈", "一阵阵", "一阵一阵", "阵阵", "阵发性", "持续", "持续性", "反复", "隐隐",
    "有时", "偶尔", "经常", "时常", "开始", "时不时",
})  # fmt: skip
_ZH_PAIN = ("痛", "疼")
_ZH_SAME = str.maketrans({"疼": "痛"})
_ZH_GLUED = set("不没无未")  # negation characters the segmenter may glue to the next word


@dataclass(frozen=True, slots=True)
class Finding:
    """An evidence found in the text: present or absent, the values it implies, and where it was said."""

    evidence: str
    status: Status
    start: int  # character offsets in the original text: text[start:end] is what was said
    end: int
    text: str
    matched: str  # the vocabulary phrase it matched
    values: tuple[str, ...] = ()

    @property
    def present(self) -> bool:
        return self.status == "present"


def fold(text: str) -> str:
    """Lower case without accents (œ as oe)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class _Phrase:
    words: tuple[str, ...]
    synonym: Synonym
    whole: tuple[str, ...] = ()  # when set, the text must say these words around its one content word (_said_whole)


@dataclass(slots=True)
class _Latin:
    """The vocabulary of English and French: phrases by their first word, and a misspelling index."""

    by_first: dict[str, list[_Phrase]] = field(default_factory=dict)
    vocabulary: set[str] = field(default_factory=set)
    deletions: dict[str, set[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Word:
    text: str  # folded
    start: int
    end: int
    clause: int  # words of the same clause share this number


@dataclass(frozen=True, slots=True)
class _Match:
    synonym: Synonym
    first: int  # the first and last word matched (English, French) or segmented word (Chinese)
    last: int
    start: int  # character offsets in the text
    end: int
    occupied: frozenset[int]  # the units (words, or characters of the compacted Chinese) the phrase matched
    exact: bool
    negated: bool = False
    parent: str | None = None  # the parent question of the matched evidence, if it is a follow-up

    @property
    def size(self) -> int:
        return len(self.occupied)


class TextParser:
    """Turns a sentence in English, French or Chinese into findings (see the module's description)."""

    def __init__(self, knowledge: KnowledgeBase, synonyms: Sequence[Synonym] | None = None) -> None:
        self.knowledge = knowledge
        synonyms = knowledge.synonyms if synonyms is None else synonyms
        self._latin: dict[Language, _Latin] = {}
        self._zh: dict[str, list[Synonym]] = {}
        for synonym in synonyms:
            if synonym.language == "zh":
                self._zh.setdefault(self._zh_key(synonym.phrase), []).append(synonym)
                continue
            vocabulary = self._latin.setdefault(synonym.language, _Latin())
            folded = [fold(w) for w in _WORD.findall(synonym.phrase)]
            words = tuple(w for w in folded if w not in _STOP[synonym.language])
            if all(w in _NEGATION[synonym.language] for w in words):
                words = tuple(folded)  # "pas bien" is a phrase of its own, not the negation "pas"
            if not words:
                continue
            whole = tuple(folded) if len(words) == 1 < len(folded) and words[0] in _NOT_ALONE else ()
            vocabulary.by_first.setdefault(words[0], []).append(_Phrase(words, synonym, whole))
            vocabulary.vocabulary.update(words)
        for vocabulary in self._latin.values():
            for word in vocabulary.vocabulary:
                if len(word) >= 4:
                    for deleted in deletions(word, 2 if len(word) >= 8 else 1):
                        vocabulary.deletions.setdefault(deleted, set()).add(word)
        self._zh_words = frozenset(s.phrase for group in self._zh.values() for s in group)
        self._zh_longest = max((len(k) for k in self._zh), default=0)

    # -- the public entry --------------------------------------------------------------------------------------

    def parse(self, text: str, language: Language | None = None, age: int | None = None) -> list[Finding]:
        """The findings of `text`, in the order they were said.

        `language` is tried first; when it finds nothing the other languages are tried (a French sentence typed
        in the English page is still understood), with their phrases spelled exactly: a word of one language
        is often a misspelling of another's ("il fait froid" is not "feel faint"). Text with Chinese
        characters is read as Chinese. With the patient's `age`, words said of a young child mean what they
        mean at that age (`AgeReading`).
        """
        text = text[:1000]
        if _HAN.search(text):
            order: list[Language] = ["zh"]
        else:
            first: Language = language if language in ("en", "fr") else "en"
            order = [first, *(lang for lang in LANGUAGES if lang not in (first, "zh"))]
        for lang in order:
            matches = self._match_zh(text) if lang == "zh" else self._match_latin(text, lang)
            if lang != order[0]:
                matches = [m for m in matches if m.exact]
            if matches:
                return self._at_age(self._findings(text, matches), age)
        return []

    def _at_age(self, findings: list[Finding], age: int | None) -> list[Finding]:
        """The findings read at the patient's age (when given), each evidence once: a finding said twice is kept
        where it was first said, and two sites of one pain make one answer."""
        readings = {r.evidence: r.reads_as for r in self.knowledge.age_readings if age is not None and age <= r.max_age}
        result: list[Finding] = []
        for finding in findings:
            read = replace(finding, evidence=readings.get(finding.evidence, finding.evidence))
            key = (read.evidence, read.status)
            same = next((n for n, f in enumerate(result) if (f.evidence, f.status) == key), None)
            if same is None:
                result.append(read)
            elif read.status == "present" and read.values and result[same].values and self._multi(read.evidence):
                # two sites of one pain ("下腹痛，左边肩膀也痛"): one answer that names both
                result[same] = replace(result[same], values=tuple(dict.fromkeys([*result[same].values, *read.values])))
        return result

    def _multi(self, code: str) -> bool:
        return self.knowledge.evidence(code).kind is EvidenceKind.MULTI

    # -- English and French ------------------------------------------------------------------------------------

    def _words(self, text: str) -> list[_Word]:
        words: list[_Word] = []
        clause, previous_end = 0, 0
        for found in _WORD.finditer(text):
            if _CLAUSE_END.search(text, previous_end, found.start()):
                clause += 1
            word = fold(found.group())
            if word in _CONTRAST:
                clause += 1
            words.append(_Word(word, found.start(), found.end(), clause))
            previous_end = found.end()
        return words

    def _candidates(self, word: str, vocabulary: _Latin, language: Language) -> dict[str, bool]:
        """Vocabulary words this text word may be: itself (exact), or words one or two edits away.

        Two edits only between long words (8 letters for one of them, 6 for both: "diaree" is "diarrhee"); a
        misspelling keeps its first letter and is at least 4 letters long; common words are never misspellings.
        """
        if word in vocabulary.vocabulary:
            return {word: True}
        if len(word) < 4 or word in _COMMON or word in _STOP[language]:
            return {}
        found: dict[str, bool] = {}
        for deleted in deletions(word, 2 if len(word) >= 6 else 1):
            for known in vocabulary.deletions.get(deleted, ()):
                if known in found or known[0] != word[0] or (len(word) == 4 and len(known) < 5):
                    continue
                limit = 2 if max(len(word), len(known)) >= 8 and min(len(word), len(known)) >= 6 else 1
                if distance(word, known, limit) <= limit:
                    found[known] = False
        return found

    def _match_latin(self, text: str, language: Language) -> list[_Match]:
        vocabulary = self._latin.get(language)
        if vocabulary is None:
            return []
        words = self._words(text)
        stop = _STOP[language]
        content = [i for i, w in enumerate(words) if w.text not in stop]
        candidates = [self._candidates(words[i].text, vocabulary, language) for i in content]
        matches: list[_Match] = []
        for position, options in enumerate(candidates):
            for first, first_exact in options.items():
                for phrase in vocabulary.by_first.get(first, ()):
                    matched = self._follow(phrase.words, position, content, candidates, words)
                    if matched is None:
                        continue
                    positions, exact = matched
                    begin, last = content[positions[0]], content[positions[-1]]
                    if phrase.whole and not _said_whole(phrase, words, begin):
                        continue
                    occupied = frozenset(content[p] for p in positions)
                    matches.append(
                        _Match(phrase.synonym, begin, last, words[begin].start, words[last].end, occupied,
                               exact and first_exact, parent=self._parent(phrase.synonym))
                    )  # fmt: skip
        chosen = self._choose(matches)
        return [self._negated_latin(m, words, chosen, language) for m in chosen]

    @staticmethod
    def _follow(
        phrase: tuple[str, ...],
        position: int,
        content: list[int],
        candidates: list[dict[str, bool]],
        words: list[_Word],
    ) -> tuple[list[int], bool] | None:
        """Match the rest of `phrase` after its first word at `position`: in order, at most one word between."""
        exact = True
        positions = [position]
        clause = words[content[position]].clause
        for wanted in phrase[1:]:
            for step in (1, 2):
                following = positions[-1] + step
                if following >= len(candidates) or words[content[following]].clause != clause:
                    return None
                if wanted in candidates[following]:
                    exact = exact and candidates[following][wanted]
                    positions.append(following)
                    break
            else:
                return None
        return positions, exact

    @staticmethod
    def _negated_latin(match: _Match, words: list[_Word], chosen: list[_Match], language: Language) -> _Match:
        negation = _NEGATION[language] | _PAIRED
        if any(words[i].text in negation for i in match.occupied):
            # a phrase that says the negation itself is a finding ("no appetite", "pas faim", and "plus de voix",
            # whose "ne" comes before it: "je n'ai plus de voix" has lost the voice)
            return match
        inside = {i for m in chosen for i in m.occupied}
        clause = words[match.first].clause
        for i in range(match.first - 1, max(match.first - 9, -1), -1):
            word = words[i]
            if word.clause != clause:
                break
            if i in inside:
                continue
            following = words[i + 1].text
            if word.text in _SUBJECT and following not in negation | _CONTRACTED:
                break  # "... and I have a cough": a new statement, unless itself negated ("I don't", "je n'ai")
            if word.text in _AND and following in _POSSESSIVE:
                break  # "... and my feet are swollen": the same
            contracted = word.text == "t" and i > 0 and words[i - 1].text in _CONTRACTED
            if word.text in negation or contracted:
                return _negate(match)
        return match

    # -- Chinese -----------------------------------------------------------------------------------------------

    @staticmethod
    def _zh_key(phrase: str) -> str:
        return "".join(phrase.split()).translate(_ZH_SAME)

    def _match_zh(self, text: str) -> list[_Match]:
        tokens = segment(text, self._zh_words)
        # the kept words, concatenated, with the original offset and the word of each character; a negation word
        # is set aside too, but remembered, so that "嗓子不疼" still matches 嗓子疼 (and is absent)
        kept: list[str] = []
        offsets: list[int] = []
        token_of: list[int] = []
        negated_before: set[int] = set()  # compact positions preceded by a negation word set aside
        for n, (word, start, _end) in enumerate(tokens):
            if word in _ZH_NEGATION:
                negated_before.add(len(offsets))
                continue
            if word in _ZH_FILLER or not word.strip() or word in _ZH_CLAUSE_END:
                continue
            for i, character in enumerate(word):
                if word not in self._zh_words and len(word) > 1:
                    # a word the segmenter made around a negation or a filler (头不疼, 很闷): take them apart
                    if character in _ZH_GLUED and i < len(word) - 1:
                        negated_before.add(len(offsets))
                        continue
                    if i == 0 and character in _ZH_FILLER:
                        continue
                kept.append(character)
                offsets.append(start + i)
                token_of.append(n)
        compact = "".join(kept).translate(_ZH_SAME)
        matches: list[_Match] = []
        for size in range(min(self._zh_longest, len(compact)), 0, -1):
            for begin in range(len(compact) - size + 1):
                synonyms = self._zh.get(compact[begin : begin + size], ())
                if not synonyms:
                    continue
                _, token_start, token_end = tokens[token_of[begin]]
                if size == 1 and token_end - token_start > 1 and token_end - offsets[begin] != 1:
                    continue  # one character inside a longer word means something else (痛 of 痛快)
                end = begin + size - 1
                interior = any(begin <= p <= end for p in negated_before)  # 不发烧 glued, or 头不疼
                for synonym in synonyms:
                    match = _Match(synonym, token_of[begin], token_of[end], offsets[begin], offsets[end] + 1,
                                   frozenset(range(begin, end + 1)), True, parent=self._parent(synonym))  # fmt: skip
                    matches.append(_negate(match) if interior else match)
        matches.extend(self._sites_across_manner(tokens, token_of, compact))
        chosen = self._choose(matches)
        return [self._negated_zh(m, tokens, chosen) for m in chosen]

    def _sites_across_manner(
        self, tokens: list[tuple[str, int, int]], token_of: list[int], compact: str
    ) -> list[_Match]:
        """The site of a pain said with words of onset or manner between the site and the pain ("下腹突然剧痛":
        the lower belly; "胸口突然很痛": the chest), read as the site phrase (下腹痛, 胸口痛) they stand for. Only
        follow-ups of the pain question (its site) are read so; a negation or a clause end between them stops it."""
        positions: dict[int, list[int]] = {}
        for position, n in enumerate(token_of):
            positions.setdefault(n, []).append(position)
        found: list[_Match] = []
        for j, (word, _start, end) in enumerate(tokens):
            if not word.endswith(_ZH_PAIN) or j not in positions:
                continue
            k = j - 1
            while k >= 0 and (tokens[k][0] in _ZH_PAIN_MANNER or (k not in positions and tokens[k][0].strip())):
                if tokens[k][0] in _ZH_NEGATION or tokens[k][0] in _ZH_CLAUSE_END:
                    break
                k -= 1
            if k < 0 or k not in positions or not any(tokens[i][0] in _ZH_PAIN_MANNER for i in range(k + 1, j)):
                continue
            for m in range(k, max(k - 3, -1), -1):
                if m not in positions:
                    break
                site = [p for t in range(m, k + 1) for p in positions.get(t, [])]
                for synonym in self._zh.get("".join(compact[p] for p in site) + "痛", ()):
                    parent = self._parent(synonym)
                    if parent is not None:
                        occupied = frozenset([*site, positions[j][-1]])
                        found.append(_Match(synonym, m, j, tokens[m][1], end, occupied, True, parent=parent))
        return found

    @staticmethod
    def _negated_zh(match: _Match, tokens: list[tuple[str, int, int]], chosen: list[_Match]) -> _Match:
        if match.negated or any(c in _ZH_GLUED for c in match.synonym.phrase[:1]):
            return match  # negated inside ("头不疼"), or the phrase says the negation itself ("没胃口")
        inside = {t for m in chosen for t in range(m.first, m.last + 1)}
        for i in range(match.first - 1, max(match.first - 9, -1), -1):
            word = tokens[i][0]
            if word in _ZH_CLAUSE_END or word in _ZH_CONTRAST or word in _ZH_RESTART:
                break
            if i in inside or word in _ZH_JOIN or word in _ZH_FILLER:
                continue
            if word in _ZH_NEGATION:
                return _negate(match)
        return match

    # -- shared ------------------------------------------------------------------------------------------------

    def _parent(self, synonym: Synonym) -> str | None:
        return self.knowledge.evidence(synonym.evidence).parent

    @staticmethod
    def _choose(matches: list[_Match]) -> list[_Match]:
        """The matches that stand, returned in text order.

        The longest match first (then the exact, then the tightest: "neck pain and a stiff neck" is neck pain and
        stiff neck, not "pain ... neck"); a match is dropped when what it matched is all inside a longer one's
        ("sore" inside "sore throat") or when it shares words with one of the same evidence. Different evidences
        may share words ("sharp pain in my chest": the kind and the site of one pain; "red itchy eyes").
        """
        chosen: list[_Match] = []
        for match in sorted(matches, key=lambda m: (-m.size, not m.exact, m.end - m.start, m.start)):
            if any(_blocked(match, other) for other in chosen):
                continue
            # every word already part of other findings: nothing of its own ("mal de gorge et nez qui coule" is
            # no "mal ... nez"), unless the same words name two evidences (上吐下泻) or two sides of one pain
            taken = frozenset().union(*(other.occupied for other in chosen))
            if match.occupied <= taken and not any(
                match.occupied == other.occupied or (match.occupied <= other.occupied and _siblings(match, other))
                for other in chosen
            ):
                continue
            chosen.append(match)
        return sorted(chosen, key=lambda m: (m.start, -m.end))

    def _findings(self, text: str, matches: Iterable[_Match]) -> list[Finding]:
        findings: list[Finding] = []
        seen: set[tuple[str, Status, tuple[str, ...]]] = set()
        # said present anywhere wins over absent ("not a bad cough, just a cough"; "nausea, no vomiting")
        present = {m.synonym.evidence for m in matches if not m.negated}
        for match in matches:
            synonym = match.synonym
            status: Status = "absent" if match.negated else "present"
            if status == "absent" and synonym.evidence in present:
                continue
            evidence = self.knowledge.evidence(synonym.evidence)
            if evidence.parent is not None and status == "present":
                # the site of a pain is a pain: the parent question comes first, from the same words
                parent_key = (evidence.parent, status, ())
                if parent_key not in seen:
                    seen.add(parent_key)
                    findings.append(
                        Finding(evidence.parent, status, match.start, match.end, text[match.start : match.end],
                                synonym.phrase)
                    )  # fmt: skip
            key = (synonym.evidence, status, synonym.values)
            if key in seen:
                continue
            seen.add(key)
            findings.append(
                Finding(synonym.evidence, status, match.start, match.end, text[match.start : match.end],
                        synonym.phrase, synonym.values)
            )  # fmt: skip
        return findings


def _said_whole(phrase: _Phrase, words: list[_Word], at: int) -> bool:
    """Whether the text says the other words of `phrase.whole` around its content word (word `at`): in order, in
    the same clause, at most one other word between two of them ("feeling really down", "I felt down")."""
    middle = phrase.whole.index(phrase.words[0])
    clause = words[at].clause
    for wanted, step in ((phrase.whole[middle + 1 :], 1), (phrase.whole[:middle][::-1], -1)):
        position = at
        for word in wanted:
            for skip in (1, 2):
                near = position + step * skip
                if not 0 <= near < len(words) or words[near].clause != clause:
                    return False
                if _SAME_WORD.get(words[near].text, words[near].text) == _SAME_WORD.get(word, word):
                    position = near
                    break
            else:
                return False
    return True


def _blocked(match: _Match, other: _Match) -> bool:
    """Whether `match` must give way to `other`, a longer (or better) match already chosen."""
    if match.synonym.evidence == other.synonym.evidence:
        return bool(match.occupied & other.occupied)
    # inside a longer match, unless both tell about one thing: the kind and the site of one pain (胸口刺痛)
    return match.occupied < other.occupied and not _siblings(match, other)


def _siblings(match: _Match, other: _Match) -> bool:
    return match.parent is not None and match.parent == other.parent


def _negate(match: _Match) -> _Match:
    return replace(match, negated=True)
