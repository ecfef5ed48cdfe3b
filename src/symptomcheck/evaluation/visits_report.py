"""The held-out visit evaluation as a Markdown report with its plots (Agg canvas, no pyplot)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from symptomcheck.evaluation.visits import VisitEvaluation

DPI = 110


def _pct(value: float) -> str:
    return f"{value:.1%}"


def write_visits_report(result: VisitEvaluation, directory: Path, holdout: str, model_version: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    m = result.metrics
    curve_png = directory / "visits_triage_tradeoff.png"
    _plot_tradeoff(result, curve_png)
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
    report = directory / "visits_report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return [report, curve_png]


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
