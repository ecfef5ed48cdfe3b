"""The held-out visit evaluation as a Markdown report with its plots (Agg canvas, no pyplot)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from symptomcheck.evaluation.calibration import ECE_FLOOR
from symptomcheck.evaluation.metrics import STABILITY_FLOOR
from symptomcheck.evaluation.report import plot_reliability
from symptomcheck.evaluation.visits import VisitEvaluation

DPI = 110


def _pct(value: float) -> str:
    return f"{value:.1%}"


def write_visits_report(result: VisitEvaluation, directory: Path, holdout: str, model_version: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    m = result.metrics
    curve_png = directory / "visits_triage_tradeoff.png"
    _plot_tradeoff(result, curve_png)
    reliability_png = directory / "visits_reliability.png"
    plot_reliability(list(result.top_probability), list(result.top_correct), reliability_png, cases="visits")
    lines = [
        "# Evaluation on held-out visit records",
        "",
        f"Held-out years: `{holdout}` (never fitted on). Model `{model_version}`. {int(m['visits'])} visits with a "
        f"reason in the vocabulary ({int(m['office_visits'])} office, {int(m['ed_visits'])} ED); "
        f"{int(m['visits_diagnosed'])} with a first diagnosis in the catalogue.",
        "",
        "Each visit gives its age, sex and symptom reasons as present (the first is the complaint); every question "
        'asked is answered "don\'t know".',
        "",
        "## Diagnosis: the first diagnosis's condition among the top k",
        "",
        "| | top-1 | top-3 | top-5 |",
        "|---|--:|--:|--:|",
        f"| symptomcheck | {_pct(m['top1'])} | {_pct(m['top3'])} | {_pct(m['top5'])} |",
        f"| naive-Bayes baseline | {_pct(m['baseline_top1'])} | {_pct(m['baseline_top3'])} "
        f"| {_pct(m['baseline_top5'])} |",
        "",
        f'"Not in the catalogue" leads the posterior in {_pct(m["open_world_leads"])} of visits. Questions asked: '
        f"mean {m['questions_mean']:.1f}, median {m['questions_median']:.0f}, 95th percentile "
        f"{m['questions_p95']:.0f}.",
        "",
        "## Triage against what happened",
        "",
        "| | under-triage (ED admitted or died, advised consultation or self-care) | emergency recall (IMMEDR 1-2 "
        "advised ED or ambulance) | over-triage (office, condition of consultation level or lower, advised ED "
        "or ambulance) |",
        "|---|--:|--:|--:|",
        f"| symptomcheck | {_pct(m['under_triage'])} | {_pct(m['emergency_recall'])} | {_pct(m['over_triage'])} |",
        f"| baseline | {_pct(m['baseline_under_triage'])} | {_pct(m['baseline_emergency_recall'])} "
        f"| {_pct(m['baseline_over_triage'])} |",
        "",
        "## Trade-off across the emergency thresholds (factor 1 = the shipped rule)",
        "",
        "| factor | recall | over-triage | under-triage | baseline recall | baseline over-triage "
        "| baseline under-triage |",
        "|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for ours, base in zip(result.curve, result.baseline_curve, strict=True):
        lines.append(
            f"| {ours['factor']:g} | {_pct(ours['emergency_recall'])} | {_pct(ours['over_triage'])} "
            f"| {_pct(ours['under_triage'])} | {_pct(base['emergency_recall'])} | {_pct(base['over_triage'])} "
            f"| {_pct(base['under_triage'])} |"
        )
    lines += ["", f"![Emergency recall against over-triage]({curve_png.name})", ""]
    lines += [
        "## Calibration of the top probability",
        "",
        f"Expected calibration error of the top outcome's probability (is it the visit's first diagnosis?), "
        f"10 equal-width bins weighted by their counts, over the {int(m['ece_visits'])} visits whose first "
        f'diagnosis is an outcome of the posterior ("not in the catalogue" included): **{m["ece_top1"]:.3f}** '
        f"(floor ≤ {ECE_FLOOR:.2f}).",
        "",
        "| bin: mean predicted | observed | visits |",
        "|--:|--:|--:|",
        *(f"| {row['predicted']:.3f} | {row['observed']:.3f} | {int(row['count'])} |" for row in result.reliability()),
        "",
        f"![Reliability of the top probability]({reliability_png.name})",
        "",
        "## Stability of the advice",
        "",
        "One answer the model gives little weight to is changed, and the advice recomputed (probability rule and "
        "red flags): with two reasons or more, the reason of least weight other than the complaint is dropped; "
        'with the complaint alone, "no" is added to the question of least weight the interview could ask. The '
        "weight of an answer is the KL divergence between the posteriors with and without it.",
        "",
        "| visits | advice moved 2 levels or more | 1 level or more |",
        "|---|--:|--:|",
        f"| all ({int(m['stability_cases'])}) | **{_pct(m['stability_flip_rate'])}** (floor ≤ "
        f"{_pct(STABILITY_FLOOR)}) | {_pct(m['stability_shift1_rate'])} |",
        f"| a reason dropped ({int(m['stability_cases_dropped'])}) | {_pct(m['stability_flip_rate_dropped'])} "
        f"| {_pct(m['stability_shift1_rate_dropped'])} |",
        "",
    ]
    report = directory / "visits_report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return [report, curve_png, reliability_png]


def _plot_tradeoff(result: VisitEvaluation, path: Path) -> None:
    figure = Figure(figsize=(6.5, 4.5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for rows, label, style in (
        (result.curve, "symptomcheck", "o-"),
        (result.baseline_curve, "naive-Bayes baseline", "s--"),
    ):
        over = [r["over_triage"] for r in rows]
        recall = [r["emergency_recall"] for r in rows]
        axes.plot(over, recall, style, label=label)
    shipped = next(r for r in result.curve if r["factor"] == 1.0)
    axes.plot([shipped["over_triage"]], [shipped["emergency_recall"]], "k*", markersize=12, label="shipped rule")
    axes.set_xlabel("over-triage (office visits of minor conditions advised emergency care)")
    axes.set_ylabel("emergency recall (ED visits triaged 1-2)")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=DPI, format="png")
