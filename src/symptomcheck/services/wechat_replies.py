"""The texts of the WeChat conversation: prompts, one question per message with numbered options, the result.

A passive reply carries at most 2048 bytes of UTF-8 (about 680 Chinese characters). Each reply is built from
segments in order of importance: what must be said (the triage advice and the disclaimer of a result, the
question and its options) is always kept; what helps (the progress line, hints, the stopping reason, the
less likely conditions) is left out first when it does not fit. A question with more options than fit shows
them a page at a time, numbered across pages, and "more" turns the page; a body-site question (165 sites)
is a numbered menu of body regions, then the numbered sites of the region chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from symptomcheck.interview import Subject
from symptomcheck.interview.wording import question_text
from symptomcheck.knowledge import KnowledgeBase, Language
from symptomcheck.services.views import AssessmentView, Option, QuestionView, TriageView
from symptomcheck.services.wechat_input import options_outside_regions

MAX_REPLY_BYTES = 2048  # WeChat's limit on a passive text reply, in UTF-8 bytes
OPTIONS_PAGE_BYTES = 900  # the numbered options of one message, leaving room for the question and advice
MAX_CONDITIONS = 5
COLON: dict[Language, str] = {"zh": "：", "en": ": ", "fr": " : "}
BRACKETS: dict[Language, tuple[str, str]] = {"zh": ("（", "）"), "en": (" (", ")"), "fr": (" (", ")")}


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    priority: int = 0  # 0: always kept; higher numbers are dropped first when the reply is too long


def fit(segments: Sequence[Segment], limit: int = MAX_REPLY_BYTES) -> str:
    """The segments joined by blank lines, leaving out the least important ones until the text fits."""
    kept = [s for s in segments if s.text]
    for priority in sorted({s.priority for s in kept if s.priority > 0}, reverse=True):
        if utf8_length("\n\n".join(s.text for s in kept)) <= limit:
            break
        kept = [s for s in kept if s.priority != priority]
    return "\n\n".join(s.text for s in kept)  # still too long: the channel's own fitting cuts it, as a last resort


def option_pages(options: Sequence[Option], budget: int = OPTIONS_PAGE_BYTES) -> list[list[tuple[int, Option]]]:
    """The options numbered from 1, in pages of at most ``budget`` bytes (one page when they all fit)."""
    pages: list[list[tuple[int, Option]]] = [[]]
    used = 0
    for number, option in enumerate(options, start=1):
        size = utf8_length(f"{number}. {option.text}\n")
        if pages[-1] and used + size > budget:
            pages.append([])
            used = 0
        pages[-1].append((number, option))
        used += size
    return pages


class Replies:
    """The conversation's texts in one language at a time, from the knowledge base's interface texts."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self.knowledge = knowledge

    def t(self, language: Language, key: str, subject: Subject = Subject.SELF, **values: object) -> str:
        return self.knowledge.message(language, key, subject.value, **values)

    def welcome(self, language: Language, subscribed: bool = False) -> str:
        return fit(
            [
                Segment(self.t(language, "wechat_subscribed") if subscribed else "", 2),
                Segment(self.t(language, "welcome")),
                Segment(self.t(language, "wechat_languages"), 1),
                Segment(self.knowledge.disclaimer[language], 1),
                Segment(self.t(language, "wechat_subject_prompt")),
            ]
        )

    def prompt(self, language: Language, key: str, note: str = "", subject: Subject = Subject.SELF) -> str:
        return fit([Segment(note), Segment(self.t(language, key, subject))])

    def complaint_choices(
        self, language: Language, candidates: Sequence[str], note: str = "", subject: Subject = Subject.SELF
    ) -> str:
        lines = [
            f"{n}. {question_text(self.knowledge, code, language, subject)}"
            for n, code in enumerate(candidates, start=1)
        ]
        choose = self.t(language, "wechat_complaint_choose", subject)
        return fit([Segment(note, 1), Segment(choose), Segment("\n".join(lines))])

    def help(self, language: Language, then: str) -> str:
        return fit([Segment(self.t(language, "wechat_help")), Segment(then, 1)])

    def emergency(self, language: Language, triage: TriageView, subject: Subject = Subject.SELF) -> str:
        return f"⚠️ {self.t(language, 'emergency_now', subject)}\n{triage.title}"

    def question(
        self,
        language: Language,
        assessment: AssessmentView,
        page: int = 0,
        note: str = "",
        warn: bool = False,
        subject: Subject = Subject.SELF,
    ) -> str:
        """The current question, numbered answers and how to reply; ``warn`` puts the emergency advice first.

        After the full warning, every later question keeps a one-line reminder of the advice while an emergency
        is still likely: a person who skimmed or lost the warning must not answer on without it.
        """
        question = assessment.question
        assert question is not None
        segments = []
        if warn:
            warning = self.emergency(language, assessment.triage, subject)
            segments += [Segment(warning), Segment(assessment.triage.action, 3)]
        elif assessment.triage.emergency_now:
            segments.append(Segment(f"⚠️ {assessment.triage.title}"))
        segments.append(Segment(note, 2))
        progress = self.t(language, "question_progress", n=assessment.questions_asked + 1, max=assessment.max_questions)
        segments.append(Segment(f"【{progress}】", 4))
        segments += self._question_body(language, question, page)
        if assessment.questions_asked == 0:
            segments.append(Segment(self.t(language, "wechat_hint"), 5))
        return fit(segments)

    def _question_body(self, language: Language, question: QuestionView, page: int) -> list[Segment]:
        if question.kind == "yes_no":
            return [Segment(question.text), Segment(self.t(language, "wechat_answer_yes_no"))]
        if question.kind == "scale":
            assert question.scale is not None
            scale = question.scale
            how = self.t(language, "wechat_answer_scale", low=scale.min_text, high=scale.max_text)
            return [Segment(question.text), Segment(how)]
        if question.regions:
            return self._body_sites(language, question, page)
        pages = option_pages(question.options)
        shown = pages[page % len(pages)]
        lines = "\n".join(f"{n}. {option.text}" for n, option in shown)
        how = self.t(language, "wechat_answer_several" if question.kind == "several" else "wechat_answer_one")
        segments = [Segment(question.text), Segment(lines), Segment(how)]
        if len(pages) > 1:
            segments.append(Segment(self.t(language, "wechat_more", page=page % len(pages) + 1, pages=len(pages))))
        return segments

    def _body_sites(self, language: Language, question: QuestionView, page: int) -> list[Segment]:
        """A body-site question: page 0 is the menu of regions (after the answers that are no site, such as
        "nowhere"), page n the sites of region n, with 0 for "somewhere here, not sure exactly where"."""
        if 0 < page <= len(question.regions):
            region = question.regions[page - 1]
            lines = [f"0. {self.t(language, 'region_unsure')}"]
            lines += [f"{n}. {option.text}" for n, option in enumerate(region.options, start=1)]
            heading = f"{question.text}\n【{region.text}】"
            return [Segment(heading), Segment("\n".join(lines)), Segment(self.t(language, "wechat_answer_site"))]
        others = options_outside_regions(question)
        lines = [f"{n}. {option.text}" for n, option in enumerate(others, start=1)]
        lines += [f"{n}. {region.text}" for n, region in enumerate(question.regions, start=len(others) + 1)]
        return [Segment(question.text), Segment("\n".join(lines)), Segment(self.t(language, "wechat_answer_region"))]

    def result(
        self, language: Language, assessment: AssessmentView, note: str = "", subject: Subject = Subject.SELF
    ) -> str:
        """Triage first (the emergency warning before it, if any), then the likely conditions, the disclaimer.

        The advice, the most likely condition and the disclaimer are always there; less likely conditions are
        left out before any of them when the reply would not fit.
        """
        conditions = assessment.differential[:MAX_CONDITIONS]
        for count in range(len(conditions), 1, -1):
            text = fit(self._result(language, assessment, note, count, subject))
            if utf8_length(text) <= MAX_REPLY_BYTES:
                return text
        return fit(self._result(language, assessment, note, min(1, len(conditions)), subject))

    def _result(
        self, language: Language, assessment: AssessmentView, note: str, count: int, subject: Subject
    ) -> list[Segment]:
        triage = assessment.triage
        colon = COLON[language]
        segments = [Segment(note, 4), Segment(f"【{self.t(language, 'result_title')}】")]
        if triage.emergency_now:
            segments.append(Segment(f"⚠️ {self.t(language, 'emergency_now', subject)}"))
        segments.append(Segment(f"{self.t(language, 'triage_title')}{colon}{triage.title}\n{triage.action}"))
        segments.append(Segment(f"{self.t(language, 'when_to_escalate')}{colon}{triage.when_to_escalate}"))
        if triage.because:
            segments.append(Segment(triage.because))
        if triage.earlier:
            segments.append(Segment(triage.earlier))
        if assessment.stop_reason is not None:
            segments.append(Segment(self.t(language, f"stopped_{assessment.stop_reason}"), 5))
        if assessment.unknown_cause:
            segments.append(Segment(assessment.unknown_cause))
            segments.extend(Segment(advice, 2) for advice in assessment.symptom_advice)
        if count:
            open_, close = BRACKETS[language]
            lines = [self.t(language, "differential_title") + colon.rstrip()]
            lines += [
                f"{n}. {c.name}{open_}{c.likelihood}{close}"
                for n, c in enumerate(assessment.differential[:count], start=1)
            ]
            segments.append(Segment("\n".join(lines)))
        segments.append(Segment(self.knowledge.disclaimer[language]))
        segments.append(Segment(self.t(language, "wechat_result_footer"), 1))
        return segments
