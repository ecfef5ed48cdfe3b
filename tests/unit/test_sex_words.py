"""The sex is taken in the words of each language, on every channel: 女/男, femme/homme (f/h), female/male
(f/m), in any case and with the spaces a keyboard adds; WeChat also takes the numbers it offers."""

from __future__ import annotations

import pytest

from symptomcheck.interview.wording import sex_code
from symptomcheck.services.wechat_input import parse_sex


@pytest.mark.parametrize(
    ("said", "code"),
    [
        ("女", "F"),
        ("男", "M"),
        ("女性", "F"),
        ("femme", "F"),
        ("homme", "M"),
        ("h", "M"),
        ("F", "F"),
        ("female", "F"),
        ("Male", "M"),
        ("m", "M"),
        (" M ", "M"),
    ],
)
def test_the_local_words_for_the_sex_are_understood_in_the_terminal_and_on_wechat(said: str, code: str) -> None:
    assert sex_code(said) == code
    assert parse_sex(said) == code


@pytest.mark.parametrize("said", ["x", "", "3", "人", "mf"])
def test_anything_else_is_not_taken_for_a_sex(said: str) -> None:
    assert sex_code(said) is None
    assert parse_sex(said) is None


def test_wechat_also_takes_the_numbers_it_offers() -> None:
    assert parse_sex("1") == "F" and parse_sex("２") == "M"  # a full-width digit from a Chinese keyboard
