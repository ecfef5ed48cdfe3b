"""Speed of the free-text parser and of the complaint search (prints figures; asserts only generous bounds).

    python benchmarks/bench_parser.py [--repeats 5]

Every phrase of tests/data/phrases.jsonl (633 sentences in English, French and Chinese, as people type them)
is timed one call at a time, after a warm-up that loads the Chinese segmenter (its one-off start, about a
second, is reported apart):
1. `TextParser.parse`: median and 90th percentile per sentence, per language.
2. `ComplaintSearch.search` over the complaints, wired as the service wires it (with the parser): per query.
Medians of the repeats.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from symptomcheck.engine.assessment import Engine
from symptomcheck.evaluation.phrases import Phrase, load_phrases
from symptomcheck.interview import complaint_prevalence, complaints
from symptomcheck.interview.complaint_search import ComplaintSearch
from symptomcheck.interview.text_parser import TextParser
from symptomcheck.knowledge import LANGUAGES, default_knowledge
from symptomcheck.model import load_model

PHRASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "phrases.jsonl"
PARSE_MEDIAN_MS = 10.0
SEARCH_MEDIAN_MS = 5.0


def timed(call: Callable[[Phrase], object], phrases: list[Phrase]) -> list[float]:
    """Milliseconds of each call, one phrase at a time."""
    times = []
    for phrase in phrases:
        start = time.perf_counter()
        call(phrase)
        times.append((time.perf_counter() - start) * 1000)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--repeats", type=int, default=5)
    repeats = arguments.parse_args().repeats

    knowledge = default_knowledge()
    engine = Engine(load_model(), knowledge)
    phrases = load_phrases(PHRASES)
    start = time.perf_counter()
    parser = TextParser(knowledge)
    built = time.perf_counter() - start
    start = time.perf_counter()
    parser.parse("发烧", "zh")
    segmenter = time.perf_counter() - start
    search = ComplaintSearch(knowledge, complaints(engine), complaint_prevalence(engine), parser=parser)
    print(f"start-up: vocabulary {built * 1000:.0f} ms ({len(knowledge.synonyms)} phrases), "
          f"Chinese segmenter {segmenter * 1000:.0f} ms (once per process)")  # fmt: skip

    rows: list[tuple[str, float, float, float, float]] = []
    for language in (*LANGUAGES, "all"):
        chosen = [p for p in phrases if language in ("all", p.language)]
        parse_runs = [timed(lambda p: parser.parse(p.text, p.language), chosen) for _ in range(repeats)]
        search_runs = [timed(lambda p: search.search(p.text), chosen) for _ in range(repeats)]
        rows.append(
            (
                f"{language} ({len(chosen)})",
                statistics.median(statistics.median(run) for run in parse_runs),
                statistics.median(percentile(run, 0.9) for run in parse_runs),
                statistics.median(statistics.median(run) for run in search_runs),
                statistics.median(percentile(run, 0.9) for run in search_runs),
            )
        )
    print(f"{'phrases':<12}{'parse median':>14}{'parse p90':>11}{'search median':>15}{'search p90':>12}  (ms)")
    for name, parse_median, parse_p90, search_median, search_p90 in rows:
        print(f"{name:<12}{parse_median:>14.3f}{parse_p90:>11.3f}{search_median:>15.3f}{search_p90:>12.3f}")
    overall = rows[-1]
    assert overall[1] <= PARSE_MEDIAN_MS, f"parse median {overall[1]:.2f} ms > {PARSE_MEDIAN_MS} ms"
    assert overall[3] <= SEARCH_MEDIAN_MS, f"search median {overall[3]:.2f} ms > {SEARCH_MEDIAN_MS} ms"


if __name__ == "__main__":
    main()
