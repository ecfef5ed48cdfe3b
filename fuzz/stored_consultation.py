"""Coverage-guided fuzzing (atheris) of resuming a stored consultation (what the storage hands back).

    python fuzz/stored_consultation.py [-atheris_runs=N]

Any text must either resume as a consultation the engine accepts or be refused with ConsultationError.
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports():
    from symptomcheck.engine.assessment import Engine
    from symptomcheck.interview import ConsultationError, resume
    from symptomcheck.knowledge import default_knowledge
    from symptomcheck.model import load_model

ENGINE = Engine(load_model(), default_knowledge())


def test_one_input(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(4096)
    with contextlib.suppress(ConsultationError):
        resume(ENGINE, text)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
