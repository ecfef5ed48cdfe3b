"""The free-text parser: several findings per sentence, negation, spans, misspellings, accents, Chinese without
spaces, and a vocabulary that comes from the knowledge base alone."""

from __future__ import annotations

import pytest

from symptomcheck.interview.text_parser import Finding, TextParser
from symptomcheck.knowledge import KnowledgeBase, Language, Synonym


@pytest.fixture(scope="module")
def parser(knowledge: KnowledgeBase) -> TextParser:
    return TextParser(knowledge)


def pairs(parser: TextParser, text: str, language: Language = "en") -> set[tuple[str, str]]:
    return {(f.evidence, f.status) for f in parser.parse(text, language)}


def one(parser: TextParser, text: str, evidence: str, language: Language = "en", age: int | None = None) -> Finding:
    found = [f for f in parser.parse(text, language, age) if f.evidence == evidence]
    assert len(found) == 1, (text, parser.parse(text, language, age))
    return found[0]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("no fever", "en"),
        ("I don't have a fever", "en"),
        ("I do not have any fever", "en"),
        ("without fever", "en"),
        ("pas de fièvre", "fr"),
        ("je n'ai pas de fièvre", "fr"),
        ("sans fièvre", "fr"),
        ("不发烧", "zh"),
        ("没有发烧", "zh"),
        ("我没发烧", "zh"),
    ],
)
def test_no_fever_is_parsed_as_an_absent_fever(parser: TextParser, text: str, language: Language) -> None:
    assert pairs(parser, text, language) == {("E_91", "absent")}


def test_several_symptoms_in_one_sentence_are_all_found_in_the_order_said(parser: TextParser) -> None:
    found = parser.parse("I have a cough, a sore throat and a fever", "en")
    assert [f.evidence for f in found] == ["E_201", "E_97", "E_91"]
    assert all(f.present for f in found)


def test_a_negation_covers_its_clause_only(parser: TextParser) -> None:
    assert pairs(parser, "I have a cough but no fever") == {("E_201", "present"), ("E_91", "absent")}
    assert pairs(parser, "no fever and I have a cough") == {("E_91", "absent"), ("E_201", "present")}
    assert pairs(parser, "no cough or fever") == {("E_201", "absent"), ("E_91", "absent")}
    assert pairs(parser, "je ne tousse pas mais j'ai de la fièvre", "fr") == {("E_201", "absent"), ("E_91", "present")}
    assert pairs(parser, "不咳嗽但是发烧", "zh") == {("E_201", "absent"), ("E_91", "present")}
    assert pairs(parser, "没有咳嗽和发烧", "zh") == {("E_201", "absent"), ("E_91", "absent")}


def test_a_negation_inside_the_phrase_is_a_finding_not_an_absence(parser: TextParser) -> None:
    # "can't breathe" is significant breathlessness, "no appetite" a loss of appetite, 没胃口 too
    assert pairs(parser, "I can't breathe") == {("E_66", "present")}
    assert pairs(parser, "I have no appetite") == {("E_161", "present")}
    assert pairs(parser, "je n'ai pas faim", "fr") == {("E_161", "present")}
    assert pairs(parser, "我没有胃口", "zh") == {("E_161", "present")}
    # French "ne ... plus": the voice is lost (a finding), the fever is gone (an absence)
    assert pairs(parser, "je n'ai plus de voix", "fr") == {("E_212", "present")}
    assert pairs(parser, "je n'ai plus de fièvre", "fr") == {("E_91", "absent")}


def test_a_chinese_negation_between_the_site_and_the_pain_makes_it_absent(parser: TextParser) -> None:
    assert ("E_97", "absent") in pairs(parser, "咳嗽，嗓子不疼", "zh")
    assert ("E_55", "absent") in pairs(parser, "头不疼", "zh")


def test_each_finding_has_the_span_of_the_words_that_said_it(parser: TextParser) -> None:
    text = "Since Monday: high fever, and I can't breathe well"
    for finding in parser.parse(text, "en"):
        assert text[finding.start : finding.end] == finding.text
    fever = one(parser, text, "E_91")
    assert fever.text == "high fever" and (fever.start, fever.end) == (14, 24)
    chinese = "我头很疼，有点发烧"
    headache = one(parser, chinese, "E_55", "zh")
    assert chinese[headache.start : headache.end] == headache.text == "头很疼"


def test_spans_count_characters_of_the_original_text_with_accents(parser: TextParser) -> None:
    text = "Douleur à la poitrine, fièvre"
    fever = one(parser, text, "E_91", "fr")
    assert text[fever.start : fever.end] == "fièvre"


@pytest.mark.parametrize(
    ("text", "language", "evidence"),
    [
        ("feverr", "en", "E_91"),
        ("I have a cogh", "en", "E_201"),
        ("diarhea", "en", "E_51"),
        ("nausia", "en", "E_148"),
        ("vommiting", "en", "E_148"),
        ("shortnes of breath", "en", "E_64"),
        ("diarée", "fr", "E_51"),
        ("essouflement", "fr", "E_64"),
    ],
)
def test_small_misspellings_are_understood(parser: TextParser, text: str, language: Language, evidence: str) -> None:
    assert (evidence, "present") in pairs(parser, text, language)


def test_common_words_are_not_taken_for_misspelled_symptoms(parser: TextParser) -> None:
    assert pairs(parser, "I could not sleep and tried some water") == set()


def test_case_and_accents_do_not_matter(parser: TextParser) -> None:
    assert pairs(parser, "FIEVRE ET TOUX", "fr") == pairs(parser, "fièvre et toux", "fr")
    assert pairs(parser, "Sore Throat") == {("E_97", "present")}
    assert pairs(parser, "mal de tete", "fr") == pairs(parser, "mal de tête", "fr")


def test_chinese_without_spaces_is_segmented_into_its_symptoms(parser: TextParser) -> None:
    assert pairs(parser, "咳嗽发烧", "zh") == {("E_201", "present"), ("E_91", "present")}
    assert pairs(parser, "嗓子疼咳嗽流鼻涕但是不发烧", "zh") == {
        ("E_97", "present"),
        ("E_201", "present"),
        ("E_181", "present"),
        ("E_91", "absent"),
    }


def test_a_pain_site_brings_the_pain_first_with_the_sites_values(parser: TextParser, knowledge: KnowledgeBase) -> None:
    found = parser.parse("pain in my chest", "en")
    assert [f.evidence for f in found] == ["E_53", "E_55"]
    sites = found[1].values
    assert "V_101" in sites and all(v in knowledge.evidence("E_55").value_codes for v in sites)


def test_a_cough_getting_worse_is_a_cough_and_a_pain_worse_when_coughing_is_not(parser: TextParser) -> None:
    assert {f.evidence for f in parser.parse("咳嗽加重，气喘", "zh")} == {"E_201", "E_64"}
    assert "E_221" in {f.evidence for f in parser.parse("胸口痛，咳嗽时加重", "zh")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm usually fit and healthy but have a cough", {"E_201"}),  # fit and healthy: no seizure
        ("my son had a fit this morning", {"E_43"}),
        ("I was in the ED last week with chest pain", {"E_53", "E_55"}),  # the emergency department
        ("fell and can't get up, hip really hurts", {"R_10950", "E_53", "E_55"}),  # trouble moving, not an erection
        ("I can't get an erection", {"R_11603"}),
    ],
)
def test_everyday_words_are_not_read_as_a_seizure_or_an_erection_problem(
    parser: TextParser, text: str, expected: set[str]
) -> None:
    assert {f.evidence for f in parser.parse(text, "en") if f.present} == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("I feel like I'm going to pass out", "en", {"E_82"}),  # nearly fainting, not a loss of consciousness
        ("I passed out this morning", "en", {"E_159"}),
        ("I twisted my ankle playing football", "en", {"E_53", "E_55"}),
        ("je me suis tordu la cheville au foot", "fr", {"E_53", "E_55"}),
        ("打球时崴了脚", "zh", {"E_53", "E_55"}),
        ("I keep going to the loo", "en", {"R_16450"}),
        ("mon bébé pleure sans arrêt", "fr", {"R_10801"}),
        ("je n'ai plus mes règles", "fr", {"R_17300"}),  # the negation is the finding
        # the authored red flags, in the person's words
        ("my child has a rash that doesn't fade when I press a glass on it", "en", {"A_NONBLANCH_RASH"}),
        ("孩子发烧，身上有压不褪色的红点", "zh", {"E_91", "A_NONBLANCH_RASH"}),
        ("mon bébé vomit vert", "fr", {"A_GREEN_VOMIT"}),
        ("back pain and numb between my legs", "en", {"E_53", "E_55", "A_SADDLE_NUMB"}),
        ("I have sickle cell and a fever", "en", {"A_SICKLE_CELL", "E_91"}),
        ("je suis drépanocytaire et j'ai de la fièvre", "fr", {"A_SICKLE_CELL", "E_91"}),
        ("我有镰状细胞贫血，发烧了", "zh", {"A_SICKLE_CELL", "E_91"}),
    ],
)
def test_everyday_ways_of_saying_a_symptom_are_understood(
    parser: TextParser, text: str, language: Language, expected: set[str]
) -> None:
    assert {f.evidence for f in parser.parse(text, language) if f.present} == expected


@pytest.mark.parametrize(
    ("text", "language", "absent", "present"),
    [
        ("no fever and my throat hurts", "en", "E_91", "E_97"),
        ("my shoes don't fit and my feet are swollen", "en", None, "E_151"),
        ("pas de fièvre et mon genou est gonflé", "fr", "E_91", "E_151"),
    ],
)
def test_and_before_a_possessive_starts_a_new_statement_that_a_negation_before_it_does_not_reach(
    parser: TextParser, text: str, language: Language, absent: str | None, present: str
) -> None:
    found = {f.evidence: f.present for f in parser.parse(text, language)}
    assert found[present] is True
    assert absent is None or found[absent] is False


@pytest.mark.parametrize(
    ("text", "language", "evidence", "values"),
    [
        # a belly pain on the right: under the right ribs, the right flank and the lower right (where the liver,
        # gallbladder, kidney and appendix hurt), never the pit of the stomach or the whole belly
        ("pain on the right side of my tummy and vomiting", "en", "E_55", {"V_103", "V_84", "V_87"}),
        ("douleur au ventre à droite et vomissements", "fr", "E_55", {"V_103", "V_84", "V_87"}),
        ("肚子右边疼，还吐了", "zh", "E_55", {"V_103", "V_84", "V_87"}),
        # one quarter of the belly named: that quarter only, never the whole lower belly or the pit of the stomach
        ("right lower abdominal pain since this morning", "en", "E_55", {"V_87"}),
        ("douleur de la fosse iliaque droite", "fr", "E_55", {"V_87"}),
        ("右下腹痛", "zh", "E_55", {"V_87"}),
        ("left lower quadrant pain and fever", "en", "E_55", {"V_88"}),
        ("douleur abdominale en bas à gauche", "fr", "E_55", {"V_88"}),
        ("左下腹痛，发烧", "zh", "E_55", {"V_88"}),
        ("右上腹疼", "zh", "E_55", {"V_103"}),
        # the site with words of onset or manner between it and the pain: still that site
        ("下腹突然剧痛", "zh", "E_55", {"V_87", "V_88", "V_153"}),
        ("右下腹持续疼痛", "zh", "E_55", {"V_87"}),
        ("胸口突然很痛，出冷汗", "zh", "E_55", {"V_101", "V_29", "V_55", "V_56"}),
        # two sites of one pain: one answer naming both (the shoulder-tip pain of blood under the diaphragm)
        ("下腹痛，左边肩膀也痛", "zh", "E_55", {"V_87", "V_88", "V_153", "V_194", "V_195"}),
        # a thunderclap headache: the fastest onset, which raises its red flag at once
        ("worst headache of my life came on suddenly", "en", "E_59", {"10"}),
        ("mal de tête brutal", "fr", "E_59", {"10"}),
        ("突然剧烈头痛", "zh", "E_59", {"10"}),
    ],
)
def test_a_pain_is_read_with_the_site_or_the_onset_typed_with_it(
    parser: TextParser, text: str, language: Language, evidence: str, values: set[str]
) -> None:
    found = {f.evidence: f for f in parser.parse(text, language)}
    assert "E_53" in found and "E_55" in found
    assert set(found[evidence].values) == values


def test_the_kind_and_the_site_of_one_pain_are_both_found(parser: TextParser) -> None:
    found = parser.parse("sharp pain in my chest", "en")
    assert {f.evidence for f in found} == {"E_53", "E_54", "E_55"}


@pytest.mark.parametrize(
    ("text", "language", "evidence"),
    [
        ("burning when I pee", "en", "E_55"),
        ("slurred speech", "en", "E_63"),
        ("stroke", "en", "E_176"),
        ("urinary infection", "en", "E_55"),
        ("尿痛", "zh", "E_55"),
        ("can't breathe", "en", "E_66"),
        ("allergic reaction after eating peanuts", "en", "E_42"),
        ("I'm having an asthma attack", "en", "E_214"),  # wheezing, in someone with asthma
        ("je fais une crise d'asthme", "fr", "E_214"),
        ("mon fils est asthmatique", "fr", "E_124"),
        ("孩子有哮喘", "zh", "E_124"),
        ("I think I'm having a heart attack", "en", "E_53"),  # chest pain, with the chest as its site
        ("kidney stones", "en", "R_16701"),
        ("zona", "fr", "R_18600"),  # shingles: a rash (it was taken for numbness of the saddle area)
        ("poux", "fr", "R_18904"),  # lice: an itchy scalp (it was taken for too breathless to speak)
        ("bad breath", "en", "R_15000"),  # not breathlessness
        ("constipation", "en", "R_15900"),  # a reason's own name
        ("absence de règles", "fr", "R_17300"),  # missed periods, not an absence seizure
    ],
)
def test_what_a_new_user_typed_and_was_not_understood_now_is(
    parser: TextParser, text: str, language: Language, evidence: str
) -> None:
    assert (evidence, "present") in pairs(parser, text, language)


def test_a_french_sentence_is_understood_on_the_english_page(parser: TextParser) -> None:
    assert pairs(parser, "j'ai de la fièvre", "en") == {("E_91", "present")}


def test_words_that_state_nothing_give_no_findings(parser: TextParser) -> None:
    assert parser.parse("hello, I would like some advice", "en") == []
    assert parser.parse("", "en") == []


def test_a_phrase_added_to_the_vocabulary_is_understood_without_code_changes(knowledge: KnowledgeBase) -> None:
    added = Synonym("E_91", "en", "pyrexial state")
    parser = TextParser(knowledge, synonyms=[*knowledge.synonyms, added])
    finding = one(parser, "a pyrexial state since Monday", "E_91")
    assert finding.matched == "pyrexial state"


@pytest.mark.parametrize(
    ("text", "language", "wrong"),
    [
        ("sudden bad pain low down on my right side", "en", "R_11100"),  # not "feeling down"
        ("I'm on blood thinners", "en", "E_162"),  # not "getting thinner"
        ("my hearing loss", "en", "E_177"),  # not "loss of feeling"
        ("he runs every morning", "en", "E_51"),  # not "the runs"
        ("un plat épicé", "fr", "E_89"),  # not "à plat"
        ("my foot suddenly went cold and white", "en", "E_181"),  # not "a cold"
        ("il fait froid dehors", "fr", "E_94"),  # the weather, not "j'ai froid"
        ("une douleur brûlante", "fr", "E_91"),  # a burning pain, not "il est brûlant" (a high fever)
    ],
)
def test_a_word_that_says_nothing_alone_is_not_read_as_the_phrase_it_ends(
    parser: TextParser, text: str, language: Language, wrong: str
) -> None:
    assert wrong not in {f.evidence for f in parser.parse(text, language)}


@pytest.mark.parametrize(
    ("text", "language", "evidence"),
    [
        ("I've been feeling down for weeks", "en", "R_11100"),
        ("feeling really down", "en", "R_11100"),
        ("I felt down all week", "en", "R_11100"),
        ("loss of feeling in my leg", "en", "E_177"),
        ("I have the runs", "en", "E_51"),
        ("je me sens à plat", "fr", "E_89"),
        ("I think I have a cold", "en", "E_181"),
        ("j'ai froid et je tremble", "fr", "E_94"),
        ("mon père est brûlant", "fr", "E_91"),
    ],
)
def test_the_whole_phrase_still_finds_its_symptom(
    parser: TextParser, text: str, language: Language, evidence: str
) -> None:
    assert one(parser, text, evidence, language).status == "present"


@pytest.mark.parametrize(
    ("text", "language"),
    [("I'm on blood thinners", "en"), ("je prends un anticoagulant", "fr"), ("我在吃抗凝药", "zh")],
)
def test_a_blood_thinner_is_understood_in_each_language(parser: TextParser, text: str, language: Language) -> None:
    assert one(parser, text, "E_146", language).status == "present"


def test_breathing_that_makes_a_noise_is_understood_in_chinese(parser: TextParser) -> None:
    assert one(parser, "孩子一直咳，喘气有声音", "R_14301", "zh").status == "present"


@pytest.mark.parametrize(
    ("text", "language", "meant", "look_alike"),
    [
        ("the whites of my eyes are yellow", "en", "R_16102", "R_13301"),  # jaundice, not an eye problem
        ("his eyes are yellow", "en", "R_16102", "R_13301"),
        ("j'ai les yeux jaunes", "fr", "R_16102", "R_13301"),
        ("宝宝出生5天，脸和眼白都有点发黄", "zh", "R_16102", "R_13301"),
        ("I feel awful", "en", "E_175", "E_53"),  # feeling unwell, not a pain
        ("je me sens très mal", "fr", "E_175", "E_53"),
        ("je me sens mal depuis hier", "fr", "E_175", "E_53"),
        ("I've got sickle cell and terrible back pain", "en", "E_53", "E_175"),  # "terrible" alone says nothing
        ("I got stung by a bee", "en", "A_BITE_STING", "E_42"),  # a sting, not a known allergen
        ("手背疼", "zh", "R_19601", "E_55"),  # the back of the hand, not the back
        ("a hard lump on the side of my neck", "en", "R_19006", "R_16703"),  # a neck lump, not a kidney mass
        ("突然说话不清楚，右手没力气", "zh", "E_176", "E_89"),  # a weak hand (a stroke sign), not tiredness
        ("左腿无力", "zh", "E_176", "E_89"),
    ],
)
def test_a_phrase_is_read_as_what_it_means_not_as_a_look_alike(
    parser: TextParser, text: str, language: Language, meant: str, look_alike: str
) -> None:
    found = {f.evidence for f in parser.parse(text, language)}
    assert meant in found
    assert look_alike not in found


@pytest.mark.parametrize(
    ("text", "language", "evidence"),
    [
        ("my foot suddenly went cold and white", "en", "A_COLD_LIMB"),
        ("my leg is cold and pale", "en", "A_COLD_LIMB"),
        ("mon pied est devenu froid et blanc", "fr", "A_COLD_LIMB"),
        ("脚冰凉发白，很疼", "zh", "A_COLD_LIMB"),
        ("I fell and hit my head yesterday", "en", "A_HEAD_INJURY"),
        ("he banged his head on the table", "en", "A_HEAD_INJURY"),
        ("ma fille est tombée du toboggan sur la tête", "fr", "A_HEAD_INJURY"),
        ("je me suis cogné la tête", "fr", "A_HEAD_INJURY"),
        ("孩子从床上摔下来，摔到头了", "zh", "A_HEAD_INJURY"),
        ("his lips are blue", "en", "A_BLUE_LIPS"),
        ("elle fait des pauses et ses lèvres deviennent bleues", "fr", "A_BLUE_LIPS"),
        ("孩子嘴唇发紫", "zh", "A_BLUE_LIPS"),
        ("my son's eye is all puffy and red", "en", "R_13353"),  # not swelling anywhere
        ("sa paupière est gonflée", "fr", "R_13401"),
        ("I was bitten by a snake on my ankle", "en", "A_SNAKE_BITE"),
        ("un serpent m'a mordu la jambe", "fr", "A_SNAKE_BITE"),
        ("在田里干活被蛇咬了脚", "zh", "A_SNAKE_BITE"),
        ("something bit me in the garden", "en", "A_BITE_STING"),
        ("got stung by a bee", "en", "A_BITE_STING"),
        ("je me suis fait piquer par une guêpe", "fr", "A_BITE_STING"),
        ("j'ai été mordue par un chien", "fr", "A_BITE_STING"),
        ("今天被流浪狗咬了", "zh", "A_BITE_STING"),
        ("被蜜蜂蛰了，手肿了", "zh", "A_BITE_STING"),
        ("I took too many pills", "en", "A_OVERDOSE"),
        ("my son swallowed bleach", "en", "A_OVERDOSE"),
        ("j'ai pris trop de médicaments", "fr", "A_OVERDOSE"),
        ("吃了太多药", "zh", "A_OVERDOSE"),
    ],
)
def test_a_sign_asked_as_a_red_flag_is_understood_in_each_language(
    parser: TextParser, text: str, language: Language, evidence: str
) -> None:
    assert one(parser, text, evidence, language).status == "present"


def test_blue_lips_are_not_read_as_bruises(parser: TextParser) -> None:
    assert "E_178" not in {f.evidence for f in parser.parse("ses lèvres deviennent bleues", "fr")}
    assert one(parser, "j'ai des bleus partout", "E_178", "fr").status == "present"


def test_words_said_of_a_young_child_mean_what_they_mean_at_that_age(parser: TextParser) -> None:
    text = "she keeps having screaming fits and pulls her legs up"
    assert one(parser, text, "R_10801", "en", 0).status == "present"  # a baby crying much more than usual
    assert "R_11303" not in {f.evidence for f in parser.parse(text, "en", 0)}
    assert one(parser, text, "R_11303", "en", 30).status == "present"  # an adult's emotional outbursts
    assert one(parser, text, "R_11303", "en").status == "present"  # age unknown: the words as they are


def test_a_language_tried_after_the_one_chosen_needs_its_phrases_spelled_exactly(parser: TextParser) -> None:
    assert parser.parse("il fait beau", "fr") == []  # not "feel faint" in English
    assert one(parser, "I have a bad cough", "E_201", "fr").status == "present"  # English on the French page
    assert one(parser, "I have a coughh", "E_201", "en").status == "present"  # a typo in the chosen language


def test_what_a_person_says_of_someone_confused_or_burning_hot_is_understood(parser: TextParser) -> None:
    found = {f.evidence for f in parser.parse("mon père est brûlant et dit des choses bizarres", "fr")}
    assert {"E_91", "E_39"} <= found
    assert one(parser, "she is talking nonsense", "E_39", "en").status == "present"
    assert one(parser, "老人说胡话", "E_39", "zh").status == "present"
