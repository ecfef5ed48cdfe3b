"""Questions authored from clinical knowledge, for what neither DDXPlus nor the reasons for visit ask.

Some findings decide the advice but no data source asks them: a person with low mood is never asked by
DDXPlus or by the symptom module of the visit records whether they have thoughts of ending their life. Such a
question is written here with its likelihoods, from its meaning and the clinical literature, each with its
reason (files in `data/vocabulary/`):
- `authored.csv`: one row per question: its evidence id (`A_` and a name), the three-language question,
  `default_yes` (how often a person consulting for anything would answer yes) and the reason for it, and
  `narrower_than`, optionally: the DDXPlus yes/no evidence it is a narrower form of (too breathless to finish a
  sentence: significant breathlessness), which tells how a DDXPlus patient, whose record holds only DDXPlus's
  findings, answers it (`evaluation.simulate.derived_answers`);
- `authored_likelihoods.csv`: the conditions for which the answer is more (or less) often yes than the
  default: `p_yes` and the reason.

Two more tables correct what the data sources say of their own yes/no questions for the conditions DDXPlus does
not describe (DDXPlus's cells always come from its patients):
- `authored_cells.csv`: P(yes | condition) of a DDXPlus finding or a reason for visit, with its reason, where
  neither source speaks (a condition the records barely show: a bleeding ulcer and black stools) or where the
  records' mention rate understates a sign that is asked rather than volunteered (feeling faint with a
  bleeding ulcer: few people name it as their reason for coming, most have it when asked);
- `finding_links.csv`: the reasons for visit that also tell of a DDXPlus finding besides the reasons the
  vocabulary maps to it (feeling about to pass out: dizziness, fainting, general weakness), from which the
  broad model derives the finding's likelihood for every condition the records show;
- `pain_sites.csv`: where the pain of a condition DDXPlus does not describe is felt, as the share of the
  answers to "where is the pain?" in each body region, with its reason. The records say "abdominal pain", not
  where in the belly, so without it appendicitis would be as likely to hurt on the left as on the right.

`fit` writes them into the broad model with provenance "authored", and joins them to a DDXPlus model after
its fit (`model/authored.py`): the DDXPlus part of the knowledge (`KnowledgeBase.ddxplus`) leaves them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from symptomcheck.knowledge.catalogue import lay_texts, read_csv
from symptomcheck.knowledge.errors import KnowledgeError
from symptomcheck.knowledge.types import LANGUAGES, MAX_CODE_LENGTH, Evidence, EvidenceKind

QUESTIONS_FILE = "vocabulary/authored.csv"
LIKELIHOODS_FILE = "vocabulary/authored_likelihoods.csv"
CELLS_FILE = "vocabulary/authored_cells.csv"
LINKS_FILE = "vocabulary/finding_links.csv"
PAIN_SITES_FILE = "vocabulary/pain_sites.csv"
PREFIX = "A_"


@dataclass(frozen=True, slots=True)
class AuthoredQuestion:
    """A yes/no question with authored likelihoods: P(yes | condition), `default_yes` for unlisted ones."""

    evidence: str
    default_yes: float
    reason: str
    p_yes: Mapping[str, float]  # condition -> P(yes | condition), where it differs from the default
    reasons: Mapping[str, str]  # condition -> why
    narrower_than: str | None = None  # the DDXPlus yes/no evidence this question is a narrower form of

    def likelihood(self, condition: str) -> float:
        return self.p_yes.get(condition, self.default_yes)


@dataclass(frozen=True, slots=True)
class AuthoredCell:
    """P(yes | condition) of a data source's yes/no question, for a condition DDXPlus does not describe."""

    evidence: str
    condition: str
    p_yes: float
    reason: str


@dataclass(frozen=True, slots=True)
class FindingLink:
    """A reason for visit that also tells of a DDXPlus yes/no finding (besides the reasons mapped to it)."""

    finding: str
    reason_evidence: str
    why: str


@dataclass(frozen=True, slots=True)
class PainSites:
    """Where a condition's pain is felt: the share of the answers naming each body region (of the pain-site
    question's regions), the rest (1 - their sum) following what the records' pain reasons say."""

    condition: str
    shares: Mapping[str, float]  # body region id -> share of the answers, given pain
    reason: str


def _probability(text: str, file: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise KnowledgeError(f"{file}: {where}: {text!r} is not a probability such as 0.3") from None
    if not 0.0 < value < 1.0:
        raise KnowledgeError(f"{file}: {where}: a probability is between 0 and 1, both excluded (not {text})")
    return value


def load_authored(
    directory: Path, conditions: frozenset[str], taken: frozenset[str], yes_no: frozenset[str] = frozenset()
) -> tuple[tuple[AuthoredQuestion, ...], tuple[Evidence, ...]]:
    """The authored questions and their evidences; `taken`: the evidence codes already defined; `yes_no`: the
    DDXPlus yes/no evidences (what `narrower_than` may name)."""
    rows = read_csv(
        directory,
        QUESTIONS_FILE,
        ("evidence_id", "default_yes", "reason", *(f"question_{lang}" for lang in LANGUAGES)),
    )
    evidences: dict[str, Evidence] = {}
    defaults: dict[str, tuple[float, str]] = {}
    narrower: dict[str, str | None] = {}
    for row in rows:
        code = row["evidence_id"]
        where = f"question {code!r}"
        if not code.startswith(PREFIX) or len(code) == len(PREFIX) or code in taken or code in evidences:
            raise KnowledgeError(f"{QUESTIONS_FILE}: {where}: an authored evidence id is {PREFIX} and a name, once")
        if len(code) > MAX_CODE_LENGTH:
            raise KnowledgeError(
                f"{QUESTIONS_FILE}: {where}: {code} is too long: an evidence id has at most {MAX_CODE_LENGTH} "
                "characters (the REST API accepts no longer one)"
            )
        if not row["reason"]:
            raise KnowledgeError(f"{QUESTIONS_FILE}: {where}: the reason for its default is missing")
        defaults[code] = (_probability(row["default_yes"], QUESTIONS_FILE, where), row["reason"])
        narrower[code] = row.get("narrower_than") or None
        if narrower[code] is not None and narrower[code] not in yes_no:
            raise KnowledgeError(
                f"{QUESTIONS_FILE}: {where}: narrower_than {narrower[code]!r} is not a DDXPlus yes/no evidence"
            )
        question = lay_texts(row, "question", QUESTIONS_FILE, where)
        evidences[code] = Evidence(code=code, kind=EvidenceKind.BINARY, is_antecedent=False, question=question)
    p_yes: dict[str, dict[str, float]] = {code: {} for code in evidences}
    why: dict[str, dict[str, str]] = {code: {} for code in evidences}
    for row in read_csv(directory, LIKELIHOODS_FILE, ("evidence_id", "condition", "p_yes", "reason")):
        code, condition = row["evidence_id"], row["condition"]
        where = f"{code} for {condition!r}"
        if code not in evidences:
            raise KnowledgeError(f"{LIKELIHOODS_FILE}: {where}: {code!r} is not a question of {QUESTIONS_FILE}")
        if condition not in conditions:
            raise KnowledgeError(f"{LIKELIHOODS_FILE}: {where}: no such condition in the catalogue")
        if condition in p_yes[code]:
            raise KnowledgeError(f"{LIKELIHOODS_FILE}: {where} is given twice")
        if not row["reason"]:
            raise KnowledgeError(f"{LIKELIHOODS_FILE}: {where}: the reason is missing")
        p_yes[code][condition] = _probability(row["p_yes"], LIKELIHOODS_FILE, where)
        why[code][condition] = row["reason"]
    questions = tuple(
        AuthoredQuestion(code, defaults[code][0], defaults[code][1], p_yes[code], why[code], narrower[code])
        for code in evidences
    )
    return questions, tuple(evidences.values())


def load_authored_cells(
    directory: Path, ddxplus_conditions: frozenset[str], other_conditions: frozenset[str], yes_no: frozenset[str]
) -> tuple[AuthoredCell, ...]:
    """The authored cells; `yes_no`: the yes/no evidences of DDXPlus and of the reasons for visit."""
    cells: dict[tuple[str, str], AuthoredCell] = {}
    for row in read_csv(directory, CELLS_FILE, ("evidence_id", "condition", "p_yes", "reason")):
        code, condition = row["evidence_id"], row["condition"]
        where = f"{code} for {condition!r}"
        if code not in yes_no:
            raise KnowledgeError(
                f"{CELLS_FILE}: {where}: {code!r} is not a yes/no question of DDXPlus or of the reasons for visit "
                f"(an authored question's likelihoods are in {LIKELIHOODS_FILE})"
            )
        if condition in ddxplus_conditions:
            raise KnowledgeError(
                f"{CELLS_FILE}: {where}: DDXPlus describes this condition, and its likelihoods come from its patients"
            )
        if condition not in other_conditions:
            raise KnowledgeError(f"{CELLS_FILE}: {where}: no such condition in the catalogue")
        if (code, condition) in cells:
            raise KnowledgeError(f"{CELLS_FILE}: {where} is given twice")
        if not row["reason"]:
            raise KnowledgeError(f"{CELLS_FILE}: {where}: the reason is missing")
        cells[code, condition] = AuthoredCell(
            code, condition, _probability(row["p_yes"], CELLS_FILE, where), row["reason"]
        )
    return tuple(cells.values())


def load_finding_links(directory: Path, findings: frozenset[str], reasons: frozenset[str]) -> tuple[FindingLink, ...]:
    """The finding links; `findings`: DDXPlus's yes/no findings; `reasons`: the evidences of the reasons for visit."""
    links: dict[tuple[str, str], FindingLink] = {}
    for row in read_csv(directory, LINKS_FILE, ("finding", "reason_evidence", "why")):
        finding, reason = row["finding"], row["reason_evidence"]
        where = f"{finding} from {reason!r}"
        if finding not in findings:
            raise KnowledgeError(f"{LINKS_FILE}: {where}: {finding!r} is not a yes/no finding of DDXPlus")
        if reason not in reasons or reason == finding:
            raise KnowledgeError(f"{LINKS_FILE}: {where}: {reason!r} is not another reason for visit's evidence")
        if (finding, reason) in links:
            raise KnowledgeError(f"{LINKS_FILE}: {where} is given twice")
        if not row["why"]:
            raise KnowledgeError(f"{LINKS_FILE}: {where}: the reason for the link is missing")
        links[finding, reason] = FindingLink(finding, reason, row["why"])
    return tuple(links.values())


def load_pain_sites(
    directory: Path, ddxplus_conditions: frozenset[str], other_conditions: frozenset[str], regions: frozenset[str]
) -> tuple[PainSites, ...]:
    """The authored pain sites; `regions`: the body regions of the pain-site question."""
    shares: dict[str, dict[str, float]] = {}
    reasons: dict[str, str] = {}
    for row in read_csv(directory, PAIN_SITES_FILE, ("condition", "region", "share", "reason")):
        condition, region = row["condition"], row["region"]
        where = f"{condition!r} in {region!r}"
        if condition in ddxplus_conditions:
            raise KnowledgeError(
                f"{PAIN_SITES_FILE}: {where}: DDXPlus describes this condition, and its pain sites come from its "
                "patients"
            )
        if condition not in other_conditions:
            raise KnowledgeError(f"{PAIN_SITES_FILE}: {where}: no such condition in the catalogue")
        if region not in regions:
            raise KnowledgeError(
                f"{PAIN_SITES_FILE}: {where}: no such body region (one of: {', '.join(sorted(regions))})"
            )
        if region in shares.get(condition, {}):
            raise KnowledgeError(f"{PAIN_SITES_FILE}: {where} is given twice")
        if condition not in reasons:
            if not row["reason"]:
                raise KnowledgeError(f"{PAIN_SITES_FILE}: {where}: the reason is missing on its first row")
            reasons[condition] = row["reason"]
        shares.setdefault(condition, {})[region] = _probability(row["share"], PAIN_SITES_FILE, where)
    for condition, by_region in shares.items():
        if sum(by_region.values()) > 1.0 + 1e-9:
            raise KnowledgeError(
                f"{PAIN_SITES_FILE}: the shares of {condition!r} add up to {sum(by_region.values()):.2f}: at most 1"
            )
    return tuple(PainSites(condition, shares[condition], reasons[condition]) for condition in shares)
