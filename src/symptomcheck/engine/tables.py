"""The model compiled for inference: floored log-likelihoods and the arrays the question choice needs.

Why floors: the shipped statistics put unseen answers at 1e-7 and count one value per patient for
multi-choice questions, so a real patient can give an answer its true condition "never" gives. Every
likelihood is floored (yes/no and categorical at `floor`, a multi-choice value at `multi_floor`, its ordinary
value such as "nowhere" at `floor` like a "no") and
tempered (log-likelihoods multiplied by `temperature` < 1), which bounds what one answer can do to a
condition and calibrates the naive-Bayes posterior.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.engine.errors import AnswerError
from symptomcheck.engine.protocol import ProtocolTables, compile_protocols
from symptomcheck.knowledge import EvidenceKind, KnowledgeBase, TriageLevel
from symptomcheck.model.artifact import FloatArray, Model
from symptomcheck.model.broad import PAIN_SITE, pain_reason_sites
from symptomcheck.model.demographics import age_band, sex_index
from symptomcheck.model.errors import ModelError
from symptomcheck.model.floors import answer_floor

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

DEFAULT_SETTINGS: dict[str, float] = {
    "floor": 1e-3,  # least P(answer | d) of a yes/no or categorical answer
    "multi_floor": 1e-2,  # least P(value | d) of a multi-choice value
    "multi_floor_mass": 0.0,  # > 0: a multi-choice question's floors hold at most this mass (model/floors.py)
    "temperature": 0.7,  # log-likelihoods are multiplied by this (calibration of the naive-Bayes posterior)
    "stop_confidence": 0.8,  # the leader is settled at this posterior
    "stop_urgent_residual": 0.01,  # ... and conditions more urgent than it together below this
    "findings_turns": 10,  # once settled, ask about the person's findings until this many questions
    "findings_positive": 0.25,  # findings questions: weight of "likely a finding" against "unpredictable"
    "relevant_mass": 0.01,  # a condition this likely is in play: the questions it depends on may be asked
    "stop_min_gain": 1e-4,  # stop when no question is expected to teach more than this (nats)
    # ... and, asking among the allowed questions, not below this (nats; off: on DDXPlus a floor of 0.05 cost
    # 0.5 point of GTPA@1 and doubled the advice's instability for half a question less)
    "stop_min_information": 0.0,
    "soft_max_turns": 20,  # stop after this many questions once no red flag is pending
    "decision_stop": 0,  # 1: stop once no answer to the next questions could change the decision (below)
    "decision_questions": 3,  # the next questions whose answers must leave the advice and leader unchanged
    "decision_answer": 0.05,  # ... each answer at least this likely
    "decision_min_turns": 3,  # ... and at least this many questions asked
    "decision_confidence": 0.0,  # ... and the most likely condition at least this likely
    "decision_top": 1,  # ... the leader after any such answer among this many most likely now
    "decision_urgent_residual": 0.02,  # ... and the conditions more urgent than the advice together below this
    "unknown_streak_stop": 0,  # k > 0: stop (no red flag pending) once the last k answers were "don't know"
    "stop_min_findings": 0.3,  # ... or, in the findings phase, when no findings question scores this much
    "max_turns": 30,
    "emergency_likely": 0.5,  # urgent conditions together this likely: the emergency advice is shown at once
    "stop_emergency": 1.01,  # ambulance-level conditions together this likely stop the interview (off: > 1)
    "list_min": 0.05,  # a condition this likely is listed (as are those the advice counts)
    "list_max": 6,  # ... at most this many of them
    "severe_threshold": 0.12,  # a severe condition stays listed while its learned score passes this
    "differential_hidden": 128,  # hidden units of each network of the learned differential model
    "differential_penalty": 2e-2,  # their L2 penalty
    "differential_members": 3,  # networks (seeds 0, 1, ...) whose logits are averaged, stored as one network
    "differential_temperature": 1.0,  # the learned model's logits are divided by this (calibration)
}


@dataclass(frozen=True)
class Tables:
    """Arrays indexed by condition d (D), evidence e (E) and outcome row t (T)."""

    conditions: tuple[str, ...]
    evidences: tuple[str, ...]
    outcomes: tuple[tuple[str, ...], ...]
    kinds: tuple[EvidenceKind, ...]
    offsets: IntArray  # (E + 1,)
    outcome_evidence: IntArray  # (T,) the evidence of each outcome row
    p_outcome: FloatArray  # (T, D) floored, each evidence's rows sum to 1 per condition
    log_p_outcome: FloatArray  # (T, D)
    entropy_given_condition: FloatArray  # (E, D): H(answer to e | d)
    parent: IntArray  # (E,) index of the parent question, -1 if none
    default_row: IntArray  # (E,) row of the ordinary answer (no, nowhere, 0), -1 if none
    log_prior: FloatArray  # (D,)
    log_p_age_band: FloatArray  # (D, bands)
    log_p_sex: FloatArray  # (D, 2)
    temperature: float
    severe: BoolArray  # (D,) severity 1-2
    level_urgency: IntArray  # (D,) triage urgency of each condition, 4 = ambulance
    in_condition: BoolArray  # (E, D) evidence listed for the condition in the knowledge base
    p_ordinary: FloatArray  # (E, D) P(the ordinary answer: no, nowhere, 0 | d)
    value_rows: IntArray  # the outcome rows of categorical and multi-choice questions
    settings: dict[str, float]
    # the part of the model the learned differential model covers (every condition and evidence of a model
    # fitted on DDXPlus alone; the DDXPlus ones in the broad model)
    learned_conditions: IntArray  # (D_l,)
    learned_evidences: IntArray  # (E_l,)
    learned_value_rows: IntArray  # the categorical and multi-choice rows of the learned evidences
    # (E,) the DDXPlus evidence a reason for visit is mapped to (-1 if none): once that one is answered, the
    # reason asks the same thing again (and would count the same finding twice), so it is no longer asked
    shadowed_by: IntArray
    # a reason that means a pain at some body sites (painful urination: at the urethra) is asked no more once
    # the pain-site question named one of them: the outcome rows `shadow_rows` (R,) shadow the evidences
    # marked 1 in `shadows` (R, E; floats, so that one product over the values named finds them)
    shadow_rows: IntArray
    shadows: FloatArray
    never_asked: BoolArray  # (E,) questions the interview never asks (knowledge's protocols/not_asked.csv)
    protocol: ProtocolTables  # the complaint families, their red-flag and core questions
    triage_thresholds: Mapping[TriageLevel, float]  # the triage rule (knowledge's triage_rule.csv)

    @cached_property
    def p_outcome_by_condition(self) -> FloatArray:
        """`p_outcome` condition-major and contiguous, (D, T): the question scores multiply posteriors (N, D) by
        it, several times faster than by the transposed view."""
        result: FloatArray = np.ascontiguousarray(self.p_outcome.T)
        return result

    @cached_property
    def entropy_by_condition(self) -> FloatArray:
        """`entropy_given_condition` condition-major and contiguous, (D, E)."""
        result: FloatArray = np.ascontiguousarray(self.entropy_given_condition.T)
        return result

    @cached_property
    def shadowed_evidences(self) -> IntArray:
        """The evidences some pain-site row shadows (the columns of `shadows` not all 0): the only ones a
        pain-site answer can make redundant."""
        result: IntArray = np.flatnonzero((self.shadows != 0).any(axis=0)).astype(np.int64)
        return result

    @cached_property
    def shadows_of_evidences(self) -> NDArray[np.float32]:
        """`shadows` over `shadowed_evidences` only, as float32 (R, S): its 0/1 products with the answers count
        matches, whole numbers float32 holds exactly, at less cost than over every evidence in float64."""
        return np.ascontiguousarray(self.shadows[:, self.shadowed_evidences], dtype=np.float32)

    @cached_property
    def askable_unprompted(self) -> BoolArray:
        """(E,) the questions an interview with no yes to any parent can ask: no follow-up, none never asked."""
        result: BoolArray = (self.parent < 0) & ~self.never_asked
        return result

    @property
    def n_conditions(self) -> int:
        return len(self.conditions)

    @property
    def n_evidences(self) -> int:
        return len(self.evidences)

    def evidence_index(self, code: str) -> int:
        try:
            return self.evidences.index(code)
        except ValueError:
            raise AnswerError(f"unknown evidence {code!r}; evidence codes look like E_91") from None

    def log_prior_for(self, age: int, sex: str) -> FloatArray:
        """log P(d | age band, sex) up to a constant, shape (D,)."""
        result: FloatArray = self.log_prior + self.log_p_age_band[:, age_band(age)] + self.log_p_sex[:, sex_index(sex)]
        return result

    def restricted(self, columns: IntArray) -> Tables:
        """The same tables over the conditions `columns` only (for the question scores, which read only the
        per-condition arrays below)."""
        result = replace(
            self,
            conditions=tuple(self.conditions[int(d)] for d in columns),
            p_outcome=self.p_outcome[:, columns],
            log_p_outcome=self.log_p_outcome[:, columns],
            entropy_given_condition=self.entropy_given_condition[:, columns],
            log_prior=self.log_prior[columns],
            log_p_age_band=self.log_p_age_band[columns],
            log_p_sex=self.log_p_sex[columns],
            severe=self.severe[columns],
            level_urgency=self.level_urgency[columns],
            in_condition=self.in_condition[:, columns],
            p_ordinary=self.p_ordinary[:, columns],
            protocol=replace(self.protocol, depends=self.protocol.depends[:, columns]),
        )
        # the condition-major arrays sliced from this one's rather than transposed again
        result.__dict__["p_outcome_by_condition"] = self.p_outcome_by_condition[columns]
        result.__dict__["entropy_by_condition"] = self.entropy_by_condition[columns]
        return result

    def for_scores(self, conditions: IntArray | None, evidences: IntArray) -> Tables:
        """The arrays the question scores read, over these conditions (all when None) and these evidences
        only: a step computes the scores of the few questions allowed, not of every question."""
        lengths = self.offsets[evidences + 1] - self.offsets[evidences]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        rows = np.repeat(self.offsets[evidences] - offsets[:-1], lengths) + np.arange(int(offsets[-1]))
        every = np.arange(self.n_conditions)
        chosen = every if conditions is None else conditions
        by_condition = self.p_outcome_by_condition[np.ix_(chosen, rows)]
        entropy = self.entropy_by_condition[np.ix_(chosen, evidences)]
        p_ordinary = self.p_ordinary[np.ix_(evidences, chosen)]
        restricted = self
        if conditions is not None:
            restricted = replace(
                self,
                conditions=tuple(self.conditions[int(d)] for d in conditions),
                severe=self.severe[conditions],
                level_urgency=self.level_urgency[conditions],
            )
        result = replace(
            restricted,
            evidences=tuple(self.evidences[int(e)] for e in evidences),
            offsets=offsets,
            p_ordinary=p_ordinary,
        )
        # the condition-major arrays, already sliced (the cached properties of the result)
        result.__dict__["p_outcome_by_condition"] = by_condition
        result.__dict__["entropy_by_condition"] = entropy
        return result

    def rows(self, e: int) -> slice:
        return slice(int(self.offsets[e]), int(self.offsets[e + 1]))

    def answer_log_likelihood(self, e: int, answer: Answer) -> FloatArray:
        """Tempered log P(answer | d), shape (D,); zeros for "don't know"."""
        if answer.status is AnswerStatus.UNKNOWN:
            return np.zeros(self.n_conditions)
        rows = self.rows(e)
        kind = self.kinds[e]
        if kind is EvidenceKind.BINARY:
            if answer.values:
                raise AnswerError(f"{self.evidences[e]} is a yes/no question: it takes no values")
            row = rows.start + (1 if answer.status is AnswerStatus.PRESENT else 0)
            binary: FloatArray = self.temperature * self.log_p_outcome[row]
            return binary
        if answer.status is AnswerStatus.ABSENT:
            # "no" to a question with values means its ordinary answer (no pain anywhere, intensity 0)
            answer = Answer.of(self.outcomes[e][int(self.default_row[e]) - rows.start])
        indices = [self._value_row(e, value) for value in answer.values]
        if not indices:
            raise AnswerError(f"{self.evidences[e]} needs a value: one of {', '.join(self.outcomes[e])}")
        if kind is EvidenceKind.CATEGORICAL and len(set(indices)) > 1:
            raise AnswerError(f"{self.evidences[e]} takes exactly one value")
        if kind is EvidenceKind.CATEGORICAL:
            categorical: FloatArray = self.temperature * self.log_p_outcome[indices[0]]
            return categorical
        # Multi-choice: the statistics count one named value per patient, so the likelihood of naming the
        # set S is the chance that the counted value lies in S (never penalising a second true value).
        p = self.p_outcome[sorted(set(indices))].sum(axis=0)
        multi: FloatArray = self.temperature * np.log(np.minimum(p, 1.0))
        return multi

    def _value_row(self, e: int, value: str) -> int:
        outcomes = self.outcomes[e]
        if value not in outcomes:
            shown = ", ".join(outcomes[:12]) + (", ..." if len(outcomes) > 12 else "")
            raise AnswerError(f"{self.evidences[e]} has no value {value!r}; accepted: {shown}")
        return int(self.offsets[e]) + outcomes.index(value)


def compile_tables(model: Model, knowledge: KnowledgeBase, **overrides: float) -> Tables:
    """Floor, normalise and take logs of a model's tables (settings: model's, then `overrides`)."""
    settings = {**DEFAULT_SETTINGS, **model.settings, **overrides}
    unknown = sorted(
        {c for c in model.conditions if not knowledge.has_condition(c)}
        | {e for e in model.evidences if not knowledge.has_evidence(e)}
    )
    if unknown:
        raise ModelError(
            f"the model was fitted on another knowledge base: it names {unknown[0]!r}, unknown here "
            f"({len(unknown)} unknown codes)"
        )
    p = model.p_outcome_.copy()
    kinds = tuple(knowledge.evidence(code).kind for code in model.evidences)
    n_e = len(model.evidences)
    outcome_evidence = np.repeat(np.arange(n_e), np.diff(model.offsets_))
    entropy = np.zeros((n_e, len(model.conditions)))
    ordinary_floor = answer_floor(settings, False, 2)
    for e, code in enumerate(model.evidences):
        rows = slice(int(model.offsets_[e]), int(model.offsets_[e + 1]))
        floor = answer_floor(settings, kinds[e] is EvidenceKind.MULTI, rows.stop - rows.start)
        block = np.maximum(p[rows], floor)
        block /= block.sum(axis=0, keepdims=True)
        default = knowledge.evidence(code).default
        if kinds[e] is EvidenceKind.MULTI and default is not None:
            # a multi-choice question's ordinary value ("nowhere") is an answer like a "no": floored as one, not
            # at the share of the floor mass a single site gets, so that saying the pain is nowhere never nearly
            # rules a condition out (the other values give up the difference, in proportion)
            k = model.outcomes[e].index(default)
            short = block[k] < ordinary_floor
            others = np.ones(len(block), dtype=bool)
            others[k] = False
            block[np.ix_(others, short)] *= (1.0 - ordinary_floor) / (1.0 - block[k, short])
            block[k, short] = ordinary_floor
        p[rows] = block
        entropy[e] = -(block * np.log(block)).sum(axis=0)
    parent = np.array(
        [
            model.evidences.index(knowledge.evidence(code).parent or code) if knowledge.evidence(code).parent else -1
            for code in model.evidences
        ],
        dtype=np.int64,
    )
    default_row = np.full(n_e, -1, dtype=np.int64)
    for e, code in enumerate(model.evidences):
        default = knowledge.evidence(code).default
        if default is not None:
            default_row[e] = int(model.offsets_[e]) + model.outcomes[e].index(default)
    conditions = [knowledge.condition(c) for c in model.conditions]
    in_condition = np.array([[code in c.evidences for c in conditions] for code in model.evidences], dtype=bool)
    learned_conditions = np.array(
        [model.conditions.index(c) for c in model.differential_conditions or model.conditions], dtype=np.int64
    )
    learned_evidences = np.array(
        [model.evidences.index(e) for e in model.differential_evidences or model.evidences], dtype=np.int64
    )
    value_rows = np.flatnonzero(np.array([kinds[e] is not EvidenceKind.BINARY for e in outcome_evidence]))
    learned_value_rows = value_rows[np.isin(outcome_evidence[value_rows], learned_evidences)]
    shadowed_by = np.full(n_e, -1, dtype=np.int64)
    for mapping in knowledge.catalogue.reasons:
        target = (mapping.ddxplus_equivalent or "").partition(":")[0]
        if mapping.relation != "same" and mapping.evidence in model.evidences and target in model.evidences:
            shadowed_by[model.evidences.index(mapping.evidence)] = model.evidences.index(target)
    shadow_rows, shadows = _site_shadows(model, knowledge)
    return Tables(
        conditions=model.conditions,
        evidences=model.evidences,
        outcomes=model.outcomes,
        kinds=kinds,
        offsets=model.offsets_.astype(np.int64),
        outcome_evidence=outcome_evidence.astype(np.int64),
        p_outcome=p,
        log_p_outcome=np.log(p),
        entropy_given_condition=entropy,
        parent=parent,
        default_row=default_row,
        log_prior=np.log(model.p_prior_),
        log_p_age_band=np.log(model.p_age_band_),
        log_p_sex=np.log(model.p_sex_),
        temperature=float(settings["temperature"]),
        severe=np.array([c.is_severe for c in conditions]),
        level_urgency=np.array([knowledge.level_of(c.code).urgency for c in conditions], dtype=np.int64),
        in_condition=in_condition,
        p_ordinary=p[np.where(default_row >= 0, default_row, model.offsets_[:-1])],
        value_rows=value_rows,
        settings=settings,
        learned_conditions=learned_conditions,
        learned_evidences=learned_evidences,
        learned_value_rows=learned_value_rows,
        shadowed_by=shadowed_by,
        shadow_rows=shadow_rows,
        shadows=shadows,
        never_asked=np.isin(np.array(model.evidences), [entry.evidence for entry in knowledge.not_asked]),
        protocol=compile_protocols(model, knowledge, in_condition),
        triage_thresholds=knowledge.triage_thresholds,
    )


def _site_shadows(model: Model, knowledge: KnowledgeBase) -> tuple[IntArray, FloatArray]:
    """The pain-site answers that make a reason for visit redundant (`Tables.shadow_rows`, `Tables.shadows`)."""
    if PAIN_SITE not in model.evidences:
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(model.evidences)))
    site = model.evidences.index(PAIN_SITE)
    start, outcomes = int(model.offsets_[site]), model.outcomes[site]
    rows = np.arange(start, start + len(outcomes), dtype=np.int64)
    shadows = np.zeros((len(rows), len(model.evidences)))
    for code, sites in pain_reason_sites(knowledge).items():
        if code in model.evidences:
            for value in sites:
                if value in outcomes:
                    shadows[outcomes.index(value), model.evidences.index(code)] = 1.0
    return rows, shadows
