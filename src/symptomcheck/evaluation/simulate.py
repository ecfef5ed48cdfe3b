"""Simulated interviews of DDXPlus patients, many at once.

A simulated patient answers every question from its record: a yes/no evidence is present if the record
lists it; a categorical or multi-choice one takes the listed value(s), else its ordinary answer. The
interview starts from the record's INITIAL_EVIDENCE, as in the DDXPlus protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from symptomcheck.engine.posterior import normalise
from symptomcheck.engine.protocol import focus
from symptomcheck.engine.questions import Choice, eligible_questions, question_choice
from symptomcheck.engine.stopping import decision_settled, is_settled, should_stop
from symptomcheck.engine.tables import BoolArray, IntArray, Tables
from symptomcheck.knowledge import EvidenceKind, KnowledgeBase
from symptomcheck.model.artifact import FloatArray
from symptomcheck.model.demographics import sex_index
from symptomcheck.patients import Patient


@dataclass(frozen=True)
class Interviews:
    """Outcome of N simulated interviews."""

    log_posterior: FloatArray  # (N, D) final, unnormalised
    asked: BoolArray  # (N, E) questions asked, the initial evidence excluded
    initial: IntArray  # (N,) the initial evidence
    known_present: BoolArray  # (N, E) answered yes / a non-ordinary value (initial evidence included)
    known_absent: BoolArray  # (N, E) answered no / the ordinary value
    known_values: BoolArray  # (N, T) the outcome rows answered, for categorical and multi-choice questions
    questions: IntArray  # (N,) number of questions asked
    top_by_turn: IntArray  # (N, max_turns + 1) top condition after each turn (the last one repeated)
    sequence: IntArray  # (N, max_turns) the questions in the order asked, -1 after the last
    answers: PatientAnswers  # each patient's answer to every question (what the stability measure flips)


def derived_answers(knowledge: KnowledgeBase, tables: Tables, patients: Sequence[Patient]) -> NDArray[np.int8]:
    """Each patient's answer (N, E) to the evidences its record does not hold (the reasons for visit that are
    not DDXPlus evidences): 1 present, 0 absent, -1 "don't know".

    A DDXPlus patient is a closed world: it has the findings of its record and no other. So a reason is
    present when the DDXPlus finding it is mapped to is present and the reason is the same or broader; the
    patient cannot tell when that finding is present but the reason is narrower or only related; otherwise
    the reason is absent. An authored question narrower than a DDXPlus finding (`narrower_than`: too breathless
    to finish a sentence, of significant breathlessness) is answered the same way: "don't know" when that
    finding is present, else no. Evidences of the record itself get 0 (their answers come from the record)."""
    result = np.zeros((len(patients), tables.n_evidences), dtype=np.int8)
    index = {code: e for e, code in enumerate(tables.evidences)}
    # the patients holding each finding, in order: each rule below visits those only, in the same order
    holders: dict[str, list[int]] = {}
    for n, patient in enumerate(patients):
        for code in patient.present:
            holders.setdefault(code, []).append(n)
    for question in knowledge.authored:
        if question.narrower_than is None or question.evidence not in index:
            continue
        e = index[question.evidence]
        for n in holders.get(question.narrower_than, ()):
            result[n, e] = -1
    for mapping in knowledge.catalogue.reasons:
        if mapping.relation == "same" or mapping.evidence not in index:
            continue
        e = index[mapping.evidence]
        if mapping.ddxplus_equivalent is None:
            continue
        code, _, values = mapping.ddxplus_equivalent.partition(":")
        wanted = set(filter(None, values.split("+")))
        for n in holders.get(code, ()):
            if not wanted or bool(wanted & set(patients[n].values.get(code, ()))):
                result[n, e] = 1 if mapping.relation == "broader" else -1
    return result


class PatientAnswers:
    """Each patient's answer to every question, as rows of the tables, built once per batch.

    `derived` (N, E), from `derived_answers`, gives the answers to the evidences a DDXPlus record does not
    hold; without it every such answer is "no"."""

    def __init__(self, tables: Tables, patients: Sequence[Patient], derived: NDArray[np.int8] | None = None) -> None:
        n, e = len(patients), tables.n_evidences
        self.multi = [i for i, kind in enumerate(tables.kinds) if kind is EvidenceKind.MULTI]
        multi_slot = {q: k for k, q in enumerate(self.multi)}
        index = {code: i for i, code in enumerate(tables.evidences)}
        absent_row = np.where(tables.default_row >= 0, tables.default_row, tables.offsets[:-1])
        self.row = np.tile(absent_row, (n, 1))  # (N, E) row of the answer for B and C evidences
        self.present = np.zeros((n, e), dtype=bool)  # (N, E) the answer is yes / not the ordinary one
        t = int(tables.offsets[-1])
        has_values = np.array([kind is not EvidenceKind.BINARY for kind in tables.kinds])
        self.values = np.zeros((n, t), dtype=bool)  # (N, T) the rows of each C/M answer, ordinary ones included
        self.values[:, tables.default_row[has_values]] = True
        self.multi_log = np.zeros((n, len(self.multi), tables.n_conditions))
        self.initial = np.array([index[p.initial_evidence] for p in patients], dtype=np.int64)
        for k, q in enumerate(self.multi):
            default = int(tables.default_row[q])
            self.multi_log[:, k] = tables.temperature * tables.log_p_outcome[default]
        yes_patients: list[int] = []  # the yes answers (no values), set all at once below
        yes_questions: list[int] = []
        for i, patient in enumerate(patients):
            for code in patient.present:
                q = index[code]
                values = patient.values.get(code)
                if values is None:
                    yes_patients.append(i)
                    yes_questions.append(q)
                    continue
                rows = tables.rows(q)
                outcomes = tables.outcomes[q]
                value_rows = sorted({rows.start + outcomes.index(v) for v in values})
                self.values[i, rows] = False
                self.values[i, value_rows] = True
                self.present[i, q] = any(r != tables.default_row[q] for r in value_rows)
                if q in multi_slot:
                    p = tables.p_outcome[value_rows].sum(axis=0)
                    self.multi_log[i, multi_slot[q]] = tables.temperature * np.log(np.minimum(p, 1.0))
                else:
                    self.row[i, q] = value_rows[0]
        self.row[yes_patients, yes_questions] = tables.offsets[yes_questions] + 1
        self.present[yes_patients, yes_questions] = True
        self.unknown = np.zeros((n, e), dtype=bool)  # (N, E) the patient answers "don't know"
        if derived is not None:
            self.unknown = derived < 0
            yes = derived > 0
            self.present |= yes
            self.row[yes] = (tables.offsets[:-1][None, :] + 1).repeat(n, axis=0)[yes]
        self._multi_slot = np.full(e, -1, dtype=np.int64)
        for k, q in enumerate(self.multi):
            self._multi_slot[q] = k
        self._tables = tables

    def log_likelihood(self, patients: IntArray, questions: IntArray) -> FloatArray:
        """Tempered log P(answer | d) of each patient's answer to its question, shape (len(patients), D)."""
        tables = self._tables
        result = tables.temperature * tables.log_p_outcome[self.row[patients, questions]]
        slot = self._multi_slot[questions]
        is_multi = slot >= 0
        if np.any(is_multi):
            result[is_multi] = self.multi_log[patients[is_multi], slot[is_multi]]
        result[self.unknown[patients, questions]] = 0.0
        out: FloatArray = result
        return out


def simulate(
    tables: Tables, patients: Sequence[Patient], max_turns: int = 30, derived: NDArray[np.int8] | None = None
) -> Interviews:
    """Interview every patient, all in step, each stopping on its own (`derived`: see `PatientAnswers`)."""
    n = len(patients)
    answers = PatientAnswers(tables, patients, derived)
    everyone = np.arange(n)
    log_post = (
        np.stack([tables.log_prior_for(p.age, p.sex) for p in patients]) if n else np.zeros((0, tables.n_conditions))
    )
    log_post += answers.log_likelihood(everyone, answers.initial)
    asked = np.zeros((n, tables.n_evidences), dtype=bool)
    asked[everyone, answers.initial] = True
    known_present = np.zeros_like(asked)
    known_present[everyone, answers.initial] = answers.present[everyone, answers.initial]
    questions = np.zeros(n, dtype=np.int64)
    top_by_turn = np.zeros((n, max_turns + 1), dtype=np.int64)
    sequence = np.full((n, max_turns), -1, dtype=np.int64)
    ages = np.array([p.age for p in patients], dtype=np.int64)
    sexes = np.array([sex_index(p.sex) for p in patients], dtype=np.int64)
    relevant_mass = tables.settings["relevant_mass"]
    streak = np.zeros(n, dtype=np.int64)  # "don't know" answers in a row, at the end
    value_rows = tables.value_rows
    value_evidence = tables.outcome_evidence[value_rows]
    active = everyone
    for turn in range(max_turns + 1):
        p = normalise(log_post[active])
        top_by_turn[active, turn:] = p.argmax(axis=1)[:, None]
        if turn == max_turns or len(active) == 0:
            break
        # yes/no rows hold no value: only the rows of questions with values are gathered
        known_values = np.zeros((len(active), answers.values.shape[1]), dtype=bool)
        known_values[:, value_rows] = answers.values[np.ix_(active, value_rows)] & asked[np.ix_(active, value_evidence)]
        answered = asked[active] & ~answers.unknown[active]
        eligible = eligible_questions(tables, asked[active], known_present[active], known_values, answered)
        focused = focus(
            tables.protocol, p, known_present[active], known_values, ages[active], sexes[active], relevant_mass
        )
        settled = is_settled(tables, p)
        # the interviews that stop at this turn whatever the question scores say: none of them is scored
        pending = (eligible & (focused.priority > 0)).any(axis=1)
        certain = should_stop(
            tables,
            p,
            np.where(pending, np.inf, np.finfo(np.float64).max),
            turn,
            max_turns,
            settled=settled,
            unknown_streak=streak[active],
        )
        choice = question_choice(tables, p, eligible, focused, unscored=certain)
        best, best_score = choice.best, choice.best_score
        decided = _decided(tables, p, choice, turn, certain)
        stop = should_stop(
            tables, p, best_score, turn, max_turns, settled=settled, decided=decided, unknown_streak=streak[active]
        ) | (best < 0)
        active, best = active[~stop], best[~stop]
        if len(active) == 0:
            break
        # a red-flag question (score +inf) neither counts nor breaks the "don't know" streak
        flagged = np.isposinf(best_score[~stop])
        unknown = answers.unknown[active, best]
        streak[active] = np.where(flagged, streak[active], np.where(unknown, streak[active] + 1, 0))
        log_post[active] += answers.log_likelihood(active, best)
        asked[active, best] = True
        sequence[active, turn] = best
        known_present[active, best] = answers.present[active, best]
        questions[active] += 1
    asked_no_initial = asked.copy()
    asked_no_initial[everyone, answers.initial] = False
    return Interviews(
        log_posterior=log_post,
        asked=asked_no_initial,
        initial=answers.initial,
        known_present=known_present,
        known_absent=asked & ~known_present & ~answers.unknown,
        known_values=answers.values & asked[:, tables.outcome_evidence],
        questions=questions,
        top_by_turn=top_by_turn,
        sequence=sequence,
        answers=answers,
    )


def _decided(tables: Tables, p: FloatArray, choice: Choice, turn: int, certain: BoolArray) -> BoolArray | None:
    """`decision_settled` (None when the model does not stop on the decision), computed only for the rows that
    `should_stop` reads it for: once `decision_min_turns` questions were asked, without a red flag pending, and
    neither `certain` to stop nor left with nothing to ask (the test is row by row and costs several passes over
    the posteriors; the other rows get False)."""
    if not tables.settings["decision_stop"]:
        return None
    decided = np.zeros(len(p), dtype=bool)
    if turn < tables.settings.get("decision_min_turns", 0):
        return decided
    rows = np.flatnonzero(~np.isposinf(choice.best_score) & ~certain & (choice.best >= 0))
    if len(rows):
        decided[rows] = decision_settled(tables, p[rows], choice.scores[rows])
    return decided
