"""The `symptomcheck` command: consult, serve, evaluate, vignettes, fit, crossvalidate, calibrate, purge, info."""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from symptomcheck.knowledge import LANGUAGES, KnowledgeError, default_knowledge
from symptomcheck.model import SHIPPED_MODEL, Model, ModelError, load_model
from symptomcheck.model.authored import with_authored
from symptomcheck.patients import PatientFileError
from symptomcheck.visits import VisitFileError

if TYPE_CHECKING:
    from symptomcheck.config import Settings
    from symptomcheck.model.building import Prepared

app = typer.Typer(add_completion=False, no_args_is_help=True, help="symptomcheck: decision support, not a diagnosis.")
err = Console(stderr=True)

POSITIVE_SETTINGS = ("floor", "multi_floor", "temperature", "max_turns")
TRADEOFF_FINDINGS_TURNS = (0, 4, 6, 8, 10, 12, 14, 16, 20)
ModelOption = Annotated[Path, typer.Option("--model", help="A model artifact (.npz); the shipped one by default.")]
PatientFiles = Annotated[list[Path], typer.Argument(help="DDXPlus patient files (CSV or zip, either release).")]
StatisticsOption = Annotated[
    Path | None,
    typer.Option("--statistics", help="Take likelihoods and priors from the DDXPlus authors' statistics (JSON)."),
]
ExcludeOption = Annotated[
    list[Path] | None, typer.Option("--exclude", help="Patient files whose patients must not be learned from.")
]
CountsOnlyOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--counts-only",
        help="Patient files counted for the priors whose differentials must not train the differential model "
        "(files whose patients were selected by their differential).",
    ),
]


def _fail(message: str) -> NoReturn:
    # plain text on one line, whatever the terminal's width: scripts read it
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _parse_settings(pairs: list[str]) -> dict[str, float]:
    from symptomcheck.engine.tables import DEFAULT_SETTINGS
    from symptomcheck.model.broad import BROAD_SETTINGS

    known = {**DEFAULT_SETTINGS, **BROAD_SETTINGS}  # the engine's, and those of the broad model's fit
    settings: dict[str, float] = {}
    for pair in pairs:
        key = pair.partition("=")[0].strip()
        if "=" in pair and key not in known:
            _fail(f"--set: unknown setting {key!r}; known settings: {', '.join(sorted(known))}")
        key, sep, value = pair.partition("=")
        try:
            number = float(value)
        except ValueError:
            sep = ""
        else:
            if not math.isfinite(number) or number < 0 or (key.strip() in POSITIVE_SETTINGS and number <= 0):
                _fail(f"--set {key.strip()} must be a finite number >= 0 (> 0 for {', '.join(POSITIVE_SETTINGS)})")
            settings[key.strip()] = number
        if not sep or not key.strip():
            _fail(f"--set takes KEY=NUMBER (for example stop_confidence=0.95), not {pair!r}")
    return settings


@app.command()
def consult(
    lang: Annotated[str, typer.Option("--lang", help="Language: en, zh or fr.")] = "en",
    model: ModelOption = SHIPPED_MODEL,
) -> None:
    """Consult in the terminal: one question at a time, then the advice and the conditions to consider."""
    from symptomcheck.engine.assessment import Engine
    from symptomcheck.terminal import TerminalConsultation

    if lang not in LANGUAGES:
        _fail(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    try:
        engine = Engine(load_model(model), default_knowledge())
    except (ModelError, KnowledgeError) as error:
        _fail(str(error))
    code = TerminalConsultation(engine, lang).run()
    raise typer.Exit(code)


@app.command()
def evaluate(
    patients: Annotated[Path, typer.Argument(help="A DDXPlus patient file (CSV or zip, English or French release).")],
    max_turns: Annotated[int, typer.Option("--max-turns", min=1, max=223, help="Questions allowed.")] = 30,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the metrics as JSON here.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write a Markdown report and plots here.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Processes; 0 means one per core.")] = 0,
    model: ModelOption = SHIPPED_MODEL,
    settings: Annotated[list[str] | None, typer.Option("--set", help="Override an engine setting, KEY=NUMBER.")] = None,
    tradeoff: Annotated[
        bool, typer.Option("--tradeoff", help="Also sweep the findings budget and report GTPA@1, DDF1, DSR against IL.")
    ] = False,
) -> None:
    """Run the DDXPlus protocol (simulated patients) and print the metrics."""
    from symptomcheck.evaluation.report import write_report
    from symptomcheck.evaluation.run import evaluate_file

    overrides = _parse_settings(settings or [])
    total = _count_rows(patients)
    try:
        with Progress(
            TextColumn("interviewing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
        ) as progress:
            task = progress.add_task("patients", total=total)
            result = evaluate_file(
                patients,
                model,
                max_turns,
                workers or None,
                overrides,
                progress=lambda n: progress.advance(task, n),
            )
    except (PatientFileError, ModelError, KnowledgeError) as error:
        _fail(str(error))
    if not result.metrics["patients"]:
        _fail(f"{patients}: the file holds no patient record")
    text = json.dumps(result.metrics, indent=2)
    print(text)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(text + "\n", encoding="utf-8")
    if report is not None:
        data = result.report
        if tradeoff:
            rows = []
            for budget in TRADEOFF_FINDINGS_TURNS:
                swept = evaluate_file(
                    patients, model, max_turns, workers or None, {**overrides, "findings_turns": budget}
                )
                rows.append(
                    {"findings_turns": float(budget), **{k: swept.metrics[k] for k in ("IL", "GTPA@1", "DDF1", "DSR")}}
                )
            data = replace(data, tradeoff=rows)
        written = write_report(report, data)
        err.print(f"report: {written[0]}")


def _count_rows(path: Path) -> int | None:
    """Rows in a plain CSV (for the progress bar); None for a zip or when it cannot be read cheaply."""
    try:
        if path.suffix.lower() != ".csv":
            return None
        with path.open("rb") as handle:
            return max(sum(1 for _ in handle) - 1, 0)
    except OSError:
        return None


@app.command("parse-eval")
def parse_eval(
    phrases: Annotated[Path, typer.Argument(help="A labelled phrase set (JSON Lines: text, language, findings).")],
    show_misses: Annotated[bool, typer.Option("--misses", help="List every phrase not understood exactly.")] = False,
) -> None:
    """Precision and recall of the free-text parser per language on a labelled phrase set."""
    from symptomcheck.evaluation.phrases import load_phrases, score
    from symptomcheck.interview.text_parser import TextParser
    from symptomcheck.knowledge import KnowledgeError, default_knowledge

    try:
        labelled = load_phrases(phrases)
    except (OSError, ValueError) as error:
        _fail(str(error))
    try:
        parser = TextParser(default_knowledge())
    except KnowledgeError as error:
        _fail(str(error))
    scores = score(parser, labelled)
    typer.echo(f"{'language':<9}{'phrases':>8}{'precision':>11}{'recall':>8}")
    for language, s in scores.items():
        typer.echo(f"{language:<9}{s.phrases:>8}{s.precision:>11.3f}{s.recall:>8.3f}")
        if show_misses:
            for text, missed, wrong in s.misses:
                typer.echo(f"    {text!r}: missed {missed}, wrong {wrong}")


@app.command()
def vignettes(
    cases: Annotated[Path, typer.Argument(help="A vignette set (JSON Lines; see docs/vignettes.md).")],
    model: ModelOption = SHIPPED_MODEL,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the figures and failures as JSON here.")
    ] = None,
    settings: Annotated[list[str] | None, typer.Option("--set", help="Override an engine setting, KEY=NUMBER.")] = None,
) -> None:
    """Interview written patients (vignettes) and score the differential (top-1/3/5) and the triage advice."""
    overrides = _parse_settings(settings or [])
    from symptomcheck.engine.assessment import Engine
    from symptomcheck.evaluation.vignettes import (
        VignetteError,
        VignetteRunner,
        format_report,
        load_vignettes,
        summarise,
    )
    from symptomcheck.interview.text_parser import TextParser

    try:
        knowledge = default_knowledge()
        parser = TextParser(knowledge)
        cases_read = load_vignettes(cases, knowledge, parser)
        loaded = load_model(model)
        runner = VignetteRunner(Engine(loaded, knowledge, **overrides), parser)
    except (VignetteError, ModelError, KnowledgeError) as error:
        _fail(str(error))

    def progress(done: int, total: int) -> None:
        if done % 25 == 0 or done == total:
            typer.echo(f"interviewed {done}/{total}", err=True)

    summary = summarise(runner.run_all(cases_read, progress), loaded.version)
    typer.echo(format_report(summary))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@app.command()
def fit(
    patients: PatientFiles,
    out: Annotated[Path, typer.Option("--out", help="Where to write the model artifact (.npz).")],
    statistics: StatisticsOption = None,
    exclude: ExcludeOption = None,
    counts_only: CountsOnlyOption = None,
    sample: Annotated[int, typer.Option("--sample", min=0, help="Patients kept for the differential model.")] = 10000,
    settings: Annotated[list[str] | None, typer.Option("--set", help="Engine setting to store, KEY=NUMBER.")] = None,
    visits: Annotated[
        Path | None,
        typer.Option(
            "--visits",
            help="NCHS visit records (.parquet or .csv, as data/nchs_ambulatory/visits.parquet): fit the broad "
            "model over the whole condition catalogue.",
        ),
    ] = None,
    holdout_years: Annotated[
        str,
        typer.Option(
            "--holdout-years",
            help="Visit years left out of the fit, as SETTING:FIRST-LAST,... (settings NAMCS = office, ED).",
        ),
    ] = "",
) -> None:
    """Fit a model from patient files (streamed, bounded memory) and write it as a versioned artifact.

    With --visits, the DDXPlus model is joined with what the visit records say of every catalogue condition
    (see symptomcheck.model.broad)."""
    try:
        from symptomcheck.evaluation.training import train_differential
    except ImportError:
        _fail("fitting the differential model needs scipy: pip install 'symptomcheck[fit]'")
    from symptomcheck.engine.tables import compile_tables

    knowledge = default_knowledge()
    overrides = _parse_settings(settings or [])
    if out.is_dir():
        _fail(f"--out {out}: is a directory; give a file name such as model.npz")
    if holdout_years and visits is None:
        _fail("--holdout-years leaves visit years out of a fit with --visits; give --visits too")
    try:
        err.print(f"reading {len(patients)} file(s)")
        prepared = _prepare(patients, overrides, statistics, exclude, counts_only, sample)
        built, labelled = prepared.model, prepared.labelled
        provenance_note = {"command": " ".join(["symptomcheck fit", *sys.argv[2:]])}
        err.print(
            f"{built.provenance['patients']} patients counted ({prepared.held_out} held out); "
            f"training the differential on {len(labelled)}"
        )
        if labelled:
            tables = compile_tables(built, knowledge.ddxplus())
            built = replace(built, differential=train_differential(tables, labelled))
        built = replace(
            built,
            provenance={
                **built.provenance,
                **provenance_note,
                "held_out_patients": prepared.held_out,
                "differential_patients": len(labelled),
                "counts_only": [path.name for path in counts_only or []],
            },
        )
        # the questions no data source asks (thoughts of suicide): the broad model writes them itself
        if visits is not None:
            built = _broad(built, visits, holdout_years, overrides)
        else:
            built = with_authored(built, knowledge)
        built.save(out)
    except (PatientFileError, ModelError, KnowledgeError, VisitFileError) as error:
        _fail(str(error))
    err.print(f"wrote {out} (model version {built.version})")


@app.command()
def crossvalidate(
    patients: PatientFiles,
    statistics: StatisticsOption = None,
    exclude: ExcludeOption = None,
    counts_only: CountsOnlyOption = None,
    train_only: Annotated[
        list[Path] | None,
        typer.Option("--train-only", help="Patient files that join every fold's training set and are never held out."),
    ] = None,
    sample: Annotated[int, typer.Option("--sample", min=0, help="Labelled patients to cross-validate on.")] = 10000,
    folds: Annotated[int, typer.Option("--folds", min=2, max=100, help="Folds.")] = 5,
    max_turns: Annotated[int, typer.Option("--max-turns", min=1, max=223, help="Questions allowed.")] = 30,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the metrics as JSON here.")] = None,
    settings: Annotated[list[str] | None, typer.Option("--set", help="Engine setting to try, KEY=NUMBER.")] = None,
) -> None:
    """Cross-validate the differential model on the labelled patients `fit` would train it on, and print the
    `evaluate` metrics of the held-out patients (how the differential settings are chosen)."""
    try:
        from symptomcheck.evaluation.crossval import cross_validate
    except ImportError:
        _fail("fitting the differential model needs scipy: pip install 'symptomcheck[fit]'")
    from symptomcheck.model.building import identity
    from symptomcheck.patients import read_patients

    knowledge = default_knowledge()
    overrides = _parse_settings(settings or [])
    _check_listed("--train-only", patients, train_only or [])
    try:
        prepared = _prepare(patients, overrides, statistics, exclude, counts_only, sample)
        fixed = {identity(p) for path in train_only or [] for p in read_patients(path, knowledge)}
        pool = [p for p in prepared.labelled if identity(p) not in fixed]
        always = [p for p in prepared.labelled if identity(p) in fixed]
        if len(pool) < folds:
            _fail(f"{len(pool)} labelled patients to hold out: too few for {folds} folds")
        with Progress(
            TextColumn("cross-validating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
        ) as progress:
            task = progress.add_task("patients", total=len(pool))
            result = cross_validate(
                prepared.model,
                knowledge,
                pool,
                folds,
                max_turns,
                progress=lambda n: progress.advance(task, n),
                always_train=always,
            )
    except (PatientFileError, ModelError, KnowledgeError) as error:
        _fail(str(error))
    metrics = {key: value for key, value in result.metrics.items() if key != "patients_per_second"}
    text = json.dumps(metrics, indent=2)
    print(text)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(text + "\n", encoding="utf-8")


def _prepare(
    patients: list[Path],
    overrides: dict[str, float],
    statistics: Path | None,
    exclude: list[Path] | None,
    counts_only: list[Path] | None,
    sample: int,
) -> Prepared:
    """The counted model and the labelled patients of `fit` and `crossvalidate` (may raise the file errors)."""
    from symptomcheck.engine.tables import DEFAULT_SETTINGS
    from symptomcheck.model.building import prepare_model

    _check_listed("--counts-only", patients, counts_only or [])
    return prepare_model(
        patients,
        default_knowledge().ddxplus(),
        {**DEFAULT_SETTINGS, **overrides},
        statistics=statistics,
        exclude=exclude or [],
        counts_only=counts_only or [],
        sample=sample,
    )


def _broad(ddxplus: Model, visits: Path, holdout_years: str, overrides: dict[str, float]) -> Model:
    """The broad model: `ddxplus` joined with the counts of the visit records (with progress)."""
    from symptomcheck.model.broad import VisitCounts, broad_model
    from symptomcheck.model.fit import provenance
    from symptomcheck.visits import parse_years, read_visits

    held_out = parse_years(holdout_years)
    counts = VisitCounts(default_knowledge())
    with Progress(
        TextColumn("counting visits"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
    ) as progress:
        task = progress.add_task("visits", total=_parquet_rows(visits))
        for visit in read_visits(visits, exclude_years=held_out):
            counts.add(visit)
            progress.advance(task)
    err.print(
        f"{int(counts.visits.sum())} visits with a symptom and a catalogue diagnosis counted "
        f"({len(counts.years)} survey years; held out: {holdout_years or 'none'})"
    )
    source = provenance("broad model: DDXPlus joined with NCHS visit records", [visits])
    return broad_model(
        ddxplus,
        counts,
        overrides,
        {
            **source,
            "held_out_years": sorted(f"{s}:{y}" for s, y in held_out),
            "command": ddxplus.provenance.get("command"),
        },
    )


def _parquet_rows(path: Path) -> int | None:
    try:
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows) if path.suffix == ".parquet" else _count_rows(path)
    except Exception:  # the reader reports a damaged file with a clear message
        return None


def _check_listed(option: str, patients: list[Path], named: list[Path]) -> None:
    given = {path.resolve() for path in patients}
    for path in named:
        if path.resolve() not in given:
            _fail(f"{option} {path}: not one of the patient files given; list it as a patient file too")


VisitsArgument = Annotated[
    Path, typer.Argument(help="NCHS visit records (.parquet or .csv), as data/nchs_ambulatory/visits.parquet.")
]


@app.command("evaluate-visits")
def evaluate_visits_command(
    visits: VisitsArgument,
    model: Annotated[
        Path, typer.Option("--model", help="A model artifact (.npz); the broad model by default.")
    ] = SHIPPED_MODEL,
    holdout_years: Annotated[
        str,
        typer.Option(
            "--holdout-years", help="The visit years to evaluate on (never fitted on), SETTING:FIRST-LAST,..."
        ),
    ] = "NAMCS:2009-2010,ED:2019-2021",
    max_turns: Annotated[int, typer.Option("--max-turns", min=1, max=100, help="Questions allowed.")] = 30,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the metrics and curves as JSON here.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write report.md and plots into this folder.")] = None,
    settings: Annotated[list[str] | None, typer.Option("--set", help="Override an engine setting, KEY=NUMBER.")] = None,
) -> None:
    """Evaluate on held-out years of the visit records: diagnosis (top-1/3/5) and triage against what happened
    (admission, death, triage at arrival), beside a naive-Bayes baseline fitted on the other years."""
    from symptomcheck.engine.assessment import Engine
    from symptomcheck.evaluation.visits import evaluate_visits
    from symptomcheck.evaluation.visits_report import write_visits_report
    from symptomcheck.visits import parse_years

    knowledge = default_knowledge()
    overrides = _parse_settings(settings or [])
    try:
        held_out = parse_years(holdout_years)
        loaded = load_model(model)
        fitted = set(loaded.provenance.get("survey_years", []))
        overlap = sorted(f"{s}:{y}" for s, y in held_out if f"{s}:{y}" in fitted)
        if overlap:
            _fail(f"the model was fitted on {', '.join(overlap)}: evaluate on years it never saw")
        engine = Engine(loaded, knowledge, **overrides)
        result = evaluate_visits(visits, engine, knowledge, held_out, max_turns, progress=err.print)
    except (VisitFileError, ModelError, KnowledgeError, ValueError) as error:
        _fail(str(error))
    text = json.dumps(
        {
            "metrics": result.metrics,
            "curve": result.curve,
            "baseline_curve": result.baseline_curve,
            "reliability": result.reliability(),
            "settings": overrides,
        },
        indent=2,
    )
    print(json.dumps(result.metrics, indent=2))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(text + "\n", encoding="utf-8")
    if report is not None:
        for path in write_visits_report(result, report, holdout_years, loaded.version):
            err.print(f"wrote {path}")


@app.command()
def calibrate(
    visits: VisitsArgument,
    model: Annotated[
        Path, typer.Option("--model", help="A model artifact (.npz); the broad model by default.")
    ] = SHIPPED_MODEL,
    holdout_years: Annotated[
        str,
        typer.Option(
            "--holdout-years",
            help="The visit years left out of the fit (reported on only), SETTING:FIRST-LAST,...",
        ),
    ] = "NAMCS:2009-2010,ED:2019-2021",
    sample: Annotated[
        int, typer.Option("--sample", min=0, help="Training visits the temperature is fitted on; 0 means all.")
    ] = 100_000,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the result as JSON here.")] = None,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="likelihood: the engine's temperature (multiplies the log-likelihoods); posterior: a power of "
            "the posterior, p ** t renormalised (monotone, for the probabilities shown).",
        ),
    ] = "likelihood",
) -> None:
    """Fit the posterior temperature (the ECE of the top outcome's probability at its least) on the training
    years of the visit records, and print it with the ECE before and after, on those years and held out."""
    from symptomcheck.engine.tables import compile_tables
    from symptomcheck.evaluation.temperature import fit_temperature, judged_cases, scan
    from symptomcheck.model.broad import VisitCounts
    from symptomcheck.visits import parse_years, read_visits

    if method not in ("likelihood", "posterior"):
        _fail(f"--method must be likelihood or posterior, not {method!r}")
    posterior = method == "posterior"
    knowledge = default_knowledge()
    try:
        held_out = parse_years(holdout_years)
        tables = compile_tables(load_model(model), knowledge)
        err.print("reading the training years")
        training = judged_cases(read_visits(visits, exclude_years=held_out), knowledge, sample)
        if not len(training):
            _fail(f"{visits}: no visit outside {holdout_years} has a reason in the vocabulary and a diagnosis")
        counts = VisitCounts(knowledge)
        fitted = fit_temperature(tables, counts, training, progress=err.print, posterior=posterior)
        err.print("reading the held-out years")
        held = judged_cases(read_visits(visits, years=held_out), knowledge)
        chosen = {fitted.temperature_before, fitted.temperature}
        on_held_out = scan(tables, counts, held, chosen, posterior) if len(held) else {}
    except (VisitFileError, ModelError, KnowledgeError, ValueError) as error:
        _fail(str(error))
    before, after = fitted.temperature_before, fitted.temperature
    result = {
        "method": method,
        "temperature_before": before,
        "temperature": after,
        "training": {
            "visits": fitted.visits_training,
            "ece_before": fitted.ece_training[before],
            "ece_after": fitted.ece_training[after],
        },
        "held_out": {
            "years": holdout_years,
            "visits": len(held),
            "ece_before": on_held_out.get(before, math.nan),
            "ece_after": on_held_out.get(after, math.nan),
        },
        "ece_by_temperature": {f"{t:g}": e for t, e in fitted.ece_training.items()},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(text + "\n", encoding="utf-8")


@app.command("catalogue-review")
def catalogue_review(
    visits: VisitsArgument,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for coverage.json, triage_review.csv and review.md.")
    ] = Path("docs/catalogue"),
) -> None:
    """Coverage of the symptom visits by the catalogue, and each condition's triage level beside its ED outcomes
    (ambulance, admission, immediate or emergent triage), with the conditions to review flagged."""
    from symptomcheck.evaluation.catalogue_review import (
        coverage,
        read_notes,
        review_csv,
        review_markdown,
        review_rows,
    )
    from symptomcheck.knowledge import DATA_DIR
    from symptomcheck.model.broad import VisitCounts
    from symptomcheck.visits import read_visits

    knowledge = default_knowledge()
    counts = VisitCounts(knowledge)
    try:
        with Progress(
            TextColumn("reading visits"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
        ) as progress:
            task = progress.add_task("visits", total=_parquet_rows(visits))
            for visit in read_visits(visits):
                counts.add(visit)
                progress.advance(task)
    except VisitFileError as error:
        _fail(str(error))
    cover = coverage(counts)
    rows = review_rows(counts, knowledge, read_notes(DATA_DIR))
    out.mkdir(parents=True, exist_ok=True)
    (out / "coverage.json").write_text(json.dumps(cover, indent=2) + "\n", encoding="utf-8")
    (out / "triage_review.csv").write_text(review_csv(rows), encoding="utf-8")
    (out / "review.md").write_text(review_markdown(rows, cover), encoding="utf-8")
    unmapped = counts.unmapped_codes.most_common(10)
    print(json.dumps({**cover, "flagged": sum(r.flagged for r in rows), "top_unmapped": unmapped}, indent=2))


@app.command()
def info(model: ModelOption = SHIPPED_MODEL) -> None:
    """Print a model's version, settings and provenance."""
    try:
        loaded = load_model(model)
    except ModelError as error:
        _fail(str(error))
    print(
        json.dumps({"version": loaded.version, "settings": loaded.settings, "provenance": loaded.provenance}, indent=2)
    )


def _settings() -> Settings:
    from pydantic import ValidationError

    from symptomcheck.config import Settings

    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(f"SYMPTOMCHECK_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors())
        _fail(f"invalid setting: {problems}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            help="Worker processes, each loading the model once (about 120 MiB); 0, the default, means one per core.",
            min=0,
        ),
    ] = 0,
) -> None:
    """Serve the REST API (and the web page) with uvicorn; settings come from SYMPTOMCHECK_* variables."""
    import uvicorn

    from symptomcheck.api.observability import configure_logging
    from symptomcheck.bootstrap import build
    from symptomcheck.storage.errors import StorageError

    settings = _settings()
    configure_logging(settings.log_level)
    try:
        container = build(settings)  # migrates once, before any worker starts
    except (ModelError, KnowledgeError, StorageError) as error:
        _fail(str(error))
    container.close()
    # one process per core: the engine's work holds the GIL, so a process uses one core however many threads
    # it has; more processes than cores only add memory and contention
    workers = workers or os.cpu_count() or 1
    err.print(
        f"symptomcheck serving on http://{host}:{port} with {workers} worker(s) "
        f"(database: {_redacted(settings.database_url)})"
    )
    uvicorn.run(
        "symptomcheck.api.main:app",
        host=host,
        port=port,
        workers=workers,
        factory=False,
        log_config=None,
        access_log=False,
        proxy_headers=settings.trust_forwarded_for,
    )


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparsable URL)"


@app.command()
def purge() -> None:
    """Erase the consultations older than the retention period (SYMPTOMCHECK_RETENTION_DAYS)."""
    from datetime import timedelta

    from symptomcheck.bootstrap import build
    from symptomcheck.storage.errors import StorageError

    settings = _settings()
    try:
        container = build(settings)
    except (ModelError, KnowledgeError, StorageError) as error:
        _fail(str(error))
    erased = container.purge(timedelta(days=settings.retention_days))
    container.close()
    print(f"erased {erased} consultations and conversations unchanged for more than {settings.retention_days:g} days")


def main() -> None:
    app()
