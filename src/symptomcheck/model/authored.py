"""The authored questions (`knowledge/authored.py`) joined to a model fitted without them.

A DDXPlus model is fitted on DDXPlus's evidences, and DDXPlus never asks about thoughts of suicide: with it a
person who types "I want to end my life" would not be understood at all. `with_authored` appends every
authored question the model lacks, with its authored P(yes | condition) for the model's conditions (the
question's default for the others), the cells' provenance "authored" (every other cell keeps "ddxplus"), and
the learned differential's layout unchanged: it was trained on the evidences the model had, which
`differential_evidences` records, so the new questions move the posterior and the triage, not the learned list.

The broad model writes the same questions itself (`model/broad.py`), so joining is a no-op there.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.model.artifact import Model
from symptomcheck.model.broad import PROVENANCE
from symptomcheck.model.fit import ABSENT, PRESENT


def with_authored(model: Model, knowledge: KnowledgeBase) -> Model:
    """`model` with the authored questions it does not have appended (the model itself when it has them all)."""
    missing = [question for question in knowledge.authored if question.evidence not in model.evidences]
    if not missing:
        return model
    rows = []
    for question in missing:
        p_yes = np.array([question.likelihood(code) for code in model.conditions])
        rows += [1.0 - p_yes, p_yes]
    p_outcome = np.vstack([model.p_outcome_, np.array(rows)])
    start = int(model.offsets_[-1])
    offsets = np.concatenate([model.offsets_, start + 2 * np.arange(1, len(missing) + 1)]).astype(np.int64)
    origin = (
        model.provenance_
        if model.provenance_ is not None
        else np.full(model.p_outcome_.shape, PROVENANCE["ddxplus"], dtype=np.int8)
    )
    origin = np.vstack([origin, np.full((2 * len(missing), len(model.conditions)), PROVENANCE["authored"], np.int8)])
    codes = tuple(question.evidence for question in missing)
    return replace(
        model,
        evidences=(*model.evidences, *codes),
        outcomes=(*model.outcomes, *((ABSENT, PRESENT) for _ in codes)),
        p_outcome_=p_outcome,
        offsets_=offsets,
        provenance_=origin,
        provenance={**model.provenance, "authored_questions": list(codes)},
        differential_conditions=model.differential_conditions or model.conditions,
        differential_evidences=model.differential_evidences or model.evidences,
    )
