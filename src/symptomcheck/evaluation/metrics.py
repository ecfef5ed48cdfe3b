"""The DDXPlus interaction and differential metrics, and triage accuracy (see the README for definitions).

Per patient, with a 0.01 threshold on both the predicted and the ground-truth differential; rates are
fractions in [0, 1]. A per-patient ratio whose denominator is empty (no severe condition in the ground
truth, say) is left out of that mean rather than counted as 0 or 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from symptomcheck.model.artifact import FloatArray
from symptomcheck.patients import Patient

THRESHOLD = 0.01
STABILITY_FLOOR = 0.01  # share of cases whose advice may move two levels or more (symptomcheck.evaluation.stability)
METRIC_KEYS = (
    "patients", "IL", "GTPA@1", "GTPA@3", "GTPA@5", "GTPA", "DDR", "DDP", "DDF1", "PER", "PEP", "PEF1",
    "DSR", "DSP", "DSF1", "triage_exact", "under_triage", "over_triage",
    "stability_flip_rate", "stability_shift1_rate", "stability_cases", "patients_per_second",
)  # fmt: skip


@dataclass(frozen=True)
class EvaluationInput:
    """What the metrics need about N finished interviews."""

    patients: Sequence[Patient]
    conditions: Sequence[str]
    severe: NDArray[np.bool_]  # (D,)
    level_urgency: NDArray[np.int64]  # (D,) urgency of each condition's triage level
    differentials: Sequence[Sequence[int]]  # each patient's predicted differential: `ranked_differential`
    asked: Sequence[frozenset[str]]  # evidence codes asked (initial evidence excluded)
    advice_urgency: NDArray[np.int64]  # (N,) urgency of the advice given


def ranked_differential(p: FloatArray) -> tuple[int, ...]:
    """The conditions of a predicted differential (D,) that the metrics count: those above the threshold, most
    probable first (ties in index order). Kept instead of the whole row, so that evaluating a file of any size
    holds a few numbers per patient, not one per condition of the model."""
    order = np.argsort(-p, kind="stable")
    return tuple(int(d) for d in order[p[order] > THRESHOLD])


def _f1(a: float, b: float) -> float:
    return 0.0 if a + b == 0 else 2 * a * b / (a + b)


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def compute_metrics(data: EvaluationInput) -> dict[str, float]:
    index = {code: i for i, code in enumerate(data.conditions)}
    gtpa: dict[int, list[float]] = {1: [], 3: [], 5: [], 0: []}
    ddr: list[float] = []
    ddp: list[float] = []
    ddf1: list[float] = []
    per: list[float] = []
    pep: list[float] = []
    dsr: list[float] = []
    dsp: list[float] = []
    il: list[float] = []
    exact = under = over = 0
    for n, patient in enumerate(data.patients):
        ranked = list(data.differentials[n])
        truth = index[patient.pathology]
        for k in (1, 3, 5):
            gtpa[k].append(float(truth in ranked[:k]))
        gtpa[0].append(float(truth in ranked))
        predicted = set(ranked)
        ground = {index[c] for c, prob in patient.differential if prob > THRESHOLD}
        if ground:
            hit = len(predicted & ground)
            recall = hit / len(ground)
            precision = hit / len(predicted) if predicted else 0.0
            ddr.append(recall)
            ddp.append(precision)
            ddf1.append(_f1(recall, precision))
        severe = {d for d in range(len(data.conditions)) if data.severe[d]}
        severe_in = severe & ground
        severe_out = severe - ground
        if severe_in:
            dsr.append(len(severe_in & predicted) / len(severe_in))
        if severe_out:
            dsp.append(len(severe_out - predicted) / len(severe_out))
        found = set(patient.present) - {patient.initial_evidence}
        asked = data.asked[n]
        il.append(len(asked) + 1)
        if found:
            per.append(len(asked & found) / len(found))
        if asked:
            pep.append(len(asked & found) / len(asked))
        advice, true_level = int(data.advice_urgency[n]), int(data.level_urgency[truth])
        exact += advice == true_level
        under += advice < true_level
        over += advice > true_level
    count = len(data.patients)
    mean_per, mean_pep, mean_dsr, mean_dsp = _mean(per), _mean(pep), _mean(dsr), _mean(dsp)
    return {
        "patients": count,
        "IL": _mean(il),
        "GTPA@1": _mean(gtpa[1]),
        "GTPA@3": _mean(gtpa[3]),
        "GTPA@5": _mean(gtpa[5]),
        "GTPA": _mean(gtpa[0]),
        "DDR": _mean(ddr),
        "DDP": _mean(ddp),
        "DDF1": _mean(ddf1),
        "PER": mean_per,
        "PEP": mean_pep,
        "PEF1": _f1(mean_per, mean_pep),
        "DSR": mean_dsr,
        "DSP": mean_dsp,
        "DSF1": _f1(mean_dsr, mean_dsp),
        "triage_exact": exact / count if count else math.nan,
        "under_triage": under / count if count else math.nan,
        "over_triage": over / count if count else math.nan,
    }


def shift_rates(advice: NDArray[np.int64], flipped: NDArray[np.int64]) -> dict[str, float]:
    """The stability figures from each case's advised urgency and its urgency after the flip (-1: no answer
    to flip, the case is not counted)."""
    considered = flipped >= 0
    moved = np.abs(flipped[considered] - advice[considered])
    count = int(considered.sum())
    return {
        "stability_flip_rate": float((moved >= 2).mean()) if count else math.nan,
        "stability_shift1_rate": float((moved >= 1).mean()) if count else math.nan,
        "stability_cases": float(count),
    }
