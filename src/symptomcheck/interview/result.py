"""What the result says besides the list, the same on every channel: why the advice is what it is, and
whether a likely cause can be named at all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.engine.assessment import Assessment
from symptomcheck.interview.consultation import Subject
from symptomcheck.interview.wording import percent, question_text
from symptomcheck.knowledge import (
    LIST_SEPARATOR,
    Advice,
    Evidence,
    EvidenceKind,
    KnowledgeBase,
    Language,
    RedFlag,
    TriageLevel,
)
from symptomcheck.knowledge.catalogue import NOT_IN_CATALOGUE

CREDIBLE = 0.15  # below this, the most likely condition is no likely cause to name


def leader(assessment: Assessment) -> str | None:
    """The condition the posterior ranks first."""
    if not assessment.differential:
        return None
    return max(assessment.differential, key=lambda ranked: ranked.posterior).code


def cannot_name_a_cause(assessment: Assessment) -> bool:
    """Whether the result must say plainly that it cannot identify a likely cause: "not in the catalogue"
    leads, or no condition is credible (less than `CREDIBLE` likely)."""
    top = leader(assessment)
    return top is None or top == NOT_IN_CATALOGUE or float(assessment.posterior.max()) < CREDIBLE


def answer_words(knowledge: KnowledgeBase, evidence: Evidence, given: Answer, language: Language) -> str:
    """An answer as the person would read it back."""
    if given.status is AnswerStatus.UNKNOWN:
        return knowledge.message(language, "dont_know")
    if given.status is AnswerStatus.ABSENT:
        return knowledge.message(language, "no")
    if evidence.kind is EvidenceKind.BINARY:
        return knowledge.message(language, "yes")
    return knowledge.describe_values(evidence, given.values, language)


def reason_flags(assessment: Assessment) -> list[RedFlag]:
    """The raised red flags that explain the advised level, most urgent first: those at that level (a red-flag
    answer sets the level whatever the probabilities say: it is the clearest reason, also when they give the
    same level), or, when no likely cause can be named, those of an emergency level."""
    triage = assessment.triage
    flags = [flag for flag in triage.red_flags if flag.level is triage.level]
    if not flags and cannot_name_a_cause(assessment):
        flags = [flag for flag in triage.red_flags if flag.level.urgency >= TriageLevel.EMERGENCY.urgency]
    return flags


def advice_given(
    knowledge: KnowledgeBase, assessment: Assessment, language: Language, subject: Subject = Subject.SELF
) -> Advice:
    """The advised level's advice, with the action of the red flag that explains it when that flag says what to
    do in its own words (thoughts of suicide: not to stay alone, the crisis lines)."""
    advice = knowledge.advice_of(assessment.triage.level, language, subject.value)
    for flag in reason_flags(assessment):
        action = flag.action(subject.value, language)
        if action is not None:
            return replace(advice, action=action)
    return advice


def triage_because(
    knowledge: KnowledgeBase,
    assessment: Assessment,
    answers: Mapping[str, Answer],
    language: Language,
    subject: Subject = Subject.SELF,
) -> str:
    """Why the advice is what it is, in one sentence: the red-flag answer that set it (or that sets the same
    level), or the chance of the conditions behind it (the same chance the list shows for each of them).

    When no likely cause can be named, the chances are those of conditions that explain nothing said (with a
    model that knows no condition of the complaint, close to their prior): an emergency red-flag answer is
    then the reason given, not a list of unrelated urgent conditions."""
    triage = assessment.triage
    flags = reason_flags(assessment)
    if flags and all(code in answers for code in flags[0].evidences):
        said = [
            (answer_words(knowledge, knowledge.evidence(code), answers[code], language),
             question_text(knowledge, code, language, subject))
            for code in flags[0].evidences
        ]  # fmt: skip
        if len(said) == 2:  # a flag that needs two answers
            (answer, question), (answer_2, question_2) = said
            return knowledge.message(
                language, "triage_because_flags", answer=answer, question=question, answer_2=answer_2,
                question_2=question_2,
            )  # fmt: skip
        return knowledge.message(language, "triage_because_flag", answer=said[0][0], question=said[0][1])
    names = LIST_SEPARATOR[language].join(
        knowledge.condition(code).name[language] for code in assessment.triage_conditions
    )
    if triage.level is TriageLevel.SELF_CARE:
        key = "triage_because_self_care" if names else "triage_because_nothing"
        return knowledge.message(language, key, conditions=names)
    if not names:
        # urgent conditions each under the list's 1 % whose chances add up: say so, never "nothing needs a doctor"
        return knowledge.message(language, "triage_because_spread", percent=percent(triage.mass))
    return knowledge.message(language, "triage_because_conditions", conditions=names, percent=percent(triage.mass))


def earlier_note(knowledge: KnowledgeBase, assessment: Assessment, language: Language) -> str | None:
    """Said when an earlier answer gave more urgent advice than the result: the result never contradicts the
    emergency banner without saying why."""
    if assessment.earlier_level is None:
        return None
    title = knowledge.advice[assessment.earlier_level][language].title
    return knowledge.message(language, "triage_earlier", earlier=title)


def symptom_advice(knowledge: KnowledgeBase, assessment: Assessment, language: Language) -> tuple[str, ...]:
    """The complaint families' symptom-based advice (shown when no likely cause can be named)."""
    return tuple(knowledge.family(family).advice[language] for family in assessment.families)
