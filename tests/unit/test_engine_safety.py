"""Medical safety of the shipped model on real DDXPlus patients.

- No single answer of a real patient can rule out their true condition: the likelihood floors and the temperature
  bound what one answer does to any condition.
- The single-consultation path (`Engine.assess`, one answer at a time) asks what the batch simulation asks, so the
  evaluated behaviour is the behaviour people get.
- Under-triage (advice less urgent than the true condition's level) stays rare on the validation patients.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Engine
from symptomcheck.engine.posterior import normalise
from symptomcheck.evaluation.batch import answer_of, interview_chunk
from symptomcheck.evaluation.simulate import simulate
from symptomcheck.knowledge import EvidenceKind, KnowledgeBase
from symptomcheck.model import DDXPLUS_MODEL, SHIPPED_MODEL, load_model
from symptomcheck.patients import Patient, read_patients

DDXPLUS = Path(__file__).parents[2] / "data" / "ddxplus"
TRAIN_SAMPLE = DDXPLUS / "train_random_sample_500.csv"
VALIDATION = DDXPLUS / "validate_stratified_588_with_translation.csv"
REPLAYED_PATIENTS = 40
UNDER_TRIAGE_BOUND = 0.005
# The broad model (977 conditions) under-triages 2.7 % of these patients (16 of 588): DDXPlus emergencies that
# are rare in real visits lose probability to the conditions of the records. This bound guards against getting
# worse while the 0.5 % of the 49-condition model is not yet reached with the broad one.
BROAD_UNDER_TRIAGE_BOUND = 0.03


@pytest.fixture(scope="module")
def engine(knowledge: KnowledgeBase) -> Engine:
    return Engine(load_model(), knowledge)


@pytest.fixture(scope="module")
def train_patients(knowledge: KnowledgeBase) -> list[Patient]:
    return list(read_patients(TRAIN_SAMPLE, knowledge))


@pytest.fixture(scope="module")
def validation_patients(knowledge: KnowledgeBase) -> list[Patient]:
    return list(read_patients(VALIDATION, knowledge))


def test_the_patient_files_are_read_in_full(train_patients: list[Patient], validation_patients: list[Patient]) -> None:
    assert len(train_patients) == 500
    assert len(validation_patients) == 588


def test_no_single_answer_of_a_real_patient_rules_out_their_true_condition(
    engine: Engine, train_patients: list[Patient], validation_patients: list[Patient]
) -> None:
    """For every patient and every evidence, the answer the record gives (the ordinary one for an evidence the patient
    lacks; all the values together for a multi-choice one) leaves the true condition at most a factor 1e-3, tempered,
    behind the condition the answer favours most."""
    tables = engine.tables
    bound = tables.temperature * np.log(1e-3) - 1e-9
    condition_index = {code: d for d, code in enumerate(tables.conditions)}
    gaps: dict[tuple[int, Answer], np.ndarray] = {}  # the same answers recur: compute each once
    failures = []
    checked = 0
    for source, patients in (("train", train_patients), ("validation", validation_patients)):
        for n, patient in enumerate(patients):
            true = condition_index[patient.pathology]
            for e, code in enumerate(tables.evidences):
                if code not in patient.present:
                    answer = Answer.no()
                elif tables.kinds[e] is EvidenceKind.BINARY:
                    answer = Answer.yes()
                else:
                    answer = Answer.of(*patient.values[code])
                gap = gaps.get((e, answer))
                if gap is None:
                    log_likelihood = tables.answer_log_likelihood(e, answer)
                    gap = gaps[(e, answer)] = log_likelihood - log_likelihood.max()
                checked += 1
                if gap[true] < bound:
                    failures.append(f"{source} #{n} ({patient.pathology}): {code}={answer} -> {gap[true]:.3f}")
    assert checked == (len(train_patients) + len(validation_patients)) * tables.n_evidences
    assert not failures, (
        f"{len(failures)} answers nearly rule out the true condition (bound {bound:.3f}):\n" + "\n".join(failures[:20])
    )


def simulated_question_orders(engine: Engine, patients: Sequence[Patient]) -> tuple[list[list[str]], np.ndarray]:
    """The questions `simulate` asks each patient, in order, and how many.

    `simulate` records which questions were asked, not their order; running it with a turn limit of k asks exactly
    the first k questions of the unlimited run, so the k-th question is what the k-limited run adds.
    """
    tables = engine.tables
    full = simulate(tables, patients, engine.max_turns)
    orders: list[list[str]] = [[] for _ in patients]
    previous = np.zeros_like(full.asked)
    for turns in range(1, int(full.questions.max()) + 1):
        asked = simulate(tables, patients, turns).asked
        added = asked & ~previous
        assert np.all(added.sum(axis=1) <= 1), "one question per turn"
        for n in np.flatnonzero(added.any(axis=1)):
            orders[n].append(tables.evidences[int(np.flatnonzero(added[n])[0])])
        previous = asked
    np.testing.assert_array_equal(previous, full.asked)
    return orders, full.questions


def test_a_single_consultation_asks_the_questions_of_the_batch_simulation_in_the_same_order(
    engine: Engine, train_patients: list[Patient]
) -> None:
    patients = train_patients[:REPLAYED_PATIENTS]
    orders, counts = simulated_question_orders(engine, patients)
    final = normalise(simulate(engine.tables, patients, engine.max_turns).log_posterior)
    for n, patient in enumerate(patients):
        answers = [(patient.initial_evidence, answer_of(engine.knowledge, patient, patient.initial_evidence))]
        asked: list[str] = []
        while True:
            assessment = engine.assess(patient.age, patient.sex, answers)
            if assessment.next_question is None:
                break
            asked.append(assessment.next_question)
            answers.append((assessment.next_question, answer_of(engine.knowledge, patient, assessment.next_question)))
        assert asked == orders[n], f"patient #{n} ({patient.pathology})"
        assert assessment.questions_asked == len(asked) == counts[n]
        assert assessment.should_stop
        assert np.allclose(assessment.posterior, final[n], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("model_path", "bound"),
    [(DDXPLUS_MODEL, UNDER_TRIAGE_BOUND), (SHIPPED_MODEL, BROAD_UNDER_TRIAGE_BOUND)],
    ids=["shipped_ddxplus_model", "broad_model"],
)
def test_under_triage_on_the_validation_patients_is_rare(
    knowledge: KnowledgeBase, validation_patients: list[Patient], model_path: Path, bound: float
) -> None:
    """At most 0.5% of the 588 validation patients get advice less urgent than their true condition's level with
    the shipped DDXPlus model, at most 3% with the broad model (see BROAD_UNDER_TRIAGE_BOUND).

    These are behavioural bounds (regression guards, not clinical targets): a change that makes the interview or
    the triage rule miss urgent conditions more often trips them.
    """
    engine = Engine(load_model(model_path), knowledge)
    tables = engine.tables
    result = interview_chunk(engine, validation_patients, 30)
    condition_index = {code: d for d, code in enumerate(tables.conditions)}
    true_urgency = np.array([tables.level_urgency[condition_index[p.pathology]] for p in validation_patients])
    assert result.advice_urgency.shape == true_urgency.shape
    under = result.advice_urgency < true_urgency
    missed = [
        f"{p.pathology}: advised urgency {result.advice_urgency[n]}, needs {true_urgency[n]}"
        for n, p in enumerate(validation_patients)
        if under[n]
    ]
    assert under.mean() <= bound, "\n".join(missed)
