"""Building a model artifact from patient files: streamed counts and a bounded sample for the differential.

One pass over the files: every patient updates the counts (priors, demographic profiles, likelihoods),
and a reservoir keeps a uniform sample of at most `sample_size` patients with a labelled differential for
the learned differential model. Memory is bounded whatever the files' size.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from pathlib import Path

from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.model.fit import PatientCounts
from symptomcheck.patients import Patient, read_patients


def identity(patient: Patient) -> tuple[object, ...]:
    """What makes two records the same patient (used to hold out evaluation patients)."""
    return (
        patient.age,
        patient.sex,
        patient.pathology,
        patient.initial_evidence,
        patient.present,
        tuple(sorted(patient.values.items())),
    )


class Reservoir:
    """A uniform random sample of at most `size` items from a stream (Vitter's algorithm R)."""

    def __init__(self, size: int, seed: int = 0) -> None:
        self.size = size
        self.items: list[Patient] = []
        self.seen = 0
        self._random = random.Random(seed)

    def add(self, item: Patient) -> None:
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(item)
            return
        slot = self._random.randrange(self.seen)
        if slot < self.size:
            self.items[slot] = item


def stream_patients(
    files: Iterable[Path], knowledge: KnowledgeBase, held_out: set[tuple[object, ...]]
) -> Iterator[Patient]:
    """Every patient of `files`, in order, except those held out."""
    for path in files:
        for patient in read_patients(path, knowledge):
            if identity(patient) not in held_out:
                yield patient


def count_and_sample(
    patients: Iterable[Patient], knowledge: KnowledgeBase, sample_size: int, seed: int = 0
) -> tuple[PatientCounts, Reservoir]:
    counts = PatientCounts(knowledge)
    reservoir = Reservoir(sample_size, seed)
    for patient in patients:
        counts.add(patient)
        if patient.differential:
            reservoir.add(patient)
    return counts, reservoir
