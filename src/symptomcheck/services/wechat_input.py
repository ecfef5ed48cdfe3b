"""Reading what a person typed on WeChat: commands, a language, an age, a sex, the answer to a question.

Input comes from a phone keyboard in Chinese, English or French: full-width digits and punctuation (１，２),
trailing full stops and stray spaces are normalised away (NFKC, case-folded) before anything is matched.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from symptomcheck.engine.answers import Answer
from symptomcheck.interview.wording import sex_code
from symptomcheck.knowledge import Language
from symptomcheck.services.views import Option, QuestionView, RegionView

Command = Literal["restart", "back", "help", "more", "result"]

COMMANDS: dict[str, Command] = {
    **dict.fromkeys(("重新开始", "重新", "重来", "重新问诊", "restart", "start over", "recommencer"), "restart"),
    **dict.fromkeys(("返回", "上一题", "后退", "back", "go back", "retour", "revenir"), "back"),
    **dict.fromkeys(("帮助", "说明", "help", "aide"), "help"),
    **dict.fromkeys(("更多", "更多选项", "下一页", "more", "plus", "suite"), "more"),
    **dict.fromkeys(("结果", "查看结果", "result", "results", "résultat", "resultat"), "result"),
}  # fmt: skip
LANGUAGE_WORDS: dict[str, Language] = {
    **dict.fromkeys(("中文", "汉语", "简体中文", "chinese", "chinois"), "zh"),
    **dict.fromkeys(("english", "英文", "英语", "anglais", "in english", "en anglais"), "en"),
    **dict.fromkeys(("français", "francais", "french", "法语", "法文", "en français", "en francais"), "fr"),
}  # fmt: skip
YES = {"是", "是的", "有", "对", "嗯", "yes", "y", "yeah", "oui", "o"}
NO = {"否", "不是", "没有", "无", "不", "no", "n", "non"}
UNKNOWN = {"?", "不知道", "不清楚", "不确定", "说不清", "don't know", "dont know", "dk", "idk", "je ne sais pas", "nsp"}
BINARY_NUMBERS = {"1": "yes", "2": "no", "3": "?"}

_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s.!?,;:~。！？，；：…、]+$")
_AGE = re.compile(r"(?:我)?(?:今年)?(\d{1,3})\s*(?:岁|周岁|歳|ans?|years?(?: old)?|yrs?|yo|y)?")
_NUMBERS = re.compile(r"\d+(?:[\s,;、/]+\d+)*")
_SEPARATOR = re.compile(r"[\s,;、/]+")


def normalise(text: str) -> str:
    """Full-width forms folded (NFKC), lower case, single spaces, no trailing punctuation ("?" alone kept)."""
    folded = _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    if folded in ("?", "？"):
        return "?"
    return _TRAILING.sub("", folded).replace("’", "'")


def command(text: str) -> Command | None:
    return COMMANDS.get(normalise(text))


def language_asked(text: str) -> Language | None:
    return LANGUAGE_WORDS.get(normalise(text))


def parse_age(text: str) -> int | None:
    match = _AGE.fullmatch(normalise(text))
    if match is None:
        return None
    age = int(match.group(1))
    return age if 0 <= age <= 120 else None


def parse_sex(text: str) -> str | None:
    """F or M: the numbers offered (1 female, 2 male) or the words of any language (女/男, femme/homme...)."""
    said = normalise(text)
    return {"1": "F", "2": "M"}.get(said) or sex_code(said)


def parse_choice(text: str, count: int) -> int | None:
    """A number from 1 to ``count`` (the index from 0), or None."""
    said = normalise(text)
    if said.isascii() and said.isdecimal() and 1 <= int(said) <= count:
        return int(said) - 1
    return None


def parse_answer(question: QuestionView, text: str) -> Answer | None:
    """The answer ``text`` gives to ``question``, or None when it does not fit the question."""
    said = normalise(text)
    if question.kind == "yes_no":
        said = BINARY_NUMBERS.get(said, said)
        if said in YES:
            return Answer.yes()
        if said in NO:
            return Answer.no()
    if said in UNKNOWN:
        return Answer.unknown()
    if question.kind == "scale":
        assert question.scale is not None
        if said.isascii() and said.isdecimal() and question.scale.min <= int(said) <= question.scale.max:
            return Answer.of(str(int(said)))
        return None
    if question.kind == "yes_no" or not _NUMBERS.fullmatch(said):
        return None
    numbers = [int(part) for part in _SEPARATOR.split(said) if part]
    if not all(1 <= n <= len(question.options) for n in numbers):
        return None
    chosen = tuple(dict.fromkeys(question.options[n - 1].id for n in numbers))
    if question.kind == "one" and len(chosen) != 1:
        return None
    return Answer.of(*chosen)


def options_outside_regions(question: QuestionView) -> tuple[Option, ...]:
    """The options of a body-site question that are no site ("nowhere"): offered before the regions."""
    in_regions = {option.id for region in question.regions for option in region.options}
    return tuple(option for option in question.options if option.id not in in_regions)


def parse_region_choice(question: QuestionView, text: str) -> Answer | int | None:
    """At the region menu of a body-site question: an answer ("nowhere", don't know), the index of the region
    chosen, or None. The menu numbers the answers that are no site first, then the regions."""
    said = normalise(text)
    if said in UNKNOWN:
        return Answer.unknown()
    others = options_outside_regions(question)
    if not (said.isascii() and said.isdecimal() and 1 <= int(said) <= len(others) + len(question.regions)):
        return None
    if int(said) <= len(others):
        return Answer.of(others[int(said) - 1].id)
    return int(said) - len(others) - 1


def parse_sites(region: RegionView, text: str) -> Answer | None:
    """The sites chosen in a region by their numbers; 0 (not sure where) answers with all of them."""
    said = normalise(text)
    if said in UNKNOWN:
        return Answer.unknown()
    if not _NUMBERS.fullmatch(said):
        return None
    numbers = [int(part) for part in _SEPARATOR.split(said) if part]
    if not all(0 <= n <= len(region.options) for n in numbers):
        return None
    if 0 in numbers:
        return Answer.of(*(option.id for option in region.options))
    return Answer.of(*dict.fromkeys(region.options[n - 1].id for n in numbers))
