"""Invariants of one consultation's inference, checked on generated answer sequences with the shipped model.

Answer sequences are valid by construction: the complaint is a yes to a yes/no symptom without a parent
question; the other answers are to distinct evidences, each with an answer its question accepts, and a
follow-up question (e.g. E_55 "where is the pain") only comes after its parent (E_53 "pain") was answered yes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.engine.assessment import Assessment, Engine
from symptomcheck.engine.errors import AnswerError
from symptomcheck.engine.posterior import normalise
from symptomcheck.engine.questions import information_gain
from symptomcheck.knowledge import EvidenceKind, KnowledgeBase, RedFlag, default_knowledge
from symptomcheck.model import load_model

Answers = list[tuple[str, Answer]]

PROPERTY = settings(max_examples=50, deadline=None, database=None)


# Hypothesis tests take only `engine` (and reach the knowledge base as `engine.knowledge`): the knowledge base's
# repr is too long for hypothesis's failure reports, which warn about it (an error under filterwarnings=error).
@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    """The part of the knowledge base the shipped model covers: the answers drawn are those it can take."""
    model = load_model()
    return default_knowledge().restricted(model.conditions, model.evidences)


@pytest.fixture(scope="module")
def engine(knowledge: KnowledgeBase) -> Engine:
    return Engine(load_model(), knowledge)


def answer_to(knowledge: KnowledgeBase, code: str) -> st.SearchStrategy[Answer]:
    """Any answer the question `code` accepts: yes/no/don't know, or its value(s)."""
    evidence = knowledge.evidence(code)
    if evidence.kind is EvidenceKind.BINARY:
        return st.sampled_from([Answer.yes(), Answer.no(), Answer.unknown()])
    values = st.sampled_from(evidence.value_codes)
    if evidence.kind is EvidenceKind.CATEGORICAL:
        chosen = values.map(Answer.of)
    else:
        chosen = st.lists(values, min_size=1, max_size=3, unique=True).map(lambda vs: Answer.of(*vs))
    return st.one_of(st.just(Answer.no()), st.just(Answer.unknown()), chosen)


def answer_sequences(knowledge: KnowledgeBase, max_others: int = 6) -> st.SearchStrategy[Answers]:
    """A complaint answered yes, then a few distinct evidences with valid answers, follow-ups after a yes."""
    complaints = sorted(
        e.code
        for e in knowledge.evidences
        if e.kind is EvidenceKind.BINARY and not e.is_antecedent and e.parent is None
    )
    parents = sorted({e.parent for e in knowledge.evidences if e.parent is not None})
    top_level = sorted(e.code for e in knowledge.evidences if e.parent is None)

    @st.composite
    def build(draw: st.DrawFn) -> Answers:
        complaint = draw(st.sampled_from(complaints))
        answers: Answers = [(complaint, Answer.yes())]
        used = {complaint}
        yes = {complaint}
        for _ in range(draw(st.integers(0, max_others))):
            follow_ups = sorted(e.code for e in knowledge.evidences if e.parent in yes and e.code not in used)
            free_parents = [code for code in parents if code not in used]
            kinds = ["any"] + (["follow_up"] if follow_ups else []) + (["parent"] if free_parents else [])
            kind = draw(st.sampled_from(kinds))
            if kind == "follow_up":
                code = draw(st.sampled_from(follow_ups))
            elif kind == "parent":
                code = draw(st.sampled_from(free_parents))
            else:
                code = draw(st.sampled_from([c for c in top_level if c not in used]))
            answer = draw(answer_to(knowledge, code))
            answers.append((code, answer))
            used.add(code)
            if answer.status is AnswerStatus.PRESENT:
                yes.add(code)
        return answers

    return build()


def unanswered_eligible(knowledge: KnowledgeBase, answers: Answers) -> list[str]:
    """Evidences not yet answered that may be asked now (no parent, or the parent answered yes)."""
    answered = dict(answers)
    return [
        e.code
        for e in knowledge.evidences
        if e.code not in answered
        and (e.parent is None or (e.parent in answered and answered[e.parent].status is AnswerStatus.PRESENT))
    ]


def red_flag_answer(flag: RedFlag) -> Answer:
    if flag.minimum is not None:
        return Answer.of(str(flag.minimum))
    if flag.value is not None:
        return Answer.of(flag.value)
    return Answer.yes()


def assess(engine: Engine, answers: Sequence[tuple[str, Answer]]) -> Assessment:
    return engine.assess(40, "F", answers)


# --- the posterior ---------------------------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_the_posterior_is_a_probability_distribution(engine: Engine, data: st.DataObject) -> None:
    knowledge = engine.knowledge
    answers = data.draw(answer_sequences(knowledge))
    posterior = assess(engine, answers).posterior
    assert posterior.shape == (engine.tables.n_conditions,)
    assert np.all(posterior >= 0)
    assert posterior.sum() == pytest.approx(1.0, abs=1e-9)


@PROPERTY
@given(data=st.data())
def test_an_answer_of_dont_know_changes_nothing(engine: Engine, data: st.DataObject) -> None:
    knowledge = engine.knowledge
    answers = data.draw(answer_sequences(knowledge))
    code = data.draw(st.sampled_from(unanswered_eligible(knowledge, answers)))
    before = assess(engine, answers).posterior
    after = assess(engine, [*answers, (code, Answer.unknown())]).posterior
    assert np.allclose(before, after, rtol=1e-12, atol=1e-15)


@PROPERTY
@given(data=st.data())
def test_the_order_of_answers_does_not_change_the_posterior(engine: Engine, data: st.DataObject) -> None:
    knowledge = engine.knowledge
    answers = data.draw(answer_sequences(knowledge))
    complaint, others = answers[0], answers[1:]
    shuffled = data.draw(st.permutations(others))
    # keep the shuffle valid: every follow-up after every parent question
    reordered = [a for a in shuffled if knowledge.evidence(a[0]).parent is None] + [
        a for a in shuffled if knowledge.evidence(a[0]).parent is not None
    ]
    before = assess(engine, answers).posterior
    after = assess(engine, [complaint, *reordered]).posterior
    assert np.allclose(before, after, rtol=1e-9, atol=1e-12)


@PROPERTY
@given(
    log_p=hnp.arrays(
        np.float64,
        st.integers(1, 60),
        elements=st.floats(-500.0, 500.0, allow_nan=False, allow_infinity=False),
    ),
    constant=st.floats(-1000.0, 1000.0, allow_nan=False, allow_infinity=False),
)
def test_normalise_is_unchanged_by_adding_a_constant_to_the_log_probabilities(
    log_p: np.ndarray, constant: float
) -> None:
    p = normalise(log_p)
    shifted = normalise(log_p + constant)
    assert np.all(p >= 0)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(p, shifted, rtol=1e-9, atol=1e-12)


# --- the differential ------------------------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_the_differential_lists_visible_probabilities_most_likely_first_led_by_the_posterior_argmax_if_worth_listing(
    engine: Engine, data: st.DataObject
) -> None:
    knowledge = engine.knowledge
    answers = data.draw(answer_sequences(knowledge))
    assessment = assess(engine, answers)
    probabilities = [c.probability for c in assessment.differential]
    assert all(0.01 < p <= 1.0 for p in probabilities)
    assert sum(probabilities) <= 1.0 + 1e-9
    assert probabilities == sorted(probabilities, reverse=True)
    # a leader below `list_min` (answers that fit nothing: a woman's swollen penis) is not worth discussing, and
    # the list keeps only the conditions the advice counts; one at least `list_min` likely always heads it
    leader = int(np.argmax(assessment.posterior))
    if assessment.posterior[leader] >= engine.tables.settings["list_min"]:
        assert assessment.differential[0].code == engine.tables.conditions[leader]


def test_the_posterior_leader_heads_the_differential_after_a_productive_cough_alone(engine: Engine) -> None:
    """A pinned example of the property above: a yes to E_77 (coloured phlegm), woman of 40."""
    assessment = assess(engine, [("E_77", Answer.yes())])
    leader = engine.tables.conditions[int(np.argmax(assessment.posterior))]
    assert [c.code for c in assessment.differential][:1] == [leader]


# --- the next question and stopping ------------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_the_next_question_is_new_and_a_follow_up_only_comes_after_a_yes_to_its_parent(
    engine: Engine, data: st.DataObject
) -> None:
    knowledge = engine.knowledge
    answers = data.draw(answer_sequences(knowledge))
    question = assess(engine, answers).next_question
    assume(question is not None)
    answered = dict(answers)
    assert question not in answered
    parent = knowledge.evidence(question).parent
    if parent is not None:
        assert parent in answered
        assert answered[parent].status is AnswerStatus.PRESENT


@PROPERTY
@given(data=st.data())
def test_there_is_no_next_question_exactly_when_the_interview_should_stop(engine: Engine, data: st.DataObject) -> None:
    knowledge = engine.knowledge
    answers = data.draw(answer_sequences(knowledge))
    assessment = assess(engine, answers)
    assert (assessment.next_question is None) == assessment.should_stop
    assert (assessment.question_reason is None) == assessment.should_stop


# --- triage ------------------------------------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_a_red_flag_answer_never_lowers_the_triage_level(engine: Engine, data: st.DataObject) -> None:
    knowledge = engine.knowledge
    answers = data.draw(answer_sequences(knowledge))
    eligible = set(unanswered_eligible(knowledge, answers))
    # the flags that apply whatever the complaint (a protocol's apply with its family: test_protocols.py)
    flags = [flag for flag in knowledge.red_flags if flag.evidence in eligible and flag.family is None]
    assume(flags)
    flag = data.draw(st.sampled_from(flags))
    before = assess(engine, answers).triage
    after = assess(engine, [*answers, (flag.evidence, red_flag_answer(flag))]).triage
    assert flag in after.red_flags
    assert after.level.urgency >= flag.level.urgency
    assert after.level.urgency >= before.level.urgency, (
        f"adding {flag.evidence}={red_flag_answer(flag)} lowered the advice from {before.level} to {after.level}"
    )


def test_a_yes_to_weakness_in_both_arms_or_legs_does_not_lower_the_advice_after_a_loss_of_smell(
    engine: Engine,
) -> None:
    """A pinned example of the property above: E_103 (loss of smell) yes, then the red flag E_84 yes."""
    before = assess(engine, [("E_103", Answer.yes())]).triage
    after = assess(engine, [("E_103", Answer.yes()), ("E_84", Answer.yes())]).triage
    assert after.level.urgency >= before.level.urgency, f"{before.level} -> {after.level}"


# --- information gain --------------------------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_information_gain_is_never_negative(engine: Engine, data: st.DataObject) -> None:
    knowledge = engine.knowledge
    answers = data.draw(answer_sequences(knowledge))
    posterior = assess(engine, answers).posterior
    gain = information_gain(engine.tables, posterior[None, :])
    assert gain.shape == (1, engine.tables.n_evidences)
    assert np.all(gain >= 0)


@PROPERTY
@given(condition=st.integers(0, 48))
def test_a_posterior_certain_of_one_condition_expects_no_information_from_any_question(
    engine: Engine, condition: int
) -> None:
    one_hot = np.zeros((1, engine.tables.n_conditions))
    one_hot[0, condition] = 1.0
    assert np.allclose(information_gain(engine.tables, one_hot), 0.0, atol=1e-9)


@PROPERTY
@given(data=st.data())
def test_a_question_every_condition_answers_the_same_way_has_no_information_gain(
    engine: Engine, data: st.DataObject
) -> None:
    knowledge = engine.knowledge
    tables = engine.tables
    posterior = assess(engine, data.draw(answer_sequences(knowledge))).posterior
    e = data.draw(st.integers(0, tables.n_evidences - 1))
    rows = tables.rows(e)
    p_outcome = tables.p_outcome.copy()
    p_outcome[rows] = p_outcome[rows].mean(axis=1, keepdims=True)  # the same answer distribution everywhere
    block = p_outcome[rows]
    entropy = tables.entropy_given_condition.copy()
    entropy[e] = -(block * np.log(block)).sum(axis=0)
    uninformative = dataclasses.replace(tables, p_outcome=p_outcome, entropy_given_condition=entropy)
    gain = information_gain(uninformative, posterior[None, :])
    assert gain[0, e] == pytest.approx(0.0, abs=1e-9)


# --- validation ---------------------------------------------------------------------------------------------------

PAIN = ("E_53", Answer.yes())


def test_validate_refuses_an_unknown_evidence_code(engine: Engine) -> None:
    with pytest.raises(AnswerError, match=r"unknown evidence 'E_9999'"):
        engine.validate([PAIN, ("E_9999", Answer.yes())])


def test_validate_refuses_an_evidence_answered_twice(engine: Engine) -> None:
    with pytest.raises(AnswerError, match=r"E_91 is answered twice"):
        engine.validate([PAIN, ("E_91", Answer.yes()), ("E_91", Answer.no())])


@pytest.mark.parametrize(
    "before",
    [[], [("E_53", Answer.no())], [("E_53", Answer.unknown())]],
    ids=["parent_not_answered", "parent_answered_no", "parent_answered_dont_know"],
)
def test_validate_refuses_a_follow_up_before_its_parent_is_yes(engine: Engine, before: Answers) -> None:
    answers = [("E_91", Answer.yes()), *before, ("E_55", Answer.of("V_123"))]
    with pytest.raises(AnswerError, match=r"E_55 follows up E_53: it is asked only after E_53 is yes"):
        engine.validate(answers)


def test_validate_accepts_a_follow_up_after_its_parent_is_yes(engine: Engine) -> None:
    engine.validate([PAIN, ("E_55", Answer.of("V_123"))])


def test_validate_refuses_a_value_not_offered_and_names_what_is_accepted(engine: Engine) -> None:
    with pytest.raises(AnswerError, match=r"E_56 has no value '11'; accepted: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"):
        engine.validate([PAIN, ("E_56", Answer.of("11"))])


def test_validate_refuses_a_categorical_evidence_given_two_values(engine: Engine) -> None:
    with pytest.raises(AnswerError, match=r"E_56 takes exactly one value"):
        engine.validate([PAIN, ("E_56", Answer.of("3", "4"))])


def test_a_second_red_flag_never_lowers_the_advice_reached_after_the_first(engine: Engine) -> None:
    """Exhaustive over complaints and ordered pairs of yes/no red flags (each flag also moves the posterior)."""
    knowledge = engine.knowledge
    flags = sorted(
        {
            flag.evidence
            for flag in knowledge.red_flags
            if flag.value is None
            and flag.minimum is None
            and flag.family is None
            and knowledge.evidence(flag.evidence).parent is None
        }
    )
    starts = [e.code for e in knowledge.evidences if e.kind is EvidenceKind.BINARY and not e.is_antecedent][:12]
    for complaint in starts:
        for first in flags:
            if first == complaint:
                continue
            before = [(complaint, Answer.yes()), (first, Answer.yes())]
            level = engine.assess(40, "F", before).triage.level
            for second in flags:
                if second in (complaint, first):
                    continue
                after = engine.assess(40, "F", [*before, (second, Answer.yes())]).triage.level
                assert after.urgency >= level.urgency, (complaint, first, second, level, after)
