"""The complaint-led part of the question choice: red flags first, then only questions that matter.

For each interview (vectorised over N of them):
- the complaint families that apply are those with a trigger among the answers (a yes, or a value);
- the red-flag questions of those families (for the person's age and sex) are asked first, in the table's
  order, each before any question chosen by information gain (a flag that needs a second answer has that
  question asked among the red flags, at the place of its own);
- after them the next question is chosen among the families' core questions and the questions some
  condition still in play (posterior >= `relevant_mass`) depends on: a question no candidate depends on is
  never asked.

A condition depends on an evidence when the knowledge base lists the evidence for it (the DDXPlus
conditions), or when its likelihood was fitted from data or authored rather than set to the default (the
model's cell provenance) and makes an answer at least twice as likely, or half as likely, as in the
population.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from symptomcheck.knowledge import ComplaintFamily, KnowledgeBase
from symptomcheck.model.artifact import FloatArray, Model

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
NO_BOUND_LOW, NO_BOUND_HIGH = -1, 1_000
DEFAULT_PROVENANCE = 0  # `model.broad.PROVENANCE["default"]`
DDXPLUS_PROVENANCE = 1
DEPENDS_RATIO = 2.0  # an answer this many times more (or less) likely with a condition: the condition depends on it


@dataclass(frozen=True)
class ProtocolTables:
    """The protocols laid out over the model's evidences (E) and outcome rows (T): F families, Q questions."""

    families: tuple[str, ...]
    trigger_yes: BoolArray  # (F, E) a yes to the evidence makes the family apply
    trigger_value: BoolArray  # (F, T) the value makes the family apply
    family_ages: IntArray  # (F, 2) inclusive age bounds
    question_family: IntArray  # (Q,)
    question_evidence: IntArray  # (Q,)
    question_red: BoolArray  # (Q,) a red flag (else a core question)
    question_priority: FloatArray  # (Q,) > 0 for red flags: asked first, the highest first
    question_ages: IntArray  # (Q, 2)
    question_sex: IntArray  # (Q,) 0 F, 1 M, -1 either
    depends: BoolArray  # (E, D) the condition depends on the evidence

    @property
    def n_families(self) -> int:
        return len(self.families)

    # The 0/1 tables below as float32, laid out for the products that use them: a product of 0/1 matrices counts
    # matches, whole numbers that float32 holds exactly, so `> 0` on it is the same test, at half the cost of
    # float64 and without converting a boolean table at every step.

    @cached_property
    def depends_by_condition(self) -> NDArray[np.float32]:
        """`depends` as (D, E) float32 rows per condition."""
        return np.ascontiguousarray(self.depends.T, dtype=np.float32)

    @cached_property
    def trigger_yes_by_evidence(self) -> NDArray[np.float32]:
        """`trigger_yes` as (E, F) float32 rows per evidence."""
        return np.ascontiguousarray(self.trigger_yes.T, dtype=np.float32)

    @cached_property
    def trigger_value_by_row(self) -> NDArray[np.float32]:
        """`trigger_value` as (T, F) float32 rows per outcome row."""
        return np.ascontiguousarray(self.trigger_value.T, dtype=np.float32)


def compile_protocols(model: Model, knowledge: KnowledgeBase, in_condition: BoolArray) -> ProtocolTables:
    """The protocols over this model's evidences (questions on evidences the model lacks are left out)."""
    evidences = {code: e for e, code in enumerate(model.evidences)}
    offsets = model.offsets_
    n_e, n_t = len(model.evidences), int(offsets[-1])
    families: list[ComplaintFamily] = list(knowledge.protocols)
    trigger_yes = np.zeros((len(families), n_e), dtype=bool)
    trigger_value = np.zeros((len(families), n_t), dtype=bool)
    family_ages = np.zeros((len(families), 2), dtype=np.int64)
    rows: list[tuple[int, int, bool, int, int, int, int]] = []  # family, evidence, red, order, ages, sex
    for f, family in enumerate(families):
        family_ages[f] = _bounds(family.min_age, family.max_age)
        for trigger in family.triggers:
            e = evidences.get(trigger.evidence)
            if e is None:
                continue
            if trigger.value is None:
                trigger_yes[f, e] = True
            else:
                trigger_value[f, int(offsets[e]) + model.outcomes[e].index(trigger.value)] = True
        for question in family.questions:
            e = evidences.get(question.evidence)
            if e is None:
                continue
            low, high = _bounds(question.min_age, question.max_age)
            sex = -1 if question.sex is None else ("F", "M").index(question.sex)
            rows.append((f, e, question.role == "red_flag", question.order, low, high, sex))
            # a flag that needs a second answer: its question is asked among the red flags, at this one's place
            second = evidences.get(question.flag.with_evidence or "") if question.flag is not None else None
            if second is not None:
                rows.append((f, second, True, question.order, low, high, sex))
    table = np.array(rows, dtype=np.int64).reshape(-1, 7)
    # red flags of several families interleave by their order in each family, then by family
    priority = np.zeros(len(table))
    red = table[:, 2].astype(bool)
    ranked = sorted(np.flatnonzero(red), key=lambda q: (table[q, 3], table[q, 0]))
    for rank, q in enumerate(ranked):
        priority[q] = 1.0 + len(ranked) - rank
    return ProtocolTables(
        families=tuple(f.id for f in families),
        trigger_yes=trigger_yes,
        trigger_value=trigger_value,
        family_ages=family_ages,
        question_family=table[:, 0].copy(),
        question_evidence=table[:, 1].copy(),
        question_red=red,
        question_priority=priority,
        question_ages=table[:, 4:6].copy(),
        question_sex=table[:, 6].copy(),
        depends=_depends(model, in_condition),
    )


def _bounds(low: int | None, high: int | None) -> tuple[int, int]:
    return (NO_BOUND_LOW if low is None else low, NO_BOUND_HIGH if high is None else high)


def _depends(model: Model, in_condition: BoolArray) -> BoolArray:
    """(E, D): listed for the condition, or (for a condition outside DDXPlus's own tables, or an evidence
    DDXPlus does not model) a likelihood fitted or authored rather than the default that makes some answer
    at least `DEPENDS_RATIO` times more or less likely than in the population (prior-weighted)."""
    depends = in_condition.copy()
    provenance = model.provenance_
    if provenance is not None:
        fitted = provenance != DEFAULT_PROVENANCE
        # DDXPlus's statistics give every DDXPlus condition a row for every DDXPlus evidence: only the
        # evidences listed for it (in_condition) count there
        fitted &= provenance != DDXPLUS_PROVENANCE
        p = np.maximum(model.p_outcome_, 1e-12)
        population = p @ (model.p_prior_ / model.p_prior_.sum())
        telling = np.abs(np.log(p / np.maximum(population, 1e-12)[:, None])) >= np.log(DEPENDS_RATIO)
        by_evidence = np.logical_or.reduceat(fitted & telling, model.offsets_[:-1].astype(np.int64), axis=0)
        depends |= by_evidence
    return depends


def active_families(protocol: ProtocolTables, present: BoolArray, values: BoolArray, ages: IntArray) -> BoolArray:
    """(N, F): the families that apply, from the yes answers (N, E), the chosen values (N, T) and ages (N,)."""
    if protocol.n_families == 0:
        return np.zeros((len(present), 0), dtype=bool)
    # only the answered columns take part: a consultation has a few answers among hundreds of evidences
    yes_columns = np.flatnonzero(present.any(axis=0))
    value_columns = np.flatnonzero(values.any(axis=0))
    triggered = (present[:, yes_columns].astype(np.float32) @ protocol.trigger_yes_by_evidence[yes_columns] > 0) | (
        values[:, value_columns].astype(np.float32) @ protocol.trigger_value_by_row[value_columns] > 0
    )
    in_ages = (ages[:, None] >= protocol.family_ages[None, :, 0]) & (ages[:, None] <= protocol.family_ages[None, :, 1])
    result: BoolArray = triggered & in_ages
    return result


def applicable_questions(protocol: ProtocolTables, families: BoolArray, ages: IntArray, sexes: IntArray) -> BoolArray:
    """(N, Q): the protocol questions of the applying families, for each person's age and sex."""
    result: BoolArray = (
        families[:, protocol.question_family]
        & (ages[:, None] >= protocol.question_ages[None, :, 0])
        & (ages[:, None] <= protocol.question_ages[None, :, 1])
        & ((protocol.question_sex[None, :] < 0) | (protocol.question_sex[None, :] == sexes[:, None]))
    )
    return result


@dataclass(frozen=True)
class Focus:
    """What the question choice may ask, per interview."""

    priority: FloatArray  # (N, E) > 0: a red flag to ask first, the highest first
    allowed: BoolArray  # (N, E) a core question or one a condition in play depends on


def focus(
    protocol: ProtocolTables,
    p: FloatArray,
    present: BoolArray,
    values: BoolArray,
    ages: IntArray,
    sexes: IntArray,
    relevant_mass: float,
    families: BoolArray | None = None,
) -> Focus:
    """The red flags to ask first and the questions allowed after them, for posteriors p (N, D) (`families`:
    the `active_families` of these answers, when the caller has them already)."""
    n, n_e = present.shape
    if families is None:
        families = active_families(protocol, present, values, ages)
    rows, qs = _applicable_pairs(protocol, families, ages, sexes)
    priority = np.zeros((n, n_e))
    allowed = np.zeros((n, n_e), dtype=bool)
    np.maximum.at(priority, (rows, protocol.question_evidence[qs]), protocol.question_priority[qs])
    allowed[rows, protocol.question_evidence[qs]] = True
    in_play = p >= relevant_mass
    columns = np.flatnonzero(in_play.any(axis=0))
    if len(columns):
        allowed |= (in_play[:, columns].astype(np.float32) @ protocol.depends_by_condition[columns]) > 0
    return Focus(priority=priority, allowed=allowed)


def _applicable_pairs(
    protocol: ProtocolTables, families: BoolArray, ages: IntArray, sexes: IntArray
) -> tuple[IntArray, IntArray]:
    """`np.nonzero(applicable_questions(...))`, in the same order: the age and sex bounds are tested on the
    questions of the families that apply only, a few of the hundreds of (person, question) pairs."""
    rows, qs = np.nonzero(families[:, protocol.question_family])
    age, sex = ages[rows], sexes[rows]
    bounds, wanted = protocol.question_ages[qs], protocol.question_sex[qs]
    keep = (age >= bounds[:, 0]) & (age <= bounds[:, 1]) & ((wanted < 0) | (wanted == sex))
    return rows[keep].astype(np.int64), qs[keep].astype(np.int64)
