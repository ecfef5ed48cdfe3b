"""The broad model: one likelihood matrix over the catalogue, with the provenance of every cell."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from symptomcheck.engine.tables import DEFAULT_SETTINGS
from symptomcheck.knowledge import KnowledgeBase
from symptomcheck.knowledge.catalogue import NOT_IN_CATALOGUE
from symptomcheck.model.artifact import Model, load_model
from symptomcheck.model.broad import BROAD_SETTINGS, PROVENANCE, VisitCounts, broad_model
from symptomcheck.model.building import prepare_model
from symptomcheck.visits import parse_years, read_visits

ROOT = Path(__file__).parents[2]
VISITS = ROOT / "tests" / "fixtures" / "visits_sample.csv"
PATIENTS = ROOT / "tests" / "fixtures" / "patients_20_fr.csv"
STATISTICS = ROOT / "data" / "ddxplus" / "casande_bed_stats_4_fr_v1.json"
HELD_OUT = parse_years("NAMCS:2009-2010,ED:2019-2021")


@pytest.fixture(scope="module")
def counts(knowledge: KnowledgeBase) -> VisitCounts:
    result = VisitCounts(knowledge)
    result.add_all(read_visits(VISITS, exclude_years=HELD_OUT))
    return result


def model_ddxplus(knowledge: KnowledgeBase) -> Model:
    return prepare_model([PATIENTS], knowledge.ddxplus(), DEFAULT_SETTINGS, statistics=STATISTICS).model


@pytest.fixture(scope="module")
def model(knowledge: KnowledgeBase, counts: VisitCounts) -> Model:
    return broad_model(model_ddxplus(knowledge), counts, {"min_visits": 5})


def test_the_broad_model_covers_every_condition_and_evidence(knowledge: KnowledgeBase, model: Model) -> None:
    assert model.conditions == knowledge.condition_codes
    assert model.evidences == knowledge.evidence_codes


def test_no_likelihood_is_zero_or_one_and_each_question_sums_to_one(model: Model) -> None:
    for e in range(len(model.evidences)):
        block = model.p_outcome_[model.rows(e)]
        np.testing.assert_allclose(block.sum(axis=0), 1.0, atol=1e-9)
    binary = [e for e, outcomes in enumerate(model.outcomes) if outcomes == ("absent", "present")]
    present = model.p_outcome_[[model.rows(e).start + 1 for e in binary]]
    assert present.min() > 0 and present.max() < 1


def test_every_cell_says_where_it_comes_from(knowledge: KnowledgeBase, model: Model) -> None:
    assert model.provenance_ is not None
    ddx_d = [model.conditions.index(c) for c in model.differential_conditions]
    reasons = {r.evidence for r in knowledge.catalogue.reasons}
    rows = [model.rows(model.evidences.index(e)) for e in model.differential_evidences if e not in reasons]
    ddx_t = np.concatenate([np.arange(r.start, r.stop) for r in rows])
    assert np.all(model.provenance_[np.ix_(ddx_t, ddx_d)] == PROVENANCE["ddxplus"])
    assert (model.provenance_ == PROVENANCE["visits"]).any()
    assert (model.provenance_ == PROVENANCE["default"]).any()
    assert set(model.provenance["cells"]) == set(PROVENANCE)


def test_the_reporting_rate_is_estimated_on_pairs_both_sources_cover(model: Model) -> None:
    assert 0 < model.provenance["reporting_rate"] <= 1
    assert model.provenance["reporting_rate_pairs"] > 0


def test_not_in_the_catalogue_keeps_its_own_prior(model: Model) -> None:
    other = model.conditions.index(NOT_IN_CATALOGUE)
    assert model.p_prior_[other] >= BROAD_SETTINGS["open_world_prior"]
    assert model.p_prior_.sum() == pytest.approx(1.0)
    assert model.p_prior_.min() > 0


def test_the_records_weight_blends_a_shared_reason_of_a_ddxplus_condition_the_records_show(
    knowledge: KnowledgeBase, counts: VisitCounts, model: Model
) -> None:
    assert model.provenance_ is not None
    fever = model.rows(model.evidences.index("E_91")).start + 1  # a reason for visit and a DDXPlus finding
    visits = {c: counts.visits[:, counts.conditions.index(c)].sum() for c in model.differential_conditions}
    shown = [model.conditions.index(c) for c, n in visits.items() if n >= 5]
    unseen = [model.conditions.index(c) for c, n in visits.items() if n < 5]
    assert shown and unseen
    assert np.all(model.provenance_[fever, shown] == PROVENANCE["ddxplus"])  # the shipped setting: DDXPlus alone
    ddxplus = model_ddxplus(knowledge)
    records = broad_model(ddxplus, counts, {"min_visits": 5, "records_weight": 1})
    half = broad_model(ddxplus, counts, {"min_visits": 5, "records_weight": 0.5})
    assert records.provenance_ is not None and half.provenance_ is not None
    assert np.all(records.provenance_[fever, shown] == PROVENANCE["visits"])
    assert np.all(half.provenance_[fever, shown] == PROVENANCE["derived"])
    assert np.all(half.provenance_[fever, unseen] == model.provenance_[fever, unseen])
    # the blend lies between the two sources (their geometric mean, before the floors)
    low = np.minimum(model.p_outcome_[fever, shown], records.p_outcome_[fever, shown])
    high = np.maximum(model.p_outcome_[fever, shown], records.p_outcome_[fever, shown])
    assert np.all((low - 1e-9 <= half.p_outcome_[fever, shown]) & (half.p_outcome_[fever, shown] <= high + 1e-9))
    assert not np.allclose(low, high)


def test_a_reason_tells_the_conditions_the_records_tie_it_to(model: Model) -> None:
    fever = model.rows(model.evidences.index("E_91")).start + 1
    otitis, sprain = model.conditions.index("Acute otitis media"), model.conditions.index("ankle_sprain")
    assert model.p_outcome_[fever, otitis] > model.p_outcome_[fever, sprain]


def test_the_survey_years_fitted_are_recorded_and_held_out_years_are_not_among_them(model: Model) -> None:
    years = set(model.provenance["survey_years"])
    assert "ED:2016" in years
    assert not years & {"NAMCS:2009", "NAMCS:2010", "ED:2019", "ED:2020", "ED:2021"}


def test_the_same_inputs_give_a_byte_identical_artifact(tmp_path: Path, model: Model) -> None:
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    model.save(first)
    model.save(second)
    digest = [hashlib.sha256(path.read_bytes()).hexdigest() for path in (first, second)]
    assert digest[0] == digest[1]
    assert load_model(first).version == model.version


def test_the_floors_of_a_question_with_many_values_hold_little_of_its_mass(model: Model) -> None:
    sites = model.evidences.index("E_55")  # about 160 body sites
    block = model.p_outcome_[model.rows(sites)]
    # a site the records never tie to a condition gets at most the mass's share, not the engine's 0.01 per value
    # (165 of those would be 1.65 against the 1.0 of what the records say)
    assert block.min() <= BROAD_SETTINGS["multi_floor_mass"] / block.shape[0] + 1e-12
    assert block.min() > 0


def _region_mass(model: Model, knowledge: KnowledgeBase, condition: str) -> dict[str, float]:
    """P(the pain-site answer lies in each body region | condition)."""
    rows = model.rows(model.evidences.index("E_55"))
    outcomes = model.outcomes[model.evidences.index("E_55")]
    column = model.p_outcome_[rows, model.conditions.index(condition)]
    return {
        region.id: float(sum(column[outcomes.index(site)] for site in region.sites))
        for region in knowledge.regions_for("E_55")
    }


def test_a_condition_s_pain_is_felt_where_the_authored_sites_say(knowledge: KnowledgeBase, model: Model) -> None:
    appendix = _region_mass(model, knowledge, "acute_appendicitis")
    assert appendix["abdomen_lower_right"] > 3 * appendix["abdomen_lower_left"]
    assert appendix["abdomen_lower_right"] > 2 * appendix["abdomen_upper_right"]
    gallbladder = _region_mass(model, knowledge, "acute_cholecystitis")
    assert gallbladder["abdomen_upper_right"] > 3 * gallbladder["abdomen_lower_right"]
    diverticula = _region_mass(model, knowledge, "diverticular_disease")
    assert diverticula["abdomen_lower_left"] > 3 * diverticula["abdomen_lower_right"]


def test_within_a_region_the_pain_goes_to_the_site_people_name(model: Model) -> None:
    # the right lower belly is "the iliac fossa" for most DDXPlus patients, its groin for few: a person typing
    # "lower right belly" is read as the iliac fossa, and appendicitis must not lose to a DDXPlus condition there
    rows = model.rows(model.evidences.index("E_55"))
    outcomes = model.outcomes[model.evidences.index("E_55")]
    appendix = model.p_outcome_[rows, model.conditions.index("acute_appendicitis")]
    assert appendix[outcomes.index("V_87")] > 3 * appendix[outcomes.index("V_16")]


def test_a_pain_the_records_place_only_in_the_belly_is_shared_evenly_among_the_belly_s_regions(
    knowledge: KnowledgeBase, model: Model
) -> None:
    # "abdominal pain" names sites in six regions of the belly, one of which holds four sites and another one:
    # counted per site, the navel would get a quarter of the right lower belly's share; per region, about as
    # much (a little less: some people with this diagnosis came for "lower abdominal pain")
    assert "abdominal_pain_unspecified" not in {entry.condition for entry in knowledge.pain_sites}
    belly = _region_mass(model, knowledge, "abdominal_pain_unspecified")
    assert belly["abdomen_middle"] > 0.6 * belly["abdomen_lower_right"]
    assert belly["abdomen_lower_left"] == pytest.approx(belly["abdomen_lower_right"], rel=0.05)


def test_a_question_no_data_source_asks_takes_its_authored_likelihoods(knowledge: KnowledgeBase, model: Model) -> None:
    assert model.provenance_ is not None
    question = next(q for q in knowledge.authored if q.evidence == "A_SUICIDAL")
    rows = model.rows(model.evidences.index("A_SUICIDAL"))
    assert np.all(model.provenance_[rows] == PROVENANCE["authored"])
    p_yes = model.p_outcome_[rows.start + 1]
    depression, fracture = model.conditions.index("depression"), model.conditions.index("broken_wrist")
    assert p_yes[depression] == pytest.approx(question.p_yes["depression"])
    assert p_yes[fracture] == pytest.approx(question.default_yes)
    assert p_yes[model.conditions.index("suicidal_thoughts")] > 10 * p_yes[fracture]


def test_an_authored_cell_replaces_what_the_data_sources_say_for_a_condition_ddxplus_does_not_describe(
    knowledge: KnowledgeBase, model: Model
) -> None:
    assert model.provenance_ is not None
    for cell in knowledge.authored_cells:
        present = model.rows(model.evidences.index(cell.evidence)).start + 1
        d = model.conditions.index(cell.condition)
        assert model.p_outcome_[present, d] == pytest.approx(cell.p_yes)
        assert model.provenance_[present, d] == PROVENANCE["authored"]
    # a bleeding ulcer, too rare in the sample to be modelled by the records, passes black stools
    stools = model.rows(model.evidences.index("E_140")).start + 1
    ulcer, sprain = model.conditions.index("complicated_peptic_ulcer"), model.conditions.index("ankle_sprain")
    assert model.p_outcome_[stools, ulcer] > 20 * model.p_outcome_[stools, sprain]


def test_feeling_faint_is_derived_from_the_reasons_linked_to_it_for_the_conditions_the_records_show(
    knowledge: KnowledgeBase, model: Model
) -> None:
    assert model.provenance_ is not None
    faint = model.rows(model.evidences.index("E_82")).start + 1
    linked = [model.rows(model.evidences.index(link.reason_evidence)).start + 1 for link in knowledge.finding_links]
    derived = np.flatnonzero(model.provenance_[faint] == PROVENANCE["derived"])
    assert derived.size > 0
    for d in derived:  # at least as often as any of the reasons that tell of it
        assert model.p_outcome_[faint, d] >= max(model.p_outcome_[row, d] for row in linked) - 1e-9


def test_a_reason_narrower_than_a_ddxplus_finding_takes_only_its_part_for_a_condition_the_records_barely_show(
    model: Model,
) -> None:
    def yes(code: str, condition: str) -> float:
        return float(
            model.p_outcome_[model.rows(model.evidences.index(code)).start + 1, model.conditions.index(condition)]
        )

    def origin(code: str, condition: str) -> int:
        row = model.rows(model.evidences.index(code)).start + 1
        return int(model.provenance_[row, model.conditions.index(condition)])

    # epiglottitis hurts in the throat: an earache or a wrist pain is not its pain
    assert origin("R_13551", "Epiglottitis") == PROVENANCE["ddxplus"]
    assert yes("E_53", "Epiglottitis") > 0.5
    assert yes("R_13551", "Epiglottitis") < 0.1 * yes("E_53", "Epiglottitis")
    assert yes("R_19551", "Epiglottitis") < 0.1 * yes("E_53", "Epiglottitis")
    # a pain reason at a site the condition's pain is felt at keeps its weight
    assert yes("R_10501", "Boerhaave") > 0.3
    # acne is a small part of "skin lesions", a rash a larger one
    assert origin("R_18300", "Scombroid food poisoning") == PROVENANCE["ddxplus"]
    assert yes("R_18300", "Scombroid food poisoning") < 0.5 * yes("E_129", "Scombroid food poisoning")
    assert yes("R_18300", "Scombroid food poisoning") < yes("R_18600", "Scombroid food poisoning")
