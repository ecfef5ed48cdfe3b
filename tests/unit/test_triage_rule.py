"""The triage decision rule on its own: hand-built probabilities over the 49 conditions, the shipped thresholds.

The thresholds are read from the knowledge base (`triage_rule.csv`), never hard-coded, so these tests check the
rule, not today's numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.triage import batch_urgency, decide, level_by_probability, raised_red_flags
from symptomcheck.knowledge import KnowledgeBase, RedFlag, TriageLevel

AMBULANCE = TriageLevel.EMERGENCY_AMBULANCE
EMERGENCY = TriageLevel.EMERGENCY
SELF_CARE = TriageLevel.SELF_CARE
LEVELS_ABOVE_SELF_CARE = [level for level in TriageLevel if level is not SELF_CARE]


@pytest.fixture(scope="module")
def urgency(knowledge: KnowledgeBase) -> np.ndarray:
    """Urgency of each condition, in the knowledge base's condition order."""
    return np.array([knowledge.level_of(code).urgency for code in knowledge.condition_codes], dtype=np.int64)


def first_condition_at(knowledge: KnowledgeBase, level: TriageLevel) -> str:
    return next(code for code in knowledge.condition_codes if knowledge.level_of(code) is level)


def probabilities(knowledge: KnowledgeBase, masses: dict[str, float]) -> np.ndarray:
    """A probability vector over the conditions: the given masses, the rest on a self-care condition."""
    p = np.zeros(len(knowledge.condition_codes))
    for code, mass in masses.items():
        p[knowledge.condition_codes.index(code)] += mass
    rest = 1.0 - p.sum()
    assert rest >= -1e-12
    p[knowledge.condition_codes.index(first_condition_at(knowledge, SELF_CARE))] += max(rest, 0.0)
    return p


def flag(knowledge: KnowledgeBase, evidence: str, value: str | None = None) -> RedFlag:
    return next(f for f in global_flags(knowledge) if f.evidence == evidence and f.value == value)


# --- the threshold table -----------------------------------------------------------------------------------------


def test_every_triage_level_has_a_threshold(knowledge: KnowledgeBase) -> None:
    assert set(knowledge.triage_thresholds) == set(TriageLevel)


def test_thresholds_are_lower_for_more_urgent_levels(knowledge: KnowledgeBase) -> None:
    thresholds = [knowledge.triage_thresholds[level] for level in LEVELS_ABOVE_SELF_CARE]  # most urgent first
    assert all(0.0 < t < 1.0 for t in thresholds)
    assert thresholds == sorted(thresholds)
    assert len(set(thresholds)) == len(thresholds), "each level needs strictly more mass than the one above it"
    assert knowledge.triage_thresholds[SELF_CARE] == 0.0


# --- the rule --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS_ABOVE_SELF_CARE, ids=lambda level: level.value)
def test_a_level_is_chosen_once_its_conditions_reach_its_threshold(
    knowledge: KnowledgeBase, urgency: np.ndarray, level: TriageLevel
) -> None:
    threshold = knowledge.triage_thresholds[level]
    reached = probabilities(knowledge, {first_condition_at(knowledge, level): threshold})
    assert level_by_probability(reached, urgency, knowledge.triage_thresholds)[0] is level
    short = probabilities(knowledge, {first_condition_at(knowledge, level): threshold * 0.999})
    assert level_by_probability(short, urgency, knowledge.triage_thresholds)[0].urgency < level.urgency


def test_the_most_urgent_level_reached_is_chosen_even_when_less_urgent_ones_carry_more_mass(
    knowledge: KnowledgeBase, urgency: np.ndarray
) -> None:
    thresholds = knowledge.triage_thresholds
    p = probabilities(
        knowledge,
        {
            first_condition_at(knowledge, AMBULANCE): thresholds[AMBULANCE],
            first_condition_at(knowledge, TriageLevel.CONSULTATION): 0.6,
        },
    )
    level, mass = level_by_probability(p, urgency, thresholds)
    assert level is AMBULANCE
    assert mass == pytest.approx(thresholds[AMBULANCE])


def test_more_urgent_conditions_count_towards_a_less_urgent_threshold(
    knowledge: KnowledgeBase, urgency: np.ndarray
) -> None:
    """Neither group alone reaches consultation_24's threshold; together with the more urgent ones they do."""
    thresholds = knowledge.triage_thresholds
    target = thresholds[TriageLevel.CONSULTATION_24]
    ambulance = thresholds[AMBULANCE] * 0.5
    emergency = thresholds[EMERGENCY] * 0.5
    within_a_day = target - ambulance - emergency + 1e-6
    assert 0 < within_a_day < target
    p = probabilities(
        knowledge,
        {
            first_condition_at(knowledge, AMBULANCE): ambulance,
            first_condition_at(knowledge, EMERGENCY): emergency,
            first_condition_at(knowledge, TriageLevel.CONSULTATION_24): within_a_day,
        },
    )
    level, mass = level_by_probability(p, urgency, thresholds)
    assert level is TriageLevel.CONSULTATION_24
    assert mass == pytest.approx(target + 1e-6)


def test_mass_just_below_the_ambulance_threshold_but_enough_for_emergency_gives_emergency(
    knowledge: KnowledgeBase, urgency: np.ndarray
) -> None:
    thresholds = knowledge.triage_thresholds
    ambulance = thresholds[AMBULANCE] - 1e-6
    emergency = thresholds[EMERGENCY] - ambulance + 1e-6
    p = probabilities(
        knowledge,
        {first_condition_at(knowledge, AMBULANCE): ambulance, first_condition_at(knowledge, EMERGENCY): emergency},
    )
    level, mass = level_by_probability(p, urgency, thresholds)
    assert level is EMERGENCY
    assert mass == pytest.approx(ambulance + emergency)


def test_all_the_mass_on_a_self_care_condition_gives_self_care(knowledge: KnowledgeBase, urgency: np.ndarray) -> None:
    p = probabilities(knowledge, {})
    assert p.max() == 1.0
    level, mass = level_by_probability(p, urgency, knowledge.triage_thresholds)
    assert level is SELF_CARE
    assert mass == pytest.approx(1.0)
    assert decide(p, urgency, knowledge.triage_thresholds).level is SELF_CARE


# --- red flags -------------------------------------------------------------------------------------------------


def test_a_red_flag_raises_the_level_above_what_the_probabilities_give(
    knowledge: KnowledgeBase, urgency: np.ndarray
) -> None:
    stridor = flag(knowledge, "E_194")
    decision = decide(
        probabilities(knowledge, {}),
        urgency,
        knowledge.triage_thresholds,
        global_flags(knowledge),
        {"E_194": Answer.yes()},
    )
    assert decision.by_conditions is SELF_CARE
    assert decision.level is stridor.level is AMBULANCE
    assert decision.red_flags == (stridor,)


def test_a_red_flag_never_lowers_the_level_the_probabilities_give(
    knowledge: KnowledgeBase, urgency: np.ndarray
) -> None:
    breathless = flag(knowledge, "E_66")
    assert breathless.level.urgency < AMBULANCE.urgency
    p = probabilities(knowledge, {first_condition_at(knowledge, AMBULANCE): 0.5})
    decision = decide(p, urgency, knowledge.triage_thresholds, global_flags(knowledge), {"E_66": Answer.yes()})
    assert decision.red_flags == (breathless,)
    assert decision.level is AMBULANCE


@pytest.fixture(scope="module")
def red_flags(knowledge: KnowledgeBase) -> tuple[RedFlag, ...]:
    return global_flags(knowledge)


def global_flags(knowledge: KnowledgeBase) -> tuple[RedFlag, ...]:
    """The red flags that apply whatever the complaint (the protocols' apply with their family)."""
    return tuple(f for f in knowledge.red_flags if f.family is None)


@pytest.fixture(scope="module")
def thresholds(knowledge: KnowledgeBase) -> dict[TriageLevel, float]:
    return dict(knowledge.triage_thresholds)


def red_flag_answer(f: RedFlag) -> Answer:
    if f.minimum is not None:
        return Answer.of(str(f.minimum))
    return Answer.of(f.value) if f.value is not None else Answer.yes()


# The knowledge base itself is not passed to hypothesis tests: its repr is too long for hypothesis's reports.
@settings(max_examples=50, deadline=None, database=None)
@given(data=st.data(), concentration=st.sampled_from([0.05, 0.3, 1.0]), seed=st.integers(0, 2**32 - 1))
def test_the_advice_is_the_more_urgent_of_the_probability_level_and_the_raised_red_flags(
    urgency: np.ndarray,
    thresholds: dict[TriageLevel, float],
    red_flags: tuple[RedFlag, ...],
    data: st.DataObject,
    concentration: float,
    seed: int,
) -> None:
    p = np.random.default_rng(seed).dirichlet(np.full(len(urgency), concentration))
    chosen = data.draw(st.lists(st.sampled_from(red_flags), max_size=3, unique_by=lambda f: f.evidence))
    answers = {f.evidence: red_flag_answer(f) for f in chosen}
    decision = decide(p, urgency, thresholds, red_flags, answers)
    by_probability = level_by_probability(p, urgency, thresholds)[0]
    assert set(chosen) <= set(decision.red_flags)
    flags_urgency = max((f.level.urgency for f in decision.red_flags), default=-1)
    assert decision.by_conditions is by_probability
    assert decision.level.urgency == max(by_probability.urgency, flags_urgency)
    assert decision.level.urgency >= by_probability.urgency


def test_a_yes_to_a_yes_no_red_flag_raises_it_and_no_or_dont_know_do_not(knowledge: KnowledgeBase) -> None:
    stridor = flag(knowledge, "E_194")
    assert raised_red_flags(global_flags(knowledge), {"E_194": Answer.yes()}) == (stridor,)
    assert raised_red_flags(global_flags(knowledge), {"E_194": Answer.no()}) == ()
    assert raised_red_flags(global_flags(knowledge), {"E_194": Answer.unknown()}) == ()
    assert raised_red_flags(global_flags(knowledge), {}) == ()


def test_a_value_red_flag_is_raised_only_by_its_value(knowledge: KnowledgeBase) -> None:
    tongue = flag(knowledge, "E_152", "V_61")
    throat = flag(knowledge, "E_152", "V_148")
    assert raised_red_flags(global_flags(knowledge), {"E_152": Answer.of("V_61")}) == (tongue,)
    assert set(raised_red_flags(global_flags(knowledge), {"E_152": Answer.of("V_61", "V_148")})) == {tongue, throat}
    assert raised_red_flags(global_flags(knowledge), {"E_152": Answer.of("V_123")}) == ()  # nowhere
    assert raised_red_flags(global_flags(knowledge), {"E_152": Answer.no()}) == ()
    assert raised_red_flags(global_flags(knowledge), {"E_152": Answer.unknown()}) == ()


@pytest.mark.parametrize(("intensity", "raised"), [("7", False), ("8", True), ("9", True), ("10", True), ("0", False)])
def test_a_scale_red_flag_is_raised_from_its_minimum(knowledge: KnowledgeBase, intensity: str, raised: bool) -> None:
    pain = next(f for f in global_flags(knowledge) if f.evidence == "E_56")
    assert pain.minimum == 8
    result = raised_red_flags(global_flags(knowledge), {"E_56": Answer.of(intensity)})
    assert result == ((pain,) if raised else ())


def test_red_flags_are_listed_most_urgent_first(knowledge: KnowledgeBase) -> None:
    answers = {"E_66": Answer.yes(), "E_194": Answer.yes(), "E_159": Answer.yes()}
    raised = raised_red_flags(global_flags(knowledge), answers)
    assert raised[0].evidence == "E_194"  # stridor: an ambulance, before the two emergency-level flags
    assert {f.evidence for f in raised} == {"E_194", "E_159", "E_66"}
    assert [f.level.urgency for f in raised] == sorted((f.level.urgency for f in raised), reverse=True)


# --- the vectorised rule -----------------------------------------------------------------------------------------


def test_batch_urgency_agrees_with_the_rule_row_by_row(knowledge: KnowledgeBase, urgency: np.ndarray) -> None:
    rng = np.random.default_rng(20240601)
    thresholds = knowledge.triage_thresholds
    rows = [rng.dirichlet(np.full(len(urgency), alpha), size=400) for alpha in (0.02, 0.1, 0.5, 2.0)]
    # and rows sitting exactly on each threshold
    edges = [
        probabilities(knowledge, {first_condition_at(knowledge, level): thresholds[level]})
        for level in LEVELS_ABOVE_SELF_CARE
    ]
    p = np.vstack([*rows, np.array(edges), probabilities(knowledge, {})[None, :]])
    batch = batch_urgency(p, urgency, thresholds)
    one_by_one = np.array([level_by_probability(row, urgency, thresholds)[0].urgency for row in p])
    np.testing.assert_array_equal(batch, one_by_one)
    assert set(batch) >= {level.urgency for level in TriageLevel}, "the sample reaches every level"


# --- the triage table ----------------------------------------------------------------------------------------------


def test_every_condition_has_a_triage_rule_with_a_reason(knowledge: KnowledgeBase) -> None:
    assert set(knowledge.triage) == set(knowledge.condition_codes)
    for code, rule in knowledge.triage.items():
        assert rule.condition == code
        assert rule.reason.strip(), f"{code} has no reason for its triage level"


def test_every_condition_of_severity_1_is_sent_to_emergency_care(knowledge: KnowledgeBase) -> None:
    most_severe = [c for c in knowledge.conditions if c.severity == 1]
    assert most_severe
    for condition in most_severe:
        assert knowledge.level_of(condition.code) in (AMBULANCE, EMERGENCY), condition.code
