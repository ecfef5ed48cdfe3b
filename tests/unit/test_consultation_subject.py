"""Who a consultation is for: oneself (the default), a child under 16, or another adult."""

from __future__ import annotations

import pytest

from symptomcheck.interview import Consultation, ConsultationError, Subject
from symptomcheck.interview.consultation import FORMAT_VERSION


def test_a_consultation_is_for_oneself_unless_said_otherwise() -> None:
    assert Consultation(age=40, sex="F", language="en", complaint="E_91").subject is Subject.SELF


@pytest.mark.parametrize("age", [0, 15])
def test_a_consultation_for_a_child_takes_the_childs_age_under_16(age: int) -> None:
    consultation = Consultation(age=age, sex="M", language="fr", complaint="E_91", subject=Subject.CHILD)
    assert consultation.age == age and consultation.for_someone_else


@pytest.mark.parametrize("age", [16, 40])
def test_a_consultation_for_a_child_aged_16_or_more_is_refused_saying_what_to_choose(age: int) -> None:
    with pytest.raises(ConsultationError, match=r"under 16.*'adult'"):
        Consultation(age=age, sex="M", language="en", complaint="E_91", subject=Subject.CHILD)


@pytest.mark.parametrize("age", [3, 16, 90])
def test_a_consultation_for_oneself_or_another_adult_accepts_any_age(age: int) -> None:
    for subject in (Subject.SELF, Subject.ADULT):
        assert Consultation(age=age, sex="F", language="zh", complaint="E_91", subject=subject).age == age


def test_a_subject_that_is_not_one_of_the_three_is_refused_naming_them() -> None:
    with pytest.raises(ConsultationError, match="self, child, adult"):
        Consultation(age=4, sex="F", language="en", complaint="E_91", subject="kid")  # type: ignore[arg-type]


@pytest.mark.parametrize("subject", list(Subject))
def test_the_subject_survives_a_round_trip_through_its_stored_text(subject: Subject) -> None:
    consultation = Consultation(age=9, sex="F", language="en", complaint="E_91", subject=subject)
    assert consultation.to_json()["subject"] == subject.value
    assert Consultation.loads(consultation.dumps()) == consultation


def test_a_consultation_stored_before_the_subject_existed_loads_as_for_oneself() -> None:
    stored = {"format": FORMAT_VERSION, "age": 30, "sex": "M", "language": "en", "complaint": "E_91", "turns": []}
    assert Consultation.from_json(stored).subject is Subject.SELF


def test_a_stored_consultation_with_an_unknown_subject_is_refused() -> None:
    stored = {"format": 1, "age": 30, "sex": "M", "language": "en", "complaint": "E_91", "turns": [], "subject": "dog"}
    with pytest.raises(ConsultationError, match="subject must be one of"):
        Consultation.from_json(stored)
