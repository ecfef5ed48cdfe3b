"""The complaint search: typed text in English, French or Chinese to the evidence it means."""

from __future__ import annotations

from itertools import pairwise

import pytest

from symptomcheck.engine.assessment import Engine
from symptomcheck.interview import complaint_prevalence, complaints
from symptomcheck.interview.complaint_search import ComplaintSearch
from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.model import load_model


@pytest.fixture(scope="module")
def search(knowledge: KnowledgeBase) -> ComplaintSearch:
    engine = Engine(load_model(), knowledge)
    return ComplaintSearch(knowledge, complaints(engine), complaint_prevalence(engine))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fever", "E_91"),
        ("FEVER", "E_91"),
        ("fevr", "E_91"),
        ("fièvre", "E_91"),
        ("fievre", "E_91"),
        ("发烧", "E_91"),
        ("发热", "E_91"),
        ("sore throat", "E_97"),
        ("throat sore", "E_97"),
        ("mal de gorge", "E_97"),
        ("toux", "E_201"),
        ("cough blood", "E_45"),
    ],
)
def test_a_typed_complaint_finds_its_evidence_first(search: ComplaintSearch, text: str, expected: str) -> None:
    assert search.search(text)[0].evidence == expected


def test_a_word_that_only_resembles_another_does_not_match_it(
    search: ComplaintSearch, knowledge: KnowledgeBase
) -> None:
    # "fever" must not match "feverish"-like words of other questions ("never", "liver"); a question that says
    # "fever" itself (a kidney infection "with pain in your side and a fever") may follow the fever question
    found = [m.evidence for m in search.search("fever")]
    assert found[0] == "E_91"
    assert all("fever" in knowledge.evidence(code).question.en.lower() for code in found)


def test_nothing_close_gives_no_match(search: ComplaintSearch) -> None:
    assert search.search("xylophone quartz") == []
    assert search.search("   ") == []


def test_among_equal_matches_the_more_common_complaint_comes_first(knowledge: KnowledgeBase) -> None:
    engine = Engine(load_model(), knowledge)
    prevalence = complaint_prevalence(engine)
    ranked = ComplaintSearch(knowledge, complaints(engine), prevalence).search("pain", limit=50)
    assert len(ranked) > 3
    for better, worse in pairwise(ranked):
        if better.score == worse.score:
            assert prevalence[better.evidence] >= prevalence[worse.evidence]
    unordered = ComplaintSearch(knowledge, complaints(engine)).search("pain", limit=50)
    assert [m.evidence for m in unordered] != [m.evidence for m in ranked]  # the prevalence did reorder ties
