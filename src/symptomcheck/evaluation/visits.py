"""Evaluation on held-out years of the NCHS visit records: diagnosis and triage against what happened.

A simulated visit gives its age, sex and symptom reasons (the evidences of the vocabulary) as present, the
first one being the complaint; every question the interview asks is answered "don't know", so the posterior
is the one the reasons give, and the number of questions is what the stopping rule makes of it.

- Diagnosis: top-1/3/5 of the condition of the first diagnosis, on the visits whose first diagnosis is a
  catalogue condition, ranking the catalogue's conditions (the "not in the catalogue" outcome is reported
  apart: how often it leads).
- Triage against outcomes: under-triage = ED visits that ended in admission or death and were advised
  consultation or self-care; emergency recall = ED visits triaged immediate or emergent (IMMEDR 1-2) advised
  an emergency department or an ambulance; over-triage = office visits whose condition's level is
  consultation or self-care advised an emergency department or an ambulance.
- The same on a naive-Bayes baseline fitted on the other years of the same file: priors from the weighted
  visits, P(reason mentioned | condition) with a Bernoulli likelihood (a reason not mentioned counts as
  absent), and a level for each condition from its ED shares (`baseline_level`).
- The trade-off of emergency recall against over-triage, sweeping the thresholds of the two emergency
  levels by a common factor (1 = the shipped rule), for both.
- Calibration: the expected calibration error (`ece_top1`, 10 equal-width bins weighted by count; floor
  0.05) of the top outcome's probability (is the top outcome the visit's first diagnosis?) over the visits
  whose first diagnosis maps to an outcome of the posterior ("not in the catalogue" included, as it is one).
- Stability (`engine_posteriors`): the advice after the least-weight reason is dropped (or a "no" added),
  against the advice given: `stability_flip_rate` (two levels or more; floor 1 %), `stability_shift1_rate`,
  and the same on the visits where a reason was dropped (`..._dropped`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from symptomcheck.engine.assessment import Engine
from symptomcheck.engine.posterior import normalise
from symptomcheck.engine.protocol import focus
from symptomcheck.engine.questions import question_scores
from symptomcheck.engine.stopping import decision_settled, is_settled, should_stop
from symptomcheck.engine.triage import batch_urgency
from symptomcheck.evaluation.calibration import ReliabilityTotals, top_of
from symptomcheck.evaluation.metrics import shift_rates
from symptomcheck.evaluation.stability import weight_added, weight_given_each
from symptomcheck.knowledge import KnowledgeBase, TriageLevel
from symptomcheck.knowledge.catalogue import NOT_IN_CATALOGUE
from symptomcheck.model.artifact import FloatArray
from symptomcheck.model.broad import ED, OFFICE, VisitCounts
from symptomcheck.model.demographics import age_band, sex_index
from symptomcheck.visits import Visit, read_visits

DEFAULT_HOLDOUT = "NAMCS:2009-2010,ED:2019-2021"
THRESHOLD_FACTORS = (0.25, 0.35, 0.5, 0.7, 0.85, 1.0, 1.1, 1.2, 1.3, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0)
EMERGENCY_URGENCY = TriageLevel.EMERGENCY.urgency
CONSULTATION_URGENCY = TriageLevel.CONSULTATION.urgency
CHUNK = 4096


@dataclass
class VisitCases:
    """The held-out visits the evaluation can use (at least one reason in the vocabulary)."""

    age: list[int] = field(default_factory=list)
    sex: list[str] = field(default_factory=list)
    is_ed: list[bool] = field(default_factory=list)
    condition: list[int] = field(default_factory=list)  # index of the first diagnosis's condition; -1 excluded
    evidences: list[list[int]] = field(default_factory=list)  # indices in the reason evidences, complaint first
    admitted_or_died: list[bool] = field(default_factory=list)
    emergent: list[bool] = field(default_factory=list)  # triaged 1-2 at arrival

    def __len__(self) -> int:
        return len(self.age)


def collect_cases(visits: Iterable[Visit], counts: VisitCounts) -> VisitCases:
    """The simulated visits of `visits`: symptom reasons in the vocabulary and a diagnosis."""
    cases = VisitCases()
    for visit in visits:
        if not visit.symptom_reasons or not visit.diagnoses:
            continue
        evidences = counts.evidences_of(visit)
        if not evidences:
            continue
        condition = counts.condition_of(visit)
        cases.age.append(visit.age)
        cases.sex.append(visit.sex)
        cases.is_ed.append(visit.is_ed)
        cases.condition.append(-1 if condition is None else condition)
        cases.evidences.append(evidences)
        cases.admitted_or_died.append(bool(visit.admitted or visit.died))
        cases.emergent.append(visit.triage is not None and visit.triage <= 2)
    return cases


@dataclass(frozen=True)
class EnginePosteriors:
    """The engine on each visit: its posterior after the reasons, the questions asked, and the stability test."""

    p: FloatArray  # (N, D) in the engine's order of conditions
    questions: NDArray[np.int64]  # (N,)
    advice: NDArray[np.int64]  # (N,) advised urgency, red flags included
    flipped: NDArray[np.int64]  # (N,) the same with the least-weight answer changed (see `engine_posteriors`)
    dropped: NDArray[np.bool_]  # (N,) that change dropped a reason (else it added a "no")


def engine_posteriors(
    engine: Engine,
    counts: VisitCounts,
    cases: VisitCases,
    max_turns: int,
    progress: Callable[[str], None] | None = None,
) -> EnginePosteriors:
    """The engine's posterior after each visit's reasons, the questions it asks, and the stability test
    (`progress` hears how many visits are done after each chunk).

    Stability (see `symptomcheck.evaluation.stability`; the weight of an answer is the KL divergence between
    the posteriors with and without it): a visit's answers are its reasons, all present. With two reasons or
    more, the least-weight reason other than the complaint is dropped (the visit had not mentioned it); with
    the complaint alone, "no" is added to the least-weight evidence the interview could still ask (a
    question it would have asked, answered "no" rather than "don't know"). The advice is the probability rule
    raised to the red flags of the reasons, as in `triage_figures`; a dropped reason takes its red flag with
    it."""
    tables = engine.tables
    thresholds = engine.knowledge.triage_thresholds
    evidence_index = np.array([tables.evidence_index(code) for code in counts.reason_evidences])
    present_rows = tables.offsets[evidence_index] + 1
    log_present = tables.temperature * tables.log_p_outcome[present_rows]  # (V, D)
    absent_rows = np.where(tables.default_row >= 0, tables.default_row, tables.offsets[:-1])
    log_absent = tables.temperature * tables.log_p_outcome[absent_rows]  # (E, D)
    posteriors, questions, advice, flipped, dropped = [], [], [], [], []
    for start in range(0, len(cases), CHUNK):
        stop = min(start + CHUNK, len(cases))
        reasons = [cases.evidences[n] for n in range(start, stop)]
        log_post = np.stack([tables.log_prior_for(cases.age[n], cases.sex[n]) for n in range(start, stop)])
        for k, mentioned in enumerate(reasons):
            log_post[k] += log_present[mentioned].sum(axis=0)
        p = normalise(log_post)
        asked = np.zeros((stop - start, tables.n_evidences), dtype=bool)
        for k, mentioned in enumerate(reasons):
            asked[k, evidence_index[mentioned]] = True
        ages = np.array(cases.age[start:stop], dtype=np.int64)
        sex_codes = np.array(cases.sex[start:stop])
        sexes = np.array([sex_index(sex) for sex in sex_codes], dtype=np.int64)
        questions.append(_questions_asked(engine, p, asked, ages, sexes, max_turns))
        posteriors.append(p)
        flags = visit_flag_urgency(engine.knowledge, counts, reasons, ages, sex_codes)
        advice.append(np.maximum(batch_urgency(p, tables.level_urgency, thresholds), flags))
        # the change: drop a reason (two or more) or add a "no" (the complaint alone)
        several = np.array([len(mentioned) >= 2 for mentioned in reasons])
        change = np.zeros_like(log_post)
        flags_after = flags.copy()
        rows = np.flatnonzero(several)
        if len(rows):
            weight = weight_given_each(p[rows], log_present)  # (n, V)
            candidate = np.full_like(weight, np.inf)
            for i, n in enumerate(rows):
                others = reasons[n][1:]
                candidate[i, others] = weight[i, others]
            least = candidate.argmin(axis=1)
            change[rows] = -log_present[least]
            kept = [[v for v in reasons[n] if v != least[i]] for i, n in enumerate(rows)]
            flags_after[rows] = visit_flag_urgency(engine.knowledge, counts, kept, ages[rows], sex_codes[rows])
        rows = np.flatnonzero(~several)
        if len(rows):
            weight = weight_added(p[rows], log_absent)  # (n, E)
            eligible = ~asked[rows] & tables.askable_unprompted[None, :]
            least = np.where(eligible, weight, np.inf).argmin(axis=1)
            change[rows] = log_absent[least]
        after = batch_urgency(normalise(log_post + change), tables.level_urgency, thresholds)
        flipped.append(np.maximum(after, flags_after))
        dropped.append(several)
        if progress:
            progress(f"interviewed {stop:,} of {len(cases):,} visits")
    return EnginePosteriors(
        p=np.vstack(posteriors),
        questions=np.concatenate(questions),
        advice=np.concatenate(advice),
        flipped=np.concatenate(flipped),
        dropped=np.concatenate(dropped),
    )


def _questions_asked(
    engine: Engine,
    p: FloatArray,
    asked: NDArray[np.bool_],
    ages: NDArray[np.int64],
    sexes: NDArray[np.int64],
    max_turns: int,
) -> NDArray[np.int64]:
    """Questions asked when every answer is "don't know": the posterior stays, so do the scores, and the
    question of turn t is the t-th best of those eligible at the start (the protocols' red flags first, then
    the questions allowed, as in `choose_questions`)."""
    tables = engine.tables
    no_values = np.zeros((len(p), int(tables.offsets[-1])), dtype=bool)
    focused = focus(tables.protocol, p, asked, no_values, ages, sexes, tables.settings["relevant_mass"])
    eligible = ~asked & tables.askable_unprompted[None, :]  # follow-ups wait for a yes that never comes
    score = np.where(
        eligible & (focused.priority > 0), np.inf, np.where(focused.allowed, question_scores(tables, p), -np.inf)
    )
    remaining = np.where(eligible, score, -np.inf)
    order = np.argsort(-remaining, axis=1, kind="stable")[:, : max_turns + 1]
    ranked = np.take_along_axis(remaining, order, axis=1)
    settled = is_settled(tables, p)
    questions = np.full(len(p), max_turns, dtype=np.int64)
    undecided = np.ones(len(p), dtype=bool)
    everyone = np.arange(len(p))
    for turn in range(min(max_turns, ranked.shape[1]) + 1):
        best = ranked[:, turn] if turn < ranked.shape[1] else np.full(len(p), -np.inf)
        none_left = np.isneginf(best)  # +inf is a red flag still to ask
        if turn:
            remaining[everyone, order[:, turn - 1]] = -np.inf  # asked: no longer a next question
        decided = decision_settled(tables, p, remaining) if tables.settings["decision_stop"] else None
        # every answer is "don't know": the streak is the questions asked that were not red flags (+inf)
        streak = turn - np.isposinf(ranked[:, :turn]).sum(axis=1)
        stop = should_stop(tables, p, np.where(none_left, 0.0, best), turn, max_turns, settled, decided, streak)
        stop |= none_left
        newly = undecided & stop
        questions[newly] = turn
        undecided &= ~stop
        if not undecided.any():
            break
    return questions


def baseline_posteriors(counts: VisitCounts, cases: VisitCases, ed_share: float) -> FloatArray:
    """The naive-Bayes baseline's posterior (N, D): weighted priors by age band and sex, and a Bernoulli
    likelihood of the reasons mentioned and not mentioned."""
    p_mentioned, _ = counts.p_mentioned(1.0)
    log_yes, log_no = np.log(p_mentioned), np.log1p(-p_mentioned)  # (V, D)
    share = counts.weight / np.maximum(counts.weight.sum(axis=1, keepdims=True), 1e-12)
    prior = np.maximum((1 - ed_share) * share[OFFICE] + ed_share * share[ED], 1e-9)
    n = np.maximum(counts.visits.sum(axis=0), 1.0)
    log_age = np.log((counts.age + 1.0) / (n[:, None] + counts.age.shape[1]))
    log_sex = np.log((counts.sex + 1.0) / (n[:, None] + 2.0))
    base = np.log(prior) + log_no.sum(axis=0)
    result = np.empty((len(cases), len(prior)))
    for i in range(len(cases)):
        mentioned = cases.evidences[i]
        result[i] = (
            base
            + (log_yes[mentioned] - log_no[mentioned]).sum(axis=0)
            + log_age[:, age_band(cases.age[i])]
            + log_sex[:, sex_index(cases.sex[i])]
        )
    posterior: FloatArray = normalise(result)
    return posterior


def baseline_level(shares: FloatArray) -> NDArray[np.int64]:
    """The baseline's level per condition from its ED shares (3, D) of ambulance, admission, triage 1-2:
    emergency when a quarter of its ED visits are admitted or triaged 1-2, within 24 hours from a tenth,
    otherwise a consultation (and a consultation when no ED visit tells)."""
    admitted = np.nan_to_num(shares[1], nan=0.0)
    emergent = np.nan_to_num(shares[2], nan=0.0)
    top = np.maximum(admitted, emergent)
    return np.where(
        top >= 0.25,
        TriageLevel.EMERGENCY.urgency,
        np.where(top >= 0.10, TriageLevel.CONSULTATION_24.urgency, TriageLevel.CONSULTATION.urgency),
    ).astype(np.int64)


def red_flag_urgency(knowledge: KnowledgeBase, counts: VisitCounts, cases: VisitCases) -> NDArray[np.int64]:
    """The most urgent level (its urgency; -1 for none) that the red flags of each visit's reasons raise."""
    return visit_flag_urgency(knowledge, counts, cases.evidences, np.array(cases.age), np.array(cases.sex))


def visit_flag_urgency(
    knowledge: KnowledgeBase,
    counts: VisitCounts,
    reasons: Sequence[Sequence[int]],
    ages: NDArray[np.int64],
    sexes: NDArray[np.str_],
) -> NDArray[np.int64]:
    """The most urgent level (its urgency; -1 for none) that the red flags of each visit's reasons (indices in
    `counts.reason_evidences`) raise: a protocol's flag only when a reason of the visit triggers its family,
    and for the person's age and sex."""
    index = {code: v for v, code in enumerate(counts.reason_evidences)}
    present = np.zeros((len(reasons), len(index)), dtype=bool)
    for n, evidences in enumerate(reasons):
        present[n, list(evidences)] = True
    families = {
        family.id: present[
            :, [index[t.evidence] for t in family.triggers if t.value is None and t.evidence in index]
        ].any(axis=1)
        & (ages >= (family.min_age if family.min_age is not None else 0))
        & (ages <= (family.max_age if family.max_age is not None else 200))
        for family in knowledge.protocols
    }
    result = np.full(len(reasons), -1, dtype=np.int64)
    for flag in knowledge.red_flags:
        if any(bound is not None for bound in (flag.value, flag.minimum, flag.with_value, flag.with_minimum)):
            continue
        if any(code not in index for code in flag.evidences):
            continue
        raised = present[:, [index[code] for code in flag.evidences]].all(axis=1)
        if flag.family is not None:
            raised &= families[flag.family]
        if flag.min_age is not None:
            raised &= ages >= flag.min_age
        if flag.max_age is not None:
            raised &= ages <= flag.max_age
        if flag.sex is not None:
            raised &= sexes == flag.sex
        result[raised] = np.maximum(result[raised], flag.level.urgency)
    return result


def triage_figures(
    p: FloatArray,
    urgency: NDArray[np.int64],
    thresholds: Mapping[TriageLevel, float],
    cases: VisitCases,
    flags: NDArray[np.int64] | None = None,
) -> dict[str, float]:
    """Under-triage, emergency recall and over-triage of the advice the probabilities give, raised to the
    red flags' levels (`flags`, from `red_flag_urgency`) when given."""
    advised = batch_urgency(p, urgency, thresholds)
    if flags is not None:
        advised = np.maximum(advised, flags)
    is_ed = np.array(cases.is_ed)
    serious = is_ed & np.array(cases.admitted_or_died)
    emergent = is_ed & np.array(cases.emergent)
    condition = np.array(cases.condition)
    office_minor = ~is_ed & (condition >= 0) & (urgency[np.maximum(condition, 0)] <= CONSULTATION_URGENCY)
    return {
        "under_triage": _share(advised[serious] <= CONSULTATION_URGENCY),
        "emergency_recall": _share(advised[emergent] >= EMERGENCY_URGENCY),
        "over_triage": _share(advised[office_minor] >= EMERGENCY_URGENCY),
        "advised_emergency": _share(advised >= EMERGENCY_URGENCY),
    }


def _share(flags: NDArray[np.bool_]) -> float:
    return float(flags.mean()) if len(flags) else float("nan")


def scaled(thresholds: Mapping[TriageLevel, float], factor: float) -> dict[TriageLevel, float]:
    """The rule with the thresholds of the two emergency levels multiplied by `factor`."""
    result = dict(thresholds)
    for level in (TriageLevel.EMERGENCY_AMBULANCE, TriageLevel.EMERGENCY):
        result[level] = min(thresholds[level] * factor, 1.0)
    return result


def top_k(p: FloatArray, truth: NDArray[np.int64], excluded: int, ks: Sequence[int] = (1, 3, 5)) -> dict[str, float]:
    ranked = np.argsort(-np.where(np.arange(p.shape[1]) == excluded, -1.0, p), axis=1, kind="stable")
    found = ranked == truth[:, None]
    return {f"top{k}": float(found[:, :k].any(axis=1).mean()) if len(truth) else float("nan") for k in ks}


@dataclass(frozen=True)
class VisitEvaluation:
    metrics: dict[str, float]
    curve: list[dict[str, float]]  # the engine's trade-off, one row per threshold factor
    baseline_curve: list[dict[str, float]]
    top_probability: FloatArray = field(default_factory=lambda: np.zeros(0))  # (N,) of the visits judged
    top_correct: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))  # (N,)

    def reliability(self) -> list[dict[str, float]]:
        """The reliability bins of the top probability: mean predicted, observed accuracy, count."""
        totals = ReliabilityTotals()
        totals.add(self.top_probability, self.top_correct)
        return [{"predicted": p, "observed": o, "count": float(n)} for p, o, n in totals.bins()]


def evaluate_visits(
    path: Path,
    engine: Engine,
    knowledge: KnowledgeBase,
    held_out: set[tuple[str, int]],
    max_turns: int = 30,
    progress: Callable[[str], None] | None = None,
) -> VisitEvaluation:
    """Fit the baseline on the years of `path` outside `held_out`, and evaluate both on `held_out`."""
    say = progress or (lambda _: None)
    training = VisitCounts(knowledge)
    say("counting the training years for the baseline")
    training.add_all(read_visits(path, exclude_years=held_out))
    say("reading the held-out years")
    cases = collect_cases(read_visits(path, years=held_out), VisitCounts(knowledge))
    if not len(cases):
        raise ValueError(f"{path}: no visit of the held-out years {sorted(held_out)} has a reason in the vocabulary")
    say(f"interviewing {len(cases)} held-out visits")
    tables = engine.tables
    order = [tables.conditions.index(code) for code in training.conditions]
    ran = engine_posteriors(engine, training, cases, max_turns, say)
    p_engine, questions = ran.p[:, order], ran.questions  # in the order of the catalogue, as the counts
    urgency = tables.level_urgency[order]
    other = training.conditions.index(NOT_IN_CATALOGUE)
    say("the baseline")
    p_base = baseline_posteriors(training, cases, float(tables.settings.get("ed_share", 0.3)))
    base_urgency = baseline_level(training.ed_shares())
    condition = np.array(cases.condition)
    diagnosed = (condition >= 0) & (condition != other)
    thresholds = knowledge.triage_thresholds
    flags = red_flag_urgency(knowledge, training, cases)
    metrics: dict[str, float] = {
        "visits": float(len(cases)),
        "visits_diagnosed": float(diagnosed.sum()),
        "office_visits": float(len(cases) - sum(cases.is_ed)),
        "ed_visits": float(sum(cases.is_ed)),
        **top_k(p_engine[diagnosed], condition[diagnosed], other),
        **triage_figures(p_engine, urgency, thresholds, cases, flags),
        "open_world_leads": float((p_engine.argmax(axis=1) == other).mean()),
        "questions_mean": float(questions.mean()),
        "questions_median": float(np.median(questions)),
        "questions_p95": float(np.percentile(questions, 95)),
        **{f"baseline_{k}": v for k, v in top_k(p_base[diagnosed], condition[diagnosed], other).items()},
        **{f"baseline_{k}": v for k, v in triage_figures(p_base, base_urgency, thresholds, cases).items()},
        **shift_rates(ran.advice, ran.flipped),
        **{f"{k}_dropped": v for k, v in shift_rates(ran.advice[ran.dropped], ran.flipped[ran.dropped]).items()},
    }
    # calibration of the top outcome's probability, on the visits whose diagnosis is an outcome of the posterior
    judged = condition >= 0
    top_probability, top_correct = top_of(p_engine[judged], condition[judged])
    reliability = ReliabilityTotals()
    reliability.add(top_probability, top_correct)
    metrics["ece_top1"] = reliability.ece()
    metrics["ece_visits"] = float(judged.sum())
    curve = [
        {"factor": f, **triage_figures(p_engine, urgency, scaled(thresholds, f), cases, flags)}
        for f in THRESHOLD_FACTORS
    ]
    baseline_curve = [
        {"factor": f, **triage_figures(p_base, base_urgency, scaled(thresholds, f), cases)} for f in THRESHOLD_FACTORS
    ]
    return VisitEvaluation(metrics, curve, baseline_curve, top_probability, top_correct)
