"""`symptomcheck evaluate`, `fit` and `info` end to end, as a person runs them (subprocesses).

The patients are 20 records of the French validation release (five pathologies, four patients each),
copied into tests/fixtures/patients_20_fr.csv with its header.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Engine
from symptomcheck.engine.tables import DEFAULT_SETTINGS
from symptomcheck.interview import answer, assess, start
from symptomcheck.knowledge import EvidenceKind, KnowledgeBase
from symptomcheck.model import SHIPPED_MODEL, load_model
from symptomcheck.patients import Patient, read_patients

SYMPTOMCHECK = Path(sys.executable).parent / "symptomcheck"
REPO = Path(__file__).resolve().parents[2]
STATISTICS = REPO / "data" / "ddxplus" / "casande_bed_stats_4_fr_v1.json"
PATIENTS = "patients_20_fr.csv"
METRIC_KEYS = {
    "patients", "IL", "GTPA@1", "GTPA@3", "GTPA@5", "GTPA", "DDR", "DDP", "DDF1", "PER", "PEP", "PEF1",
    "DSR", "DSP", "DSF1", "triage_exact", "under_triage", "over_triage", "patients_per_second",
    "stability_flip_rate", "stability_shift1_rate", "stability_cases",
}  # fmt: skip
NOT_RATES = {"patients", "IL", "patients_per_second", "stability_cases"}
PLOTS = ("accuracy_by_questions.png", "reliability.png", "triage_confusion.png")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
Run = tuple[subprocess.CompletedProcess[str], Path]  # a command run once, and the directory or file it wrote
# the default environment of a pipe: no terminal width given
ENV = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SYMPTOMCHECK), *(str(a) for a in args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=ENV,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def metrics_of(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def patients_file(fixtures_dir: Path) -> Path:
    return fixtures_dir / PATIENTS


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory: pytest.TempPathFactory, patients_file: Path) -> Run:
    """`evaluate --max-turns 30 --json OUT --report DIR --workers 2` on the 20 patients, run once."""
    directory = tmp_path_factory.mktemp("evaluation")
    done = cli(
        "evaluate", patients_file, "--max-turns", "30", "--json", directory / "metrics.json",
        "--report", directory / "report", "--workers", "2",
    )  # fmt: skip
    return done, directory


def test_evaluate_exits_0_and_writes_every_metric_as_json(evaluation: Run) -> None:
    done, directory = evaluation
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    written = json.loads((directory / "metrics.json").read_text(encoding="utf-8"))
    assert set(written) == METRIC_KEYS
    assert written == json.loads(done.stdout)
    assert written["patients"] == 20
    assert 1 <= written["IL"] <= 31
    assert written["patients_per_second"] > 0
    for key in METRIC_KEYS - NOT_RATES:
        assert 0.0 <= written[key] <= 1.0, f"{key} = {written[key]} is not a rate"
    assert math.isclose(written["triage_exact"] + written["under_triage"] + written["over_triage"], 1.0)


def test_evaluate_writes_the_report_and_its_plots(evaluation: Run) -> None:
    done, directory = evaluation
    report = directory / "report"
    text = (report / "report.md").read_text(encoding="utf-8")
    assert f"`{PATIENTS}`" in text
    assert load_model(SHIPPED_MODEL).version in text  # the shipped (broad) model: evaluate runs without --model
    for name in PLOTS:
        assert (report / name).read_bytes()[:8] == PNG_MAGIC, name
        assert f"]({name})" in text or name in text
    assert f"report: {report / 'report.md'}" in done.stderr


def test_evaluate_on_one_worker_gives_the_same_metrics_as_on_two(evaluation: Run, patients_file: Path) -> None:
    two = metrics_of(evaluation[0])
    one = metrics_of(cli("evaluate", patients_file, "--max-turns", "30", "--workers", "1"))
    del one["patients_per_second"], two["patients_per_second"]
    assert one == two


def test_evaluate_allowed_one_question_asks_at_most_one(patients_file: Path) -> None:
    metrics = metrics_of(cli("evaluate", patients_file, "--max-turns", "1", "--workers", "1"))
    assert metrics["patients"] == 20
    assert 1 <= metrics["IL"] <= 2


def _wrong_header(tmp_path: Path) -> Path:
    path = tmp_path / "wrong_header.csv"
    path.write_text("age,sex,pathology\n30,F,Pneumonia\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        pytest.param(lambda tmp, fixture: [tmp / "missing.csv"], "no such file", id="missing file"),
        pytest.param(lambda tmp, fixture: [_wrong_header(tmp)], "missing column(s)", id="wrong header"),
        pytest.param(lambda tmp, fixture: [fixture, "--set", "nonsense"], "--set takes KEY=NUMBER", id="set nonsense"),
        pytest.param(lambda tmp, fixture: [fixture, "--set", "stop_confidence=high"], "KEY=NUMBER", id="set no number"),
        pytest.param(lambda tmp, fixture: [fixture, "--model", tmp / "none.npz"], "no model file", id="missing model"),
    ],
)
def test_evaluate_refuses_bad_input_with_code_2_and_a_one_line_error(
    tmp_path: Path, patients_file: Path, arguments: Any, says: str
) -> None:
    done = cli("evaluate", *arguments(tmp_path, patients_file), "--workers", "1")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    errors = [n for n, line in enumerate(lines) if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    message = " ".join(" ".join(lines[errors[0] :]).split())
    assert says in message
    # the message is printed whole on one line (a pipe is not a terminal: nothing to wrap it for)
    assert len(lines) - errors[0] == 1, f"the error is wrapped over {len(lines) - errors[0]} lines:\n{done.stderr}"


def _record_answer(knowledge: KnowledgeBase, patient: Patient, code: str) -> Answer:
    evidence = knowledge.evidence(code)
    if evidence.kind is EvidenceKind.BINARY:
        return Answer.yes() if code in patient.present else Answer.no()
    values = patient.values.get(code)
    return Answer.of(*values) if values else Answer.of(str(evidence.default))


def _questions_asked(engine: Engine, patient: Patient) -> int:
    """The questions the engine asks this patient, replayed one answer at a time."""
    consultation = start(engine, patient.age, patient.sex, "en", patient.initial_evidence)
    while (code := assess(engine, consultation).next_question) is not None:
        consultation = answer(engine, consultation, code, _record_answer(engine.knowledge, patient, code))
    return consultation.questions_asked


def test_evaluate_counts_the_questions_a_replayed_consultation_asks(
    tmp_path: Path, patients_file: Path, knowledge: KnowledgeBase
) -> None:
    lines = patients_file.read_text(encoding="utf-8").splitlines()
    two = tmp_path / "two_patients.csv"
    two.write_text("\n".join([lines[0], lines[1], lines[9]]) + "\n", encoding="utf-8")
    patients = list(read_patients(two, knowledge))
    assert len({p.pathology for p in patients}) == 2
    engine = Engine(load_model(), knowledge)
    asked = [_questions_asked(engine, p) for p in patients]
    assert all(1 <= n <= 30 for n in asked)
    metrics = metrics_of(cli("evaluate", two, "--max-turns", "30", "--workers", "1"))
    assert metrics["patients"] == 2
    assert metrics["IL"] == sum(n + 1 for n in asked) / 2


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory, patients_file: Path) -> Run:
    """`fit` on the 20 patients, every one of them kept for the differential (the slow part), run once."""
    model = tmp_path_factory.mktemp("fit") / "model.npz"
    return cli("fit", patients_file, "--out", model, "--sample", "20"), model


@pytest.mark.slow
def test_fit_writes_a_model_that_info_describes_with_its_provenance(fitted: Run, patients_file: Path) -> None:
    done, model = fitted
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    shown = cli("info", "--model", model)
    assert shown.returncode == 0, shown.stderr
    info = json.loads(shown.stdout)
    assert info["version"] == load_model(model).version
    assert f"(model version {info['version']})" in done.stderr
    assert info["settings"] == DEFAULT_SETTINGS
    provenance = info["provenance"]
    assert provenance["method"] == "fit from DDXPlus patient records"
    assert provenance["sources"] == [{"file": PATIENTS, "sha256": sha256(patients_file)}]
    assert provenance["patients"] == 20
    assert provenance["differential_patients"] == 20
    assert provenance["held_out_patients"] == 0
    assert provenance["command"].startswith("symptomcheck fit ")
    assert load_model(model).differential is not None


@pytest.mark.slow
def test_evaluate_can_use_a_fitted_model(fitted: Run, patients_file: Path) -> None:
    done, model = fitted
    assert done.returncode == 0, done.stderr
    metrics = metrics_of(cli("evaluate", patients_file, "--model", model, "--workers", "1"))
    assert set(metrics) == METRIC_KEYS
    assert metrics["patients"] == 20
    for key in METRIC_KEYS - NOT_RATES:
        assert 0.0 <= metrics[key] <= 1.0, key


@pytest.mark.slow
def test_fit_from_the_authors_statistics_works(tmp_path: Path, patients_file: Path) -> None:
    model = tmp_path / "statistics.npz"
    done = cli("fit", patients_file, "--out", model, "--statistics", STATISTICS, "--sample", "5")
    assert done.returncode == 0, done.stderr
    info = json.loads(cli("info", "--model", model).stdout)
    provenance = info["provenance"]
    assert provenance["method"].startswith("imported from the DDXPlus authors' statistics")
    assert {"file": STATISTICS.name, "sha256": sha256(STATISTICS)} in provenance["sources"]
    assert {"file": PATIENTS, "sha256": sha256(patients_file)} in provenance["sources"]
    assert provenance["patients"] == 20
    assert provenance["differential_patients"] == 5
    metrics = metrics_of(cli("evaluate", patients_file, "--model", model, "--workers", "1", "--max-turns", "5"))
    assert metrics["patients"] == 20


@pytest.mark.slow
def test_fit_on_the_same_patients_in_a_zip_gives_the_same_model_as_the_csv(tmp_path: Path, patients_file: Path) -> None:
    archive = tmp_path / "patients.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.write(patients_file, PATIENTS)
    from_csv, from_zip = tmp_path / "csv.npz", tmp_path / "zip.npz"
    for source, out in ((patients_file, from_csv), (archive, from_zip)):
        done = cli("fit", source, "--out", out, "--sample", "5")
        assert done.returncode == 0, done.stderr
    csv_info = json.loads(cli("info", "--model", from_csv).stdout)
    zip_info = json.loads(cli("info", "--model", from_zip).stdout)
    assert zip_info["version"] == csv_info["version"]
    assert zip_info["settings"] == csv_info["settings"]
    assert zip_info["provenance"]["sources"] == [{"file": "patients.zip", "sha256": sha256(archive)}]
    assert zip_info["provenance"]["patients"] == csv_info["provenance"]["patients"] == 20
    a, b = load_model(from_csv), load_model(from_zip)
    assert np.array_equal(a.p_outcome_, b.p_outcome_)
    assert np.array_equal(a.p_prior_, b.p_prior_)
    assert a.differential is not None and b.differential is not None
    assert np.array_equal(a.differential.w_, b.differential.w_)


def test_fit_with_every_patient_held_out_is_refused_with_code_2(tmp_path: Path, patients_file: Path) -> None:
    done = cli("fit", patients_file, "--out", tmp_path / "m.npz", "--sample", "5", "--exclude", patients_file)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "error: no patients to fit" in done.stderr
    assert not (tmp_path / "m.npz").exists()


def test_fit_counts_a_counts_only_file_without_learning_its_differentials(tmp_path: Path, patients_file: Path) -> None:
    copy = tmp_path / "more_patients.csv"
    copy.write_bytes(patients_file.read_bytes())
    model = tmp_path / "m.npz"
    small = ("--set", "differential_members=1", "--set", "differential_hidden=4")
    done = cli("fit", patients_file, copy, "--counts-only", copy, "--out", model, "--sample", "40", *small)
    assert done.returncode == 0, done.stderr
    provenance = json.loads(cli("info", "--model", model).stdout)["provenance"]
    assert provenance["patients"] == 40  # both files counted
    assert provenance["differential_patients"] == 20  # only the first one teaches the differential
    assert provenance["counts_only"] == ["more_patients.csv"]


def test_fit_refuses_a_counts_only_file_that_is_not_fitted(tmp_path: Path, patients_file: Path) -> None:
    done = cli("fit", patients_file, "--counts-only", tmp_path / "other.csv", "--out", tmp_path / "m.npz")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "--counts-only" in done.stderr and "not one of the patient files given" in done.stderr
    assert not (tmp_path / "m.npz").exists()


def test_crossvalidate_prints_the_evaluate_metrics_of_every_held_out_patient(patients_file: Path) -> None:
    small = ("--set", "differential_members=1", "--set", "differential_hidden=4")
    done = cli("crossvalidate", patients_file, "--folds", "2", "--max-turns", "10", *small)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert set(metrics) == METRIC_KEYS - {"patients_per_second"}  # training time would make it meaningless
    assert metrics["patients"] == 20
    assert 1 <= metrics["IL"] <= 11
    for key in METRIC_KEYS - NOT_RATES:
        assert 0.0 <= metrics[key] <= 1.0, key


def test_crossvalidate_never_holds_out_a_train_only_file(tmp_path: Path, patients_file: Path) -> None:
    copy = tmp_path / "more_patients.csv"  # the same records one year older: other patients
    with (
        patients_file.open(encoding="utf-8", newline="") as source,
        copy.open("w", encoding="utf-8", newline="") as out,
    ):
        rows = list(csv.DictReader(source))
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "AGE": str(int(row["AGE"]) + 1)} for row in rows)
    small = ("--set", "differential_members=1", "--set", "differential_hidden=4", "--max-turns", "5")
    done = cli("crossvalidate", patients_file, copy, "--train-only", copy, "--folds", "2", *small)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["patients"] == 20  # only the first file's patients are held out and scored
    refused = cli("crossvalidate", patients_file, "--train-only", copy, "--folds", "2")
    assert refused.returncode == 2
    assert "--train-only" in refused.stderr and "not one of the patient files given" in refused.stderr


def test_crossvalidate_refuses_more_folds_than_patients_with_code_2(patients_file: Path) -> None:
    done = cli("crossvalidate", patients_file, "--folds", "21")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "20 labelled patients to hold out: too few for 21 folds" in done.stderr


def test_info_on_a_missing_model_is_refused_with_code_2(tmp_path: Path) -> None:
    done = cli("info", "--model", tmp_path / "none.npz")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "no model file there" in done.stderr
