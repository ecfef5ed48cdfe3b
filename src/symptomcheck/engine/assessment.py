"""The engine's one entry point for a consultation: everything known after a list of answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import numpy as np

from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.engine.errors import AnswerError
from symptomcheck.engine.explain import Contribution, QuestionReason, contributions_for, question_reason
from symptomcheck.engine.posterior import normalise
from symptomcheck.engine.protocol import active_families, focus
from symptomcheck.engine.questions import eligible_questions, question_choice
from symptomcheck.engine.stopping import AMBULANCE, EMERGENCY, decision_settled, is_settled, should_stop
from symptomcheck.engine.tables import IntArray, Tables, compile_tables
from symptomcheck.engine.triage import TriageDecision, batch_urgency, triage_of_interview
from symptomcheck.knowledge import EvidenceKind, KnowledgeBase, RedFlag, TriageLevel
from symptomcheck.model.artifact import FloatArray, Model
from symptomcheck.model.demographics import sex_index

LIST_THRESHOLD = 0.01  # a condition less likely than this is never listed
TRIAGE_NAMED = 3  # the conditions named when the advice is explained by their chances


class StopReason(StrEnum):
    CONFIDENT = "confident"
    EMERGENCY = "emergency"
    NOTHING_TO_ASK = "nothing_to_ask"
    TURN_LIMIT = "turn_limit"


@dataclass(frozen=True, slots=True)
class RankedCondition:
    code: str
    probability: float  # its share of the list (ranks the list; every listed condition has > 1%)
    posterior: float  # the calibrated chance that it is the condition (a severe alternative may be small)
    supporting: tuple[Contribution, ...]
    against: tuple[Contribution, ...]


@dataclass(frozen=True)
class Assessment:
    """The state of a consultation after its answers: posterior, differential, next step, triage."""

    posterior: FloatArray  # (D,) the naive-Bayes posterior
    differential: tuple[RankedCondition, ...]  # listed conditions (> 1%), most likely first
    next_question: str | None  # None once the interview should stop
    question_reason: QuestionReason | None
    stop_reason: StopReason | None
    triage: TriageDecision
    questions_asked: int
    emergency_likely: bool  # show the emergency advice now, before the interview ends
    families: tuple[str, ...] = ()  # the complaint families that apply (`knowledge.protocols`)
    triage_conditions: tuple[str, ...] = ()  # the conditions behind the level the probabilities give
    # the most urgent level advised after an earlier answer, when more urgent than now (later answers
    # made the urgent conditions less likely): the result says so rather than silently contradicting it
    earlier_level: TriageLevel | None = None

    @property
    def should_stop(self) -> bool:
        return self.stop_reason is not None


class Engine:
    """Inference over one model and knowledge base (immutable, safe to share between threads)."""

    def __init__(self, model: Model, knowledge: KnowledgeBase, **overrides: float) -> None:
        self.model = model
        self.knowledge = knowledge
        self.tables: Tables = compile_tables(model, knowledge, **overrides)
        self.max_turns = int(self.tables.settings.get("max_turns", 30))
        self._urgency = self.tables.level_urgency
        # a few hundred flags checked for every assessment otherwise; the engine is immutable, and the ages,
        # sexes and sets of families met in practice are few
        self._red_flags_cache = lru_cache(maxsize=4096)(self._red_flags_for)

    def validate(self, answers: Sequence[tuple[str, Answer]]) -> None:
        """Refuse answers that do not fit: unknown evidence, answered twice, follow-up before its parent."""
        self._log_likelihoods(answers)

    def _log_likelihoods(self, answers: Sequence[tuple[str, Answer]]) -> list[FloatArray]:
        """Each answer's tempered log-likelihood (D,), after checking the answers fit (see `validate`)."""
        seen: dict[str, Answer] = {}
        log_likelihoods: list[FloatArray] = []
        for code, answer in answers:
            e = self.tables.evidence_index(code)
            if code in seen:
                raise AnswerError(f"{code} is answered twice")
            parent = int(self.tables.parent[e])
            if parent >= 0:
                parent_code = self.tables.evidences[parent]
                parent_answer = seen.get(parent_code)
                if parent_answer is None or parent_answer.status is not AnswerStatus.PRESENT:
                    raise AnswerError(f"{code} follows up {parent_code}: it is asked only after {parent_code} is yes")
            kind = self.tables.kinds[e]
            if kind is not EvidenceKind.BINARY and answer.status is AnswerStatus.PRESENT and not answer.values:
                raise AnswerError(f"{code} needs a value: one of {', '.join(self.tables.outcomes[e][:12])}")
            # raises AnswerError on a value not offered
            log_likelihoods.append(self.tables.answer_log_likelihood(e, answer))
            seen[code] = answer
        return log_likelihoods

    def assess(self, age: int, sex: str, answers: Sequence[tuple[str, Answer]]) -> Assessment:
        """Posterior, differential, next question, stop, triage and explanation after `answers`.

        The first answer is the complaint; `questions_asked` counts the others.
        """
        all_likelihoods = self._log_likelihoods(answers)
        tables = self.tables
        log_posterior = tables.log_prior_for(age, sex)
        asked = np.zeros((1, tables.n_evidences), dtype=bool)
        present = np.zeros_like(asked)
        answered = np.zeros_like(asked)  # asked, and not "don't know"
        values = np.zeros((1, tables.p_outcome.shape[0]), dtype=bool)
        likelihoods: list[tuple[str, FloatArray]] = []
        for (code, answer), log_likelihood in zip(answers, all_likelihoods, strict=True):
            e = tables.evidence_index(code)
            log_posterior = log_posterior + log_likelihood
            asked[0, e] = True
            answered[0, e] = answer.status is not AnswerStatus.UNKNOWN
            present[0, e] = answer.status is AnswerStatus.PRESENT and not self._is_ordinary(e, answer)
            if tables.kinds[e] is not EvidenceKind.BINARY and answer.status is not AnswerStatus.UNKNOWN:
                chosen = answer.values if answer.status is AnswerStatus.PRESENT else (self._ordinary(e),)
                for value in chosen:
                    values[0, tables.rows(e).start + tables.outcomes[e].index(value)] = True
            if answer.status is not AnswerStatus.UNKNOWN:
                likelihoods.append((code, log_likelihood))
        p = normalise(log_posterior)
        questions_asked = max(len(answers) - 1, 0)
        eligible = eligible_questions(tables, asked, present, values, answered)
        ages, sexes = np.array([age]), np.array([sex_index(sex)])
        found = active_families(tables.protocol, present, values, ages)
        families = found[0]
        relevant = tables.settings["relevant_mass"]
        focused = focus(tables.protocol, p[None, :], present, values, ages, sexes, relevant, found)
        choice = question_choice(tables, p[None, :], eligible, focused)
        best, best_score = choice.best, choice.best_score
        decided = decision_settled(tables, p[None, :], choice.scores) if tables.settings["decision_stop"] else None
        family_ids = frozenset(tables.protocol.families[f] for f in np.flatnonzero(families))
        red_flags = self.red_flags_for(age, sex, family_ids)
        red_flag_codes = frozenset(flag.evidence for flag in red_flags)
        stop = (
            bool(
                should_stop(
                    tables,
                    p[None, :],
                    best_score,
                    questions_asked,
                    self.max_turns,
                    decided=decided,
                    unknown_streak=unknown_streak(answers[1:], red_flag_codes),
                )[0]
            )
            or best[0] < 0
        )
        stop_reason = self._stop_reason(p, best_score[0], questions_asked, best[0] < 0) if stop else None
        triage = triage_of_interview(
            log_posterior, answers, all_likelihoods, self._urgency, self.knowledge.triage_thresholds, red_flags
        )
        listed = self._listed(p, triage)
        ranked = [
            RankedCondition(tables.conditions[d], float(p[d]), float(p[d]), *explained)
            for d, explained in zip(listed, contributions_for(p, likelihoods, listed), strict=True)
        ]
        next_question = None if stop else tables.evidences[int(best[0])]
        reason = None if stop else question_reason(tables, p, int(best[0]), flag=bool(np.isposinf(best_score[0])))
        earlier = self._earlier_level(age, sex, all_likelihoods)
        return Assessment(
            posterior=p,
            emergency_likely=self._emergency_likely(p, triage),
            differential=tuple(ranked),
            next_question=next_question,
            question_reason=reason,
            stop_reason=stop_reason,
            triage=triage,
            questions_asked=questions_asked,
            families=tuple(sorted(family_ids, key=tables.protocol.families.index)),
            triage_conditions=self._triage_conditions(p, triage),
            earlier_level=earlier if earlier.urgency > triage.level.urgency else None,
        )

    def _emergency_likely(self, p: FloatArray, triage: TriageDecision) -> bool:
        """Whether to show the emergency advice now, before the interview ends: the advice is an emergency
        because of a red flag, or because urgent conditions are together at least `emergency_likely` likely.
        An emergency level reached on a small chance early in the interview (a fever: 6% epiglottitis) is
        not shown as a banner while the questions can still rule it out; if the interview ends on it, the
        result gives it with its reason."""
        if triage.level.urgency < EMERGENCY:
            return False
        urgent_mass = float(p[self._urgency >= EMERGENCY].sum())
        return urgent_mass >= self.tables.settings.get("emergency_likely", 0.5) or any(
            flag.level.urgency >= EMERGENCY for flag in triage.red_flags
        )

    def _listed(self, p: FloatArray, triage: TriageDecision) -> list[int]:
        """The conditions worth discussing, most likely first: those at least `list_min` likely (at most
        `list_max`), and the ones the advice counts (as urgent as it, at least 1% likely)."""
        settings = self.tables.settings
        order = [int(d) for d in _most_likely_first(p, LIST_THRESHOLD)]
        likely = [d for d in order if p[d] >= settings["list_min"]][: int(settings["list_max"])]
        counted = set(self._triage_indices(p, triage))
        return [d for d in order if d in likely or d in counted]

    def _triage_indices(self, p: FloatArray, triage: TriageDecision) -> list[int]:
        level = triage.by_conditions.urgency
        urgency = self._urgency
        chosen = (urgency >= level) if level > 0 else (urgency == 0)
        order = [int(d) for d in _most_likely_first(np.where(chosen, p, 0.0), LIST_THRESHOLD)]
        return order[:TRIAGE_NAMED]

    def _triage_conditions(self, p: FloatArray, triage: TriageDecision) -> tuple[str, ...]:
        """The conditions behind the level the probabilities give (the most likely first)."""
        return tuple(self.tables.conditions[d] for d in self._triage_indices(p, triage))

    def _earlier_level(self, age: int, sex: str, log_likelihoods: Sequence[FloatArray]) -> TriageLevel:
        """The most urgent level the probabilities gave after any earlier answer (complaint included)."""
        if len(log_likelihoods) < 2:
            return TriageLevel.SELF_CARE
        prefixes = self.tables.log_prior_for(age, sex) + np.cumsum(np.stack(log_likelihoods[:-1]), axis=0)
        urgency = batch_urgency(normalise(prefixes), self._urgency, self.knowledge.triage_thresholds)
        return TriageLevel.by_urgency(int(urgency.max()))

    def red_flags_for(self, age: int, sex: str, families: frozenset[str]) -> tuple[RedFlag, ...]:
        """The red flags that count for this person while these complaint families apply."""
        return self._red_flags_cache(age, sex, families)

    def _red_flags_for(self, age: int, sex: str, families: frozenset[str]) -> tuple[RedFlag, ...]:
        return tuple(flag for flag in self.knowledge.red_flags if flag.applies(age, sex, families))

    def _ordinary(self, e: int) -> str:
        return str(self.tables.outcomes[e][int(self.tables.default_row[e]) - self.tables.rows(e).start])

    def _is_ordinary(self, e: int, answer: Answer) -> bool:
        if int(self.tables.default_row[e]) < 0:
            return False
        return set(answer.values) == {self._ordinary(e)}

    def _stop_reason(self, p: FloatArray, best_score: float, turns: int, nothing_left: bool) -> StopReason:
        if p[self._urgency >= AMBULANCE].sum() >= self.tables.settings.get("stop_emergency", 1.01):
            return StopReason.EMERGENCY
        if turns >= min(self.max_turns, self.tables.settings.get("soft_max_turns", self.max_turns)):
            return StopReason.TURN_LIMIT
        if nothing_left or not bool(is_settled(self.tables, p[None, :])[0]):
            return StopReason.NOTHING_TO_ASK
        return StopReason.CONFIDENT


def unknown_streak(answers: Sequence[tuple[str, Answer]], red_flags: frozenset[str] = frozenset()) -> int:
    """How many of the last answers in a row were "don't know", not counting red-flag questions: they are a
    safety check asked of everyone, and not knowing them says little about what else the person can tell."""
    count = 0
    for code, answer in reversed(answers):
        if code in red_flags:
            continue
        if answer.status is not AnswerStatus.UNKNOWN:
            break
        count += 1
    return count


def _most_likely_first(p: FloatArray, least: float) -> IntArray:
    """The conditions at least `least` likely, most likely first (ties in condition order)."""
    above = np.flatnonzero(p >= least)
    result: IntArray = above[np.argsort(-p[above], kind="stable")]
    return result
