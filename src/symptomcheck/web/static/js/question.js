// The current question, with answer controls that fit its kind: yes / no / don't know; one value; several
// values; a 0-10 scale. Every answer is a button (reachable by Tab, pressed with Enter or Space).

import { bodySites } from "./bodymap.js";
import { h } from "./dom.js";
import { gap, percent, t } from "./i18n.js";

const YES = { status: "present", values: [] };
const NO = { status: "absent", values: [] };
const UNKNOWN = { status: "unknown", values: [] };

function dontKnow(onAnswer) {
  return h("button", { type: "button", class: "button answer quiet", onclick: () => onAnswer(UNKNOWN) }, t("answer_dont_know"));
}

function yesNo(question, onAnswer) {
  return h(
    "div",
    { class: "answers answers-row", role: "group", "aria-labelledby": "question-text" },
    h("button", { type: "button", class: "button answer", onclick: () => onAnswer(YES) }, t("answer_yes")),
    h("button", { type: "button", class: "button answer", onclick: () => onAnswer(NO) }, t("answer_no")),
    dontKnow(onAnswer),
  );
}

function one(question, onAnswer) {
  return h(
    "div",
    { class: "answers answers-list", role: "group", "aria-labelledby": "question-text", "aria-describedby": "answer-hint" },
    h("p", { id: "answer-hint", class: "hint", text: t("one_hint") }),
    question.options.map((option) =>
      h("button", {
        type: "button",
        class: "button answer option",
        "data-value": option.id,
        text: option.text,
        onclick: () => onAnswer({ status: "present", values: [option.id] }),
      }),
    ),
    dontKnow(onAnswer),
  );
}

function several(question, onAnswer, checked) {
  const error = h("p", { id: "several-error", class: "field-error" });
  const boxes = question.options.map((option) =>
    h(
      "label",
      { class: "choice" },
      h("input", { type: "checkbox", name: "value", value: option.id, checked: checked.has(option.id) }),
      h("span", { text: option.text }),
    ),
  );
  const form = h(
    "form",
    {
      class: "answers answers-several",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const values = [...form.querySelectorAll("input[name=value]:checked")].map((box) => box.value);
        if (!values.length) {
          error.textContent = t("choose_at_least_one");
          form.querySelector("input[name=value]")?.focus();
          return;
        }
        onAnswer({ status: "present", values });
      },
    },
    h(
      "fieldset",
      { "aria-describedby": "answer-hint several-error" },
      h("legend", { class: "visually-hidden", text: question.text }),
      h("p", { id: "answer-hint", class: "hint", text: t("several_hint") }),
      h("div", { class: "choices choices-several" }, boxes),
    ),
    error,
    h(
      "div",
      { class: "answers-row" },
      h("button", { type: "submit", class: "button answer primary" }, t("continue")),
      dontKnow(onAnswer),
    ),
  );
  form.addEventListener("change", () => {
    error.textContent = "";
  });
  return form;
}

function scale(question, onAnswer) {
  const { min, max, min_text: minText, max_text: maxText } = question.scale;
  const numbers = [];
  for (let value = min; value <= max; value += 1) {
    numbers.push(
      h("button", {
        type: "button",
        class: "button answer scale-value",
        "aria-label": t("scale_value", { value, max }),
        text: String(value),
        onclick: () => onAnswer({ status: "present", values: [String(value)] }),
      }),
    );
  }
  return h(
    "div",
    { class: "answers", role: "group", "aria-labelledby": "question-text", "aria-describedby": "answer-hint" },
    h("p", { id: "answer-hint", class: "hint", text: t("scale_hint", { min, max, min_text: minText, max_text: maxText }) }),
    h("div", { class: "scale" }, numbers),
    h(
      "div",
      { class: "scale-ends", "aria-hidden": "true" },
      h("span", { text: `${min}: ${minText}` }),
      h("span", { text: `${max}: ${maxText}` }),
    ),
    h("div", { class: "answers-row" }, dontKnow(onAnswer)),
  );
}

const CONTROLS = { yes_no: yesNo, one, several, scale };

/** The differential so far, folded away: it firms up with each answer. */
function considered(differential) {
  if (!differential.length) return null;
  return h(
    "details",
    { class: "considered" },
    h("summary", { text: t("considered_heading") }),
    h("p", { class: "hint", text: t("considered_note") }),
    h(
      "ul",
      {},
      differential.slice(0, 5).map((condition) =>
        h(
          "li",
          {},
          h("span", { class: "condition-name", text: condition.name }),
          " ",
          h("span", {
            class: "muted",
            text: t("chance", { likelihood: condition.likelihood, percent: percent(condition.posterior) }),
          }),
        ),
      ),
    ),
  );
}

/**
 * The question stage of a consultation view. `checked` keeps the boxes ticked on a re-render (a change of
 * language). Returns the element; its heading (#question-text) takes the focus.
 */
export function renderQuestion(view, { onAnswer, onBack, checked = new Set() }) {
  const assessment = view.assessment;
  const question = assessment.question;
  const number = assessment.questions_asked + 1;
  const progressText = t("question_progress", { n: number, max: assessment.max_questions });
  const controls = question.regions && question.regions.length
    ? bodySites(question, onAnswer, `${view.id}|${view.turn}|${question.id}`, dontKnow)
    : (CONTROLS[question.kind] || yesNo)(question, onAnswer, checked);
  return h(
    "section",
    { class: "card question", "aria-labelledby": "question-text", "data-question": question.id, "data-kind": question.kind },
    h(
      "div",
      { class: "progress" },
      h("p", { id: "progress-text", class: "progress-text", text: progressText }),
      h("progress", {
        max: assessment.max_questions,
        value: assessment.questions_asked,
        "aria-labelledby": "progress-text",
      }),
    ),
    h("h2", { id: "question-text", class: "question-text", tabindex: "-1", text: question.text }),
    question.reason ? h("p", { class: "why" }, h("strong", { text: t("why_prefix") }), gap(), question.reason.text) : null,
    controls,
    view.turn > 0
      ? h(
          "div",
          { class: "secondary-actions" },
          h("button", { type: "button", class: "button link back", onclick: onBack },
            h("span", { "aria-hidden": "true", text: "← " }),
            t("back"),
          ),
        )
      : null,
    considered(assessment.differential),
  );
}
