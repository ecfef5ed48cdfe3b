"""Stateless calls for integrators: an evidence list in, the assessment out (nothing is stored)."""

from __future__ import annotations

from collections.abc import Sequence

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Engine
from symptomcheck.engine.errors import AnswerError
from symptomcheck.knowledge import Language
from symptomcheck.services.errors import InvalidRequestError
from symptomcheck.services.views import AssessmentView, Presenter


def parents_first(
    knowledge_parent: dict[str, str | None], evidence: Sequence[tuple[str, Answer]]
) -> list[tuple[str, Answer]]:
    """The list reordered so that each follow-up comes after its parent; otherwise in the order given."""
    given = dict(evidence)
    placed: set[str] = set()
    ordered: list[tuple[str, Answer]] = []

    def place(code: str, depth: int = 0) -> None:
        if code in placed or depth > 8:
            return
        parent = knowledge_parent.get(code)
        if parent is not None and parent in given:
            place(parent, depth + 1)
        placed.add(code)
        ordered.append((code, given[code]))

    for code, _ in evidence:
        place(code)
    return ordered


def diagnose(
    engine: Engine, presenter: Presenter, age: int, sex: str, language: Language, evidence: Sequence[tuple[str, Answer]]
) -> AssessmentView:
    """The assessment of a person from what is known (the first item counts as the complaint)."""
    codes = [code for code, _ in evidence]
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:
        raise InvalidRequestError(f"each evidence may appear once; repeated: {', '.join(repeated)}")
    unknown = [c for c in codes if not engine.knowledge.has_evidence(c)]
    if unknown:
        raise InvalidRequestError(
            f"unknown evidence {', '.join(unknown[:5])}: evidence codes look like E_91 (GET /v1/knowledge/evidences)"
        )
    parents = {e.code: e.parent for e in engine.knowledge.evidences}
    answers = parents_first(parents, evidence)
    try:
        assessment = engine.assess(age, sex, answers)
    except AnswerError as error:
        raise InvalidRequestError(str(error)) from None
    return presenter.assessment(assessment, answers, language)
