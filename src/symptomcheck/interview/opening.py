"""What a person said with their complaint, as answers given before the first question."""

from __future__ import annotations

from collections.abc import Sequence

from symptomcheck.engine.answers import Answer, AnswerStatus
from symptomcheck.engine.assessment import Engine
from symptomcheck.engine.errors import AnswerError
from symptomcheck.interview.consultation import Turn
from symptomcheck.interview.text_parser import Finding
from symptomcheck.knowledge import EvidenceKind


def said_with(engine: Engine, complaint: str, found: Sequence[Finding]) -> tuple[Turn, ...]:
    """The findings as answers the engine takes: one per evidence, parents first, nothing it would refuse.

    A present finding wins over an absent one of the same evidence ("not a bad cough, but a cough"); values
    of one evidence are merged ("headache and chest pain": one pain-site answer with both sites); an absent
    site or kind of pain is left out, since "no" to those questions means "nowhere" or "none of these".
    """
    knowledge = engine.knowledge
    present: dict[str, list[str]] = {}
    absent: list[str] = []
    for finding in found:
        if finding.evidence == complaint or not knowledge.has_evidence(finding.evidence):
            continue
        if finding.present:
            values = present.setdefault(finding.evidence, [])
            values += [v for v in finding.values if v not in values]
        elif knowledge.evidence(finding.evidence).kind is EvidenceKind.BINARY:
            absent.append(finding.evidence)
    answers: dict[str, Answer] = {}
    for code, values in present.items():
        evidence = knowledge.evidence(code)
        if evidence.kind is EvidenceKind.BINARY:
            answers[code] = Answer.yes()
        elif values:
            answers[code] = Answer.of(*(values[:1] if evidence.kind is EvidenceKind.CATEGORICAL else values))
    for code in absent:
        answers.setdefault(code, Answer.no())
    said = {complaint: Answer.yes(), **answers}
    ordered: list[Turn] = []
    for code, given in answers.items():
        parent = knowledge.evidence(code).parent
        if parent is not None and (parent not in said or said[parent].status is not AnswerStatus.PRESENT):
            continue  # a site of pain without the pain: nothing to attach it to
        ordered.append(Turn(code, given))
    ordered.sort(key=lambda t: knowledge.evidence(t.evidence).parent is not None)  # parents before follow-ups
    accepted: list[Turn] = []
    for turn in ordered:
        # an evidence the model does not know yet (added to the knowledge base before a new model) is skipped
        try:
            engine.validate([(complaint, Answer.yes()), *((t.evidence, t.answer) for t in (*accepted, turn))])
        except (AnswerError, KeyError, IndexError, ValueError):
            continue
        accepted.append(turn)
    return tuple(accepted)
