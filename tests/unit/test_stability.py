"""The stability metric: one low-weight answer flipped, the advice recomputed, moves of two levels counted."""

from __future__ import annotations

import numpy as np
import pytest

from symptomcheck.engine.assessment import Engine
from symptomcheck.engine.posterior import normalise
from symptomcheck.evaluation.batch import interview_chunk
from symptomcheck.evaluation.metrics import shift_rates
from symptomcheck.evaluation.simulate import derived_answers, simulate
from symptomcheck.evaluation.stability import weight_added, weight_given, weight_given_each
from symptomcheck.knowledge import KnowledgeBase, TriageLevel
from symptomcheck.model import Model
from symptomcheck.model.demographics import AGE_BAND_STARTS
from symptomcheck.patients import Patient

# an ambulance-level, an emergency-level and a within-24-hours condition, and evidences listed for them (the
# interview asks only what a condition in play depends on) that are no red flag
CONDITIONS = ("Anaphylaxis", "Acute dystonic reactions", "Acute COPD exacerbation / infection")
EVIDENCES = ("E_168", "E_123", "E_125")


def tiny_engine(knowledge: KnowledgeBase, light_answer_points_to: int) -> Engine:
    """Three conditions, three yes/no evidences: E_168 (the complaint) says nothing, E_123 weighs a lot (the two
    emergencies say yes half the time, the 24-hour one rarely), E_125 weighs little but a "yes" to it points to
    one condition (0: the ambulance one, 1: the emergency one)."""
    p_yes = np.array([[0.5, 0.5, 0.5], [0.5, 0.5, 0.05], [0.02, 0.02, 0.02]])
    p_yes[2, light_answer_points_to] = 0.3
    p_outcome = np.empty((6, 3))
    p_outcome[0::2], p_outcome[1::2] = 1 - p_yes, p_yes
    model = Model(
        conditions=CONDITIONS,
        evidences=EVIDENCES,
        outcomes=(("0", "1"),) * 3,
        p_outcome_=p_outcome,
        offsets_=np.arange(0, 8, 2),
        p_prior_=np.array([0.02, 0.05, 0.93]),
        p_age_band_=np.full((3, len(AGE_BAND_STARTS)), 1 / len(AGE_BAND_STARTS)),
        p_sex_=np.full((3, 2), 0.5),
        # untempered, and never settled: both questions are asked
        settings={"temperature": 1.0, "stop_confidence": 1.01, "stop_min_gain": 0.0},
    )
    return Engine(model, knowledge)


# answers no to everything but the complaint
PATIENT = Patient(30, "F", CONDITIONS[2], "E_168", frozenset({"E_168"}), {}, ())


def test_the_tiny_conditions_have_the_levels_the_cases_need(knowledge: KnowledgeBase) -> None:
    levels = [knowledge.level_of(code) for code in CONDITIONS]
    assert levels == [TriageLevel.EMERGENCY_AMBULANCE, TriageLevel.EMERGENCY, TriageLevel.CONSULTATION_24]


def test_the_stability_metric_counts_a_two_level_move(knowledge: KnowledgeBase) -> None:
    result = interview_chunk(tiny_engine(knowledge, 0), [PATIENT], max_turns=2)
    assert result.asked == [frozenset({"E_123", "E_125"})]
    # the light "no" to E_125 becomes "yes": the ambulance condition passes its threshold
    assert (int(result.advice_urgency[0]), int(result.flipped_urgency[0])) == (2, 4)
    rates = shift_rates(result.advice_urgency, result.flipped_urgency)
    assert rates == {"stability_flip_rate": 1.0, "stability_shift1_rate": 1.0, "stability_cases": 1.0}


def test_the_stability_metric_ignores_a_one_level_move(knowledge: KnowledgeBase) -> None:
    result = interview_chunk(tiny_engine(knowledge, 1), [PATIENT], max_turns=2)
    assert (int(result.advice_urgency[0]), int(result.flipped_urgency[0])) == (2, 3)
    rates = shift_rates(result.advice_urgency, result.flipped_urgency)
    assert rates == {"stability_flip_rate": 0.0, "stability_shift1_rate": 1.0, "stability_cases": 1.0}


def test_the_answer_flipped_is_the_one_of_least_weight_not_the_heavy_one(knowledge: KnowledgeBase) -> None:
    engine = tiny_engine(knowledge, 0)
    tables = engine.tables
    interviews = simulate(tables, [PATIENT], 2, derived_answers(knowledge, tables, [PATIENT]))
    p = normalise(interviews.log_posterior)
    heavy = weight_given(p, tables.log_p_outcome[[2]])  # "no" to E_123
    light = weight_given(p, tables.log_p_outcome[[4]])  # "no" to E_125
    assert light[0] < heavy[0]
    # flipping the heavy one instead ("yes" to E_123) would have moved the advice as well: the choice matters
    assert weight_given(p, tables.log_p_outcome[[3]])[0] > light[0]


def test_a_patient_with_only_the_complaint_is_not_counted(knowledge: KnowledgeBase) -> None:
    result = interview_chunk(tiny_engine(knowledge, 0), [PATIENT], max_turns=0)
    assert result.asked == [frozenset()]
    assert int(result.flipped_urgency[0]) == -1
    rates = shift_rates(np.array([2, 1]), np.array([-1, 1]))
    assert rates["stability_cases"] == 1.0 and rates["stability_shift1_rate"] == 0.0


def test_the_weight_of_an_answer_is_the_kl_divergence_of_the_posteriors_with_and_without_it() -> None:
    rng = np.random.default_rng(0)
    p_without = rng.dirichlet(np.ones(5), size=3)
    log_likelihood = np.log(rng.uniform(0.01, 1, size=(3, 5)))
    p_with = p_without * np.exp(log_likelihood)
    p_with /= p_with.sum(axis=1, keepdims=True)
    kl = (p_with * np.log(p_with / p_without)).sum(axis=1)
    assert weight_given(p_with, log_likelihood) == pytest.approx(kl)
    each = weight_given_each(p_with, log_likelihood)
    assert np.diag(each) == pytest.approx(kl)
    added = weight_added(p_without, log_likelihood)
    assert np.diag(added) == pytest.approx(kl)
    # a constant added to the log-likelihood changes nothing
    assert weight_given(p_with, log_likelihood + 3.0) == pytest.approx(kl)
