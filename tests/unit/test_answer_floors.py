"""The least probability of an answer: yes/no and categorical answers at `floor`, multi-choice values at
`multi_floor`, or a share of `multi_floor_mass` for a question with many values."""

from __future__ import annotations

from symptomcheck.model.floors import answer_floor


def test_a_yes_no_answer_is_floored_at_the_floor_whatever_the_multi_choice_settings() -> None:
    assert answer_floor({"floor": 1e-3, "multi_floor_mass": 0.05}, multi=False, n_values=2) == 1e-3


def test_a_multi_choice_value_keeps_the_multi_floor_when_no_mass_is_set() -> None:
    assert answer_floor({"multi_floor": 1e-2}, multi=True, n_values=160) == 1e-2


def test_the_floors_of_many_values_together_hold_at_most_the_mass_set() -> None:
    floor = answer_floor({"multi_floor": 1e-2, "multi_floor_mass": 0.05}, multi=True, n_values=160)
    assert floor * 160 <= 0.05 + 1e-12


def test_a_question_with_few_values_keeps_the_multi_floor_under_the_mass() -> None:
    assert answer_floor({"multi_floor": 1e-2, "multi_floor_mass": 0.05}, multi=True, n_values=4) == 1e-2
