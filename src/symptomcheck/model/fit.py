"""Fitting the model: counting DDXPlus patients (streamed), or importing the dataset authors' statistics.

Both paths give the same tables (see `Model`): follow-up questions are conditioned on their parent being
present, and a multi-choice answer counts as one value per patient (each named value weighs 1/k when a
patient names k), which is how the shipped statistics were counted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from symptomcheck import __version__
from symptomcheck.knowledge import EvidenceKind, KnowledgeBase
from symptomcheck.model.artifact import FloatArray, Model
from symptomcheck.model.demographics import AGE_BAND_STARTS, age_band, sex_index, smoothed_profiles
from symptomcheck.model.errors import ModelError
from symptomcheck.patients import Patient

ABSENT, PRESENT = "absent", "present"


def layout(knowledge: KnowledgeBase) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], np.ndarray]:
    """Evidence codes, the outcome codes of each, and the row offsets of `Model.p_outcome_`."""
    evidences = knowledge.evidence_codes
    outcomes = tuple((ABSENT, PRESENT) if e.kind is EvidenceKind.BINARY else e.value_codes for e in knowledge.evidences)
    offsets = np.concatenate([[0], np.cumsum([len(o) for o in outcomes])]).astype(np.int64)
    return evidences, outcomes, offsets


class PatientCounts:
    """Counts accumulated patient by patient, in memory independent of the number of patients."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self.knowledge = knowledge
        self.conditions = knowledge.condition_codes
        self.evidences, self.outcomes, self.offsets = layout(knowledge)
        d = len(self.conditions)
        self._condition_index = {c: i for i, c in enumerate(self.conditions)}
        self._rows = {
            code: {o: int(self.offsets[i]) + j for j, o in enumerate(self.outcomes[i])}
            for i, code in enumerate(self.evidences)
        }
        self._evidence_list = knowledge.evidences
        self.patients = np.zeros(d)
        self.age = np.zeros((d, len(AGE_BAND_STARTS)))
        self.sex = np.zeros((d, 2))
        self.outcome = np.zeros((int(self.offsets[-1]), d))

    def add(self, patient: Patient) -> None:
        d = self._condition_index[patient.pathology]
        self.patients[d] += 1
        self.age[d, age_band(patient.age)] += 1
        self.sex[d, sex_index(patient.sex)] += 1
        for evidence in self._evidence_list:
            if evidence.parent is not None and evidence.parent not in patient.present:
                continue  # a follow-up is only asked when its parent is present
            rows = self._rows[evidence.code]
            if evidence.kind is EvidenceKind.BINARY:
                self.outcome[rows[PRESENT if evidence.code in patient.present else ABSENT], d] += 1
                continue
            named = patient.values.get(evidence.code) or (str(evidence.default),)
            if evidence.kind is EvidenceKind.CATEGORICAL:
                self.outcome[rows[named[0]], d] += 1
            else:
                for value in named:
                    self.outcome[rows[value], d] += 1.0 / len(named)

    def add_all(self, patients: Iterable[Patient]) -> int:
        count = 0
        for patient in patients:
            self.add(patient)
            count += 1
        return count

    def to_model(self, provenance: dict[str, Any]) -> Model:
        if self.patients.sum() == 0:
            raise ModelError("no patients to fit: the file holds no patient record")
        p_outcome = np.empty_like(self.outcome)
        for i in range(len(self.evidences)):
            rows = slice(int(self.offsets[i]), int(self.offsets[i + 1]))
            counts = self.outcome[rows]
            k = counts.shape[0]
            # Half a pseudo-count per outcome (Jeffreys): a condition never seen answering keeps a uniform row.
            p_outcome[rows] = (counts + 0.5) / (counts.sum(axis=0, keepdims=True) + 0.5 * k)
        p_prior = (self.patients + 1.0) / (self.patients.sum() + len(self.patients))
        p_age, p_sex = smoothed_profiles(self.age, self.sex)
        return Model(
            conditions=self.conditions,
            evidences=self.evidences,
            outcomes=self.outcomes,
            p_outcome_=p_outcome,
            offsets_=self.offsets,
            p_prior_=p_prior,
            p_age_band_=p_age,
            p_sex_=p_sex,
            provenance=provenance,
        )


def import_statistics(
    knowledge: KnowledgeBase, statistics: Mapping[str, Any], demographics: PatientCounts, sources: list[Path]
) -> Model:
    """Build a model from the dataset authors' statistics (French codes), with demographic profiles counted
    from patient records (`demographics`)."""
    evidences, outcomes, offsets = layout(knowledge)
    conditions = knowledge.condition_codes
    french = knowledge.french
    p_outcome = np.zeros((int(offsets[-1]), len(conditions)))
    p_prior = np.zeros(len(conditions))
    index = {code: i for i, code in enumerate(evidences)}
    for fr_name, entry in statistics.items():
        if fr_name not in french.conditions:
            raise ModelError(f"statistics: unknown condition {fr_name!r}")
        d = conditions.index(french.conditions[fr_name])
        if not isinstance(entry, dict) or not isinstance(entry.get("findings"), dict):
            raise ModelError(f"statistics: condition {fr_name!r} needs a 'prior' number and a 'findings' object")
        try:
            p_prior[d] = float(entry["prior"])
        except (KeyError, TypeError, ValueError):
            raise ModelError(f"statistics: condition {fr_name!r} needs a 'prior' number") from None
        findings: dict[str, Any] = {}
        for fr_code, value in entry["findings"].items():
            if fr_code not in french.evidences:
                raise ModelError(f"statistics: condition {fr_name!r}: unknown evidence {fr_code!r}")
            findings[french.evidences[fr_code]] = value
        for evidence in knowledge.evidences:
            i = index[evidence.code]
            rows = slice(int(offsets[i]), int(offsets[i + 1]))
            p_outcome[rows, d] = _column(evidence.code, findings, knowledge)
    if np.any(p_prior <= 0):
        missing = [conditions[d] for d in np.flatnonzero(p_prior <= 0)]
        raise ModelError(f"statistics: no prior for {missing}")
    p_prior /= p_prior.sum()
    p_age, p_sex = smoothed_profiles(demographics.age, demographics.sex)
    return Model(
        conditions=conditions,
        evidences=evidences,
        outcomes=outcomes,
        p_outcome_=p_outcome,
        offsets_=offsets,
        p_prior_=p_prior,
        p_age_band_=p_age,
        p_sex_=p_sex,
        provenance=provenance(
            "imported from the DDXPlus authors' statistics; age and sex profiles counted from patient records",
            sources,
            patients=int(demographics.patients.sum()),
        ),
    )


def _column(code: str, findings: Mapping[str, Any], knowledge: KnowledgeBase) -> FloatArray:
    """P(outcome | d) for one evidence and one condition, conditioned on the parent when it is a follow-up."""
    evidence = knowledge.evidence(code)
    if evidence.kind is EvidenceKind.BINARY:
        p_yes = float(findings.get(code, 0.0))
        return np.array([1.0 - p_yes, p_yes])
    values = evidence.value_codes
    default = values.index(str(evidence.default))
    raw = findings.get(code)
    p = np.zeros(len(values))
    if isinstance(raw, dict):
        for value, probability in raw.items():
            key = str(value)
            mapped = key if key in values else knowledge.french.values.get((code, key))
            if mapped is None:
                raise ModelError(f"statistics: evidence {code} has no value {key!r}")
            p[values.index(mapped)] += float(probability)
    else:
        p[default] = 1.0  # never recorded for this condition: everyone gave the ordinary answer
    if evidence.parent is not None:
        p_parent = float(findings.get(evidence.parent, 0.0))
        if p_parent < 1e-3:
            return np.full(len(values), 1.0 / len(values))  # the parent is (nearly) never present: no information
        # The counts are over all patients: those without the parent gave the default answer.
        p[default] = max(p[default] - (1.0 - p_parent), 0.0)
        p /= p_parent
    total = p.sum()
    return p / total if total > 0 else np.full(len(values), 1.0 / len(values))


def provenance(method: str, sources: list[Path], **counts: int) -> dict[str, Any]:
    return {
        "method": method,
        "sources": [{"file": path.name, "sha256": _sha256(path)} for path in sources],
        "symptomcheck": __version__,
        **counts,
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_statistics(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{path}: cannot read the statistics as UTF-8 JSON ({error})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected an object of conditions")
    return data
