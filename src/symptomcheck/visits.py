"""Reading US ambulatory-care visit records (NCHS NAMCS office visits and NHAMCS emergency-department visits).

The harmonised file (`data/nchs_ambulatory/visits.parquet`, or a CSV with the same columns) has one row per
sampled visit: setting (`SRC`: NAMCS or ED), survey year, diagnosis code system, age, sex, national weight,
up to five reasons for visit (NCHS Reason for Visit Classification codes, x10) and up to five diagnoses
(ICD-9-CM or ICD-10-CM in NCHS format), and for ED visits the triage at arrival, ambulance arrival, admission
and death. Files are streamed in batches, so memory does not grow with the file.

A file with missing columns, another code system, or codes that are not NCHS codes is refused with a message
that says what was expected.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REQUIRED_COLUMNS: tuple[str, ...] = (
    "SRC", "YEAR", "CODESYS", "AGE", "SEX", "PATWT",
    "RFV1", "RFV2", "RFV3", "DIAG1", "DIAG2", "DIAG3",
)  # fmt: skip
OPTIONAL_COLUMNS: tuple[str, ...] = ("RFV4", "RFV5", "DIAG4", "DIAG5", "IMMEDR", "ARREMS", "ADMITHOS", "DIEDED")
SETTINGS = ("NAMCS", "ED")
CODE_SYSTEMS = ("ICD9", "ICD10")
SYMPTOM_REASONS = range(10050, 20000)  # the symptom module of the Reason for Visit Classification
BLANK_DIAGNOSES = frozenset({"", "-9", "-7", "-8", "00000", "0000", "V997", "V990", "V991", "V992"})
BATCH = 50_000


class VisitFileError(ValueError):
    """A visit file that cannot be read as NCHS visit records; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class Visit:
    setting: str  # "NAMCS" (office) or "ED"
    year: int
    code_system: str  # "ICD9" or "ICD10"
    age: int
    sex: str  # "F" or "M"
    weight: float  # how many US visits the record stands for
    reasons: tuple[int, ...]  # RVC codes (x10) in the order given, blanks dropped
    diagnoses: tuple[str, ...]  # NCHS codes without filler ('4019', 'J01', 'R098'), blanks dropped
    triage: int | None = None  # ED: 1 immediate ... 5 non-urgent; None when not triaged or unknown
    ambulance: bool | None = None
    admitted: bool | None = None
    died: bool | None = None

    @property
    def is_ed(self) -> bool:
        return self.setting == "ED"

    @property
    def symptom_reasons(self) -> tuple[int, ...]:
        return tuple(code for code in self.reasons if code in SYMPTOM_REASONS)


def clean_diagnosis(raw: object) -> str | None:
    """An NCHS diagnosis code without its '-' filler, or None for a blank or special code."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    text = str(raw).strip()
    if text in BLANK_DIAGNOSES:
        return None
    code = text.replace("-", "")
    if code in BLANK_DIAGNOSES or code.startswith("ZZZ") or not code:
        return None
    return code


def read_visits(
    path: Path, years: Iterable[tuple[str, int]] | None = None, exclude_years: Iterable[tuple[str, int]] = ()
) -> Iterator[Visit]:
    """Stream the visits of `path` (Parquet or CSV), optionally only the (setting, year) pairs of `years`,
    and never those of `exclude_years`."""
    wanted = set(years) if years is not None else None
    excluded = set(exclude_years)
    for row in _rows(path):
        visit = _visit(row, path)
        key = (visit.setting, visit.year)
        if key in excluded or (wanted is not None and key not in wanted):
            continue
        yield visit


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise VisitFileError(f"{path}: no visit file there (expected the NCHS visits as .parquet or .csv)")
    if path.suffix.lower() == ".parquet":
        yield from _parquet_rows(path)
    elif path.suffix.lower() == ".csv":
        yield from _csv_rows(path)
    else:
        raise VisitFileError(f"{path}: visit files are .parquet or .csv with the columns {', '.join(REQUIRED_COLUMNS)}")


def _check_columns(path: Path, columns: Sequence[str]) -> list[str]:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise VisitFileError(
            f"{path}: not an NCHS visit file: it lacks the columns {', '.join(missing)} "
            f"(expected {', '.join(REQUIRED_COLUMNS)}, and optionally {', '.join(OPTIONAL_COLUMNS)})"
        )
    return [*REQUIRED_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in columns)]


def _parquet_rows(path: Path) -> Iterator[dict[str, Any]]:
    try:
        import pyarrow.parquet as pq  # only fitting and evaluation on visit records need it
    except ImportError:
        raise VisitFileError(
            "reading visit records needs pyarrow: pip install 'symptomcheck[fit]' (or pip install pyarrow)"
        ) from None
    try:
        handle = pq.ParquetFile(path)
        columns = _check_columns(path, handle.schema_arrow.names)
        for batch in handle.iter_batches(batch_size=BATCH, columns=columns):
            yield from batch.to_pylist()
    except VisitFileError:
        raise
    except Exception as error:  # pyarrow raises its own error types for a damaged file
        raise VisitFileError(f"{path}: cannot read it as Parquet ({type(error).__name__}: {error})") from None


def _csv_rows(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            _check_columns(path, reader.fieldnames or [])
            yield from reader
    except UnicodeDecodeError as error:
        raise VisitFileError(f"{path}: not UTF-8 text ({error})") from None


def _number(row: dict[str, Any], column: str, path: Path) -> float | None:
    raw = row.get(column)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise VisitFileError(f"{path}: column {column} holds {raw!r}, expected a number") from None
    return None if math.isnan(value) else value


def _visit(row: dict[str, Any], path: Path) -> Visit:
    setting = str(row["SRC"])
    if setting not in SETTINGS:
        raise VisitFileError(f"{path}: SRC is {setting!r}; expected NAMCS (office) or ED")
    system = str(row["CODESYS"])
    if system not in CODE_SYSTEMS:
        raise VisitFileError(f"{path}: CODESYS is {system!r}; expected ICD9 or ICD10")
    year, age, sex, weight = (_number(row, c, path) for c in ("YEAR", "AGE", "SEX", "PATWT"))
    if year is None or age is None or sex not in (1.0, 2.0) or weight is None or weight < 0:
        raise VisitFileError(
            f"{path}: a visit has YEAR={row.get('YEAR')!r} AGE={row.get('AGE')!r} SEX={row.get('SEX')!r} "
            f"PATWT={row.get('PATWT')!r}; expected a year, an age in years, SEX 1 (female) or 2 (male) and a weight"
        )
    reasons = []
    for column in ("RFV1", "RFV2", "RFV3", "RFV4", "RFV5"):
        value = _number(row, column, path)
        if value is None or value < 0 or value == 90000:
            continue
        if not 10000 <= value < 100000 or value != int(value):
            raise VisitFileError(
                f"{path}: {column} is {row.get(column)!r}; expected an NCHS reason-for-visit code such as 10100"
            )
        reasons.append(int(value))
    diagnoses = []
    for column in ("DIAG1", "DIAG2", "DIAG3", "DIAG4", "DIAG5"):
        code = clean_diagnosis(row.get(column))
        if code is None:
            continue
        if system == "ICD10" and not code[0].isalpha():
            raise VisitFileError(f"{path}: {column} is {code!r} in an ICD10 row; ICD-10-CM codes start with a letter")
        if system == "ICD9" and not (code[0].isdigit() or code[0] in "VE"):
            raise VisitFileError(f"{path}: {column} is {code!r} in an ICD9 row; ICD-9-CM codes are digits, V or E")
        diagnoses.append(code)
    triage = _number(row, "IMMEDR", path)
    return Visit(
        setting=setting,
        year=int(year),
        code_system=system,
        age=int(age),
        sex="F" if sex == 1.0 else "M",
        weight=float(weight),
        reasons=tuple(reasons),
        diagnoses=tuple(diagnoses),
        triage=int(triage) if triage is not None and 1 <= triage <= 5 else None,
        ambulance=_flag(_number(row, "ARREMS", path), yes=1.0, no=2.0),
        admitted=_flag(_number(row, "ADMITHOS", path), yes=1.0, no=0.0),
        died=_flag(_number(row, "DIEDED", path), yes=1.0, no=0.0),
    )


def _flag(value: float | None, yes: float, no: float) -> bool | None:
    if value == yes:
        return True
    if value == no:
        return False
    return None


def parse_years(text: str) -> set[tuple[str, int]]:
    """'NAMCS:2009-2010,ED:2019-2021' -> {(NAMCS, 2009), (NAMCS, 2010), (ED, 2019), ...}."""
    result: set[tuple[str, int]] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        setting, _, span = part.partition(":")
        setting = {"OFFICE": "NAMCS"}.get(setting.upper(), setting.upper())
        if setting not in SETTINGS or not span:
            raise VisitFileError(f"years {part!r}: expected SETTING:YEAR or SETTING:FIRST-LAST with NAMCS or ED")
        first, _, last = span.partition("-")
        try:
            start, end = int(first), int(last or first)
        except ValueError:
            raise VisitFileError(f"years {part!r}: years are numbers, as in ED:2019-2021") from None
        result |= {(setting, y) for y in range(start, end + 1)}
    return result
