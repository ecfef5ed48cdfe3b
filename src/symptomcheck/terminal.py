"""The consultation in a terminal: works interactively and with piped input (one answer per line)."""

from __future__ import annotations

import re

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from symptomcheck.engine.answers import Answer
from symptomcheck.engine.assessment import Assessment, Engine
from symptomcheck.engine.explain import QuestionPurpose
from symptomcheck.interview import (
    Consultation,
    ConsultationError,
    Subject,
    answer,
    assess,
    complaint_prevalence,
    complaints,
    said_with,
    start,
)
from symptomcheck.interview.complaint_search import ComplaintSearch
from symptomcheck.interview.consultation import CHILD_AGE_LIMIT, Turn
from symptomcheck.interview.result import (
    advice_given,
    cannot_name_a_cause,
    earlier_note,
    symptom_advice,
    triage_because,
)
from symptomcheck.interview.text_parser import TextParser
from symptomcheck.interview.wording import likelihood_key, percent, question_text, sex_code
from symptomcheck.knowledge import LIST_SEPARATOR, BodyRegion, Evidence, EvidenceKind, Language, TriageLevel

YES = {"y", "yes", "o", "oui", "是"}
NO = {"n", "no", "non", "否"}
UNKNOWN = {"?", "dk", "don't know", "nsp", "不知道"}
# numbered shortcuts (as offered on WeChat: 1 yes, 2 no, 3 don't know) only for yes/no questions, where
# no number is an answer value
BINARY_NUMBERS = {"1": "yes", "2": "no", "3": "?"}
BACK = {"b", "back", "retour", "返回"}
_SPLIT = re.compile(r"[\s,，、;]+")
# Chinese puts full-width brackets around an aside, without a space
BRACKETS: dict[Language, tuple[str, str]] = {"en": (" (", ")"), "fr": (" (", ")"), "zh": ("（", "）")}
LEVEL_STYLE = {
    TriageLevel.EMERGENCY_AMBULANCE: "bold white on red",
    TriageLevel.EMERGENCY: "bold white on dark_orange3",
    TriageLevel.CONSULTATION_24: "bold black on yellow",
    TriageLevel.CONSULTATION: "bold black on cyan",
    TriageLevel.SELF_CARE: "bold black on green",
}


class InputClosedError(Exception):
    """The input ended before the consultation did."""


class TerminalConsultation:
    def __init__(self, engine: Engine, language: Language, console: Console | None = None) -> None:
        self.engine = engine
        self.knowledge = engine.knowledge
        self.language: Language = language
        self.console = console or Console(highlight=False)
        self._warned_emergency = False
        self.subject = Subject.SELF  # who the consultation is for: asked first, it words everything after

    def t(self, key: str, **values: object) -> str:
        return self.knowledge.message(self.language, key, self.subject.value, **values)

    def question(self, code: str, language: Language | None = None) -> str:
        """The question of `code` worded for who the consultation is for."""
        return question_text(self.knowledge, code, language or self.language, self.subject)

    def ask(self, prompt: str) -> str:
        try:
            return self.console.input(f"[bold]{prompt}[/]: ").strip()
        except EOFError:
            raise InputClosedError from None

    def run(self) -> int:
        try:
            self.console.print(self.t("welcome"))
            self.console.print(Panel(self.knowledge.disclaimer[self.language], style="italic"))
            consultation = self._start()
            while True:
                assessment = assess(self.engine, consultation)
                self._warn_if_emergency(assessment)
                if assessment.next_question is None:
                    self._show_result(consultation, assessment)
                    return 0
                consultation = self._ask_question(consultation, assessment)
        except InputClosedError:
            self.console.print()
            self.console.print(self.t("goodbye"))
            return 1

    def _start(self) -> Consultation:
        self.subject = self._subject()
        age = self._age()
        sex = self._sex()
        complaint, said = self._complaint(age)
        return start(self.engine, age, sex, self.language, complaint, said, self.subject)

    def _subject(self) -> Subject:
        """Who the consultation is for, by number (1 yourself, 2 a child, 3 another adult)."""
        choices = {"1": Subject.SELF, "2": Subject.CHILD, "3": Subject.ADULT}
        while True:
            chosen = choices.get(self.ask(self.t("subject_prompt")))
            if chosen is not None:
                return chosen
            self.console.print(self.t("subject_invalid"), style="red")

    def _age(self) -> int:
        # the patient's age: a child's is under 16 (someone older is "another adult")
        oldest = CHILD_AGE_LIMIT - 1 if self.subject is Subject.CHILD else 120
        while True:
            text = self.ask(self.t("age_prompt"))
            if text.isdecimal() and text.isascii() and 0 <= int(text) <= oldest:
                return int(text)
            self.console.print(self.t("age_invalid"), style="red")

    def _sex(self) -> str:
        while True:
            sex = sex_code(self.ask(self.t("sex_prompt")))
            if sex is not None:
                return sex
            self.console.print(self.t("sex_invalid"), style="red")

    def _complaint(self, age: int) -> tuple[str, tuple[Turn, ...]]:
        """The complaint and what else was said with it, confirmed by number.

        The first choice is what the words state (its other findings listed under it, answered with it), then
        the closest complaints of the search; another choice starts from that complaint alone.
        """
        starters = complaints(self.engine)
        search = ComplaintSearch(self.knowledge, starters, complaint_prevalence(self.engine))
        parser = TextParser(self.knowledge)
        text = self.ask(self.t("complaint_prompt"))
        while True:
            found = parser.parse(text, self.language, age)
            stated = next((f.evidence for f in found if f.present and f.evidence in starters), None)
            said = said_with(self.engine, stated, found) if stated is not None else ()
            options = [stated] if stated is not None else []
            options += [m.evidence for m in search.search(text) if m.evidence != stated]
            options = options[:5]
            if not options:
                self.console.print(self.t("complaint_none"), style="red")
                text = self.ask(self.t("complaint_prompt"))
                continue
            for number, code in enumerate(options, start=1):
                self.console.print(f"  {number}. {self.question(code)}")
                if number == 1:
                    for turn in said:
                        self.console.print(f"       + {self._said(turn)}", style="dim")
            choice = self.ask(self.t("complaint_choose"))
            if choice.isdecimal() and choice.isascii() and 1 <= int(choice) <= len(options):
                code = options[int(choice) - 1]
                return code, said if code == stated else ()
            text = choice

    def _said(self, turn: Turn) -> str:
        evidence = self.knowledge.evidence(turn.evidence)
        if evidence.kind is EvidenceKind.BINARY or not turn.answer.values:
            given = self.t("yes") if turn.answer == Answer.yes() else self.t("no")
        else:
            given = ", ".join(evidence.value(v).text[self.language] for v in turn.answer.values)
        return f"{self.question(evidence.code)} {given}"

    def _ask_question(self, consultation: Consultation, assessment: Assessment) -> Consultation:
        code = assessment.next_question
        assert code is not None
        evidence = self.knowledge.evidence(code)
        n = consultation.questions_asked + 1
        self.console.rule(self.t("question_progress", n=n, max=self.engine.max_turns - len(consultation.findings)))
        if assessment.differential:
            leader = assessment.differential[0]
            self.console.print(
                self.t(
                    "leading",
                    condition=self.knowledge.condition(leader.code).name[self.language],
                    likelihood=self.t(likelihood_key(leader.posterior)),
                ),
                style="dim",
            )
        self._explain_question(assessment)
        self.console.print(f"[bold]{self.question(evidence.code)}[/]")
        while True:
            given = self._read_answer(evidence)
            if given is None:
                if not consultation.turns:
                    self.console.print(self.t("nothing_to_go_back"), style="yellow")
                    continue
                self.console.print(self.t("went_back"), style="yellow")
                return consultation.back()
            try:
                return answer(self.engine, consultation, code, given)
            except ConsultationError:
                self.console.print(self.t("answer_invalid"), style="red")

    def _explain_question(self, assessment: Assessment) -> None:
        reason = assessment.question_reason
        if reason is None:
            return
        names = LIST_SEPARATOR[self.language].join(
            self.knowledge.condition(c).name[self.language] for c in reason.conditions
        )
        key = {
            QuestionPurpose.SEPARATE: "why_separate",
            QuestionPurpose.URGENT: "why_urgent",
            QuestionPurpose.FINDINGS: "why_findings",
            QuestionPurpose.RED_FLAG: "why_red_flag",
        }[reason.purpose]
        self.console.print(self.t(key, conditions=names), style="dim italic")

    def _read_answer(self, evidence: Evidence) -> Answer | None:
        """An answer, or None for "go back"; asks again until the input fits."""
        if self.knowledge.regions_for(evidence.code):
            return self._read_site_answer(evidence)
        if evidence.kind is EvidenceKind.BINARY:
            prompt = self.t("answer_yes_no")
        elif evidence.is_scale:
            assert evidence.scale is not None
            low, high = evidence.scale
            self.console.print(f"  0 = {low[self.language]}   10 = {high[self.language]}")
            prompt = self.t("answer_scale")
        else:
            for number, value in enumerate(evidence.values, start=1):
                self.console.print(f"  {number}. {value.text[self.language]}")
            prompt = self.t("answer_several" if evidence.kind is EvidenceKind.MULTI else "answer_one")
        while True:
            text = self.ask(prompt).casefold()
            if evidence.kind is EvidenceKind.BINARY:
                text = BINARY_NUMBERS.get(text, text)
            if text in BACK:
                return None
            if text in UNKNOWN:
                return Answer.unknown()
            parsed = self._parse(evidence, text)
            if parsed is not None:
                return parsed
            self.console.print(self.t("answer_invalid"), style="red")

    def _read_site_answer(self, evidence: Evidence) -> Answer | None:
        """A body-site question in two steps: a numbered menu of regions (head to foot, after the answers that
        are no site, such as "nowhere"), then the numbered sites of the region chosen; 0 there means
        somewhere in the region, which answers with all its sites."""
        regions = self.knowledge.regions_for(evidence.code)
        in_regions = {code for region in regions for code in region.sites}
        others = [v for v in self.knowledge.shown_values(evidence) if v.code not in in_regions]
        while True:
            for number, value in enumerate(others, start=1):
                self.console.print(f"  {number}. {value.text[self.language]}")
            for number, region in enumerate(regions, start=len(others) + 1):
                self.console.print(f"  {number}. {region.name[self.language]}")
            text = self.ask(self.t("answer_region")).casefold()
            if text in BACK:
                return None
            if text in UNKNOWN:
                return Answer.unknown()
            if not (text.isdecimal() and text.isascii() and 1 <= int(text) <= len(others) + len(regions)):
                self.console.print(self.t("answer_invalid"), style="red")
                continue
            if int(text) <= len(others):
                return Answer.of(others[int(text) - 1].code)
            sites = self._read_sites(evidence, regions[int(text) - len(others) - 1])
            if sites is not None:
                return sites

    def _read_sites(self, evidence: Evidence, region: BodyRegion) -> Answer | None:
        """The sites chosen in `region`, or None to choose another region."""
        self.console.print(f"[bold]{region.name[self.language]}[/]")
        self.console.print(f"  0. {self.t('region_unsure')}")
        for number, code in enumerate(region.sites, start=1):
            self.console.print(f"  {number}. {evidence.value(code).text[self.language]}")
        while True:
            text = self.ask(self.t("answer_site")).casefold()
            if text in {"r", *BACK}:
                return None
            if text in UNKNOWN:
                return Answer.unknown()
            parts = [p for p in _SPLIT.split(text) if p]
            if parts and all(p.isdecimal() and p.isascii() and int(p) <= len(region.sites) for p in parts):
                if "0" in {str(int(p)) for p in parts}:
                    return Answer.of(*region.sites)
                return Answer.of(*dict.fromkeys(region.sites[int(p) - 1] for p in parts))
            self.console.print(self.t("answer_invalid"), style="red")

    @staticmethod
    def _parse(evidence: Evidence, text: str) -> Answer | None:
        if evidence.kind is EvidenceKind.BINARY:
            if text in YES:
                return Answer.yes()
            if text in NO:
                return Answer.no()
            return None
        if evidence.is_scale:
            if text.isdecimal() and text.isascii() and 0 <= int(text) <= 10:
                return Answer.of(text)
            return None
        parts = [p for p in _SPLIT.split(text) if p]
        if not parts or not all(p.isdecimal() and p.isascii() and 1 <= int(p) <= len(evidence.values) for p in parts):
            return None
        chosen = tuple(dict.fromkeys(evidence.values[int(p) - 1].code for p in parts))
        if evidence.kind is EvidenceKind.CATEGORICAL and len(chosen) != 1:
            return None
        return Answer.of(*chosen)

    def _warn_if_emergency(self, assessment: Assessment) -> None:
        level = assessment.triage.level
        if self._warned_emergency or not assessment.emergency_likely:
            return
        self._warned_emergency = True
        advice = advice_given(self.knowledge, assessment, self.language, self.subject)
        self.console.print(
            Panel(f"{self.t('emergency_now')}\n\n{advice.title}\n{advice.action}", style=LEVEL_STYLE[level])
        )

    def _show_result(self, consultation: Consultation, assessment: Assessment) -> None:
        lang = self.language
        level = assessment.triage.level
        advice = advice_given(self.knowledge, assessment, lang, self.subject)
        self.console.rule(self.t("result_title"))
        if assessment.stop_reason is not None:
            self.console.print(self.t(f"stopped_{assessment.stop_reason.value}"), style="dim")
        body = f"{advice.title}\n\n{advice.action}\n\n{self.t('when_to_escalate')}: {advice.when_to_escalate}"
        body += "\n\n" + triage_because(
            self.knowledge, assessment, dict(consultation.answers), lang, consultation.subject
        )
        earlier = earlier_note(self.knowledge, assessment, lang)
        if earlier:
            body += "\n\n" + earlier
        self.console.print(Panel(body, title=self.t("triage_title"), style=LEVEL_STYLE[level]))
        table = Table(title=self.t("differential_title"), show_lines=True)
        table.add_column("")
        table.add_column("%", justify="right")
        table.add_column(self.t("supporting"))
        table.add_column(self.t("against"))
        for ranked in assessment.differential:
            condition = self.knowledge.condition(ranked.code)
            table.add_row(
                # the code on a line of its own, so a narrow cell never splits it from its brackets
                f"{condition.name[lang]}\n{BRACKETS[lang][0].strip()}{condition.icd10}{BRACKETS[lang][1]}\n"
                f"{self.t(likelihood_key(ranked.posterior))}",
                percent(ranked.posterior),
                "\n".join(self._answer_text(consultation, c.evidence) for c in ranked.supporting),
                "\n".join(self._answer_text(consultation, c.evidence) for c in ranked.against),
            )
        self.console.print(table)
        if cannot_name_a_cause(assessment):
            what_to_do = "\n\n".join(symptom_advice(self.knowledge, assessment, lang))
            self.console.print(
                Panel(self.t("unknown_cause") + (f"\n\n{what_to_do}" if what_to_do else ""), style="bold")
            )
        self.console.print(Panel(self.knowledge.disclaimer[lang], style="italic"))

    def _answer_text(self, consultation: Consultation, code: str) -> str:
        lang = self.language
        evidence = self.knowledge.evidence(code)
        given = dict(consultation.answers).get(code)
        if given is None:
            return self.question(evidence.code, lang)
        if evidence.kind is EvidenceKind.BINARY:
            said = self.t("yes") if given.status.value == "present" else self.t("no")
        elif given.values:
            said = self.knowledge.describe_values(evidence, given.values, lang)
        else:
            said = self.t("no")
        return f"{self.question(evidence.code, lang)} → {said}"
