"""`fit --visits`, `evaluate-visits` and `catalogue-review` end to end, as a person runs them (subprocesses).

The visits are 5,360 records sampled from the NCHS files (every survey year), in tests/fixtures/visits_sample.csv.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from symptomcheck.model import load_model

SYMPTOMCHECK = Path(sys.executable).parent / "symptomcheck"
REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
VISITS = FIXTURES / "visits_sample.csv"
STATISTICS = REPO / "data" / "ddxplus" / "casande_bed_stats_4_fr_v1.json"
HELD_OUT = "NAMCS:2009-2010,ED:2019-2021"
ENV = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SYMPTOMCHECK), *(str(a) for a in args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=ENV,
        cwd=cwd,
        timeout=600,
        check=False,
    )


def fit_broad(directory: Path) -> subprocess.CompletedProcess[str]:
    """The broad fit of the fixtures into `directory`/broad.npz (the same command line wherever it runs)."""
    return cli(
        "fit", FIXTURES / "patients_20_fr.csv", "--statistics", STATISTICS, "--sample", "0",
        "--visits", VISITS, "--holdout-years", HELD_OUT, "--set", "min_visits=5", "--out", "broad.npz",
        cwd=directory,
    )  # fmt: skip


@pytest.fixture(scope="module")
def broad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("broad")
    done = fit_broad(directory)
    assert done.returncode == 0, done.stderr
    assert "counting visits" in done.stderr  # long work shows its progress
    return directory / "broad.npz"


def test_fit_with_visits_builds_the_broad_model_and_records_the_years_it_used(broad: Path) -> None:
    done = cli("info", "--model", broad)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    years = set(info["provenance"]["survey_years"])
    assert "ED:2016" in years and "NAMCS:2005" in years
    assert not years & {"NAMCS:2009", "NAMCS:2010", "ED:2019", "ED:2020", "ED:2021"}
    assert info["provenance"]["held_out_years"] == sorted(["NAMCS:2009", "NAMCS:2010", "ED:2019", "ED:2020", "ED:2021"])
    assert len(load_model(broad).conditions) >= 400


def test_the_same_fit_twice_gives_the_same_artifact(broad: Path, tmp_path: Path) -> None:
    done = fit_broad(tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "broad.npz").read_bytes() == broad.read_bytes()


def test_evaluate_visits_reports_diagnosis_and_triage_beside_the_baseline(broad: Path, tmp_path: Path) -> None:
    done = cli("evaluate-visits", VISITS, "--model", broad, "--json", tmp_path / "m.json", "--report", tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.search(r"interviewed [\d,]+ of [\d,]+ visits", done.stderr)  # long work shows its progress
    metrics = json.loads(done.stdout)
    for key in ("top1", "top3", "top5", "under_triage", "emergency_recall", "over_triage", "questions_mean",
                "baseline_top5", "baseline_emergency_recall"):  # fmt: skip
        assert 0 <= metrics[key] <= (30 if key.startswith("questions") else 1), key
    assert metrics["top1"] <= metrics["top3"] <= metrics["top5"]
    written = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert [row["factor"] for row in written["curve"]] == [row["factor"] for row in written["baseline_curve"]]
    report = (tmp_path / "visits_report.md").read_text(encoding="utf-8")
    assert "naive-Bayes baseline" in report
    assert (tmp_path / "visits_triage_tradeoff.png").read_bytes().startswith(b"\x89PNG")


def test_evaluate_visits_reports_calibration_and_stability_beside_their_floors(broad: Path, tmp_path: Path) -> None:
    done = cli("evaluate-visits", VISITS, "--model", broad, "--json", tmp_path / "m.json", "--report", tmp_path)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    for key in ("ece_top1", "stability_flip_rate", "stability_shift1_rate"):
        assert 0 <= metrics[key] <= 1, key
    assert metrics["stability_flip_rate"] <= metrics["stability_shift1_rate"]
    assert 0 < metrics["stability_cases"] <= metrics["visits"]
    written = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert sum(row["count"] for row in written["reliability"]) == metrics["ece_visits"]
    report = (tmp_path / "visits_report.md").read_text(encoding="utf-8")
    assert "(floor ≤ 0.05)" in report and "(floor ≤ 1.0%)" in report
    assert (tmp_path / "visits_reliability.png").read_bytes().startswith(b"\x89PNG")


def test_evaluate_visits_takes_engine_settings(broad: Path) -> None:
    done = cli("evaluate-visits", VISITS, "--model", broad, "--set", "temperature=0.5")
    assert done.returncode == 0, done.stderr
    assert cli("evaluate-visits", VISITS, "--model", broad, "--set", "nonsense=1").returncode == 2


def test_calibrate_picks_the_temperature_of_least_ece_on_the_training_years(broad: Path, tmp_path: Path) -> None:
    done = cli("calibrate", VISITS, "--model", broad, "--sample", "0", "--json", tmp_path / "c.json")
    assert done.returncode == 0, done.stderr
    assert "scanning" in done.stderr  # progress on stderr, the result alone on stdout
    result = json.loads(done.stdout)
    eces = {float(t): e for t, e in result["ece_by_temperature"].items()}
    assert result["temperature"] == min(eces, key=lambda t: (eces[t], t))
    assert result["training"]["ece_after"] == eces[result["temperature"]] <= result["training"]["ece_before"]
    assert result["held_out"]["visits"] > 0 and 0 <= result["held_out"]["ece_after"] <= 1
    assert json.loads((tmp_path / "c.json").read_text(encoding="utf-8")) == result


def test_evaluating_on_years_the_model_was_fitted_on_is_refused(broad: Path) -> None:
    done = cli("evaluate-visits", VISITS, "--model", broad, "--holdout-years", "ED:2016")
    assert done.returncode == 2
    assert "fitted on ED:2016" in done.stderr


def test_a_damaged_visit_file_is_refused_with_what_was_expected(tmp_path: Path) -> None:
    bad = tmp_path / "visits.csv"
    bad.write_text("AGE,SEX\n34,1\n", encoding="utf-8")
    done = cli("catalogue-review", bad, "--out", tmp_path / "review")
    assert done.returncode == 2
    assert "lacks the columns" in done.stderr and "Traceback" not in done.stderr


def test_catalogue_review_reports_coverage_and_the_levels_to_review(tmp_path: Path) -> None:
    done = cli("catalogue-review", VISITS, "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    coverage = json.loads((tmp_path / "coverage.json").read_text(encoding="utf-8"))
    assert coverage["office_visits_covered"] > 0.8 and coverage["ed_visits_covered"] > 0.8
    rows = (tmp_path / "triage_review.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("condition,name,level") and len(rows) > 400
    assert "Coverage of symptom visits" in (tmp_path / "review.md").read_text(encoding="utf-8")
