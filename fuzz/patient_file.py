"""Coverage-guided fuzzing (atheris) of the patient-file reader used by `fit` and `evaluate`.

    python fuzz/patient_file.py [-atheris_runs=N] [-max_len=4096] [corpus_dir]

Any input must either be read as patients or be refused with PatientFileError; anything else is a crash.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from symptomcheck.knowledge import default_knowledge
    from symptomcheck.patients import PatientFileError, read_patients

KNOWLEDGE = default_knowledge()
SCRATCH = Path(tempfile.mkdtemp()) / "patients.csv"
HEADER = b"AGE,DIFFERENTIAL_DIAGNOSIS,SEX,PATHOLOGY,EVIDENCES,INITIAL_EVIDENCE\n"


def test_one_input(data: bytes) -> None:
    # half the inputs keep a valid header so the fuzzer reaches the row parser quickly
    SCRATCH.write_bytes(HEADER + data[1:] if data[:1] == b"h" else data)
    try:
        for _ in read_patients(SCRATCH, KNOWLEDGE):
            pass
    except PatientFileError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
