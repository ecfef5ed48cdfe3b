"""A consultation and its assessment as a FHIR R4B Bundle (type "collection"), for a clinician's record.

The bundle holds, each with a `urn:uuid:` fullUrl derived (uuid5) from the consultation id, the resource type
and an index, so the same consultation always exports the same bundle:

- an anonymous Patient: no name, no identifier, no birth date (the service stores none), only the
  administrative gender from the sex answered and the age in years at the consultation, as the project-local
  extension `AGE_EXTENSION` with a valueQuantity in UCUM years (valueAge would forbid the age 0 of a baby);
- the Encounter: virtual, finished once the interview has stopped, else in progress;
- when someone answered on the patient's behalf (a consultation for a child or for another adult), an anonymous
  RelatedPerson for them, with the relationship as text ("parent or carer of the child", "someone answering for
  the patient"), referred to as the QuestionnaireResponse's `source`: the element FHIR defines as "the person
  who answered the questions about the subject" (`author` is who recorded them, here the service);
- a QuestionnaireResponse with the transcript, the complaint first: one item per answer, linkId the evidence
  code, text the question as it was asked (in the third person when someone answered for the patient);
  yes/no as valueBoolean, a 0-10 scale as valueInteger, other values as valueCoding
  with the value's text; "don't know" has no answer and the data-absent-reason "asked-unknown";
- an Observation per finding: answered yes, or with a value other than the ordinary one ("no pain", "nowhere");
- a Condition per listed condition of the differential, verification status "differential", coded in ICD-10;
- a RiskAssessment: per listed condition the calibrated posterior (probabilityDecimal) and the chance shown
  to the person (the `SHARE_EXTENSION` extension; the same posterior since the list shows the chances the
  advice uses), both rounded to 4 decimals;
- a ClinicalImpression: the triage advice as summary, the triage level and the red flags raised as findings,
  the disclaimer as a note, and references to the Conditions (problem) and the RiskAssessment (prognosis).

Texts (questions, values, condition names, advice, disclaimer) are in the consultation's language, except the
red flags' clinical reasons (`finding.basis`), which the knowledge base has only in English.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.clinicalimpression import ClinicalImpression, ClinicalImpressionFinding
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.condition import Condition, ConditionEvidence
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.relatedperson import RelatedPerson
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.riskassessment import RiskAssessment, RiskAssessmentPrediction

from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.engine.assessment import Assessment
from symptomcheck.interview.consultation import Consultation, Subject
from symptomcheck.interview.wording import question_text
from symptomcheck.knowledge import Evidence, EvidenceKind, KnowledgeBase, Language, RedFlag

PROJECT = "https://symptomcheck.invalid/fhir"
EVIDENCE_SYSTEM = f"{PROJECT}/CodeSystem/evidence"
VALUE_SYSTEM = f"{PROJECT}/CodeSystem/answer-value"
CONDITION_SYSTEM = f"{PROJECT}/CodeSystem/condition"
TRIAGE_SYSTEM = "https://symptomcheck.invalid/triage-level"
CONSULTATION_SYSTEM = f"{PROJECT}/consultation"
AGE_EXTENSION = f"{PROJECT}/StructureDefinition/age-in-years"
SHARE_EXTENSION = f"{PROJECT}/StructureDefinition/differential-share"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
VERIFICATION_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
UCUM = "http://unitsofmeasure.org"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PROJECT)
# who answered, when it was not the patient: RelatedPerson.relationship as text, in the consultation's language
# (no standard code says "parent or carer" without choosing one, and the service does not ask which)
ANSWERED_BY: dict[Subject, dict[Language, str]] = {
    Subject.CHILD: {
        "en": "parent or carer of the child, answering on the child's behalf",
        "fr": "parent ou personne qui s'occupe de l'enfant, répondant pour lui",
        "zh": "孩子的家长或照护人，代孩子回答",
    },
    Subject.ADULT: {
        "en": "someone answering on the patient's behalf",
        "fr": "une personne répondant pour le patient",
        "zh": "代患者回答的人",
    },
}


def consultation_bundle(
    consultation: Consultation,
    assessment: Assessment,
    knowledge: KnowledgeBase,
    consultation_id: str,
    created: datetime,
    model_version: str,
) -> dict[str, Any]:
    """The FHIR R4B Bundle of a consultation, as JSON-ready data (validated by fhir.resources on construction).

    `created` (timezone-aware) dates the bundle and every resource; `assessment` must be the engine's
    assessment of `consultation`.
    """
    if created.tzinfo is None or created.utcoffset() is None:
        raise ValueError("created must be a timezone-aware datetime (a FHIR instant carries its offset)")
    if not consultation_id:
        raise ValueError("consultation_id must not be empty: it makes the bundle's identifiers")
    lang = consultation.language
    done = assessment.should_stop

    def new_id(kind: str, index: int = 0) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{consultation_id}/{kind}/{index}"))

    def ref(kind: str, index: int = 0) -> Reference:
        return Reference(reference=f"urn:uuid:{new_id(kind, index)}")

    about: dict[str, Any] = {"language": lang, "subject": ref("Patient"), "encounter": ref("Encounter")}
    age = Quantity(value=Decimal(consultation.age), system=UCUM, code="a", unit="a")
    gender = {"F": "female", "M": "male"}[consultation.sex]
    patient = Patient(id=new_id("Patient"), gender=gender, extension=[Extension(url=AGE_EXTENSION, valueQuantity=age)])
    # `class` is the alias of `class_fhir`; mypy knows the alias only, a keyword in Python
    virtual: dict[str, Any] = {"class": Coding(system=ACT_CODE, code="VR", display="virtual")}
    encounter = Encounter(
        id=new_id("Encounter"),
        language=lang,
        status="finished" if done else "in-progress",
        subject=ref("Patient"),
        **virtual,
    )
    items: list[QuestionnaireResponseItem] = []
    observations: list[Observation] = []
    observed: dict[str, Reference] = {}
    who = consultation.subject
    answered_by = None
    if consultation.for_someone_else:
        relationship = CodeableConcept(text=ANSWERED_BY[who][lang])
        answered_by = RelatedPerson(id=new_id("RelatedPerson"), patient=ref("Patient"), relationship=[relationship])
    for code, given in consultation.answers:
        evidence = knowledge.evidence(code)
        question = question_text(knowledge, code, lang, who)
        answers = _answers(evidence, given, lang)
        unknown = None if answers else [Extension(url=DATA_ABSENT_REASON, valueCode="asked-unknown")]
        items.append(QuestionnaireResponseItem(linkId=code, text=question, answer=answers or None, extension=unknown))
        if _is_finding(evidence, given):
            observed[code] = ref("Observation", len(observations))
            observations.append(
                Observation(
                    id=new_id("Observation", len(observations)),
                    status="final",
                    category=[_concept(OBSERVATION_CATEGORY, "survey", "Survey")],
                    code=_concept(EVIDENCE_SYSTEM, code, text=question),
                    issued=created,
                    derivedFrom=[ref("QuestionnaireResponse")],
                    **_observed_value(evidence, given, lang),
                    **about,
                )
            )
    response = QuestionnaireResponse(
        id=new_id("QuestionnaireResponse"),
        status="completed" if done else "in-progress",
        authored=created,
        item=items,
        source=ref("RelatedPerson") if answered_by is not None else None,
        **about,
    )
    conditions: list[Condition] = []
    predictions: list[RiskAssessmentPrediction] = []
    for index, ranked in enumerate(assessment.differential):
        condition = knowledge.condition(ranked.code)
        # "not in the catalogue" has no ICD-10 code: it is named by the service's own code only
        coding = [Coding(system=ICD10, code=condition.icd10)] if condition.icd10 else []
        coding.append(Coding(system=CONDITION_SYSTEM, code=condition.code))
        supporting = [observed[c.evidence] for c in ranked.supporting if c.evidence in observed]
        conditions.append(
            Condition(
                id=new_id("Condition", index),
                verificationStatus=_concept(VERIFICATION_STATUS, "differential", "Differential"),
                code=CodeableConcept(coding=coding, text=condition.name[lang]),
                recordedDate=created,
                evidence=[ConditionEvidence(detail=supporting)] if supporting else None,
                **about,
            )
        )
        share = Extension(url=SHARE_EXTENSION, valueDecimal=_rounded(ranked.probability))
        predictions.append(
            RiskAssessmentPrediction(
                outcome=CodeableConcept(coding=coding, text=condition.name[lang]),
                probabilityDecimal=_rounded(ranked.posterior),
                extension=[share],
            )
        )
    risk = RiskAssessment(
        id=new_id("RiskAssessment"),
        status="final" if done else "preliminary",
        method=CodeableConcept(text=f"symptomcheck naive-Bayes posterior, model {model_version}"),
        occurrenceDateTime=created,
        basis=[ref("QuestionnaireResponse")],
        prediction=predictions or None,
        **about,
    )
    advice = knowledge.advice_of(assessment.triage.level, lang, who.value)
    level = _concept(TRIAGE_SYSTEM, assessment.triage.level.value, advice.title, advice.title)
    red_flags = [
        ClinicalImpressionFinding(
            itemCodeableConcept=_concept(
                EVIDENCE_SYSTEM, flag.evidence, text=_red_flag_text(knowledge, flag, lang, who)
            ),
            itemReference=observed.get(flag.evidence),
            basis=flag.reason,
        )
        for flag in assessment.triage.red_flags
    ]
    impression = ClinicalImpression(
        id=new_id("ClinicalImpression"),
        status="completed" if done else "in-progress",
        date=created,
        summary=f"{advice.title}\n{advice.action}",
        finding=[ClinicalImpressionFinding(itemCodeableConcept=level), *red_flags],
        problem=[ref("Condition", index) for index in range(len(conditions))] or None,
        prognosisReference=[ref("RiskAssessment")],
        supportingInfo=[ref("QuestionnaireResponse")],
        note=[Annotation(text=knowledge.disclaimer[lang])],
        **about,
    )
    resources: list[Resource] = [patient, encounter, response, *observations, *conditions, risk, impression]
    if answered_by is not None:
        resources.insert(1, answered_by)
    bundle = Bundle(
        id=new_id("Bundle"),
        identifier=Identifier(system=CONSULTATION_SYSTEM, value=consultation_id),
        type="collection",
        timestamp=created,
        entry=[BundleEntry(fullUrl=f"urn:uuid:{resource.id}", resource=resource) for resource in resources],
    )
    return bundle.model_dump(mode="json")


def _rounded(probability: float) -> Decimal:
    """Rounded to 4 decimals as `round(probability, 4)` does (half to even on the exact binary value)."""
    return round(Decimal(probability), 4)


def _concept(system: str, code: str, display: str | None = None, text: str | None = None) -> CodeableConcept:
    return CodeableConcept(coding=[Coding(system=system, code=code, display=display)], text=text)


def _answers(evidence: Evidence, given: Answer, lang: Language) -> list[QuestionnaireResponseItemAnswer]:
    """The answers of an item; a "no" to a categorical or multi-choice question stands for its ordinary value."""
    if given.status is AnswerStatus.UNKNOWN:
        return []
    values = given.values if given.status is AnswerStatus.PRESENT else (evidence.default,) if evidence.default else ()
    if evidence.kind is EvidenceKind.BINARY or not values:
        return [QuestionnaireResponseItemAnswer(valueBoolean=given.status is AnswerStatus.PRESENT)]
    if evidence.is_scale:
        return [QuestionnaireResponseItemAnswer(valueInteger=int(value)) for value in values]
    return [
        QuestionnaireResponseItemAnswer(
            valueCoding=Coding(system=VALUE_SYSTEM, code=value, display=evidence.value(value).text[lang])
        )
        for value in values
    ]


def _is_finding(evidence: Evidence, given: Answer) -> bool:
    """Yes, or a value other than the ordinary one: what the engine counts as present."""
    if given.status is not AnswerStatus.PRESENT:
        return False
    return evidence.kind is EvidenceKind.BINARY or set(given.values) != {evidence.default}


def _observed_value(evidence: Evidence, given: Answer, lang: Language) -> dict[str, Any]:
    if evidence.kind is EvidenceKind.BINARY:
        return {"valueBoolean": True}
    if evidence.is_scale and len(given.values) == 1:
        return {"valueInteger": int(given.values[0])}
    return {"valueString": "; ".join(evidence.value(value).text[lang] for value in given.values)}


def _red_flag_text(knowledge: KnowledgeBase, flag: RedFlag, lang: Language, who: Subject) -> str:
    text = _flag_answer_text(knowledge, flag.evidence, flag.value, flag.minimum, lang, who)
    if flag.with_evidence is None:
        return text
    return f"{text} + {_flag_answer_text(knowledge, flag.with_evidence, flag.with_value, flag.with_minimum, lang, who)}"


def _flag_answer_text(
    knowledge: KnowledgeBase, code: str, value: str | None, minimum: int | None, lang: Language, who: Subject
) -> str:
    question = question_text(knowledge, code, lang, who)
    if value is not None:
        return f"{question} {knowledge.evidence(code).value(value).text[lang]}"
    if minimum is not None:
        return f"{question} ≥ {minimum}"
    return question
