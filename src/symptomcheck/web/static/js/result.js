// The result: the triage advice first, then the conditions to consider with plain-language chances and the
// answers for and against each, the FHIR record to download, and the answers given.

import * as api from "./api.js";
import { h } from "./dom.js";
import { gap, percent, t } from "./i18n.js";
import { chanceChart, triageIcon } from "./pictures.js";

const URGENT = new Set(["emergency_ambulance", "emergency"]);

/** The triage advice as a card; `kicker` names it ("Urgent", "What to do"). */
export function triageCard(triage, { headingId, kicker, headingLevel = "h3" }) {
  const urgent = URGENT.has(triage.level);
  return h(
    "div",
    { class: `triage level-${triage.level}${urgent ? " urgent" : ""}`, "data-level": triage.level },
    h(
      "div",
      { class: "triage-head" },
      triageIcon(triage.level),
      h(
        "div",
        {},
        h("p", { class: "kicker", text: kicker }),
        h(headingLevel, { id: headingId, class: "triage-title", tabindex: "-1", text: triage.title }),
      ),
    ),
    h("p", { class: "triage-action", text: triage.action }),
    h("p", { class: "escalate" }, h("strong", { text: t("escalate_heading") }), gap(), triage.when_to_escalate),
    triage.because ? h("p", { class: "triage-because", text: triage.because }) : null,
    triage.earlier ? h("p", { class: "triage-earlier", role: "note", text: triage.earlier }) : null,
    triage.red_flags.length
      ? h(
          "div",
          { class: "red-flags" },
          h("p", { text: t("red_flags_intro") }),
          h("ul", {}, triage.red_flags.map((flag) => h("li", { text: flag.question }))),
        )
      : null,
  );
}

function reasons(title, items, kind) {
  if (!items.length) return null;
  return h(
    "div",
    { class: `reasons ${kind}` },
    h("h4", { text: title }),
    h(
      "ul",
      {},
      items.map((item) =>
        h("li", {}, item.question, " ", h("span", { class: "said", text: `${t("answered_prefix")}${gap()}${item.answer}` })),
      ),
    ),
  );
}

function condition(item, index) {
  const chance = t("chance", { likelihood: item.likelihood, percent: percent(item.posterior) });
  const why =
    item.supporting.length || item.against.length
      ? [reasons(t("supporting_heading"), item.supporting, "for"), reasons(t("against_heading"), item.against, "against")]
      : [h("p", { class: "muted", text: t("no_reasons") })];
  return h(
    "li",
    { class: "condition", "data-condition": item.id },
    h(
      "h3",
      { class: "condition-name" },
      h("span", { class: "rank", "aria-hidden": "true", text: `${index + 1}.` }),
      " ",
      item.name,
    ),
    h(
      "p",
      { class: "chance" },
      h("span", { class: `likelihood likelihood-${likelihoodClass(item.posterior)}`, text: chance }),
      item.severe ? h("span", { class: "tag serious", text: t("serious_tag") }) : null,
    ),
    h("p", { class: "icd muted", text: t("icd10", { code: item.icd10 }) }),
    h("details", { class: "why-details" }, h("summary", { text: t("reasons_summary") }), why),
  );
}

function likelihoodClass(p) {
  if (p >= 0.5) return "high";
  if (p >= 0.2) return "medium";
  if (p >= 0.05) return "low";
  return "very-low";
}

/** The finished consultation. `transcript` is the list of answers (an <ol>), shown folded at the end. */
export function renderResult(view, { onBack, onRestart, transcript }) {
  const assessment = view.assessment;
  const triage = assessment.triage;
  const stop = assessment.stop_reason ? t(`stopped_${assessment.stop_reason}`) : null;
  const answered = view.transcript.length + 1;
  return h(
    "section",
    { class: "result", "aria-labelledby": "result-heading" },
    h("h2", { id: "result-heading", class: "result-heading", tabindex: "-1", text: t("result_heading") }),
    triageCard(triage, { headingId: "triage-title", kicker: t(URGENT.has(triage.level) ? "emergency_kicker" : "triage_kicker") }),
    stop ? h("p", { class: "muted stop-reason", text: stop }) : null,
    h(
      "section",
      { class: "card differential", "aria-labelledby": "differential-heading" },
      h("h2", { id: "differential-heading", text: t("differential_heading") }),
      h("p", { class: "hint", text: t("differential_note") }),
      assessment.unknown_cause ? h("p", { class: "unknown-cause", role: "status", text: assessment.unknown_cause }) : null,
      ...(assessment.symptom_advice || []).map((advice) => h("p", { class: "symptom-advice", text: advice })),
      chanceChart(assessment.differential),
      assessment.differential.length
        ? h("ol", { class: "conditions" }, assessment.differential.map(condition))
        : h("p", { text: t("differential_empty") }),
    ),
    h(
      "div",
      { class: "card actions" },
      h(
        "a",
        {
          class: "button primary download",
          href: api.fhirUrl(view.id),
          download: `symptomcheck-${view.id}.json`,
          "aria-describedby": "download-hint",
        },
        t("download_fhir"),
      ),
      h("p", { id: "download-hint", class: "hint", text: t("download_hint") }),
      h(
        "div",
        { class: "answers-row" },
        view.turn > 0 ? h("button", { type: "button", class: "button", onclick: onBack, text: t("change_last_answer") }) : null,
        h("button", { type: "button", class: "button", onclick: onRestart, text: t("new_consultation") }),
      ),
    ),
    h(
      "details",
      { class: "card transcript" },
      h("summary", { text: t("transcript_heading", { n: answered }) }),
      transcript,
    ),
  );
}
