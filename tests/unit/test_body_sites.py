"""The body-site table: regions a person can point to, each grouping the precise sites the model knows.

The shipped table is checked for what makes it usable (every site reachable once, body order, everyday
names in three languages); copies of it, corrupted one way each, are refused by the loader.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from symptomcheck.knowledge import LANGUAGES, KnowledgeBase, KnowledgeError, load_knowledge
from symptomcheck.knowledge.loader import BODY_SITES_FILE

SITE_EVIDENCES = ("E_55", "E_57", "E_133", "E_152")
JARGON = ("hypochondr", "commissure", "vermilion", "vermillon", "popliteal", "poplité", "iliac fossa", "epigastr")


def _edit(directory: Path, change: Callable[[Any], object]) -> None:
    path = directory / BODY_SITES_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _refusal(directory: Path) -> str:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)
    return str(caught.value)


@pytest.mark.parametrize("code", SITE_EVIDENCES)
def test_every_precise_site_of_a_body_site_evidence_belongs_to_exactly_one_region(
    knowledge: KnowledgeBase, code: str
) -> None:
    evidence = knowledge.evidence(code)
    regions = knowledge.regions_for(code)
    grouped = [site for region in regions for site in region.sites]
    assert len(grouped) == len(set(grouped))
    assert set(grouped) == set(evidence.value_codes) - {evidence.default}


def test_only_the_body_site_evidences_have_regions(knowledge: KnowledgeBase) -> None:
    with_regions = {e.code for e in knowledge.evidences if knowledge.regions_for(e.code)}
    assert with_regions == set(SITE_EVIDENCES)


def test_regions_run_head_to_foot_with_the_chest_and_the_left_arm_named_as_people_say_them(
    knowledge: KnowledgeBase,
) -> None:
    ids = [region.id for region in knowledge.body_regions]
    assert [region.order for region in knowledge.body_regions] == sorted(r.order for r in knowledge.body_regions)
    assert ids[0] == "head" and ids[-1] == "foot_left"
    assert ids.index("head") < ids.index("neck") < ids.index("chest") < ids.index("abdomen_upper_middle")
    assert ids.index("abdomen_lower_middle") < ids.index("genitals") < ids.index("leg_right") < ids.index("foot_right")
    names = {region.id: region.name for region in knowledge.body_regions}
    assert (
        names["arm_left"].en == "Left arm" and names["arm_left"].fr == "Bras gauche" and names["arm_left"].zh == "左臂"
    )
    e55 = knowledge.evidence("E_55")
    assert e55.value("V_101").text.en == "centre of the chest, upper part"


def test_no_region_or_site_name_uses_anatomical_jargon_in_any_language(knowledge: KnowledgeBase) -> None:
    e55 = knowledge.evidence("E_55")
    for region in knowledge.body_regions:
        texts = [region.name[lang] for lang in LANGUAGES]
        texts += [e55.value(code).text[lang] for code in region.sites for lang in LANGUAGES]
        for text in texts:
            assert text.strip() == text and text
            assert not any(word in text.casefold() for word in JARGON), text


def test_the_options_are_shown_in_body_order_after_nowhere_while_the_model_keeps_the_release_order(
    knowledge: KnowledgeBase,
) -> None:
    e55 = knowledge.evidence("E_55")
    shown = [value.code for value in knowledge.shown_values(e55)]
    assert shown[0] == "V_123"  # nowhere
    assert shown[1:] == [site for region in knowledge.body_regions for site in region.sites]
    assert e55.value_codes[:3] == ("V_123", "V_14", "V_15")  # the release's order, which the model's tables use


def test_a_whole_region_chosen_is_described_as_the_region(knowledge: KnowledgeBase) -> None:
    e55 = knowledge.evidence("E_55")
    chest = next(region for region in knowledge.body_regions if region.id == "chest")
    assert knowledge.describe_values(e55, chest.sites, "en") == "Chest (not sure exactly where)"
    assert knowledge.describe_values(e55, (*chest.sites, "V_195"), "zh") == "胸部（具体部位不确定）、左肩"
    assert knowledge.describe_values(e55, ("V_101", "V_56"), "fr") == (
        "milieu de la poitrine, en haut, côté gauche de la poitrine"
    )


def test_a_site_in_two_regions_is_refused(knowledge_dir: Path) -> None:
    def twice(data: Any) -> None:
        data["regions"][1]["sites"].append(dict(data["regions"][0]["sites"][0]))

    _edit(knowledge_dir, twice)
    assert "already in another region" in _refusal(knowledge_dir)


def test_a_site_in_no_region_is_refused_naming_it(knowledge_dir: Path) -> None:
    def drop(data: Any) -> None:
        data["regions"][0]["sites"] = [s for s in data["regions"][0]["sites"] if s["code"] != "V_89"]

    _edit(knowledge_dir, drop)
    message = _refusal(knowledge_dir)
    assert BODY_SITES_FILE in message and "V_89" in message and "in no region" in message


def test_a_region_naming_a_value_that_is_no_site_is_refused(knowledge_dir: Path) -> None:
    _edit(
        knowledge_dir,
        lambda data: data["regions"][0]["sites"].append({"code": "V_11", "en": "x", "fr": "x", "zh": "x"}),
    )
    assert "V_11" in _refusal(knowledge_dir)


def test_a_site_without_its_chinese_name_is_refused(knowledge_dir: Path) -> None:
    _edit(knowledge_dir, lambda data: data["regions"][2]["sites"][0].pop("zh"))
    message = _refusal(knowledge_dir)
    assert BODY_SITES_FILE in message and "'zh'" in message


def test_two_regions_with_the_same_order_are_refused(knowledge_dir: Path) -> None:
    _edit(knowledge_dir, lambda data: data["regions"][1].update(order=data["regions"][0]["order"]))
    assert "its own order" in _refusal(knowledge_dir)


def test_a_body_site_evidence_left_out_of_the_table_is_refused(knowledge_dir: Path) -> None:
    _edit(knowledge_dir, lambda data: data["evidences"].remove("E_152"))
    assert "E_152" in _refusal(knowledge_dir)


def test_a_yes_no_evidence_listed_as_a_body_site_evidence_is_refused(knowledge_dir: Path) -> None:
    _edit(knowledge_dir, lambda data: data["evidences"].append("E_53"))
    assert "'E_53' is not an evidence answered with body sites" in _refusal(knowledge_dir)
