"""Reading NCHS visit records: formats, codes, and clear refusals of files that are not visit records."""

from __future__ import annotations

from pathlib import Path

import pytest

from symptomcheck.visits import VisitFileError, clean_diagnosis, parse_years, read_visits

FIXTURE = Path(__file__).parents[1] / "fixtures" / "visits_sample.csv"
HEADER = "SRC,YEAR,CODESYS,AGE,SEX,PATWT,RFV1,RFV2,RFV3,DIAG1,DIAG2,DIAG3"


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "visits.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_the_sample_file_reads_every_visit_with_its_outcomes() -> None:
    visits = list(read_visits(FIXTURE))
    assert len(visits) == 5360
    ed = [v for v in visits if v.is_ed]
    assert ed and all(v.triage is None or 1 <= v.triage <= 5 for v in ed)
    assert any(v.admitted for v in ed)
    assert all(v.sex in ("F", "M") for v in visits)


def test_reasons_keep_their_order_and_blanks_are_dropped(tmp_path: Path) -> None:
    path = write(tmp_path, "ED,2019,ICD10,34,1,1000,14400,10100,-9,J069,-9,")
    (visit,) = read_visits(path)
    assert visit.reasons == (14400, 10100)
    assert visit.symptom_reasons == (14400, 10100)
    assert visit.diagnoses == ("J069",)


def test_nchs_fillers_and_blank_codes_are_cleaned() -> None:
    assert clean_diagnosis("4019-") == "4019"
    assert clean_diagnosis("462--") == "462"
    assert clean_diagnosis("-9") is None
    assert clean_diagnosis("00000") is None
    assert clean_diagnosis("ZZZ1") is None
    assert clean_diagnosis(float("nan")) is None


def test_a_file_without_the_visit_columns_is_refused_with_the_columns_expected(tmp_path: Path) -> None:
    path = write(tmp_path, "1,2", header="AGE,SEX")
    with pytest.raises(VisitFileError, match="lacks the columns SRC, YEAR"):
        list(read_visits(path))


def test_an_unknown_code_system_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "ED,2019,ICD11,34,1,1000,14400,-9,-9,J069,-9,")
    with pytest.raises(VisitFileError, match="expected ICD9 or ICD10"):
        list(read_visits(path))


def test_a_diagnosis_of_the_wrong_code_system_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "NAMCS,2005,ICD9,34,1,1000,14400,-9,-9,J069,-9,")
    with pytest.raises(VisitFileError, match="ICD-9-CM codes are digits"):
        list(read_visits(path))


def test_a_reason_that_is_not_a_reason_code_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "ED,2019,ICD10,34,1,1000,144,-9,-9,J069,-9,")
    with pytest.raises(VisitFileError, match="reason-for-visit code"):
        list(read_visits(path))


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "visits.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(VisitFileError, match=r"\.parquet or \.csv"):
        list(read_visits(path))


def test_a_damaged_parquet_file_is_refused_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "visits.parquet"
    path.write_bytes(b"PAR1 not really parquet")
    with pytest.raises(VisitFileError, match="cannot read it as Parquet"):
        list(read_visits(path))


def test_held_out_years_are_left_out_and_kept_apart() -> None:
    held_out = parse_years("NAMCS:2009-2010,ED:2019-2021")
    assert ("NAMCS", 2010) in held_out and ("ED", 2020) in held_out and len(held_out) == 5
    fitted = {(v.setting, v.year) for v in read_visits(FIXTURE, exclude_years=held_out)}
    tested = {(v.setting, v.year) for v in read_visits(FIXTURE, years=held_out)}
    assert fitted and tested and not fitted & tested


def test_years_that_do_not_parse_are_refused() -> None:
    with pytest.raises(VisitFileError, match="SETTING:YEAR"):
        parse_years("CLINIC:2019")
