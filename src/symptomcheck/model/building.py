"""Building a model artifact from patient files: streamed counts and a bounded sample for the differential.

One pass over the files: every patient updates the counts (priors, demographic profiles, likelihoods),
and a reservoir keeps a uniform sample of at most `sample_size` patients with a labelled differential for
the learned differential model. Memory is bounded whatever the files' size.

A file can be counted without teaching the differential model ("counts only"): a file whose patients were
selected by their differential (such as a subset keeping mostly short differentials) would teach the model
lists unlike those of the population, while its findings still count towards the priors.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.model.artifact import Model
from symptomcheck.model.fit import PatientCounts, import_statistics, load_statistics, provenance
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
    files: Iterable[Path],
    knowledge: KnowledgeBase,
    held_out: set[tuple[object, ...]],
    counts_only: Iterable[Path] = (),
) -> Iterator[tuple[Patient, bool]]:
    """Every patient of `files`, in order, except those held out, with whether its differential may teach the
    differential model (not for the files of `counts_only`)."""
    unlabelled = {path.resolve() for path in counts_only}
    for path in files:
        teaches = path.resolve() not in unlabelled
        for patient in read_patients(path, knowledge):
            if identity(patient) not in held_out:
                yield patient, teaches


def count_and_sample(
    patients: Iterable[tuple[Patient, bool]], knowledge: KnowledgeBase, sample_size: int, seed: int = 0
) -> tuple[PatientCounts, Reservoir]:
    """Count every patient; sample those that may teach the differential model and have a differential."""
    counts = PatientCounts(knowledge)
    reservoir = Reservoir(sample_size, seed)
    for patient, teaches in patients:
        counts.add(patient)
        if teaches and patient.differential:
            reservoir.add(patient)
    return counts, reservoir


@dataclass(frozen=True)
class Prepared:
    """A model's counted part (priors, likelihoods, settings; no differential model yet) and the labelled
    patients sampled to train its differential model."""

    model: Model
    labelled: list[Patient]
    held_out: int


def prepare_model(
    files: Sequence[Path],
    knowledge: KnowledgeBase,
    settings: Mapping[str, float],
    *,
    statistics: Path | None = None,
    exclude: Sequence[Path] = (),
    counts_only: Sequence[Path] = (),
    sample: int = 10000,
) -> Prepared:
    """Count `files` (minus the patients of `exclude`) into a model, from the DDXPlus authors' `statistics`
    when given, and sample the patients whose differentials may teach the differential model."""
    held_out = {identity(p) for path in exclude for p in read_patients(path, knowledge)}
    counts, reservoir = count_and_sample(stream_patients(files, knowledge, held_out, counts_only), knowledge, sample)
    sources = [*files, *exclude]
    if statistics is not None:
        built = import_statistics(knowledge, load_statistics(statistics), counts, [statistics, *sources])
    else:
        built = counts.to_model(
            provenance("fit from DDXPlus patient records", sources, patients=int(counts.patients.sum()))
        )
    return Prepared(built.with_settings(**settings), reservoir.items, len(held_out))
