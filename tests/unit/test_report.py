"""The evaluation report: report.md beside the published figures, and PNG plots."""

from __future__ import annotations

import dataclasses
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from symptomcheck.evaluation.report import (
    PUBLISHED,
    TRIAGE_LEVELS,
    ReportData,
    expected_calibration_error,
    reliability_bins,
    write_report,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TRADEOFF = (
    {"IL": 8.5, "GTPA@1": 0.61, "DDF1": 0.55, "DSR": 0.70, "stop_confidence": 0.8},
    {"IL": 12.25, "GTPA@1": 0.72, "DDF1": 0.63, "DSR": 0.81, "stop_confidence": 0.9},
    {"IL": 17.0, "GTPA@1": 0.80, "DDF1": 0.66, "DSR": 0.88, "stop_confidence": 0.95},
)


def _metrics(**overrides: float) -> dict[str, float]:
    metrics = {
        "patients": 6,
        "IL": 12.3456,
        "GTPA@1": 0.987,
        "GTPA@3": 0.99,
        "GTPA@5": 1.0,
        "GTPA": 1.0,
        "DDR": 0.8,
        "DDP": 0.7,
        "DDF1": 0.74667,
        "PER": 0.5,
        "PEP": 0.25,
        "PEF1": 0.3333,
        "DSR": 0.9,
        "DSP": 0.95,
        "DSF1": 0.9243,
        "triage_exact": 0.5,
        "under_triage": 1 / 6,
        "over_triage": 1 / 3,
        "patients_per_second": 42.42,
    }
    metrics.update(overrides)
    return metrics


def _data(**overrides: object) -> ReportData:
    data = ReportData(
        source="test_patients.json",
        max_turns=5,
        metrics=_metrics(),
        accuracy_by_turn=[0.2, 0.4, 0.5, 0.7, 0.9, 0.987],
        questions_asked=[2, 3, 3, 5, 5, 4],
        top_probability=[0.05, 0.15, 0.12, 0.95, 1.0, 0.3],
        top_correct=[False, True, False, True, True, True],
        triage_levels=TRIAGE_LEVELS,
        triage_confusion=[
            [1, 0, 0, 0, 0],
            [0, 1, 1, 0, 0],
            [0, 0, 0, 0, 0],
            [0, 1, 0, 1, 0],
            [0, 0, 0, 1, 0],
        ],
        model_version="ddxplus-nb-2024.1",
        settings={"stop_confidence": 0.9},
    )
    return dataclasses.replace(data, **overrides)  # type: ignore[arg-type]


def _markdown(tmp_path: Path, data: ReportData | None = None) -> str:
    write_report(tmp_path, data or _data())
    return (tmp_path / "report.md").read_text(encoding="utf-8")


def test_every_file_is_written_and_every_plot_is_a_png(tmp_path: Path) -> None:
    paths = write_report(tmp_path / "out", _data(tradeoff=TRADEOFF))

    names = sorted(path.name for path in paths)
    assert names == [
        "accuracy_by_questions.png",
        "reliability.png",
        "report.md",
        "tradeoff.png",
        "triage_confusion.png",
    ]
    for path in paths:
        assert path.parent == tmp_path / "out"
        assert path.is_file()
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == PNG_MAGIC


def test_the_report_directory_is_created_with_its_parents(tmp_path: Path) -> None:
    directory = tmp_path / "a" / "b" / "report"
    write_report(directory, _data())
    assert (directory / "report.md").is_file()


def test_the_report_names_the_source_the_model_and_the_run(tmp_path: Path) -> None:
    markdown = _markdown(tmp_path)
    assert markdown.startswith("# ")
    assert "test_patients.json" in markdown
    assert "ddxplus-nb-2024.1" in markdown
    assert "Patients: 6" in markdown
    assert "Max turns (questions): 5" in markdown
    assert "stop_confidence = 0.9" in markdown


def test_the_report_sets_our_figures_beside_the_published_ones(tmp_path: Path) -> None:
    markdown = _markdown(tmp_path)
    assert "| symptomcheck (ours) | 12.35 | 98.7% | 74.7% | test_patients.json |" in markdown
    assert "| AARLC | 25.75 | 75.4% | 78.2% | full DDXPlus test set (published) |" in markdown
    assert "| BASD | 17.86 | 67.7% | — | full DDXPlus test set (published) |" in markdown
    assert "| LLM agent (GPT-4o, 15 questions) | — | 86.0% | — | full DDXPlus test set (published) |" in markdown
    assert "orientation only" in markdown


def test_the_published_figures_are_the_ones_in_the_papers() -> None:
    by_name = {figure.name: figure for figure in PUBLISHED}
    assert by_name["AARLC"][1:4] == (25.75, 0.7539, 0.782)
    assert by_name["BASD"][1:4] == (17.86, 0.6771, None)
    assert by_name["LLM agent (GPT-4o, 15 questions)"][1:4] == (None, 0.86, None)
    assert all(figure.note == "full DDXPlus test set (published)" for figure in PUBLISHED)


def test_every_metric_is_listed_with_its_format(tmp_path: Path) -> None:
    markdown = _markdown(tmp_path)
    assert "| GTPA@5 | 100.0% |" in markdown
    assert "| PEP | 25.0% |" in markdown
    assert "| Interaction length (IL) | 12.35 |" in markdown
    assert "| Patients per second | 42.4 |" in markdown


def test_a_nan_metric_prints_as_n_a(tmp_path: Path) -> None:
    markdown = _markdown(tmp_path, _data(metrics=_metrics(DSR=math.nan, IL=math.nan)))
    assert "| DSR | n/a |" in markdown
    assert "| Interaction length (IL) | n/a |" in markdown
    assert "| symptomcheck (ours) | n/a | 98.7% |" in markdown
    assert "nan" not in markdown.lower().replace("n/a", "")


def test_the_triage_section_gives_the_rates_and_the_confusion_matrix(tmp_path: Path) -> None:
    markdown = _markdown(tmp_path)
    assert "## Triage" in markdown
    assert "Exact: 50.0%" in markdown
    assert "16.7%" in markdown  # under-triage, 1 of 6
    assert "33.3%" in markdown  # over-triage, 2 of 6
    header = "| true level ↓ / advice → | " + " | ".join(TRIAGE_LEVELS) + " |"
    assert header in markdown
    assert "| emergency | 0 | 1 | 1* | 0 | 0 |" in markdown  # under-triage marked
    assert "| consultation | 0 | 1 | 0 | 1 | 0 |" in markdown  # over-triage not marked


def test_the_tradeoff_plot_and_table_are_written_only_when_rows_are_given(tmp_path: Path) -> None:
    without = write_report(tmp_path / "without", _data())
    assert "tradeoff.png" not in {path.name for path in without}
    assert not (tmp_path / "without" / "tradeoff.png").exists()
    assert "Trade-off" not in (tmp_path / "without" / "report.md").read_text(encoding="utf-8")

    with_rows = write_report(tmp_path / "with", _data(tradeoff=TRADEOFF))
    assert tmp_path / "with" / "tradeoff.png" in with_rows
    markdown = (tmp_path / "with" / "report.md").read_text(encoding="utf-8")
    assert "| IL | GTPA@1 | DDF1 | DSR | stop_confidence |" in markdown
    assert "| 12.25 | 72.0% | 63.0% | 81.0% | 0.9 |" in markdown
    assert "](tradeoff.png)" in markdown


def test_the_images_are_linked_with_relative_paths(tmp_path: Path) -> None:
    markdown = _markdown(tmp_path)
    for name in ("accuracy_by_questions.png", "reliability.png", "triage_confusion.png"):
        assert f"]({name})" in markdown
    assert str(tmp_path) not in markdown


def test_the_report_explains_the_metrics_in_a_glossary(tmp_path: Path) -> None:
    markdown = _markdown(tmp_path)
    glossary = markdown.split("## Glossary", 1)[1]
    for term in ("IL", "GTPA@k", "DDR / DDP / DDF1", "PER / PEP / PEF1", "DSR", "DSP", "Under-triage"):
        assert f"**{term}**" in glossary


def test_a_run_without_patients_still_writes_a_report(tmp_path: Path) -> None:
    empty = _data(
        metrics={key: math.nan for key in _metrics()} | {"patients": 0},
        accuracy_by_turn=[],
        questions_asked=[],
        top_probability=[],
        top_correct=[],
        triage_confusion=[[0] * 5 for _ in range(5)],
    )
    paths = write_report(tmp_path, empty)
    assert len(paths) == 4
    assert "| GTPA@1 | n/a |" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_a_confusion_matrix_that_does_not_match_the_levels_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="5x5"):
        write_report(tmp_path, _data(triage_confusion=[[1, 0], [0, 1]]))


def test_reports_can_be_written_from_several_threads_at_once(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda k: write_report(tmp_path / str(k), _data(tradeoff=TRADEOFF)), range(4)))
    assert all(len(paths) == 5 for paths in results)
    first = (tmp_path / "0" / "report.md").read_text(encoding="utf-8")
    assert all((tmp_path / str(k) / "report.md").read_text(encoding="utf-8") == first for k in range(4))


def test_the_reliability_bins_count_patients_per_non_empty_bin() -> None:
    probabilities = [0.05, 0.15, 0.12, 0.95, 1.0, 0.3, 0.7]
    correct = [False, True, False, True, True, True, False]

    bins = reliability_bins(probabilities, correct)

    expected = [(0.05, 0.0, 1), (0.135, 0.5, 2), (0.3, 1.0, 1), (0.7, 0.0, 1), (0.975, 1.0, 2)]
    assert len(bins) == len(expected)
    for (predicted, accuracy, count), (want_predicted, want_accuracy, want_count) in zip(bins, expected, strict=True):
        assert predicted == pytest.approx(want_predicted)
        assert accuracy == pytest.approx(want_accuracy)
        assert count == want_count
    assert sum(count for _, _, count in bins) == len(probabilities)


def test_the_reliability_bins_follow_the_number_of_bins_asked_for() -> None:
    bins = reliability_bins([0.1, 0.4, 0.6, 0.9], [True, False, True, True], bins=2)
    assert [count for _, _, count in bins] == [2, 2]
    assert [accuracy for _, accuracy, _ in bins] == [0.5, 1.0]
    assert [predicted for predicted, _, _ in bins] == pytest.approx([0.25, 0.75])


def test_the_reliability_bins_of_no_patients_are_empty() -> None:
    assert reliability_bins([], []) == []
    assert math.isnan(expected_calibration_error([]))


def test_the_calibration_error_weights_each_bin_by_its_patients() -> None:
    # |0.0 - 0.05| * 1 + |0.5 - 0.135| * 2 + |1.0 - 0.975| * 2, over 5 patients
    bins = [(0.05, 0.0, 1), (0.135, 0.5, 2), (0.975, 1.0, 2)]
    assert expected_calibration_error(bins) == pytest.approx((0.05 + 0.73 + 0.05) / 5)


@pytest.mark.parametrize(
    ("probabilities", "correct"),
    [([0.5, 0.6], [True]), ([1.5], [True]), ([math.nan], [False])],
)
def test_the_reliability_bins_reject_inconsistent_input(probabilities: list[float], correct: list[bool]) -> None:
    with pytest.raises(ValueError):
        reliability_bins(probabilities, correct)
