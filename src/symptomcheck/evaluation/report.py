"""The evaluation report: a Markdown summary beside the published figures, and PNG plots.

Plots are drawn on `matplotlib.figure.Figure` objects with an explicit Agg canvas: no pyplot, no global
backend switch, nothing left open, so reports can be written from several threads at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from symptomcheck.evaluation.calibration import bin_index, expected_calibration_error, reliability_bins
from symptomcheck.evaluation.metrics import STABILITY_FLOOR

__all__ = [
    "GLOSSARY",
    "PUBLISHED",
    "TRIAGE_LEVELS",
    "PublishedFigure",
    "ReportData",
    "expected_calibration_error",
    "plot_reliability",
    "reliability_bins",
    "write_report",
]

DPI = 120
_BINS = 10
NA = "n/a"
MISSING = "—"

TRIAGE_LEVELS = ("emergency_ambulance", "emergency", "consultation_24", "consultation", "self_care")
_RATE_KEYS = frozenset(
    {
        "GTPA@1", "GTPA@3", "GTPA@5", "GTPA", "DDR", "DDP", "DDF1", "PER", "PEP", "PEF1",
        "DSR", "DSP", "DSF1", "triage_exact", "under_triage", "over_triage",
        "stability_flip_rate", "stability_shift1_rate",
    }
)  # fmt: skip
_METRIC_ROWS = (
    ("patients", "Patients"),
    ("IL", "Interaction length (IL)"),
    ("GTPA@1", "GTPA@1"),
    ("GTPA@3", "GTPA@3"),
    ("GTPA@5", "GTPA@5"),
    ("GTPA", "GTPA"),
    ("DDR", "DDR"),
    ("DDP", "DDP"),
    ("DDF1", "DDF1"),
    ("PER", "PER"),
    ("PEP", "PEP"),
    ("PEF1", "PEF1"),
    ("DSR", "DSR"),
    ("DSP", "DSP"),
    ("DSF1", "DSF1"),
    ("triage_exact", "Triage exact"),
    ("under_triage", "Under-triage"),
    ("over_triage", "Over-triage"),
    ("stability_flip_rate", "Stability: advice moved >= 2 levels by one low-weight answer flipped"),
    ("stability_shift1_rate", "Stability: advice moved >= 1 level"),
    ("stability_cases", "Stability: patients with an answer to flip"),
    ("patients_per_second", "Patients per second"),
)
_TRADEOFF_KEYS = ("IL", "GTPA@1", "DDF1", "DSR")


class PublishedFigure(NamedTuple):
    """A published result on DDXPlus; None where the paper gives no figure."""

    name: str
    il: float | None
    gtpa1: float | None
    ddf1: float | None
    note: str


_FULL_TEST_SET = "full DDXPlus test set (published)"
PUBLISHED: tuple[PublishedFigure, ...] = (
    PublishedFigure("AARLC", 25.75, 0.7539, 0.782, _FULL_TEST_SET),
    PublishedFigure("BASD", 17.86, 0.6771, None, _FULL_TEST_SET),
    PublishedFigure("LLM agent (GPT-4o, 15 questions)", None, 0.86, None, _FULL_TEST_SET),
)

GLOSSARY: tuple[tuple[str, str], ...] = (
    ("IL", "interaction length: questions asked + 1 (the initial evidence), mean over patients."),
    (
        "GTPA@k",
        "the true pathology is among the top k conditions of the predicted differential with probability > 0.01.",
    ),
    ("GTPA", "the true pathology has probability > 0.01 in the predicted differential."),
    (
        "DDR / DDP / DDF1",
        "recall / precision / F1 of the predicted differential (conditions with p > 0.01) against the "
        "ground-truth differential (p > 0.01), per patient then averaged.",
    ),
    (
        "PER / PEP / PEF1",
        "recall / precision / F1 of the evidences asked against the patient's present evidences.",
    ),
    (
        "DSR",
        "share of the severe conditions (DDXPlus severity 1-2) of the ground-truth differential that the "
        "prediction keeps.",
    ),
    ("DSP", "share of the severe conditions outside the ground-truth differential that the prediction leaves out."),
    ("DSF1", "F1 of DSR and DSP."),
    ("Triage exact", "the advice has exactly the urgency of the true condition's triage level."),
    (
        "Under-triage",
        "the advice is less urgent than the true condition's level — the figure that matters most.",
    ),
    ("Over-triage", "the advice is more urgent than the true condition's level."),
    (
        "Stability",
        "after the interview, the answer of least weight (KL divergence between the posteriors with and without "
        'it; the initial evidence and "don\'t know" left out) is flipped (yes/no swapped, a value replaced by '
        "the ordinary one or the ordinary one by the likeliest other) and the advice recomputed with the same "
        "triage, red flags included: the share of patients whose advice moves two levels or more (floor 1%), "
        "and one level or more.",
    ),
)


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows about one evaluation run."""

    source: str  # the patient file's name
    max_turns: int
    metrics: Mapping[str, float]
    accuracy_by_turn: Sequence[float]  # GTPA@1 if every interview had stopped after t questions, t = 0..max_turns
    questions_asked: Sequence[int]  # per patient, number of questions asked
    top_probability: Sequence[float]  # per patient, probability of the top condition of the differential
    top_correct: Sequence[bool]  # per patient, whether that top condition is the true pathology
    triage_levels: Sequence[str]  # level names, most urgent first
    triage_confusion: Sequence[Sequence[int]]  # [true level][advised level] counts, same order
    tradeoff: Sequence[Mapping[str, float]] = ()  # rows from a sweep of stopping settings
    model_version: str = ""
    settings: Mapping[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------
# Pure helpers


def _is_nan(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _pct(value: float | None) -> str:
    if value is None:
        return MISSING
    return NA if _is_nan(float(value)) else f"{100.0 * float(value):.1f}%"


def _il(value: float | None) -> str:
    if value is None:
        return MISSING
    return NA if _is_nan(float(value)) else f"{float(value):.2f}"


def _number(value: float) -> str:
    value = float(value)
    if math.isnan(value):
        return NA
    if value.is_integer():
        return str(int(value))
    return f"{value:.4g}"


def _format_metric(key: str, value: float | None) -> str:
    if value is None:
        return MISSING
    if key in _RATE_KEYS:
        return _pct(value)
    if key == "IL":
        return _il(value)
    if key == "patients_per_second":
        return NA if _is_nan(float(value)) else f"{float(value):.1f}"
    return _number(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], align: Sequence[str] | None = None) -> list[str]:
    align = align or ["---"] * len(header)
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _tradeoff_columns(rows: Sequence[Mapping[str, float]]) -> list[str]:
    columns = list(_TRADEOFF_KEYS)
    for row in rows:
        columns += [key for key in row if key not in columns]
    return columns


def _validate(data: ReportData) -> None:
    n = len(data.triage_levels)
    if len(data.triage_confusion) != n or any(len(row) != n for row in data.triage_confusion):
        raise ValueError(f"triage_confusion must be {n}x{n} to match triage_levels")
    if len(data.top_probability) != len(data.top_correct):
        raise ValueError("top_probability and top_correct differ in length")
    if data.max_turns < 0:
        raise ValueError(f"max_turns must be non-negative, got {data.max_turns}")
    if any(q < 0 for q in data.questions_asked):
        raise ValueError("questions_asked must be non-negative")


# ---------------------------------------------------------------------------------------------------------------
# Markdown


def _markdown(data: ReportData, images: Sequence[tuple[str, str]]) -> str:
    metrics = data.metrics
    patients = metrics.get("patients", float(len(data.top_probability)))
    lines = [
        "# symptomcheck evaluation report",
        "",
        f"- Source: `{data.source}`",
        f"- Model version: {data.model_version or MISSING}",
        f"- Patients: {_number(patients)}",
        f"- Max turns (questions): {data.max_turns}",
    ]
    if data.settings:
        lines.append("- Settings: " + ", ".join(f"{key} = {_number(v)}" for key, v in data.settings.items()))
    lines += [
        "",
        "Decision support, not a diagnosis: these are figures on simulated DDXPlus patient interviews.",
        "",
        "## Our figures beside the published ones",
        "",
        f"Published figures are on the full DDXPlus test set; ours are on `{data.source}` only, "
        "so the comparison is for orientation only.",
        "",
    ]
    ours = ("symptomcheck (ours)", metrics.get("IL"), metrics.get("GTPA@1"), metrics.get("DDF1"), data.source)
    comparison = [[ours[0], _il(ours[1]), _pct(ours[2]), _pct(ours[3]), ours[4]]]
    comparison += [[p.name, _il(p.il), _pct(p.gtpa1), _pct(p.ddf1), p.note] for p in PUBLISHED]
    lines += _table(["System", "IL", "GTPA@1", "DDF1", "Evaluated on"], comparison, ["---", "--:", "--:", "--:", "---"])
    lines += ["", "### All our figures", ""]
    lines += _table(
        ["Metric", "Value"],
        [[label, _format_metric(key, metrics.get(key))] for key, label in _METRIC_ROWS],
        ["---", "--:"],
    )

    lines += [
        "",
        "## Triage",
        "",
        f"- Exact: {_pct(metrics.get('triage_exact'))}",
        f"- Under-triage (advice less urgent than the true level — the figure that matters most): "
        f"{_pct(metrics.get('under_triage'))}",
        f"- Over-triage (advice more urgent than the true level): {_pct(metrics.get('over_triage'))}",
        f"- Stability (one low-weight answer flipped; {_number(metrics.get('stability_cases', math.nan))} "
        f"patients): advice moved two levels or more {_pct(metrics.get('stability_flip_rate'))} "
        f"(floor ≤ {_pct(STABILITY_FLOOR)}), one level or more {_pct(metrics.get('stability_shift1_rate'))}",
        "",
        "Confusion matrix (rows: true level, columns: advice, most urgent first). Cells right of the diagonal, "
        "marked with `*`, are under-triage.",
        "",
    ]
    levels = list(data.triage_levels)
    confusion_rows = [
        [level] + [f"{int(count)}*" if j > i and count else str(int(count)) for j, count in enumerate(row)]
        for i, (level, row) in enumerate(zip(levels, data.triage_confusion, strict=True))
    ]
    lines += _table(["true level ↓ / advice →", *levels], confusion_rows, ["---"] + ["--:"] * len(levels))

    if data.tradeoff:
        columns = _tradeoff_columns(data.tradeoff)
        rows = [[_format_metric(key, row.get(key)) for key in columns] for row in data.tradeoff]
        lines += ["", "## Trade-off of the stopping settings", ""]
        lines += _table(columns, rows, ["--:"] * len(columns))

    lines += ["", "## Plots", ""]
    for title, name in images:
        lines += [f"### {title}", "", f"![{title}]({name})", ""]

    lines += ["## Glossary", ""]
    lines += [f"- **{term}**: {text}" for term, text in GLOSSARY]
    lines += ["", "Rates are per patient, then averaged; `n/a` marks a figure with nothing to average.", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# Plots


def _figure(width: float = 7.0, height: float = 4.5) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Figure, path: Path) -> Path:
    figure.savefig(path, dpi=DPI, format="png")
    return path


def _plot_accuracy(data: ReportData, path: Path) -> Path:
    figure = _figure()
    accuracy_axes = figure.add_subplot()
    count_axes = accuracy_axes.twinx()
    asked = np.asarray(data.questions_asked, dtype=np.int64).reshape(-1)
    counts = np.bincount(asked, minlength=data.max_turns + 1) if asked.size else np.zeros(data.max_turns + 1)
    count_axes.bar(
        np.arange(counts.size), counts, width=0.85, color="tab:gray", alpha=0.35, label="patients stopping here"
    )
    count_axes.set_ylabel("patients (histogram of questions asked)")
    count_axes.set_ylim(0, max(1.0, float(counts.max(initial=0)) * 1.15))

    accuracy = np.asarray(data.accuracy_by_turn, dtype=np.float64).reshape(-1)
    turns = np.arange(accuracy.size)
    accuracy_axes.plot(turns, 100.0 * accuracy, color="tab:blue", marker="o", markersize=3, label="GTPA@1")
    if asked.size:
        mean_asked = float(asked.mean())
        accuracy_axes.axvline(
            mean_asked, color="tab:orange", linestyle="--", label=f"mean questions asked ({mean_asked:.2f})"
        )
    accuracy_axes.set_zorder(count_axes.get_zorder() + 1)
    accuracy_axes.patch.set_visible(False)
    accuracy_axes.set_ylim(0, 100)
    accuracy_axes.set_xlim(-0.5, max(data.max_turns, int(counts.size) - 1) + 0.5)
    accuracy_axes.set_xlabel("questions asked (interview stopped after t questions)")
    accuracy_axes.set_ylabel("GTPA@1 (%)")
    accuracy_axes.grid(True, alpha=0.3)
    accuracy_axes.set_title("Top-1 accuracy by number of questions")
    handles, labels = accuracy_axes.get_legend_handles_labels()
    more_handles, more_labels = count_axes.get_legend_handles_labels()
    figure.legend(handles + more_handles, labels + more_labels, loc="outside lower center", ncols=3, fontsize=9)
    return _save(figure, path)


def _plot_reliability(data: ReportData, path: Path) -> Path:
    return plot_reliability(data.top_probability, data.top_correct, path)


def plot_reliability(
    top_probability: Sequence[float], top_correct: Sequence[bool], path: Path, cases: str = "patients"
) -> Path:
    """The reliability curve of the top probability (10 equal-width bins, each with its count) above a
    histogram of the bins' counts, as a PNG at `path`."""
    bins = reliability_bins(top_probability, top_correct, _BINS)
    figure = _figure(6.0, 6.5)
    curve_axes, count_axes = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    curve_axes.plot([0, 1], [0, 1], color="tab:gray", linestyle="--", label="perfect calibration")
    if bins:
        predicted = [b[0] for b in bins]
        observed = [b[1] for b in bins]
        curve_axes.plot(predicted, observed, color="tab:blue", marker="o", label="observed accuracy", clip_on=False)
        for x, y, count in bins:
            right = x > 0.85
            curve_axes.annotate(
                f"n={count}",
                (x, y),
                textcoords="offset points",
                xytext=(-6 if right else 6, -4 if y > 0.1 else 4),
                ha="right" if right else "left",
                va="top" if y > 0.1 else "bottom",
                fontsize=8,
                color="tab:blue",
            )
    ece = expected_calibration_error(bins)
    curve_axes.set_title(f"Reliability of the top probability (ECE {_pct(ece)})")
    curve_axes.set_ylabel("observed accuracy of the top condition")
    curve_axes.set_xlim(0, 1)
    curve_axes.set_ylim(0, 1)
    curve_axes.grid(True, alpha=0.3)
    curve_axes.legend(loc="lower right", fontsize=9)

    index = bin_index(np.asarray(top_probability, dtype=np.float64).reshape(-1), _BINS)
    counts = np.bincount(index, minlength=_BINS)
    count_axes.bar(np.arange(_BINS) / _BINS, counts, width=1 / _BINS, align="edge", color="tab:gray", edgecolor="white")
    for k, count in enumerate(counts):
        if count:
            count_axes.text((k + 0.5) / _BINS, count, str(int(count)), ha="center", va="bottom", fontsize=8)
    count_axes.set_ylim(0, max(1.0, float(counts.max(initial=0)) * 1.3))
    count_axes.set_xlabel(f"predicted probability of the top condition ({_BINS} bins)")
    count_axes.set_ylabel(cases)
    count_axes.grid(True, axis="y", alpha=0.3)
    return _save(figure, path)


def _plot_confusion(data: ReportData, path: Path) -> Path:
    levels = list(data.triage_levels)
    n = len(levels)
    matrix = np.asarray(data.triage_confusion, dtype=np.float64).reshape(n, n)
    figure = _figure(7.0, 6.0)
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues", vmin=0, vmax=max(1.0, float(matrix.max(initial=0))))
    figure.colorbar(image, ax=axes, label="patients", shrink=0.8)
    threshold = 0.5 * max(1.0, float(matrix.max(initial=0)))
    for i in range(n):
        for j in range(n):
            if j > i:
                axes.add_patch(
                    Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="tab:red", linewidth=2, hatch="//")
                )
            value = int(matrix[i, j])
            axes.text(
                j,
                i,
                str(value),
                ha="center",
                va="center",
                fontsize=11,
                fontweight="bold" if j > i and value else "normal",
                color="white" if matrix[i, j] > threshold else "black",
            )
    axes.set_xticks(range(n), levels, rotation=30, ha="right")
    axes.set_yticks(range(n), levels)
    axes.set_xlabel("advice")
    axes.set_ylabel("true level")
    axes.set_title("Triage: true level vs advice (most urgent first)")
    figure.text(
        0.5,
        0.005,
        "red hatched cells: under-triage (advice less urgent than the true level)",
        ha="center",
        va="bottom",
        fontsize=9,
        color="tab:red",
    )
    return _save(figure, path)


def _plot_tradeoff(data: ReportData, path: Path) -> Path:
    rows = sorted(data.tradeoff, key=lambda row: float(row.get("IL", math.nan)))
    il = np.array([float(row.get("IL", math.nan)) for row in rows])
    figure = _figure()
    axes = figure.add_subplot()
    for key, colour in (("GTPA@1", "tab:blue"), ("DDF1", "tab:green"), ("DSR", "tab:red")):
        values = np.array([100.0 * float(row.get(key, math.nan)) for row in rows])
        axes.plot(il, values, marker="o", color=colour, label=key)
    extra = [key for key in _tradeoff_columns(rows) if key not in _TRADEOFF_KEYS]
    if extra:
        for x, row in zip(il, rows, strict=True):
            y = 100.0 * float(row.get("GTPA@1", math.nan))
            if math.isfinite(x) and math.isfinite(y):
                label = ", ".join(f"{key}={_number(row[key])}" for key in extra[:2] if key in row)
                axes.annotate(label, (x, y), textcoords="offset points", xytext=(4, 6), fontsize=7)
    axes.margins(x=0.08)
    axes.set_xlabel("interaction length IL (questions asked + 1)")
    axes.set_ylabel("%")
    axes.set_ylim(0, 100)
    axes.grid(True, alpha=0.3)
    axes.set_title("Trade-off of the stopping settings")
    axes.legend(loc="lower right", fontsize=9)
    return _save(figure, path)


# ---------------------------------------------------------------------------------------------------------------
# Entry point


def write_report(directory: Path, data: ReportData) -> list[Path]:
    """Write report.md and the PNG plots into `directory` (created if needed); return the paths written."""
    _validate(data)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    plots = [
        ("GTPA@1 by questions asked", "accuracy_by_questions.png", _plot_accuracy),
        ("Reliability of the top probability", "reliability.png", _plot_reliability),
        ("Triage confusion", "triage_confusion.png", _plot_confusion),
    ]
    if data.tradeoff:
        plots.append(("Trade-off of the stopping settings", "tradeoff.png", _plot_tradeoff))
    written = [plot(data, directory / name) for _, name, plot in plots]
    markdown = directory / "report.md"
    markdown.write_text(_markdown(data, [(title, name) for title, name, _ in plots]), encoding="utf-8")
    return [markdown, *written]
