"""What a client sees of a consultation, in one language: plain values built from an assessment.

Every channel (REST API, web page, WeChat) shows the same things from the same values: the current
question with its possible answers, the differential with words for each chance and the answers behind it,
the triage advice first, and the disclaimer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.engine.assessment import Assessment, StopReason
from symptomcheck.engine.explain import Contribution
from symptomcheck.interview import Consultation, Subject
from symptomcheck.interview.result import (
    advice_given,
    answer_words,
    cannot_name_a_cause,
    earlier_note,
    symptom_advice,
    triage_because,
)
from symptomcheck.interview.wording import likelihood_key, question_text
from symptomcheck.knowledge import LIST_SEPARATOR, Evidence, EvidenceKind, KnowledgeBase, Language, TriageLevel
from symptomcheck.services.codes import Language as LanguageEnum
from symptomcheck.services.codes import Likelihood, QuestionKind, ReasonPurpose, Sex

_WHY = {"separate": "why_separate", "urgent": "why_urgent", "findings": "why_findings", "red_flag": "why_red_flag"}
# the message key of the words for a chance -> its code (the words are in the view's language, the code never)
_LIKELIHOOD = {
    "likelihood_high": Likelihood.HIGH,
    "likelihood_medium": Likelihood.MEDIUM,
    "likelihood_low": Likelihood.LOW,
    "likelihood_very_low": Likelihood.VERY_LOW,
}


@dataclass(frozen=True, slots=True)
class Option:
    id: str  # the value code to send back (V_xx, or "0".."10" on a scale)
    text: str


@dataclass(frozen=True, slots=True)
class Scale:
    min: int
    max: int
    min_text: str  # what 0 means
    max_text: str  # what 10 means


@dataclass(frozen=True, slots=True)
class RegionView:
    """A part of the body, for a question answered with body sites: choose the region, then its sites.

    Choosing the region without a precise site answers with every option id of the region: the answer then
    means "somewhere in this region" and nothing more precise.
    """

    id: str
    text: str
    options: tuple[Option, ...]  # the region's precise sites, in body order


@dataclass(frozen=True, slots=True)
class Reason:
    purpose: ReasonPurpose
    text: str
    conditions: tuple[str, ...]  # condition codes the answer bears on most


@dataclass(frozen=True, slots=True)
class QuestionView:
    id: str  # the evidence code: send it back with the answer
    text: str
    kind: QuestionKind
    options: tuple[Option, ...]  # the values of a "one" or "several" question; empty otherwise
    scale: Scale | None
    reason: Reason | None
    # a body-site question's regions in body order (head to foot); `options` still lists every value, the
    # ones that are no site ("nowhere") first
    regions: tuple[RegionView, ...] = ()


@dataclass(frozen=True, slots=True)
class Explanation:
    evidence: str
    question: str
    answer: str  # what the person answered, in words
    weight: float  # in nats: how much the answer moved this condition against the alternatives


@dataclass(frozen=True, slots=True)
class ConditionView:
    id: str
    name: str
    icd10: str
    probability: float  # the chance shown: the calibrated posterior the advice uses (as `posterior`)
    posterior: float  # calibrated chance that it is this condition
    likelihood: str  # the chance in words, in the view's language; never a certainty
    likelihood_level: Likelihood  # the same chance as a code, for clients that choose their own words
    severe: bool
    triage_level: TriageLevel
    supporting: tuple[Explanation, ...]
    against: tuple[Explanation, ...]


@dataclass(frozen=True, slots=True)
class RedFlagView:
    evidence: str
    question: str
    level: TriageLevel


@dataclass(frozen=True, slots=True)
class TriageView:
    level: TriageLevel
    title: str
    action: str
    when_to_escalate: str
    emergency_now: bool  # the advice is an emergency: show it at once, before the interview ends
    red_flags: tuple[RedFlagView, ...]
    because: str = ""  # why this level: the red-flag answer, or the chance of the conditions that need it
    # said when an earlier answer gave more urgent advice than now, and why it is lower
    earlier: str | None = None


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    turn: int | None  # the consultation's turn when it was answered (0 for the first question; None: said with
    # the complaint, before any question)
    evidence: str
    question: str
    status: AnswerStatus
    values: tuple[str, ...]
    answer: str  # in words


@dataclass(frozen=True, slots=True)
class AssessmentView:
    """The result of an assessment: the next question (or none), the differential and the triage."""

    question: QuestionView | None
    should_stop: bool
    stop_reason: StopReason | None
    questions_asked: int
    max_questions: int
    differential: tuple[ConditionView, ...]
    triage: TriageView
    disclaimer: str
    # said when the "not in the catalogue" outcome leads: no condition the service knows fits the answers well
    unknown_cause: str | None = None
    # the complaint families' symptom-based advice, shown with `unknown_cause` (no likely cause to name)
    symptom_advice: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConsultationView:
    """A stored consultation as its client sees it."""

    id: str
    created: datetime
    updated: datetime
    language: LanguageEnum
    age: int  # the patient's (a child's own age, when the consultation is for a child)
    sex: Sex
    complaint: TranscriptEntry
    turn: int  # number of answers after the complaint: send it back with the next answer
    finished: bool
    assessment: AssessmentView
    transcript: tuple[TranscriptEntry, ...] = field(default=())
    subject: Subject = Subject.SELF  # who it is for: the questions and advice are worded for them


def question_kind(evidence: Evidence) -> QuestionKind:
    """How a question is answered: yes/no, one value, several values, or a number on a 0-10 scale."""
    if evidence.kind is EvidenceKind.BINARY:
        return QuestionKind.YES_NO
    if evidence.scale is not None:
        return QuestionKind.SCALE
    return QuestionKind.SEVERAL if evidence.kind is EvidenceKind.MULTI else QuestionKind.ONE


class Presenter:
    """Builds the views of one knowledge base's consultations and assessments."""

    def __init__(self, knowledge: KnowledgeBase, max_questions: int) -> None:
        self.knowledge = knowledge
        self.max_questions = max_questions

    def t(self, language: Language, key: str, subject: Subject = Subject.SELF, **values: object) -> str:
        return self.knowledge.message(language, key, subject.value, **values)

    def question_text(self, code: str, language: Language, subject: Subject = Subject.SELF) -> str:
        """The question of `code` worded for who the consultation is for ("Does your child have…")."""
        return question_text(self.knowledge, code, language, subject)

    def question(
        self, code: str, assessment: Assessment | None, language: Language, subject: Subject = Subject.SELF
    ) -> QuestionView:
        evidence = self.knowledge.evidence(code)
        kind = question_kind(evidence)
        scale = None
        options: tuple[Option, ...] = ()
        if evidence.scale is not None:
            low, high = evidence.scale
            numbers = [int(v.code) for v in evidence.values]
            scale = Scale(min(numbers), max(numbers), low[language], high[language])
        elif kind is not QuestionKind.YES_NO:
            options = tuple(Option(v.code, v.text[language]) for v in self.knowledge.shown_values(evidence))
        texts = {option.id: option.text for option in options}
        regions = tuple(
            RegionView(r.id, r.name[language], tuple(Option(code, texts[code]) for code in r.sites))
            for r in self.knowledge.regions_for(code)
        )
        reason = None
        if assessment is not None and assessment.question_reason is not None:
            why = assessment.question_reason
            names = LIST_SEPARATOR[language].join(self.knowledge.condition(c).name[language] for c in why.conditions)
            purpose = ReasonPurpose(why.purpose.value)
            reason = Reason(purpose, self.t(language, _WHY[purpose], subject, conditions=names), why.conditions)
        text = self.question_text(code, language, subject)
        return QuestionView(code, text, kind, options, scale, reason, regions)

    def answer_text(self, evidence: Evidence, given: Answer, language: Language) -> str:
        return answer_words(self.knowledge, evidence, given, language)

    def transcript_entry(
        self, turn: int | None, code: str, given: Answer, language: Language, subject: Subject = Subject.SELF
    ) -> TranscriptEntry:
        evidence = self.knowledge.evidence(code)
        return TranscriptEntry(
            turn,
            code,
            self.question_text(code, language, subject),
            given.status,
            given.values,
            self.answer_text(evidence, given, language),
        )

    def assessment(
        self,
        assessment: Assessment,
        answers: list[tuple[str, Answer]],
        language: Language,
        said: int = 0,
        subject: Subject = Subject.SELF,
    ) -> AssessmentView:
        """`said`: how many answers came with the complaint (typed, not asked). The engine counts them against
        its question limit; the person's progress counts the questions asked, out of what the limit leaves."""
        given = dict(answers)
        kb = self.knowledge

        def explained(contributions: tuple[Contribution, ...]) -> tuple[Explanation, ...]:
            out = []
            for c in contributions:
                evidence = kb.evidence(c.evidence)
                said = self.answer_text(evidence, given[c.evidence], language)
                text = self.question_text(c.evidence, language, subject)
                out.append(Explanation(c.evidence, text, said, round(c.weight, 3)))
            return tuple(out)

        differential = tuple(
            ConditionView(
                id=ranked.code,
                name=kb.condition(ranked.code).name[language],
                icd10=kb.condition(ranked.code).icd10,
                probability=round(ranked.probability, 4),
                posterior=round(ranked.posterior, 4),
                likelihood=self.t(language, likelihood_key(ranked.posterior)),
                likelihood_level=_LIKELIHOOD[likelihood_key(ranked.posterior)],
                severe=kb.condition(ranked.code).is_severe,
                triage_level=kb.level_of(ranked.code),
                supporting=explained(ranked.supporting),
                against=explained(ranked.against),
            )
            for ranked in assessment.differential
        )
        level = assessment.triage.level
        advice = advice_given(kb, assessment, language, subject)
        unknown = assessment.should_stop and cannot_name_a_cause(assessment)
        triage = TriageView(
            level=level,
            title=advice.title,
            action=advice.action,
            when_to_escalate=advice.when_to_escalate,
            emergency_now=assessment.emergency_likely,
            red_flags=tuple(
                RedFlagView(code, self.question_text(code, language, subject), flag.level)
                for flag in assessment.triage.red_flags
                for code in flag.evidences
            ),
            because=triage_because(kb, assessment, given, language, subject),
            earlier=earlier_note(kb, assessment, language),
        )
        question = (
            self.question(assessment.next_question, assessment, language, subject)
            if assessment.next_question is not None
            else None
        )
        return AssessmentView(
            question=question,
            should_stop=assessment.should_stop,
            stop_reason=assessment.stop_reason,
            questions_asked=assessment.questions_asked - said,
            max_questions=self.max_questions - said,
            differential=differential,
            triage=triage,
            disclaimer=kb.disclaimer[language],
            unknown_cause=self.t(language, "unknown_cause", subject) if unknown else None,
            symptom_advice=symptom_advice(kb, assessment, language) if unknown else (),
        )

    def consultation(
        self,
        id: str,
        consultation: Consultation,
        assessment: Assessment,
        created: datetime,
        updated: datetime,
        language: Language | None = None,
    ) -> ConsultationView:
        lang = language or consultation.language
        answers = consultation.answers
        who = consultation.subject
        return ConsultationView(
            id=id,
            created=created,
            updated=updated,
            language=LanguageEnum(lang),
            age=consultation.age,
            sex=Sex(consultation.sex),
            complaint=self.transcript_entry(None, consultation.complaint, Answer.yes(), lang, who),
            turn=consultation.questions_asked,
            finished=assessment.should_stop,
            assessment=self.assessment(assessment, answers, lang, said=len(consultation.findings), subject=who),
            transcript=(
                *(self.transcript_entry(None, t.evidence, t.answer, lang, who) for t in consultation.findings),
                *(self.transcript_entry(n, t.evidence, t.answer, lang, who) for n, t in enumerate(consultation.turns)),
            ),
            subject=who,
        )
