"""The broad model: the DDXPlus model joined with what real visit records say of the whole catalogue.

One likelihood matrix P(answer | condition) over every catalogue condition and every evidence, with the
provenance of each cell (`PROVENANCE`):
- DDXPlus conditions x DDXPlus evidences: the DDXPlus model, as fitted from DDXPlus patients or imported from
  the dataset authors' statistics;
- any condition seen in the visit records x the evidences of the reasons for visit: counted from the
  records. For a DDXPlus condition the records show, a reason that is also a DDXPlus finding keeps the DDXPlus
  likelihood, geometrically blended with the records' by `records_weight` (0, the shipped setting: DDXPlus
  alone). The two scales differ: DDXPlus's simulated patients are rich in findings and give its 49
  conditions a likelihood of a common reason (cough, fever) two or three times that of the conditions the
  records tell of, and on years the model was not fitted on their posterior is over-confident. Measured on
  validation years (README, "Calibration"), the records alone (1) make the posterior calibrated and rank
  better, but the DDXPlus patients lose the discrimination their "no" answers give, and the vignettes'
  triage gets worse, so the shipped model keeps DDXPlus's. A reason is what the person came for, not a full
  symptom list: P(reason mentioned | d) is smaller than P(symptom present | d). The reporting rate
  r = P(mentioned | present) is estimated on the pairs both sources cover (DDXPlus conditions seen in the
  records x the reasons that are DDXPlus evidences, where DDXPlus says the finding is common): the median of
  P_records(mentioned | d) / P_DDXPlus(present | d).
  Then P(present | d) = P(mentioned | d) / r, with the factor 1 / r capped per reason so that no condition
  goes above `present_ceiling` (the ratios between conditions, which are what a "yes" tells, stay those of
  the records), and never below `present_floor`. Mentions are smoothed towards each reason's overall rate
  with `mention_pseudo_count` pseudo-visits;
- a DDXPlus condition the records barely show (fewer than `min_visits`), for a reason the vocabulary maps to a
  DDXPlus finding it contains or is part of: the finding's probability, and for a reason narrower than the
  finding only its part (earache is pain at the ears; acne a small share of skin lesions: `narrower_shares`);
- the questions no data source asks (thoughts of suicide), from likelihoods authored with their reasons
  (`knowledge/authored.py`), and the authored cells of the data sources' own questions for conditions DDXPlus
  does not describe (a bleeding ulcer and black stools, feeling faint), and where their pain is felt (the
  records say "abdominal pain", not that appendicitis hurts on the right: `pain_sites.csv`);
- elsewhere, a default that favours no source: for a DDXPlus evidence and a condition DDXPlus does not model,
  the DDXPlus conditions' prior-weighted average answer distribution; for a reason and a condition the
  records do not show (fewer than `min_visits`), the reason's overall rate, corrected the same way. So an
  answer to a question of one source moves the conditions of the other source like an average condition,
  never like an impossible one.
Priors P(d | age band, sex) come from the weighted visits with a first diagnosis in the catalogue and at
least one symptom among the reasons: office and emergency-department visits are each normalised, then mixed
with the ED share `ed_share` (the share of symptom visits that went to an ED nationally is about 15 %; a
person consulting a symptom checker has not yet chosen, and a missed emergency is the worst failure, so the
ED side is given the same weight as the office side). The "not in the catalogue" outcome learns from the
visits whose first diagnosis maps to no condition (and no exclusion): its prior is their share, at least
`open_world_prior`. Every condition's prior is at least `prior_floor`: rare in the records is not impossible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symptomcheck.knowledge import EvidenceKind, KnowledgeBase
from symptomcheck.knowledge.catalogue import NOT_IN_CATALOGUE
from symptomcheck.model.artifact import FloatArray, Model
from symptomcheck.model.demographics import AGE_BAND_STARTS, age_band, sex_index, smoothed_profiles
from symptomcheck.model.errors import ModelError
from symptomcheck.model.fit import layout
from symptomcheck.model.floors import answer_floor
from symptomcheck.visits import Visit

PROVENANCE = {"default": 0, "ddxplus": 1, "visits": 2, "authored": 3, "derived": 4}
OFFICE, ED = 0, 1

BROAD_SETTINGS: dict[str, float] = {
    "ed_share": 0.5,  # weight of emergency-department visits in the priors (see the module's docstring)
    "mention_pseudo_count": 2.0,  # pseudo-visits pulling P(mentioned | d) towards the reason's overall rate
    # the broad likelihoods are smoothed towards the population and floored already: tempering them again (as
    # the DDXPlus model is, at 0.7) only hides evidence; chosen on the DDXPlus training sample and fitted years
    "temperature": 1.0,
    "min_visits": 20.0,  # fewer visits than this: the records do not model the condition
    # how much of the records' likelihood a DDXPlus condition the records show takes for a reason that is also a
    # DDXPlus finding (geometric blend; 0: DDXPlus alone, 1: the records alone; see the module's docstring)
    "records_weight": 0.0,
    "present_floor": 0.002,
    "present_ceiling": 0.95,
    "open_world_prior": 0.05,  # least prior of the "not in the catalogue" outcome
    # a multi-choice question's floors together hold at most this mass (see model/floors.py): the pain-site
    # question's 160 values at the engine's 0.01 each would drown what the records say of where it hurts
    "multi_floor_mass": 0.05,
    # a condition DDXPlus does not describe has each DDXPlus finding this share as often as the average DDXPlus
    # condition: DDXPlus conditions are a selected population rich in findings (respiratory, cardiac, ENT)
    "ddxplus_default_factor": 0.25,
    "prior_floor": 1e-4,  # least prior of a condition: rare in the records (or absent from them) is not impossible
    # the interview over hundreds of conditions ends when the next answers could not change what the person is
    # told (the advice, or the most likely condition): see engine.stopping.decision_settled
    "decision_stop": 1,
    "decision_min_turns": 3,
    # a person who answered "don't know" three times in a row (red flags asked) is not asked on and on
    "unknown_streak_stop": 3,
    "stop_min_information": 0.05,  # and no allowed question worth less than this (nats) is asked
}


@dataclass
class VisitCounts:
    """Counts over visits, streamed: memory depends on the catalogue, not on the number of visits."""

    knowledge: KnowledgeBase
    conditions: tuple[str, ...] = field(init=False)
    reason_evidences: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        kb = self.knowledge
        self.conditions = kb.condition_codes
        self.reason_evidences = tuple(dict.fromkeys(r.evidence for r in kb.catalogue.reasons))
        self._condition_index = {c: i for i, c in enumerate(self.conditions)}
        self._evidence_index = {e: i for i, e in enumerate(self.reason_evidences)}
        self._other = self._condition_index[NOT_IN_CATALOGUE]
        d, v = len(self.conditions), len(self.reason_evidences)
        self.visits = np.zeros((2, d))  # unweighted, per setting
        self.weight = np.zeros((2, d))  # national weights, per setting
        self.mentions = np.zeros((v, d))
        self.age = np.zeros((d, len(AGE_BAND_STARTS)))
        self.sex = np.zeros((d, 2))
        self.ed_known = np.zeros((3, d))  # ED visits with ambulance / admission / triage known
        self.ed_yes = np.zeros((3, d))  # ... arriving by ambulance / admitted or died / triaged 1-2
        # symptom visits with a diagnosis, per setting: [mapped to a condition, excluded, mapped nowhere] x
        # [visits, weight]
        self.coverage = np.zeros((2, 3, 2))
        self.unmapped_codes: Counter[str] = Counter()
        self.skipped = 0  # visits without a symptom reason or a diagnosis
        self.years: set[tuple[str, int]] = set()

    def condition_of(self, visit: Visit) -> int | None:
        """Index of the visit's condition (the first diagnosis); the open-world outcome when it maps nowhere;
        None when it is excluded."""
        code = visit.diagnoses[0]
        condition = self.knowledge.catalogue.condition_of(code, visit.code_system)
        if condition is not None:
            return self._condition_index[condition]
        if self.knowledge.catalogue.exclusion_of(code, visit.code_system) is not None:
            return None
        self.unmapped_codes[f"{visit.code_system}:{code}"] += 1
        return self._other

    def evidences_of(self, visit: Visit) -> list[int]:
        """The reason evidences of a visit (each once, in the order given)."""
        found: dict[int, None] = {}
        for code in visit.symptom_reasons:
            evidence = self.knowledge.catalogue.evidence_of_reason(code)
            if evidence is not None:
                found[self._evidence_index[evidence]] = None
        return list(found)

    def add(self, visit: Visit) -> None:
        if not visit.symptom_reasons or not visit.diagnoses:
            self.skipped += 1
            return
        setting = ED if visit.is_ed else OFFICE
        self.years.add((visit.setting, visit.year))
        d = self.condition_of(visit)
        kind = 1 if d is None else 2 if d == self._other else 0
        self.coverage[setting, kind] += (1.0, visit.weight)
        if d is None:
            return
        self.visits[setting, d] += 1
        self.weight[setting, d] += visit.weight
        for e in self.evidences_of(visit):
            self.mentions[e, d] += 1
        self.age[d, age_band(visit.age)] += 1
        self.sex[d, sex_index(visit.sex)] += 1
        if visit.is_ed:
            for k, value in enumerate(
                (
                    visit.ambulance,
                    None if visit.admitted is None else bool(visit.admitted or visit.died),
                    None if visit.triage is None else visit.triage <= 2,
                )
            ):
                if value is not None:
                    self.ed_known[k, d] += 1
                    self.ed_yes[k, d] += value

    def add_all(self, visits: Iterable[Visit]) -> int:
        count = 0
        for visit in visits:
            self.add(visit)
            count += 1
        return count

    def p_mentioned(self, pseudo_count: float) -> tuple[FloatArray, FloatArray]:
        """Smoothed P(reason mentioned | d) (V, D), and each reason's overall rate (V,)."""
        n = self.visits.sum(axis=0)
        base = (self.mentions.sum(axis=1) + 0.5) / (n.sum() + 1.0)
        p = (self.mentions + pseudo_count * base[:, None]) / (n[None, :] + pseudo_count)
        return p, base

    def ed_shares(self) -> FloatArray:
        """Per condition, the ED share of ambulance arrival, admission (or death), triage 1-2: (3, D), NaN
        where no ED visit tells."""
        with np.errstate(invalid="ignore", divide="ignore"):
            result: FloatArray = np.where(self.ed_known > 0, self.ed_yes / np.maximum(self.ed_known, 1), np.nan)
        return result


def reporting_rate(
    counts: VisitCounts, ddxplus: Model, min_visits: float, min_present: float = 0.3
) -> tuple[float, int]:
    """The median of P_records(mentioned | d) / P_DDXPlus(present | d) over the pairs both sources cover,
    and the number of pairs."""
    raw = counts.mentions / np.maximum(counts.visits.sum(axis=0), 1.0)[None, :]
    ratios = []
    for v, code in enumerate(counts.reason_evidences):
        if code not in ddxplus.evidences:
            continue
        e = ddxplus.evidences.index(code)
        row_present = int(ddxplus.offsets_[e]) + 1
        for k, condition in enumerate(ddxplus.conditions):
            d = counts.conditions.index(condition)
            p_present = float(ddxplus.p_outcome_[row_present, k])
            if counts.visits[:, d].sum() >= min_visits and p_present >= min_present:
                ratios.append(raw[v, d] / p_present)
    if not ratios:
        raise ModelError("no condition and reason are covered by both DDXPlus and the records: no reporting rate")
    return float(np.median(ratios)), len(ratios)


def broad_model(
    ddxplus: Model,
    counts: VisitCounts,
    settings: Mapping[str, float] | None = None,
    provenance: dict[str, Any] | None = None,
) -> Model:
    """The broad model over every catalogue condition and evidence (see the module's docstring)."""
    kb = counts.knowledge
    s = {**BROAD_SETTINGS, **(settings or {})}
    if counts.visits.sum() == 0:
        raise ModelError("no visit with a symptom reason and a catalogue diagnosis: nothing to fit")
    conditions = kb.condition_codes
    evidences, outcomes, offsets = layout(kb)
    d_all, t_all = len(conditions), int(offsets[-1])
    p = np.full((t_all, d_all), np.nan)
    origin = np.zeros((t_all, d_all), dtype=np.int8)
    ddx_d = np.array([conditions.index(c) for c in ddxplus.conditions])
    other_d = np.setdiff1d(np.arange(d_all), ddx_d)
    ddx_prior = ddxplus.p_prior_ / ddxplus.p_prior_.sum()
    r, pairs = reporting_rate(counts, ddxplus, s["min_visits"])
    p_mentioned, base = counts.p_mentioned(s["mention_pseudo_count"])
    deflation = s["ddxplus_default_factor"]
    shares = narrower_shares(kb, counts.reason_evidences, base)
    for k, code in enumerate(ddxplus.evidences):
        e = evidences.index(code)
        rows = slice(int(offsets[e]), int(offsets[e + 1]))
        block = ddxplus.p_outcome_[ddxplus.rows(k)]  # (outcomes, D_ddx)
        p[rows, ddx_d] = block
        origin[rows, ddx_d] = PROVENANCE["ddxplus"]
        p[rows, other_d] = _population_default(block @ ddx_prior, kb, code, outcomes[e], deflation)[:, None]
    seen = counts.visits.sum(axis=0) >= s["min_visits"]
    for v, code in enumerate(counts.reason_evidences):
        e = evidences.index(code)
        absent_row, present_row = int(offsets[e]), int(offsets[e]) + 1  # a yes/no evidence's rows: (no, yes)
        mentioned = np.where(seen, p_mentioned[v], base[v])
        # P(present | d) = P(mentioned | d) / r, but never above the ceiling for the condition that mentions the
        # reason most: the factor is capped per reason, so the ratios between conditions (what a "yes" tells)
        # stay those of the records instead of all saturating at the ceiling.
        factor = min(1.0 / r, s["present_ceiling"] / float(mentioned.max()))
        p_present = np.clip(mentioned * factor, s["present_floor"], s["present_ceiling"])
        modelled_by_ddxplus = np.zeros(d_all, dtype=bool)
        if code in ddxplus.evidences:
            modelled_by_ddxplus[ddx_d] = True
            w = s["records_weight"]
            if w > 0:  # the records have their say on the cells they show (see the module's docstring)
                shown = ddx_d[seen[ddx_d]]
                ddx_yes = np.maximum(p[present_row, shown], s["present_floor"])
                blend = np.exp((1 - w) * np.log(ddx_yes) + w * np.log(p_present[shown]))
                p[present_row, shown], p[absent_row, shown] = blend, 1 - blend
                origin[absent_row : present_row + 1, shown] = PROVENANCE["visits" if w == 1 else "derived"]
        derived = _ddxplus_probability(ddxplus, kb, code, shares)
        if derived is not None:
            # a DDXPlus condition the records barely show: its DDXPlus findings tell how often it has the reason
            rare = ~seen[ddx_d]
            cells = ddx_d[rare]
            p_derived = np.clip(derived[rare], s["present_floor"], s["present_ceiling"])
            p[absent_row, cells], p[present_row, cells] = 1 - p_derived, p_derived
            origin[absent_row : present_row + 1, cells] = PROVENANCE["ddxplus"]
            modelled_by_ddxplus[cells] = True
        replace_cells = ~modelled_by_ddxplus
        p[present_row, replace_cells] = p_present[replace_cells]
        p[absent_row, replace_cells] = 1 - p_present[replace_cells]
        origin[int(offsets[e]) : int(offsets[e + 1]), replace_cells & seen] = PROVENANCE["visits"]
        origin[int(offsets[e]) : int(offsets[e + 1]), replace_cells & ~seen] = PROVENANCE["default"]
    _derive_related(kb, p, origin, evidences, offsets, counts.reason_evidences, other_d[seen[other_d]], s)
    sites = SiteLayout.of(kb, ddxplus, evidences, offsets, outcomes[evidences.index(PAIN_SITE)])
    _derive_pain(kb, p, origin, sites, counts.reason_evidences, other_d[seen[other_d]], s)
    _authored(kb, p, origin, evidences, offsets)
    _authored_cells(kb, p, origin, evidences, offsets)
    _authored_pain_sites(kb, p, origin, sites)
    if np.isnan(p).any():
        missing = sorted(
            {evidences[int(np.searchsorted(offsets, t, side="right")) - 1] for t in np.argwhere(np.isnan(p))[:, 0]}
        )
        raise ModelError(f"no likelihood for the evidences {missing[:5]}: neither DDXPlus nor the reasons model them")
    # never 0 or 1: the engine's floors (yes/no and categorical answers, multi-choice values), then each question's
    # outcomes sum to 1 again, so the artifact itself says no answer is impossible for any condition
    engine_settings = {**ddxplus.settings, **s}
    for e, code in enumerate(evidences):
        rows = slice(int(offsets[e]), int(offsets[e + 1]))
        multi = kb.evidence(code).kind is EvidenceKind.MULTI
        block = np.maximum(p[rows], answer_floor(engine_settings, multi, rows.stop - rows.start))
        p[rows] = block / block.sum(axis=0, keepdims=True)
    p_prior = _priors(counts, ddxplus, ddx_d, s)
    p_age, p_sex = smoothed_profiles(counts.age, counts.sex)
    few = counts.visits.sum(axis=0) < s["min_visits"]
    for k, d in enumerate(ddx_d):
        if few[d]:  # seen too rarely in the records: the DDXPlus patients tell its age and sex profile
            p_age[d], p_sex[d] = ddxplus.p_age_band_[k], ddxplus.p_sex_[k]
    differential_layout = {
        # the differential network's own layout (a DDXPlus model read from its file names it; in memory after
        # the fit, it is every condition and evidence of that model)
        "differential_conditions": list(ddxplus.differential_conditions or ddxplus.conditions),
        "differential_evidences": list(ddxplus.differential_evidences or ddxplus.evidences),
    }
    info = {
        **(provenance or {}),
        "reporting_rate": round(r, 4),
        "reporting_rate_pairs": pairs,
        "survey_years": sorted(f"{setting}:{year}" for setting, year in counts.years),
        "visits_counted": int(counts.visits.sum()),
        "ddxplus_model": ddxplus.provenance,
        "cells": {name: int((origin == code).sum()) for name, code in PROVENANCE.items()},
        **differential_layout,
    }
    return replace(
        ddxplus,
        conditions=conditions,
        evidences=evidences,
        outcomes=outcomes,
        p_outcome_=p,
        offsets_=offsets,
        p_prior_=p_prior,
        p_age_band_=p_age,
        p_sex_=p_sex,
        settings={**ddxplus.settings, **s, "reporting_rate": r},
        provenance=info,
        provenance_=origin,
        differential_conditions=tuple(differential_layout["differential_conditions"]),
        differential_evidences=tuple(differential_layout["differential_evidences"]),
    )


def _authored(
    kb: KnowledgeBase, p: FloatArray, origin: NDArray[np.int8], evidences: tuple[str, ...], offsets: NDArray[np.int64]
) -> None:
    """The questions no data source asks, from their authored likelihoods (knowledge/authored.py; in place):
    P(yes | d) as written for the conditions listed, the question's default for every other. Provenance
    "authored"."""
    for question in kb.authored:
        absent_row = int(offsets[evidences.index(question.evidence)])
        p_yes = np.array([question.likelihood(code) for code in kb.condition_codes])
        p[absent_row], p[absent_row + 1] = 1.0 - p_yes, p_yes
        origin[absent_row : absent_row + 2] = PROVENANCE["authored"]


def _authored_cells(
    kb: KnowledgeBase, p: FloatArray, origin: NDArray[np.int8], evidences: tuple[str, ...], offsets: NDArray[np.int64]
) -> None:
    """The authored P(yes | d) of a data source's yes/no question for a condition DDXPlus does not describe
    (`authored_cells.csv`; in place): they replace the default, the records' or the derived likelihood. Provenance
    "authored"."""
    conditions = kb.condition_codes
    for cell in kb.authored_cells:
        absent_row, d = int(offsets[evidences.index(cell.evidence)]), conditions.index(cell.condition)
        p[absent_row, d], p[absent_row + 1, d] = 1.0 - cell.p_yes, cell.p_yes
        origin[absent_row : absent_row + 2, d] = PROVENANCE["authored"]


def _derive_related(
    kb: KnowledgeBase,
    p: FloatArray,
    origin: NDArray[np.int8],
    evidences: tuple[str, ...],
    offsets: NDArray[np.int64],
    reasons: tuple[str, ...],
    cells: NDArray[np.int64],
    s: Mapping[str, float],
) -> None:
    """A DDXPlus yes/no finding for the conditions the records describe, from the reasons the vocabulary maps to
    it (related, narrower or broader; in place): P(finding | d) = 1 - prod_i (1 - P(reason_i | d)), never below
    the default it replaces. "Diarrhoea" and "rash" are reasons people give; without this, a yes to DDXPlus's
    own question would count the population default against every condition outside DDXPlus. Yes/no findings
    that are no follow-up only (pain, E_53, and its sites are `_derive_pain`'s). The reasons of `finding_links.csv`
    count as related too (feeling faint: dizziness, fainting, weakness). Provenance "derived"."""
    merged = {m.ddxplus_equivalent for m in kb.catalogue.reasons if m.relation == "same"}
    sources: dict[str, list[str]] = {}
    for mapping in kb.catalogue.reasons:
        target = mapping.ddxplus_equivalent or ""
        if mapping.relation not in ("related", "narrower", "broader") or ":" in target or target in ("", "E_53"):
            continue
        if target in merged or mapping.evidence not in reasons or target not in evidences:
            continue
        evidence = kb.evidence(target)
        if evidence.kind is not EvidenceKind.BINARY or evidence.parent is not None or evidence.is_antecedent:
            continue
        sources.setdefault(target, []).append(mapping.evidence)
    for link in kb.finding_links:  # reasons that also tell of a finding (knowledge/authored.py)
        if link.finding not in merged and link.reason_evidence in reasons and link.finding in evidences:
            sources.setdefault(link.finding, []).append(link.reason_evidence)
    for target, codes in sources.items():
        absent_row = int(offsets[evidences.index(target)])
        p_none = np.ones(len(cells))
        for code in codes:
            p_none *= 1.0 - p[int(offsets[evidences.index(code)]) + 1, cells]
        p_yes = np.clip(np.maximum(1.0 - p_none, p[absent_row + 1, cells]), s["present_floor"], s["present_ceiling"])
        p[absent_row, cells], p[absent_row + 1, cells] = 1.0 - p_yes, p_yes
        origin[absent_row : absent_row + 2, cells] = PROVENANCE["derived"]


# The sites (values of E_55, "where is the pain") of the pain reasons the vocabulary maps to E_53 ("pain") only,
# or to no DDXPlus finding (reasons.csv maps the others to their sites itself): authored from their meaning.
PAIN_SITE = "E_55"  # DDXPlus's "where do you feel pain?"
PAIN_REASON_SITES: dict[str, tuple[str, ...]] = {
    "R_16500": ("V_185",),  # painful urination: burning at the urethra
    "R_15450": ("V_187", "V_197", "V_84", "V_85", "V_87", "V_88"),  # abdominal pain
    "R_15453": ("V_197", "V_103", "V_104"),  # upper abdominal pain
    "R_16101": ("V_103", "V_197"),  # liver or gallbladder pain
    "R_16651": ("V_153",),  # bladder pain
    "R_17751": ("V_153", "V_87", "V_88"),  # pelvic pain
    "R_17452": ("V_153", "V_87", "V_88"),  # painful periods
    "R_17901": ("V_187", "V_153", "V_40"),  # pain during pregnancy
    "R_13201": ("V_125", "V_126"),  # eye pain
    "R_13551": ("V_129", "V_130"),  # earache
    "R_14101": ("V_89", "V_108", "V_109", "V_122"),  # sinus pain or pressure
    "R_10554": ("V_108", "V_109", "V_121", "V_89", "V_166", "V_167"),  # facial pain
    "R_19401": ("V_194", "V_195"),  # shoulder pain
    "R_19551": ("V_74", "V_75", "V_80", "V_81"),  # wrist pain
    "R_19601": ("V_76", "V_77", "V_142", "V_143", "V_151", "V_152", "V_67", "V_68"),  # hand or finger pain
    "R_18000": ("V_159", "V_160"),  # breast pain
    "R_17151": ("V_168", "V_169", "V_158"),  # testicle pain
    "R_17001": ("V_155", "V_94"),  # penis pain
    "R_17651": ("V_186", "V_139", "V_190"),  # vaginal pain
}


def pain_reason_sites(kb: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    """The pain-site values (E_55) each reason for visit that means a pain somewhere names: those the vocabulary
    maps to sites itself, and `PAIN_REASON_SITES`."""
    sites_of: dict[str, tuple[str, ...]] = {}
    for mapping in kb.catalogue.reasons:  # in the vocabulary's order, which the sums over reasons follow
        target = mapping.ddxplus_equivalent or ""
        if mapping.relation == "same":
            continue
        if target.startswith(f"{PAIN_SITE}:"):
            sites_of[mapping.evidence] = tuple(target.partition(":")[2].split("+"))
        elif mapping.evidence in PAIN_REASON_SITES:
            sites_of[mapping.evidence] = PAIN_REASON_SITES[mapping.evidence]
    return sites_of


def _derive_pain(
    kb: KnowledgeBase,
    p: FloatArray,
    origin: NDArray[np.int8],
    sites: SiteLayout,
    reasons: tuple[str, ...],
    cells: NDArray[np.int64],
    s: Mapping[str, float],
) -> None:
    """DDXPlus's pain questions (E_53 "pain?", E_55 "where?") for the conditions the records describe, derived
    from their pain reasons (in place): people with appendicitis come for "abdominal pain", never for "pain",
    so without this a yes to E_53 would count against every condition outside DDXPlus.

    P(pain | d) = 1 - prod_i (1 - P(reason_i | d)) over the pain reasons (those the vocabulary maps to E_53 or
    to sites of E_55), with the generic "pain" reason among them. The site answer (which counts one value per
    person) shares P(pain | d) out in proportion to sum_i P(reason_i | d) / |regions_i|, where regions_i are the
    body regions the reason's sites lie in (the records say "neck pain", not which of the neck's ten sites), each
    region's share split among its sites as people name them (`site_naming`); "nowhere" is 1 - P(pain | d).
    Provenance "derived"."""
    sites_of = {code: named for code, named in pain_reason_sites(kb).items() if code in reasons}
    if not sites_of or len(cells) == 0:
        return
    evidences, offsets, values, spread = sites.evidences, sites.offsets, sites.values, sites.spread
    pain_e = evidences.index("E_53")
    present = {code: p[int(offsets[evidences.index(code)]) + 1, cells] for code in sites_of}
    p_none = 1.0 - p[int(offsets[pain_e]) + 1, cells]  # the generic "pain" reason (E_53 is the same evidence)
    for value in present.values():
        p_none = p_none * (1.0 - value)
    p_pain = np.clip(1.0 - p_none, s["present_floor"], s["present_ceiling"])
    p[int(offsets[pain_e]), cells], p[int(offsets[pain_e]) + 1, cells] = 1.0 - p_pain, p_pain
    origin[int(offsets[pain_e]) : int(offsets[pain_e]) + 2, cells] = PROVENANCE["derived"]
    weight = np.zeros((len(values), len(cells)))
    for code, named in sites_of.items():
        touched = sorted({r for r, region in enumerate(kb.regions_for(PAIN_SITE)) if set(region.sites) & set(named)})
        loose = [values.index(site) for site in named if not any(site in spread[r][1] for r in touched)]
        parts = len(touched) + len(loose)
        for r in touched:
            weight[spread[r][0]] += np.outer(spread[r][2], present[code] / parts)
        for row in loose:  # a site of no region counts as a region of its own
            weight[row] += present[code] / parts
    total = weight.sum(axis=0)
    has = total > 0
    shares = weight / np.where(has, total, 1.0)
    rows = sites.rows
    block = p[rows][:, cells]
    derived = shares * p_pain
    derived[values.index(str(kb.evidence(PAIN_SITE).default))] = 1.0 - p_pain
    block[:, has] = derived[:, has]
    p[rows, cells] = block
    origin[rows, cells[has]] = PROVENANCE["derived"]


# how far the share of a region's sites leans towards the even split (a pseudo-count, as a share of the region's
# mean) rather than towards the sites DDXPlus's patients name
SITE_NAMING_PSEUDO_COUNT = 0.1


def site_naming(ddxplus: Model, values: tuple[str, ...]) -> FloatArray:
    """How often DDXPlus's patients name each pain site (the values of E_55, in `values`' order): the DDXPlus
    conditions' prior-weighted P(site | d). Within a region it says which site people name: the right lower belly
    is "the iliac fossa" for most, its hip bone, groin or iliac crest for few."""
    k = ddxplus.evidences.index(PAIN_SITE)
    outcomes = ddxplus.outcomes[k]
    average = ddxplus.p_outcome_[ddxplus.rows(k)] @ (ddxplus.p_prior_ / ddxplus.p_prior_.sum())
    return np.array([float(average[outcomes.index(v)]) if v in outcomes else 0.0 for v in values])


@dataclass(frozen=True)
class SiteLayout:
    """The pain-site question (E_55) in the model being built: its evidences' layout, its values (rows), and for
    each body region the rows of its sites, its sites, and how a share of the region is split among them: as
    DDXPlus's patients name them (`site_naming`), smoothed towards the even split (`SITE_NAMING_PSEUDO_COUNT`)."""

    evidences: tuple[str, ...]
    offsets: NDArray[np.int64]
    values: list[str]
    spread: list[tuple[list[int], set[str], FloatArray]]

    @classmethod
    def of(
        cls,
        kb: KnowledgeBase,
        ddxplus: Model,
        evidences: tuple[str, ...],
        offsets: NDArray[np.int64],
        outcomes: tuple[str, ...],
    ) -> SiteLayout:
        values = list(outcomes)
        named = site_naming(ddxplus, outcomes)
        spread = []
        for region in kb.regions_for(PAIN_SITE):
            rows = [values.index(site) for site in region.sites if site in values]
            weights = named[rows]
            weights = weights + SITE_NAMING_PSEUDO_COUNT * max(float(weights.mean()), 1e-12)
            spread.append((rows, set(region.sites), weights / weights.sum()))
        return cls(evidences, offsets, values, spread)

    @property
    def rows(self) -> slice:
        """The rows of the pain-site question in the model's matrix."""
        e = self.evidences.index(PAIN_SITE)
        return slice(int(self.offsets[e]), int(self.offsets[e + 1]))


def _authored_pain_sites(kb: KnowledgeBase, p: FloatArray, origin: NDArray[np.int8], sites: SiteLayout) -> None:
    """Where the pain of a condition DDXPlus does not describe is felt, from `pain_sites.csv` (in place): given
    pain (1 - P(nowhere | d), kept), each authored region takes its share, split among its sites as people name
    them (`site_naming`), and the rest (1 - their sum) is shared out as the sites were before. Provenance
    "authored"."""
    if not kb.pain_sites or PAIN_SITE not in sites.evidences:
        return
    values, spread, rows = sites.values, sites.spread, sites.rows
    region_of = {region.id: r for r, region in enumerate(kb.regions_for(PAIN_SITE))}
    nowhere = values.index(str(kb.evidence(PAIN_SITE).default))
    codes = kb.condition_codes
    for entry in kb.pain_sites:
        d = codes.index(entry.condition)
        column = p[rows, d]
        p_pain = 1.0 - column[nowhere]
        before = column.copy()
        before[nowhere] = 0.0
        shares = before / max(float(before.sum()), 1e-12)
        authored = np.zeros(len(values))
        for region, share in entry.shares.items():
            rows_of, _, split = spread[region_of[region]]
            authored[rows_of] += share * split
        column = p_pain * (authored + (1.0 - authored.sum()) * shares)
        column[nowhere] = 1.0 - p_pain
        p[rows, d] = column
        origin[rows, d] = PROVENANCE["authored"]


def _population_default(
    average: FloatArray, knowledge: KnowledgeBase, code: str, outcomes: tuple[str, ...], deflation: float
) -> FloatArray:
    """The answer distribution (outcomes,) of a DDXPlus evidence for a condition DDXPlus does not model: the
    DDXPlus conditions' average with the chance of a finding (yes, or a value other than the ordinary one)
    multiplied by `deflation` (the setting `ddxplus_default_factor`). A follow-up question keeps the average:
    it is asked only once its parent is yes."""
    evidence = knowledge.evidence(code)
    if evidence.parent is not None:
        return average
    ordinary = outcomes.index(evidence.default) if evidence.default is not None else 0  # "no" for yes/no
    result = average * deflation
    result[ordinary] = 0.0
    result[ordinary] = 1.0 - result.sum()
    return result


def _ddxplus_probability(
    ddxplus: Model, knowledge: KnowledgeBase, code: str, shares: Mapping[str, float]
) -> FloatArray | None:
    """P(reason present | d) for the DDXPlus conditions (D_ddx,), from the DDXPlus finding the reason is mapped
    to when the mapping says one contains the other; None otherwise.

    A reason broader than its finding, or named by the finding's values (chest pain: the chest sites of "where
    is the pain?"), takes their probability. A reason narrower than a whole finding takes only its part:
    earache is not "pain" for a condition whose pain is in the throat. A pain reason whose sites are known
    (`pain_reason_sites`) takes the probability of pain at those sites; any other narrower reason takes the
    finding's probability times its share of the finding's mentions in the records (`shares`, from
    `narrower_shares`): acne is a small part of "skin lesions"."""
    mapping = next((r for r in knowledge.catalogue.reasons if r.evidence == code), None)
    if mapping is None or mapping.ddxplus_equivalent is None or mapping.relation not in ("broader", "narrower"):
        return None
    target, _, values = mapping.ddxplus_equivalent.partition(":")
    share = 1.0
    if mapping.relation == "narrower" and not values:
        sites = pain_reason_sites(knowledge).get(code) if target == "E_53" else None
        if sites:
            target, values = PAIN_SITE, "+".join(sites)
        else:
            share = shares.get(code, 1.0)
    if target not in ddxplus.evidences:
        return None
    k = ddxplus.evidences.index(target)
    rows = ddxplus.rows(k)
    outcomes = ddxplus.outcomes[k]
    wanted = [v for v in values.split("+") if v] if values else ["present"]
    indices = [rows.start + outcomes.index(v) for v in wanted if v in outcomes]
    if not indices:
        return None
    result: FloatArray = ddxplus.p_outcome_[indices].sum(axis=0) * share
    parent = knowledge.evidence(target).parent
    if parent is not None and parent in ddxplus.evidences:  # a follow-up: counted given its parent is present
        result = result * ddxplus.p_outcome_[ddxplus.rows(ddxplus.evidences.index(parent)).start + 1]
    return np.minimum(result, 1.0)


def narrower_shares(kb: KnowledgeBase, reasons: tuple[str, ...], base: FloatArray) -> dict[str, float]:
    """For each reason the vocabulary maps as narrower than a whole DDXPlus finding: its share of the records'
    mentions of the reasons that make up that finding (the reasons mapped to it as the same or narrower, by
    their overall rates `base`, in the order of `reasons`)."""
    parts: dict[str, list[str]] = {}
    for mapping in kb.catalogue.reasons:
        target = mapping.ddxplus_equivalent or ""
        if mapping.evidence in reasons and target and ":" not in target and mapping.relation in ("same", "narrower"):
            parts.setdefault(target, []).append(mapping.evidence)
    shares: dict[str, float] = {}
    for codes in parts.values():
        total = sum(float(base[reasons.index(c)]) for c in codes)
        for c in codes:
            shares[c] = float(base[reasons.index(c)]) / total if total > 0 else 1.0
    return shares


def _priors(counts: VisitCounts, ddxplus: Model, ddx_d: np.ndarray, s: Mapping[str, float]) -> FloatArray:
    share = counts.weight / np.maximum(counts.weight.sum(axis=1, keepdims=True), 1e-12)  # (2, D)
    prior = (1.0 - s["ed_share"]) * share[OFFICE] + s["ed_share"] * share[ED]
    other = counts.conditions.index(NOT_IN_CATALOGUE)
    prior[other] = 0.0
    prior = prior / prior.sum()
    prior = np.maximum(prior, s["prior_floor"])
    open_world = max(
        float(share[OFFICE, other] * (1 - s["ed_share"]) + share[ED, other] * s["ed_share"]), s["open_world_prior"]
    )
    prior[other] = 0.0
    prior *= (1.0 - open_world) / prior.sum()
    prior[other] = open_world
    result: FloatArray = prior
    return result
