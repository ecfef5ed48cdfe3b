"""`symptomcheck consult` end to end: a real pseudo-terminal (pexpect) and piped input.

The answers typed are fixed ("no" to yes/no questions, the first value of a list, 3 on a scale), so the
questions the terminal must ask are known in advance: the test replays the same answers through the engine
and expects exactly its questions, in order, and its advice at the end. Expected texts come from the
knowledge base, in the language of the consultation, never hard-coded.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Assessment, Engine
from symptomcheck.interview import Subject, answer, assess, complaints, start
from symptomcheck.interview.complaint_search import ComplaintSearch
from symptomcheck.interview.result import triage_because
from symptomcheck.interview.wording import question_text
from symptomcheck.knowledge import Evidence, EvidenceKind, KnowledgeBase, Language, TriageLevel, default_knowledge
from symptomcheck.model import load_model

SYMPTOMCHECK = Path(sys.executable).parent / "symptomcheck"
TIMEOUT = 30
ENV = {**os.environ, "COLUMNS": "120", "LINES": "50", "TERM": "xterm", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
NO = {"en": "n", "fr": "non", "zh": "否"}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_BOX = re.compile(r"[\s│╭╮╰╯─┃━┏┓┗┛┡┩┠┨┯┷┼├┤┬┴┌┐└┘═║╔╗╚╝]+")
_GAP = r"(?:\s|│|\x1b\[[0-9;?]*[A-Za-z])*"


def squash(text: str) -> str:
    """Text without colour codes, box drawing or white space: robust to how the terminal wrapped it."""
    return _BOX.sub("", _ANSI.sub("", text))


def loose(text: str) -> re.Pattern[str]:
    """A pattern for `text` however the terminal wrapped or coloured it."""
    return re.compile(_GAP.join(re.escape(c) for c in text if not c.isspace()))


@dataclass(frozen=True)
class AnswerPath:
    """What the engine does with the fixed answers: the questions, in order, and every assessment on the way."""

    questions: tuple[str, ...]
    assessments: tuple[Assessment, ...]

    @property
    def final(self) -> Assessment:
        return self.assessments[-1]

    @property
    def reaches_emergency(self) -> bool:
        return any(a.emergency_likely for a in self.assessments)


@pytest.fixture(scope="module")
def engine(knowledge: KnowledgeBase) -> Engine:
    return Engine(load_model(), knowledge)


def fixed_answer(evidence: Evidence) -> Answer:
    if evidence.kind is EvidenceKind.BINARY:
        return Answer.no()
    if evidence.is_scale:
        return Answer.of("3")
    return Answer.of(evidence.values[0].code)


def typed(evidence: Evidence, language: Language) -> str:
    if evidence.kind is EvidenceKind.BINARY:
        return NO[language]
    return "3" if evidence.is_scale else "1"


def replay(engine: Engine, age: int, sex: str, language: Language, complaint: str) -> AnswerPath:
    consultation = start(engine, age, sex, language, complaint)
    questions: list[str] = []
    assessments = [assess(engine, consultation)]
    while (code := assessments[-1].next_question) is not None:
        questions.append(code)
        consultation = answer(engine, consultation, code, fixed_answer(engine.knowledge.evidence(code)))
        assessments.append(assess(engine, consultation))
    return AnswerPath(tuple(questions), tuple(assessments))


def first_match(engine: Engine, text: str) -> str:
    matches = ComplaintSearch(engine.knowledge, complaints(engine)).search(text)
    assert matches, f"no complaint matches {text!r}"
    return matches[0].evidence


def prompt_key(evidence: Evidence) -> str:
    if default_knowledge().regions_for(evidence.code):
        return "answer_region"  # a body-site question: the regions first; "1" is the first answer, "nowhere"
    if evidence.kind is EvidenceKind.BINARY:
        return "answer_yes_no"
    if evidence.is_scale:
        return "answer_scale"
    return "answer_several" if evidence.kind is EvidenceKind.MULTI else "answer_one"


class Terminal:
    """`symptomcheck consult` in a pseudo-terminal, with its whole output kept."""

    def __init__(self, language: Language, knowledge: KnowledgeBase) -> None:
        self.language = language
        self.knowledge = knowledge
        self.output = io.StringIO()
        self.child = pexpect.spawn(
            str(SYMPTOMCHECK),
            ["consult", "--lang", language],
            env=ENV,
            encoding="utf-8",
            timeout=TIMEOUT,
            dimensions=(50, 120),
        )
        self.child.logfile_read = self.output

    def t(self, key: str, **values: object) -> str:
        return self.knowledge.message(self.language, key, **values)

    def expect(self, text: str) -> str:
        """Wait for `text`; return what came before it."""
        self.child.expect(loose(text))
        return str(self.child.before)

    def reply(self, prompt_key: str, text: str, **values: object) -> str:
        before = self.expect(self.t(prompt_key, **values))
        self.child.sendline(text)
        return before

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        assert self.child.exitstatus is not None, f"killed by signal {self.child.signalstatus}"
        return int(self.child.exitstatus)

    @property
    def transcript(self) -> str:
        return squash(self.output.getvalue())


def ask_question(terminal: Terminal, engine: Engine, code: str, number: int) -> None:
    """Expect question `code` as question `number` with the prompt of its kind, and answer it."""
    evidence = engine.knowledge.evidence(code)
    before = squash(terminal.expect(terminal.t(prompt_key(evidence))))
    assert squash(evidence.question[terminal.language]) in before, f"question {number} should be {code}"
    assert squash(terminal.t("question_progress", n=number, max=engine.max_turns)) in before
    if evidence.is_scale:
        assert evidence.scale is not None
        assert squash(f"10 = {evidence.scale[1][terminal.language]}") in before
    elif evidence.kind is not EvidenceKind.BINARY:
        assert squash(f"1. {evidence.values[0].text[terminal.language]}") in before
    terminal.child.sendline(typed(evidence, terminal.language))


def assert_result(terminal: Terminal, knowledge: KnowledgeBase, path: AnswerPath) -> None:
    """The result panel: the advice of the engine's level, the differential, then the disclaimer."""
    lang = terminal.language
    transcript = terminal.transcript
    result = transcript.rsplit(squash(terminal.t("result_title")), 1)
    assert len(result) == 2, "the result never appeared"
    shown = result[1]
    advice = knowledge.advice[path.final.triage.level][lang]
    assert squash(terminal.t("triage_title")) in shown
    assert squash(advice.title) in shown
    assert squash(advice.action) in shown
    assert squash(terminal.t("differential_title")) in shown
    assert shown.index(squash(terminal.t("differential_title"))) < shown.index(squash(knowledge.disclaimer[lang]))
    assert path.final.stop_reason is not None
    assert squash(terminal.t(f"stopped_{path.final.stop_reason.value}")) in shown
    for ranked in path.final.differential[:3]:  # names wrap inside the table's cells; the ICD-10 codes do not
        open_, close = ("（", "）") if lang == "zh" else ("(", ")")  # Chinese brackets are full-width
        assert f"{open_}{knowledge.condition(ranked.code).icd10}{close}" in shown


CASES = [
    pytest.param("en", 30, "F", "fever", id="en"),
    pytest.param("zh", 30, "F", "发烧", id="zh"),
    pytest.param("fr", 45, "M", "fièvre", id="fr"),
]


@pytest.mark.parametrize(("lang", "age", "sex", "complaint"), CASES)
def test_a_consultation_in_a_terminal_asks_the_engines_questions_goes_back_once_and_shows_the_result(
    engine: Engine, knowledge: KnowledgeBase, lang: Language, age: int, sex: str, complaint: str
) -> None:
    code = first_match(engine, complaint)
    assert code == "E_91"
    path = replay(engine, age, sex, lang, code)
    assert len(path.questions) >= 2, "going back needs at least two questions"
    terminal = Terminal(lang, knowledge)
    try:
        terminal.reply("subject_prompt", "1")
        terminal.reply("age_prompt", str(age))
        terminal.reply("sex_prompt", sex)
        terminal.reply("complaint_prompt", complaint)
        before = terminal.reply("complaint_choose", "1")
        assert squash(f"1. {knowledge.evidence(code).question[lang]}") in squash(before)
        ask_question(terminal, engine, path.questions[0], 1)
        # at the second question, go back once: the first question is asked again
        before = terminal.reply(prompt_key(knowledge.evidence(path.questions[1])), "b")
        assert squash(knowledge.evidence(path.questions[1]).question[lang]) in squash(before)
        terminal.expect(terminal.t("went_back"))
        for number, question in enumerate(path.questions, start=1):
            ask_question(terminal, engine, question, number)
        status = terminal.finish()
    finally:
        terminal.child.close(force=True)
    assert status == 0
    transcript = terminal.transcript
    assert transcript.count(squash(terminal.t("went_back"))) == 1
    assert transcript.count(squash(terminal.t("answer_invalid"))) == 0
    assert_result(terminal, knowledge, path)
    banner = squash(terminal.t("emergency_now"))
    assert transcript.count(banner) == (1 if path.reaches_emergency else 0)
    assert "Traceback" not in terminal.output.getvalue()


@pytest.mark.parametrize(("lang", "complaint"), [("en", "chest pain at rest"), ("zh", "不活动的时候也会胸痛")])
def test_chest_pain_at_rest_shows_the_urgent_banner_before_the_first_question_and_ends_with_urgent_advice(
    engine: Engine, knowledge: KnowledgeBase, lang: Language, complaint: str
) -> None:
    code = first_match(engine, complaint)
    assert code == "E_14"  # "Do you have chest pain even at rest?", a red flag
    path = replay(engine, 60, "M", lang, code)
    assert path.assessments[0].triage.level is TriageLevel.EMERGENCY_AMBULANCE
    assert path.final.triage.level is TriageLevel.EMERGENCY_AMBULANCE
    assert [flag.evidence for flag in path.final.triage.red_flags][:1] == ["E_14"]
    terminal = Terminal(lang, knowledge)
    try:
        terminal.reply("subject_prompt", "1")
        terminal.reply("age_prompt", "60")
        terminal.reply("sex_prompt", "M")
        terminal.reply("complaint_prompt", complaint)
        terminal.reply("complaint_choose", "1")
        # the banner comes as soon as the complaint is known, before the first question
        before = squash(terminal.expect(knowledge.advice[TriageLevel.EMERGENCY_AMBULANCE][lang].action))
        assert squash(terminal.t("emergency_now")) in before
        assert squash(knowledge.advice[TriageLevel.EMERGENCY_AMBULANCE][lang].title) in before
        assert squash(terminal.t("question_progress", n=1, max=engine.max_turns)) not in before
        for number, question in enumerate(path.questions, start=1):
            ask_question(terminal, engine, question, number)
        status = terminal.finish()
    finally:
        terminal.child.close(force=True)
    assert status == 0
    assert terminal.transcript.count(squash(terminal.t("emergency_now"))) == 1
    assert_result(terminal, knowledge, path)
    # the advice says why: here the answer to the red flag, or the chance of the conditions behind the level
    answers = {"E_14": Answer.yes(), **{code: fixed_answer(knowledge.evidence(code)) for code in path.questions}}
    because = triage_because(knowledge, path.final, answers, lang)
    assert squash(because) in terminal.transcript


def run_piped(lines: list[str], lang: Language = "en") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SYMPTOMCHECK), "consult", "--lang", lang],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=ENV,
        timeout=60,
        check=False,
    )


def script(engine: Engine, path: AnswerPath, lang: Language, start_lines: list[str]) -> list[str]:
    answers = [typed(engine.knowledge.evidence(code), lang) for code in path.questions]
    return [*start_lines, *answers, *["n"] * 10]  # lines left over are never read


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_consultation_with_piped_input_completes_and_exits_0(
    engine: Engine, knowledge: KnowledgeBase, lang: Language
) -> None:
    path = replay(engine, 30, "F", lang, "E_91")
    complaint = {"en": "fever", "fr": "fièvre"}[lang]
    done = run_piped(script(engine, path, lang, ["1", "30", "F", complaint, "1"]), lang)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    out = squash(done.stdout)

    def t(key: str, **values: object) -> str:
        return squash(knowledge.message(lang, key, **values))

    for number in range(1, len(path.questions) + 1):
        assert out.count(t("question_progress", n=number, max=engine.max_turns)) == 1
    assert t("question_progress", n=len(path.questions) + 1, max=engine.max_turns) not in out
    assert out.count(t("answer_invalid")) == 0
    assert t("result_title") in out
    assert squash(knowledge.advice[path.final.triage.level][lang].title) in out
    assert t("differential_title") in out
    assert out.count(squash(knowledge.disclaimer[lang])) == 2  # at the start and under the result
    assert t("goodbye") not in out


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param([], id="nothing typed"),
        pytest.param(["1"], id="after who it is for"),
        pytest.param(["1", "30"], id="after the age"),
        pytest.param(["1", "30", "F", "fever"], id="at the complaint choice"),
        pytest.param(["1", "30", "F", "fever", "1", "n", "n"], id="during the questions"),
    ],
)
def test_input_closed_early_ends_the_consultation_with_code_1_and_no_traceback(
    knowledge: KnowledgeBase, lines: list[str]
) -> None:
    done = run_piped(lines)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == ""
    assert squash(knowledge.message("en", "goodbye")) in squash(done.stdout)
    assert squash(knowledge.message("en", "result_title")) not in squash(done.stdout)


def test_an_invalid_age_is_asked_again(engine: Engine, knowledge: KnowledgeBase) -> None:
    path = replay(engine, 30, "F", "en", "E_91")
    done = run_piped(script(engine, path, "en", ["1", "abc", "200", "-1", "", "30", "F", "fever", "1"]))
    assert done.returncode == 0, done.stderr
    out = squash(done.stdout)
    before_sex = out.split(squash(knowledge.message("en", "sex_prompt")))[0]
    assert before_sex.count(squash(knowledge.message("en", "age_invalid"))) == 4
    assert before_sex.count(squash(knowledge.message("en", "age_prompt"))) == 5
    assert out.count(squash(knowledge.message("en", "sex_prompt"))) == 1
    assert squash(knowledge.advice[path.final.triage.level]["en"].title) in out


def test_an_invalid_sex_and_an_unknown_complaint_are_asked_again(engine: Engine, knowledge: KnowledgeBase) -> None:
    path = replay(engine, 30, "F", "en", "E_91")
    done = run_piped(script(engine, path, "en", ["1", "30", "X", "f", "qwzx vbnm", "fever", "1"]))
    assert done.returncode == 0, done.stderr
    out = squash(done.stdout)
    assert out.count(squash(knowledge.message("en", "sex_invalid"))) == 1
    assert out.count(squash(knowledge.message("en", "complaint_none"))) == 1
    assert squash(knowledge.message("en", "result_title")) in out


def test_an_unsupported_language_is_refused_with_code_2() -> None:
    done = subprocess.run(
        [str(SYMPTOMCHECK), "consult", "--lang", "de"],
        input="",
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "error:" in done.stderr
    assert "--lang must be one of en, fr, zh" in " ".join(done.stderr.split())


@pytest.mark.parametrize(("lang", "female", "male"), [("en", "female", "m"), ("fr", "femme", "h"), ("zh", "女", "男")])
def test_the_sex_is_accepted_in_the_words_of_each_language(
    engine: Engine, knowledge: KnowledgeBase, lang: Language, female: str, male: str
) -> None:
    complaint = {"en": "fever", "fr": "fièvre", "zh": "发烧"}[lang]
    for said in (female, male):
        path = replay(engine, 30, "F" if said == female else "M", lang, "E_91")
        done = run_piped(script(engine, path, lang, ["1", "30", said, complaint, "1"]), lang)
        assert done.returncode == 0, done.stderr
        out = squash(done.stdout)
        assert squash(knowledge.message(lang, "sex_invalid")) not in out
        assert squash(knowledge.message(lang, "result_title")) in out


def test_a_body_site_question_asks_the_region_then_the_site_and_0_means_somewhere_in_the_region(
    engine: Engine, knowledge: KnowledgeBase
) -> None:
    # pain (E_53), then where (E_55), the first question asked of it: chest, then its first site; the same
    # again with 0 (not sure where); the rest "don't know"
    chest = next(n for n, region in enumerate(knowledge.body_regions, start=2) if region.id == "chest")
    head = next(str(n) for n, region in enumerate(knowledge.body_regions, start=2) if region.id == "head")
    done = run_piped(["1", "40", "m", "pain", "1", str(chest), "1", *["?"] * 40])
    assert done.returncode == 0, done.stderr
    out = squash(done.stdout)
    assert squash(knowledge.message("en", "answer_region")) in out
    assert squash(f"{chest}. Chest") in out and squash(f"{head}. Head") in out
    assert squash("0. " + knowledge.message("en", "region_unsure")) in out
    assert squash("1. centre of the chest, upper part") in out
    assert "hypochondrium" not in out
    assert out.count(squash(knowledge.message("en", "answer_invalid"))) == 0
    whole = run_piped(["1", "40", "m", "pain", "1", str(chest), "0", *["?"] * 40])
    assert whole.returncode == 0, whole.stderr
    assert squash(knowledge.message("en", "answer_invalid")) not in squash(whole.stdout)


def test_a_complaint_typed_with_other_symptoms_starts_from_all_of_them(
    engine: Engine, knowledge: KnowledgeBase
) -> None:
    done = run_piped(["1", "30", "F", "cough and fever, no rash", "1", *["?"] * 40])
    assert done.returncode == 0, done.stderr
    out = squash(done.stdout)
    # offered as one choice: the cough, with the fever and the absent rash under it, and never asked again
    assert squash(f"1. {knowledge.evidence('E_201').question['en']}") in out
    assert squash(f"+ {knowledge.evidence('E_91').question['en']} {knowledge.message('en', 'yes')}") in out
    assert squash(f"+ {knowledge.evidence('E_129').question['en']} {knowledge.message('en', 'no')}") in out
    for said in ("E_91", "E_129"):  # answered with the complaint: never asked as a question
        assert squash(knowledge.evidence(said).question["en"] + knowledge.message("en", "answer_yes_no")) not in out


@pytest.mark.parametrize("lang", ["en", "fr", "zh"])
def test_a_consultation_for_a_child_asks_who_it_is_for_first_then_the_childs_age_and_words_every_question_for_them(
    engine: Engine, knowledge: KnowledgeBase, lang: Language
) -> None:
    path = replay(engine, 6, "F", lang, "E_91")
    complaint = {"en": "fever", "fr": "fièvre", "zh": "发烧"}[lang]
    sex = {"en": "f", "fr": "f", "zh": "女"}[lang]
    # "4" is no choice; 20 is no child's age (a child here is under 16)
    done = run_piped(script(engine, path, lang, ["4", "2", "20", "6", sex, complaint, "1"]), lang)
    assert done.returncode == 0, done.stderr
    out = squash(done.stdout)

    def t(key: str, subject: str = "self", **values: object) -> str:
        return squash(knowledge.message(lang, key, subject, **values))

    assert out.index(t("subject_prompt")) < out.index(t("age_prompt", "child"))
    assert out.count(t("subject_invalid")) == 1
    assert out.count(t("age_invalid", "child")) == 1
    assert t("sex_prompt", "child") in out and t("complaint_prompt", "child") in out
    assert t("age_prompt") not in out  # never "your age": the age asked is the child's
    for code in path.questions:
        assert squash(question_text(knowledge, code, lang, Subject.CHILD)) in out
    assert squash(knowledge.advice_of(path.final.triage.level, lang, "child").title) in out
    if lang == "en":
        assert "Does your child" in done.stdout or "your child's" in done.stdout
