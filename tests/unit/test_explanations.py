"""Which answers count for and against each listed condition (engine.explain.contributions_for)."""

from __future__ import annotations

import numpy as np
import pytest

from symptomcheck.engine.explain import MEANINGFUL, contributions_for


def one_at_a_time(p: np.ndarray, log_likelihood: np.ndarray, d: int) -> float:
    """The definition: the answer's log-likelihood under d less its log mixture over the other conditions,
    weighted by their normalised posterior."""
    others = p.copy()
    others[d] = 0.0
    others = others / others.sum()
    return float(log_likelihood[d] - np.log(np.dot(others, np.exp(log_likelihood))))


def test_every_listed_condition_is_weighed_against_the_others_as_the_definition_says() -> None:
    rng = np.random.default_rng(7)
    p = rng.dirichlet(np.ones(6))
    answers = [(f"E_{k}", np.log(rng.uniform(0.02, 0.98, size=6))) for k in range(5)]
    listed = [3, 0, 5]
    for d, (supporting, against) in zip(listed, contributions_for(p, answers, listed), strict=True):
        expected = {code: one_at_a_time(p, ll, d) for code, ll in answers}
        for c in (*supporting, *against):
            assert c.weight == pytest.approx(expected[c.evidence], rel=1e-9, abs=1e-12)
        assert {c.evidence for c in supporting} == {k for k, w in expected.items() if w > MEANINGFUL}
        assert {c.evidence for c in against} == {k for k, w in expected.items() if w < -MEANINGFUL}
        assert [c.weight for c in supporting] == sorted((c.weight for c in supporting), reverse=True)
        assert [c.weight for c in against] == sorted(c.weight for c in against)


def test_an_answer_that_moves_a_condition_little_is_left_out_and_at_most_three_are_given() -> None:
    p = np.array([0.5, 0.3, 0.2])
    strong = [(f"E_{k}", np.log(np.array([0.9, 0.1, 0.1]))) for k in range(5)]
    weak = [("E_weak", np.log(np.array([0.52, 0.5, 0.5])))]
    ((supporting, against),) = contributions_for(p, [*strong, *weak], [0])
    assert len(supporting) == 3 and "E_weak" not in {c.evidence for c in supporting}
    assert against == ()


def test_a_condition_holding_all_the_mass_is_weighed_against_the_others_alike() -> None:
    p = np.array([1.0, 0.0, 0.0])
    answer = np.log(np.array([0.9, 0.1, 0.3]))
    ((supporting, _),) = contributions_for(p, [("E_1", answer)], [0])
    assert supporting[0].weight == pytest.approx(np.log(0.9) - np.log(0.2))


def test_no_answer_gives_no_explanation() -> None:
    assert contributions_for(np.array([0.6, 0.4]), [], [0, 1]) == [((), ()), ((), ())]
