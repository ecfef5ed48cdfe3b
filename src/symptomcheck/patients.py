"""DDXPlus patient records, read from either release (English or French), as CSV or the official zip.

Files are streamed row by row, so the full training file (about a million patients) is read in bounded memory.
"""

from __future__ import annotations

import csv
import re
import sys
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from symptomcheck.knowledge import EvidenceKind, KnowledgeBase

REQUIRED_COLUMNS = ("AGE", "DIFFERENTIAL_DIAGNOSIS", "SEX", "PATHOLOGY", "EVIDENCES", "INITIAL_EVIDENCE")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")
_PAIR = re.compile(r"\[\s*['\"]((?:[^'\"\\]|\\.)*)['\"]\s*,\s*([-+0-9.eE]+)\s*\]")
_SEPARATOR = "_@_"


class PatientFileError(ValueError):
    """A patient file cannot be read: the message names the file, the line and what is accepted."""


@dataclass(frozen=True, slots=True)
class Patient:
    """One simulated DDXPlus patient, in the English release's codes."""

    age: int
    sex: str  # "F" or "M"
    pathology: str
    initial_evidence: str
    present: frozenset[str]  # evidences the patient has (yes/no ones answered yes, and every listed C/M)
    values: Mapping[str, tuple[str, ...]]  # the values of the C and M evidences the record lists
    differential: tuple[tuple[str, float], ...]  # the ground-truth differential, as in the file


def read_patients(path: Path, knowledge: KnowledgeBase, limit: int | None = None) -> Iterator[Patient]:
    """Stream the patients of a DDXPlus CSV or zip file of either release."""
    if not path.is_file():
        what = "a directory" if path.is_dir() else "no such file"
        raise PatientFileError(f"{path}: {what}; give a DDXPlus patient CSV or the official zip")
    csv.field_size_limit(min(sys.maxsize, 1 << 24))
    with _open_binary(path) as handle:
        lines = _decoded_lines(path, handle)
        reader = csv.reader(lines)
        try:
            header = next(reader)
        except StopIteration:
            raise PatientFileError(
                f"{path}: the file is empty; expected a CSV with columns {', '.join(REQUIRED_COLUMNS)}"
            ) from None
        except csv.Error as error:
            raise PatientFileError(f"{path}: not a readable CSV ({error})") from None
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise PatientFileError(
                f"{path}: missing column(s) {', '.join(missing)}; a DDXPlus patient file has "
                f"{', '.join(REQUIRED_COLUMNS)}"
            )
        index = [header.index(column) for column in REQUIRED_COLUMNS]
        parser = _RowParser(knowledge)
        count = 0
        try:
            for row in reader:
                if not row:
                    continue
                if limit is not None and count >= limit:
                    return
                if len(row) < len(header):
                    raise PatientFileError(
                        f"{path}: line {reader.line_num}: expected {len(header)} columns, found {len(row)}"
                    )
                try:
                    yield parser.parse([row[i] for i in index])
                except (ValueError, KeyError, OverflowError) as error:
                    message = error.args[0] if error.args else str(error)
                    raise PatientFileError(f"{path}: line {reader.line_num}: {message}") from None
                count += 1
        except csv.Error as error:
            raise PatientFileError(f"{path}: line {reader.line_num}: not readable as CSV ({error})") from None


def _decoded_lines(path: Path, handle: IO[bytes]) -> Iterator[str]:
    """Lines decoded one by one, so that a bad byte is reported on its own line (a BOM is dropped)."""
    for number, raw in enumerate(handle, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            byte = error.object[error.start : error.start + 1].hex()
            raise PatientFileError(
                f"{path}: line {number}: not valid UTF-8 (byte 0x{byte} at position {error.start + 1}: {error.reason})"
            ) from None


@contextmanager
def _open_binary(path: Path) -> Iterator[IO[bytes]]:
    """The CSV's bytes, from the file itself or from the one CSV inside a zip (both closed afterwards)."""
    if not zipfile.is_zipfile(path):
        with path.open("rb") as handle:
            yield handle
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
        raise PatientFileError(f"{path}: looks like a zip archive but cannot be opened as one ({error})") from None
    with archive:
        members = [
            name for name in archive.namelist() if name.lower().endswith(".csv") and not name.startswith("__MACOSX")
        ]
        if len(members) != 1:
            raise PatientFileError(f"{path}: expected exactly one .csv inside the zip, found {len(members)}")
        try:
            with archive.open(members[0]) as member:
                yield member
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
            # a damaged or encrypted archive is found out while its CSV is read
            raise PatientFileError(f"{path}: the zip archive is damaged or unsupported ({error})") from None


class _RowParser:
    """Turns the six DDXPlus columns into a Patient, mapping French codes onto English ones."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self._knowledge = knowledge
        self._kinds = {e.code: e.kind for e in knowledge.evidences}
        self._values = {e.code: set(e.value_codes) for e in knowledge.evidences}
        self._french = knowledge.french
        self._conditions = set(knowledge.condition_codes)

    def _condition(self, name: str) -> str:
        name = name.strip()
        if name in self._conditions:
            return name
        mapped = self._french.conditions.get(name)
        if mapped is None:
            raise ValueError(f"unknown pathology {name!r}; expected a condition of either DDXPlus release")
        return mapped

    def _evidence(self, code: str) -> str:
        if code in self._kinds:
            return code
        mapped = self._french.evidences.get(code)
        if mapped is None:
            raise ValueError(f"unknown evidence {code!r}; expected an E_xx code or a French release code")
        return mapped

    def _value(self, evidence: str, value: str) -> str:
        if value in self._values[evidence]:
            return value
        mapped = self._french.values.get((evidence, value))
        if mapped is None:
            accepted = ", ".join(sorted(self._values[evidence])[:8])
            raise ValueError(f"evidence {evidence} has no value {value!r} (accepted: {accepted}, ...)")
        return mapped

    def parse(self, cells: list[str]) -> Patient:
        age_text, differential_text, sex, pathology, evidences_text, initial = cells
        try:
            age = int(float(age_text))
        except (ValueError, OverflowError):
            raise ValueError(f"AGE {age_text!r} is not a whole number of years") from None
        if not 0 <= age <= 130:
            raise ValueError(f"AGE {age} is outside 0-130")
        sex = sex.strip().upper()
        if sex not in ("F", "M"):
            raise ValueError(f"SEX {sex!r} is not F or M")
        present: set[str] = set()
        values: dict[str, list[str]] = {}
        for match in _QUOTED.finditer(evidences_text):
            token = match.group(1) if match.group(1) is not None else match.group(2)
            code, separator, value = token.partition(_SEPARATOR)
            evidence = self._evidence(code)
            kind = self._kinds[evidence]
            if separator:
                if kind is EvidenceKind.BINARY:
                    raise ValueError(f"yes/no evidence {evidence} is given a value {value!r}")
                values.setdefault(evidence, []).append(self._value(evidence, value))
            elif kind is not EvidenceKind.BINARY:
                raise ValueError(f"evidence {evidence} needs a value (written {evidence}_@_VALUE)")
            present.add(evidence)
        if not present and evidences_text.strip() not in ("[]", ""):
            raise ValueError("EVIDENCES is not a list of quoted codes")
        initial_code = self._evidence(initial.strip())
        if initial_code not in present:
            raise ValueError(f"INITIAL_EVIDENCE {initial_code} is not among the EVIDENCES")
        differential = tuple(
            (self._condition(name), float(probability)) for name, probability in _PAIR.findall(differential_text)
        )
        if not differential and differential_text.strip() not in ("", "[]"):
            raise ValueError("DIFFERENTIAL_DIAGNOSIS is not a list of [condition, probability] pairs")
        return Patient(
            age=age,
            sex=sex,
            pathology=self._condition(pathology),
            initial_evidence=initial_code,
            present=frozenset(present),
            values={code: tuple(v) for code, v in values.items()},
            differential=differential,
        )
