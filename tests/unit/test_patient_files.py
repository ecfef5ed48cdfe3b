"""Reading DDXPlus patient files of either release, as CSV or zip, into the English release's codes."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symptomcheck.knowledge import EvidenceKind, KnowledgeBase
from symptomcheck.patients import REQUIRED_COLUMNS, Patient, PatientFileError, read_patients

# Three rows copied from data/ddxplus/train_random_sample_500.csv (English release) and three from
# data/ddxplus/train_stratified_98_with_translation.csv (French release, with its extra columns).
ENGLISH = "patients_en.csv"
FRENCH = "patients_fr.csv"


def _rows(fixtures_dir: Path, name: str) -> list[list[str]]:
    with (fixtures_dir / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _with_cell(fixtures_dir: Path, tmp_path: Path, column: str, value: str, *, row: int = 1) -> Path:
    """The English fixture with one cell of one data row (1 = the first patient) replaced."""
    rows = _rows(fixtures_dir, ENGLISH)
    rows[row][rows[0].index(column)] = value
    return _write(tmp_path / "patients.csv", rows)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _refusal(path: Path, knowledge: KnowledgeBase) -> str:
    with pytest.raises(PatientFileError) as caught:
        list(read_patients(path, knowledge))
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message


def _assert_in_english_codes(patient: Patient, knowledge: KnowledgeBase) -> None:
    assert knowledge.has_condition(patient.pathology)
    assert all(knowledge.has_condition(name) for name, _ in patient.differential)
    assert patient.initial_evidence in patient.present
    for code in patient.present:
        assert code.startswith("E_")
        evidence = knowledge.evidence(code)
        if evidence.kind is EvidenceKind.BINARY:
            assert code not in patient.values
        else:
            assert patient.values[code]
    assert set(patient.values) <= patient.present
    for code, values in patient.values.items():
        evidence = knowledge.evidence(code)
        for value in values:
            assert value in evidence.value_codes
            assert value.startswith("V_") if not evidence.is_scale else value.isdigit()


# --- reading --------------------------------------------------------------------------------------------------------


def test_an_english_file_is_read_in_the_english_codes(fixtures_dir: Path, knowledge: KnowledgeBase) -> None:
    patients = list(read_patients(fixtures_dir / ENGLISH, knowledge))
    assert [p.pathology for p in patients] == ["Acute otitis media", "Myasthenia gravis", "Panic attack"]
    first = patients[0]
    assert (first.age, first.sex, first.initial_evidence) == (36, "F", "E_181")
    assert first.present == {"E_1", "E_53", "E_54", "E_55", "E_56", "E_57", "E_58", "E_59", "E_181", "E_204"}
    assert first.values == {
        "E_54": ("V_161", "V_192"),
        "E_55": ("V_130",),
        "E_56": ("4",),
        "E_57": ("V_123",),
        "E_58": ("9",),
        "E_59": ("1",),
        "E_204": ("V_10",),
    }
    assert first.differential == (("Acute otitis media", 1.0),)
    assert patients[1].differential[0] == ("Myasthenia gravis", pytest.approx(0.17824568936099527))
    assert len(patients[1].differential) == 12
    for patient in patients:
        _assert_in_english_codes(patient, knowledge)


def test_a_french_file_is_read_into_the_english_codes(fixtures_dir: Path, knowledge: KnowledgeBase) -> None:
    rows = _rows(fixtures_dir, FRENCH)
    patients = list(read_patients(fixtures_dir / FRENCH, knowledge))
    english_pathology = rows[0].index("English Pathology")
    assert [p.pathology for p in patients] == [row[english_pathology] for row in rows[1:]]
    assert [p.pathology for p in patients] == [
        "Acute COPD exacerbation / infection",
        "Acute laryngitis",
        "Acute otitis media",
    ]
    for patient in patients:
        _assert_in_english_codes(patient, knowledge)
        assert patient.values["E_204"] == ("V_10",)  # French 'trav1_@_N': has not travelled
    copd, laryngitis, _ = patients
    assert (copd.age, copd.sex) == (67, "F")
    assert copd.initial_evidence == knowledge.french.evidences["wheez"]
    assert copd.differential[1] == ("Bronchitis", pytest.approx(0.11786399585112244))  # French 'Bronchite'
    assert laryngitis.values["E_56"] == ("1",)  # 'douleurxx_intens_@_1': a scale keeps its number
    assert laryngitis.values["E_57"] == ("V_123",)  # 'douleurxx_irrad_@_nulle_part': radiates nowhere


def test_the_same_answers_read_from_either_release_give_the_same_codes(
    fixtures_dir: Path, knowledge: KnowledgeBase
) -> None:
    english = next(read_patients(fixtures_dir / ENGLISH, knowledge))
    french = list(read_patients(fixtures_dir / FRENCH, knowledge))[2]  # another patient with acute otitis media
    assert english.pathology == french.pathology == "Acute otitis media"
    # both describe the pain as 'sensible' / 'vive' (tender / sharp), radiating nowhere, and have not travelled
    for code in ("E_54", "E_57", "E_204"):
        assert english.values[code] == french.values[code]
    assert english.values["E_54"] == ("V_161", "V_192")
    assert {"E_1", "E_53", "E_55", "E_56", "E_58", "E_59"} <= english.present & french.present


@pytest.mark.parametrize("name", [ENGLISH, FRENCH])
def test_the_same_csv_inside_a_zip_gives_identical_patients(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase, name: str
) -> None:
    archive = _zip(
        tmp_path / "release.zip",
        {"__MACOSX/ddxplus/._patients.csv": b"\x00\x05\x16\x07", f"ddxplus/{name}": (fixtures_dir / name).read_bytes()},
    )
    from_zip = list(read_patients(archive, knowledge))
    assert from_zip == list(read_patients(fixtures_dir / name, knowledge))
    assert len(from_zip) == 3


@pytest.mark.parametrize(("limit", "expected"), [(None, 3), (0, 0), (1, 1), (2, 2), (3, 3), (10, 3)])
def test_limit_stops_after_that_many_patients(
    fixtures_dir: Path, knowledge: KnowledgeBase, limit: int | None, expected: int
) -> None:
    everyone = list(read_patients(fixtures_dir / ENGLISH, knowledge))
    assert list(read_patients(fixtures_dir / ENGLISH, knowledge, limit=limit)) == everyone[:expected]


def test_limit_applies_to_a_zip_too(fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase) -> None:
    archive = _zip(tmp_path / "release.zip", {FRENCH: (fixtures_dir / FRENCH).read_bytes()})
    patients = list(read_patients(archive, knowledge, limit=2))
    assert [p.pathology for p in patients] == ["Acute COPD exacerbation / infection", "Acute laryngitis"]


def test_blank_lines_are_skipped_and_lines_are_still_counted(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    rows = _rows(fixtures_dir, ENGLISH)
    rows.insert(2, [])
    rows[3][rows[0].index("SEX")] = "X"
    path = _write(tmp_path / "patients.csv", rows)
    assert len(list(read_patients(path, knowledge, limit=1))) == 1
    assert _refusal(path, knowledge) == f"{path}: line 4: SEX 'X' is not F or M"


def test_a_fractional_age_and_a_lower_case_sex_are_accepted(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    rows = _rows(fixtures_dir, ENGLISH)
    rows[1][rows[0].index("AGE")] = "36.0"
    rows[1][rows[0].index("SEX")] = "m"
    patient = next(read_patients(_write(tmp_path / "patients.csv", rows), knowledge))
    assert (patient.age, patient.sex) == (36, "M")


# --- refusals -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("column", REQUIRED_COLUMNS)
def test_a_missing_column_is_refused_naming_the_column(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase, column: str
) -> None:
    rows = _rows(fixtures_dir, ENGLISH)
    drop = rows[0].index(column)
    path = _write(tmp_path / "patients.csv", [row[:drop] + row[drop + 1 :] for row in rows])
    message = _refusal(path, knowledge)
    assert f"missing column(s) {column};" in message
    assert ", ".join(REQUIRED_COLUMNS) in message


def test_an_unknown_pathology_is_refused_naming_the_line(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    path = _with_cell(fixtures_dir, tmp_path, "PATHOLOGY", "Common cold", row=2)
    message = _refusal(path, knowledge)
    assert message.startswith(f"{path}: line 3: unknown pathology 'Common cold'")
    assert "either DDXPlus release" in message


def test_an_unknown_pathology_in_the_differential_is_refused(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    path = _with_cell(fixtures_dir, tmp_path, "DIFFERENTIAL_DIAGNOSIS", "[['Common cold', 1.0]]")
    assert _refusal(path, knowledge).startswith(f"{path}: line 2: unknown pathology 'Common cold'")


def test_an_unknown_evidence_code_is_refused_with_the_accepted_forms(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    path = _with_cell(fixtures_dir, tmp_path, "EVIDENCES", "['E_181', 'E_999']")
    message = _refusal(path, knowledge)
    assert message == f"{path}: line 2: unknown evidence 'E_999'; expected an E_xx code or a French release code"


def test_an_unknown_initial_evidence_code_is_refused(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    path = _with_cell(fixtures_dir, tmp_path, "INITIAL_EVIDENCE", "E_999")
    assert _refusal(path, knowledge).startswith(f"{path}: line 2: unknown evidence 'E_999'")


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("E_204_@_V_999", "evidence E_204 has no value 'V_999' (accepted: "),
        ("E_56_@_11", "evidence E_56 has no value '11' (accepted: "),
        ("trav1_@_Mars", "evidence E_204 has no value 'Mars' (accepted: "),
    ],
)
def test_a_value_the_evidence_does_not_have_is_refused(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase, token: str, problem: str
) -> None:
    path = _with_cell(fixtures_dir, tmp_path, "EVIDENCES", f"['E_181', '{token}']")
    assert _refusal(path, knowledge).startswith(f"{path}: line 2: {problem}")


@pytest.mark.parametrize("token", ["E_181_@_V_10", "fievre_@_1"])
def test_a_yes_no_evidence_given_a_value_is_refused(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase, token: str
) -> None:
    path = _with_cell(fixtures_dir, tmp_path, "EVIDENCES", f"['E_181', '{token}']")
    code = knowledge.french.evidences.get(token.partition("_@_")[0], token.partition("_@_")[0])
    value = token.partition("_@_")[2]
    assert _refusal(path, knowledge) == f"{path}: line 2: yes/no evidence {code} is given a value {value!r}"


def test_a_categorical_evidence_without_a_value_is_refused(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    path = _with_cell(fixtures_dir, tmp_path, "EVIDENCES", "['E_181', 'E_204']")
    assert _refusal(path, knowledge) == f"{path}: line 2: evidence E_204 needs a value (written E_204_@_VALUE)"


@pytest.mark.parametrize("age", ["thirty", "", "nan"])
def test_an_age_that_is_not_a_number_is_refused(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase, age: str
) -> None:
    path = _with_cell(fixtures_dir, tmp_path, "AGE", age)
    assert _refusal(path, knowledge) == f"{path}: line 2: AGE {age!r} is not a whole number of years"


@pytest.mark.parametrize("age", ["-1", "131"])
def test_an_age_outside_0_to_130_is_refused(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase, age: str
) -> None:
    path = _with_cell(fixtures_dir, tmp_path, "AGE", age)
    assert _refusal(path, knowledge) == f"{path}: line 2: AGE {age} is outside 0-130"


@pytest.mark.parametrize("sex", ["X", "", "female"])
def test_a_sex_other_than_f_or_m_is_refused(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase, sex: str
) -> None:
    path = _with_cell(fixtures_dir, tmp_path, "SEX", sex)
    assert _refusal(path, knowledge) == f"{path}: line 2: SEX {sex.upper()!r} is not F or M"


def test_an_initial_evidence_not_among_the_evidences_is_refused(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    path = _with_cell(fixtures_dir, tmp_path, "INITIAL_EVIDENCE", "E_91")
    assert _refusal(path, knowledge) == f"{path}: line 2: INITIAL_EVIDENCE E_91 is not among the EVIDENCES"


def test_evidences_that_are_not_a_list_of_quoted_codes_are_refused(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    path = _with_cell(fixtures_dir, tmp_path, "EVIDENCES", "E_181 E_204_@_V_10")
    assert _refusal(path, knowledge) == f"{path}: line 2: EVIDENCES is not a list of quoted codes"


def test_a_zip_with_two_csv_files_is_refused(fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase) -> None:
    data = (fixtures_dir / ENGLISH).read_bytes()
    archive = _zip(tmp_path / "two.zip", {"train.csv": data, "validate.CSV": data})
    assert _refusal(archive, knowledge) == f"{archive}: expected exactly one .csv inside the zip, found 2"


def test_a_zip_without_a_csv_file_is_refused(tmp_path: Path, knowledge: KnowledgeBase) -> None:
    archive = _zip(tmp_path / "none.zip", {"README.md": b"# DDXPlus\n"})
    assert _refusal(archive, knowledge) == f"{archive}: expected exactly one .csv inside the zip, found 0"


def test_an_empty_file_is_refused_with_the_expected_columns(tmp_path: Path, knowledge: KnowledgeBase) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    message = _refusal(path, knowledge)
    assert message == f"{path}: the file is empty; expected a CSV with columns {', '.join(REQUIRED_COLUMNS)}"


def test_a_file_with_only_its_header_holds_no_patient(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    path = _write(tmp_path / "header.csv", _rows(fixtures_dir, ENGLISH)[:1])
    assert list(read_patients(path, knowledge)) == []


def test_a_missing_file_is_refused_naming_the_file(tmp_path: Path, knowledge: KnowledgeBase) -> None:
    path = tmp_path / "nowhere.csv"
    message = _refusal(path, knowledge)
    assert message == f"{path}: no such file; give a DDXPlus patient CSV or the official zip"


def test_a_missing_file_is_refused_when_read_not_when_the_reader_is_made(
    tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    patients = read_patients(tmp_path / "nowhere.csv", knowledge)  # a generator: nothing happens yet
    with pytest.raises(PatientFileError):
        next(patients)


def test_invalid_utf8_in_the_header_is_refused(fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"\xff" + (fixtures_dir / ENGLISH).read_bytes())
    message = _refusal(path, knowledge)
    assert "line 1: not valid UTF-8" in message


def test_invalid_utf8_in_a_row_is_refused(fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((fixtures_dir / FRENCH).read_bytes().replace("aïgue".encode(), "aïgue".encode("latin-1")))
    message = _refusal(path, knowledge)
    assert "UTF-8" in message
    assert "0xef" in message  # the latin-1 'ï'


def test_invalid_utf8_inside_a_zip_is_refused(fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase) -> None:
    data = (fixtures_dir / FRENCH).read_bytes().replace("aïgue".encode(), "aïgue".encode("latin-1"))
    archive = _zip(tmp_path / "latin1.zip", {FRENCH: data})
    assert "UTF-8" in _refusal(archive, knowledge)


# --- arbitrary EVIDENCES cells --------------------------------------------------------------------------------------

_TOKENS = st.sampled_from(
    [
        "E_181",
        "E_91",
        "E_204",
        "E_204_@_V_10",
        "E_204_@_V_999",
        "E_56_@_4",
        "E_56_@_",
        "E_55_@_V_130",
        "E_181_@_V_10",
        "trav1_@_N",
        "fievre",
        "douleurxx_intens_@_3",
        "_@_",
        "",
        "E_",
        "\\'",
    ]
)
_EVIDENCES = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
    st.lists(st.one_of(_TOKENS, st.text(max_size=8, alphabet="E_V@01'\"\\[], fievrtav")), max_size=6).map(
        lambda tokens: "[" + ", ".join(f"'{token}'" for token in tokens) + "]"
    ),
    st.lists(_TOKENS, max_size=6).map(lambda tokens: str(["E_181", *tokens])),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(evidences=_EVIDENCES)
def test_any_evidences_cell_either_parses_or_is_refused_as_a_patient_file_error(
    fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase, evidences: str
) -> None:
    rows = _rows(fixtures_dir, ENGLISH)[:2]
    rows[1][rows[0].index("EVIDENCES")] = evidences
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path = tmp_path / "patients.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    try:
        patients = list(read_patients(path, knowledge))
    except PatientFileError as error:
        assert str(error).startswith(f"{path}: ")
    else:
        assert len(patients) <= 1
        for patient in patients:
            _assert_in_english_codes(patient, knowledge)


def test_a_file_that_only_looks_like_a_zip_is_refused_cleanly(tmp_path: Path, knowledge: KnowledgeBase) -> None:
    # found by fuzz/patient_file.py: an end-of-archive signature with a bad directory offset
    path = tmp_path / "patients.csv"
    path.write_bytes(b"AGE,SEX\nPK\x05\x06" + b"\x00" * 16 + b"\xff\xff\xff\x7f\x00\x00")
    with pytest.raises(PatientFileError, match="zip"):
        list(read_patients(path, knowledge))


def test_a_truncated_zip_is_refused_cleanly(fixtures_dir: Path, tmp_path: Path, knowledge: KnowledgeBase) -> None:
    archive = tmp_path / "patients.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(fixtures_dir / ENGLISH, "release_test_patients.csv")
    data = archive.read_bytes()
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(data[:60] + bytes(b ^ 0x5A for b in data[60:200]) + data[200:])
    with pytest.raises(PatientFileError, match="zip"):
        list(read_patients(damaged, knowledge))
