"""The page's files, read without a browser: the three languages have the same texts with the same
placeholders, the texts the page asks for exist (and none is left unused), and nothing breaks the
Content-Security-Policy (no inline script or style, no markup built from strings)."""

from __future__ import annotations

import json
import re

import pytest

from symptomcheck.engine.assessment import StopReason
from symptomcheck.web import INDEX, STATIC_DIR

LANGUAGES = ("en", "fr", "zh")
SCRIPTS = sorted((STATIC_DIR / "js").glob("*.js"))
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# keys the page builds from a value rather than writes out: stopped_<stop reason>, sex_<F|M>
BUILT_KEYS = {
    *(f"stopped_{reason.value}" for reason in StopReason),
    "sex_F",
    "sex_M",
}


def strings(lang: str) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((STATIC_DIR / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    return loaded


def page_source() -> str:
    return INDEX.read_text(encoding="utf-8") + "".join(script.read_text(encoding="utf-8") for script in SCRIPTS)


@pytest.mark.parametrize("lang", ["fr", "zh"])
def test_each_language_has_every_text_with_the_same_placeholders(lang: str) -> None:
    english, other = strings("en"), strings(lang)
    assert set(other) == set(english)
    for key, text in english.items():
        assert set(PLACEHOLDER.findall(other[key])) == set(PLACEHOLDER.findall(text)), key
        assert other[key].strip(), key


def test_every_text_the_page_asks_for_exists_and_every_text_is_used() -> None:
    source = page_source()
    known = set(strings("en"))
    asked = set(re.findall(r"""\bt\(\s*"(\w+)\"""", source))
    asked |= set(re.findall(r'data-i18n(?:-aria-label)?="(\w+)"', source))
    asked |= set(re.findall(r'"((?:error|age|sex|complaint)_\w+)"', source))
    assert asked - known == set()
    unused = {key for key in known - BUILT_KEYS if f'"{key}"' not in source}
    assert unused == set()


def test_no_text_claims_certainty() -> None:
    for lang in LANGUAGES:
        for key, text in strings(lang).items():
            assert not re.search(r"\b(?:certainly|definitely|you have|certainement|vous avez un)\b", text), (lang, key)
            assert "肯定" not in text and "确诊" not in text, (lang, key)


def test_the_page_has_no_inline_script_or_style_and_builds_no_markup_from_strings() -> None:
    html = INDEX.read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    assert re.search(r"<script\b[^>]*>\s*[^<\s]", html) is None  # nothing between <script ...> and </script>
    assert "<style" not in html
    assert re.search(r"\sstyle=", html) is None
    assert re.search(r"\son[a-z]+=", html) is None  # no inline event handler
    for script in SCRIPTS:
        code = script.read_text(encoding="utf-8")
        for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert forbidden not in code, (script.name, forbidden)
        assert not re.search(r"""setAttribute\(\s*["']style""", code), script.name
        # nothing from another origin (the SVG namespace is a name that is never fetched)
        assert not re.search(r"https?://", code.replace('"http://www.w3.org/2000/svg"', "")), script.name
