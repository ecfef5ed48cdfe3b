"""The DDXPlus metrics on three hand-made patients, every value worked out by hand.

Conditions are the 49 of the shipped knowledge base; 17 are severe (severity 1 or 2), among them Pulmonary
embolism (2) and Possible NSTEMI / STEMI (1). Pneumonia (3), Bronchitis (4), URTI (5), Influenza (3),
Acute laryngitis (4) and Viral pharyngitis (4) are not severe.

Triage urgencies (knowledge.level_of(code).urgency): Pneumonia 2 (consultation_24), Pulmonary embolism 4
(emergency_ambulance), URTI 0 (self_care).

Patient 1, Pneumonia. Ground truth: Pneumonia 0.5, Bronchitis 0.3, Pulmonary embolism 0.2 -> {Pn, Br, PE}.
  Predicted: Bronchitis .30, URTI .20, Influenza .15, Acute laryngitis .10, Viral pharyngitis .08, Pneumonia .06,
  Pulmonary embolism exactly .01 (not counted), the 42 others .10/42 (~.0024, below the threshold).
  Ranked above .01: Br, URTI, Flu, Lar, Phar, Pn -> the truth is 6th: GTPA@1 0, @3 0, @5 0, GTPA 1.
  Predicted set of 6, hits {Br, Pn}: DDR 2/3, DDP 2/6 = 1/3, DDF1 = 2(2/3)(1/3)/(2/3 + 1/3) = 4/9.
  Severe in the truth {PE}, not predicted (.01 does not count): DSR 0/1 = 0.
  Severe outside the truth: 16, none predicted: DSP 16/16 = 1.
  Evidences: present {E_201 (initial), E_91, E_77, E_66, E_181} -> found 4 (initial excluded);
  asked {E_91, E_77, E_53}: 2 found. IL 3 + 1 = 4, PER 2/4 = 1/2, PEP 2/3.
  Advice urgency 2 = true urgency 2: exact.

Patient 2, Pulmonary embolism. Ground truth: PE .6, Pneumonia .395, URTI .005 (below the threshold) -> {PE, Pn}.
  Predicted: Possible NSTEMI / STEMI .40, PE .35, Pneumonia .15, Bronchitis .04, Influenza .02, the 44 others .04/44.
  Ranked: NSTEMI, PE, Pn, Br, Flu -> the truth is 2nd: GTPA@1 0, @3 1, @5 1, GTPA 1.
  Predicted set of 5, hits {PE, Pn}: DDR 2/2 = 1, DDP 2/5, DDF1 = 2(1)(2/5)/(7/5) = 4/7.
  Severe in the truth {PE}, predicted: DSR 1. Severe outside: 16, NSTEMI predicted: DSP 15/16.
  Evidences: present {E_66 (initial), E_77, E_91} -> found 2; nothing asked: IL 0 + 1 = 1, PER 0/2 = 0,
  PEP undefined (no question asked) -> left out of the PEP mean.
  Advice urgency 3 < true urgency 4: under-triage.

Patient 3, URTI. Ground truth: URTI .8, Influenza .19, Bronchitis exactly .01 (not counted) -> {URTI, Flu}.
  Predicted: Bronchitis .40, Pneumonia .25, Influenza .15, URTI .10, the 45 others .10/45.
  Ranked: Br, Pn, Flu, URTI -> the truth is 4th: GTPA@1 0, @3 0, @5 1, GTPA 1.
  Predicted set of 4, hits {Flu, URTI}: DDR 2/2 = 1, DDP 2/4 = 1/2, DDF1 2/3.
  No severe condition in the truth: DSR undefined -> left out. Severe outside: all 17, none predicted: DSP 1.
  Evidences: present {E_181 (initial)} -> found nothing: PER undefined -> left out;
  asked {E_91, E_53}: PEP 0/2 = 0. IL 2 + 1 = 3.
  Advice urgency 1 > true urgency 0: over-triage.

Means: IL (4 + 1 + 3)/3 = 8/3. GTPA@1 0, GTPA@3 1/3, GTPA@5 2/3, GTPA 1.
  DDR (2/3 + 1 + 1)/3 = 8/9. DDP (1/3 + 2/5 + 1/2)/3 = 37/90.
  DDF1 is the mean of the per-patient F1s: (4/9 + 4/7 + 2/3)/3 = 106/189 (~0.5608), not the F1 of the means
  2(8/9)(37/90)/(8/9 + 37/90) = 592/1053 (~0.5622).
  PER (1/2 + 0)/2 = 1/4. PEP (2/3 + 0)/2 = 1/3. PEF1 is the F1 of the means: 2(1/4)(1/3)/(1/4 + 1/3) = 2/7.
  DSR (0 + 1)/2 = 1/2. DSP (1 + 15/16 + 1)/3 = 47/48. DSF1 = 2(1/2)(47/48)/(1/2 + 47/48) = 47/71.
  Triage: exact 1/3, under 1/3, over 1/3.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from symptomcheck.evaluation.metrics import THRESHOLD, EvaluationInput, compute_metrics, ranked_differential
from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.patients import Patient

PN, BR, PE, URTI = "Pneumonia", "Bronchitis", "Pulmonary embolism", "URTI"
FLU, LARYNGITIS, PHARYNGITIS, NSTEMI = "Influenza", "Acute laryngitis", "Viral pharyngitis", "Possible NSTEMI / STEMI"


def _patient(pathology: str, differential: tuple[tuple[str, float], ...], initial: str, present: set[str]) -> Patient:
    return Patient(
        age=40,
        sex="F",
        pathology=pathology,
        initial_evidence=initial,
        present=frozenset(present | {initial}),
        values={},
        differential=differential,
    )


def _prediction(knowledge: KnowledgeBase, chosen: dict[str, float]) -> np.ndarray:
    """A probability vector over the 49 conditions: the chosen ones, the rest sharing what is left equally."""
    codes = knowledge.condition_codes
    rest = (1.0 - sum(chosen.values())) / (len(codes) - len(chosen))
    assert 0 <= rest < THRESHOLD
    return np.array([chosen.get(code, rest) for code in codes], dtype=np.float64)


def _input(
    knowledge: KnowledgeBase,
    patients: list[Patient],
    predictions: list[dict[str, float]],
    asked: list[set[str]],
    advice: list[int],
) -> EvaluationInput:
    codes = knowledge.ddxplus().condition_codes  # the DDXPlus metrics are over its 49 conditions
    return EvaluationInput(
        patients=patients,
        conditions=codes,
        severe=np.array([knowledge.condition(code).is_severe for code in codes], dtype=np.bool_),
        level_urgency=np.array([knowledge.level_of(code).urgency for code in codes], dtype=np.int64),
        differentials=[ranked_differential(_prediction(knowledge, chosen)) for chosen in predictions],
        asked=[frozenset(a) for a in asked],
        advice_urgency=np.array(advice, dtype=np.int64),
    )


PATIENTS = [
    _patient(PN, ((PN, 0.5), (BR, 0.3), (PE, 0.2)), "E_201", {"E_91", "E_77", "E_66", "E_181"}),
    _patient(PE, ((PE, 0.6), (PN, 0.395), (URTI, 0.005)), "E_66", {"E_77", "E_91"}),
    _patient(URTI, ((URTI, 0.8), (FLU, 0.19), (BR, 0.01)), "E_181", set()),
]
PREDICTIONS = [
    {BR: 0.30, URTI: 0.20, FLU: 0.15, LARYNGITIS: 0.10, PHARYNGITIS: 0.08, PN: 0.06, PE: 0.01},
    {NSTEMI: 0.40, PE: 0.35, PN: 0.15, BR: 0.04, FLU: 0.02},
    {BR: 0.40, PN: 0.25, FLU: 0.15, URTI: 0.10},
]
ASKED = [{"E_91", "E_77", "E_53"}, set(), {"E_91", "E_53"}]


@pytest.fixture(scope="module")
def metrics(knowledge: KnowledgeBase) -> dict[str, float]:
    return compute_metrics(_input(knowledge, PATIENTS, PREDICTIONS, ASKED, advice=[2, 3, 1]))


def test_the_hand_made_patients_use_the_severities_and_levels_worked_out_above(knowledge: KnowledgeBase) -> None:
    assert [knowledge.condition(code).severity for code in (PN, BR, PE, URTI)] == [3, 4, 2, 5]
    assert sum(c.is_severe for c in knowledge.ddxplus().conditions) == 17
    assert knowledge.condition(NSTEMI).is_severe
    assert not any(knowledge.condition(code).is_severe for code in (FLU, LARYNGITIS, PHARYNGITIS))
    assert [knowledge.level_of(code).urgency for code in (PN, PE, URTI)] == [2, 4, 0]


def test_the_patient_count_and_interaction_length(metrics: dict[str, float]) -> None:
    assert metrics["patients"] == 3
    assert metrics["IL"] == pytest.approx(8 / 3)


def test_the_ground_truth_pathology_accuracy_at_1_3_5_and_anywhere(metrics: dict[str, float]) -> None:
    assert metrics["GTPA@1"] == pytest.approx(0.0)
    assert metrics["GTPA@3"] == pytest.approx(1 / 3)
    assert metrics["GTPA@5"] == pytest.approx(2 / 3)
    assert metrics["GTPA"] == pytest.approx(1.0)


def test_the_differential_recall_precision_and_per_patient_f1(metrics: dict[str, float]) -> None:
    assert metrics["DDR"] == pytest.approx(8 / 9)
    assert metrics["DDP"] == pytest.approx(37 / 90)
    assert metrics["DDF1"] == pytest.approx(106 / 189)
    assert metrics["DDF1"] != pytest.approx(592 / 1053)  # the F1 of the means is not what DDXPlus reports


def test_the_evidence_recall_precision_and_the_f1_of_their_means(metrics: dict[str, float]) -> None:
    assert metrics["PER"] == pytest.approx(1 / 4)
    assert metrics["PEP"] == pytest.approx(1 / 3)
    assert metrics["PEF1"] == pytest.approx(2 / 7)


def test_the_severe_condition_recall_rule_out_rate_and_f1(metrics: dict[str, float]) -> None:
    assert metrics["DSR"] == pytest.approx(1 / 2)
    assert metrics["DSP"] == pytest.approx(47 / 48)
    assert metrics["DSF1"] == pytest.approx(47 / 71)


def test_triage_exact_under_and_over(metrics: dict[str, float]) -> None:
    assert metrics["triage_exact"] == pytest.approx(1 / 3)
    assert metrics["under_triage"] == pytest.approx(1 / 3)
    assert metrics["over_triage"] == pytest.approx(1 / 3)


def test_triage_under_and_over_are_not_swapped(knowledge: KnowledgeBase) -> None:
    # Pneumonia (2) advised 1: under; PE (4) advised 3: under; URTI (0) advised 1: over.
    result = compute_metrics(_input(knowledge, PATIENTS, PREDICTIONS, ASKED, advice=[1, 3, 1]))
    assert result["triage_exact"] == pytest.approx(0.0)
    assert result["under_triage"] == pytest.approx(2 / 3)
    assert result["over_triage"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(("probability", "counted"), [(THRESHOLD, False), (0.0100001, True)])
def test_a_predicted_probability_of_exactly_001_does_not_count(
    knowledge: KnowledgeBase, probability: float, counted: bool
) -> None:
    # URTI with ground truth {URTI}, predicted Bronchitis .9 and URTI at `probability`.
    patient = _patient(URTI, ((URTI, 1.0),), "E_181", set())
    prediction = {BR: 0.9, URTI: probability}
    result = compute_metrics(_input(knowledge, [patient], [prediction], [set()], advice=[0]))
    expected = 1.0 if counted else 0.0
    assert result["GTPA"] == expected
    assert result["GTPA@3"] == expected
    assert result["DDR"] == expected  # the truth is the only condition of the ground-truth differential
    assert result["DDP"] == pytest.approx(1 / 2 if counted else 0.0)


def test_the_differential_the_metrics_keep_is_above_the_threshold_most_probable_first() -> None:
    p = np.array([0.005, 0.3, 0.01, 0.3, 0.385])
    assert ranked_differential(p) == (4, 1, 3)
    assert ranked_differential(np.full(4, 0.01)) == ()


def test_a_ground_truth_probability_of_exactly_001_does_not_count(knowledge: KnowledgeBase) -> None:
    # truth {URTI} only (Bronchitis at exactly .01 is dropped); predicting URTI alone is then perfect.
    patient = _patient(URTI, ((URTI, 0.99), (BR, 0.01)), "E_181", set())
    result = compute_metrics(_input(knowledge, [patient], [{URTI: 0.995}], [set()], advice=[0]))
    assert result["DDR"] == pytest.approx(1.0)
    assert result["DDP"] == pytest.approx(1.0)
    assert result["DDF1"] == pytest.approx(1.0)


def test_ratios_without_a_denominator_are_left_out_and_no_patient_gives_nan(knowledge: KnowledgeBase) -> None:
    # one URTI patient, nothing asked, nothing found, no severe condition in the truth
    patient = _patient(URTI, ((URTI, 1.0),), "E_181", set())
    result = compute_metrics(_input(knowledge, [patient], [{URTI: 0.995}], [set()], advice=[0]))
    assert math.isnan(result["PER"])
    assert math.isnan(result["PEP"])
    assert math.isnan(result["DSR"])
    assert result["DSP"] == pytest.approx(1.0)
    assert result["IL"] == pytest.approx(1.0)
    empty = compute_metrics(
        EvaluationInput(
            patients=[],
            conditions=knowledge.condition_codes,
            severe=np.zeros(49, dtype=np.bool_),
            level_urgency=np.zeros(49, dtype=np.int64),
            differentials=[],
            asked=[],
            advice_urgency=np.zeros(0, dtype=np.int64),
        )
    )
    assert empty["patients"] == 0
    assert all(math.isnan(value) for key, value in empty.items() if key != "patients")
