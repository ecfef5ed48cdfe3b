// A body-site question in two steps: the part of the body (on a picture, or in a plain list, head to foot),
// then the precise sites of that part. Choosing a part without a site answers with all its sites, which the
// service reads as "somewhere here". Every region of the picture is a focusable button with a name; the
// picture is drawn here (inline SVG, no external file), so it needs no inline style or script.

import { h, svg as s } from "./dom.js";
import { t } from "./i18n.js";

// The figure faces the reader: the person's right is on the left of the front view, and on the right of
// the back view. Shapes are in a 200 x 430 box; the order of the list decides what is drawn on top.
const FRONT = [
  ["head", "ellipse", { cx: 100, cy: 34, rx: 25, ry: 29 }],
  ["face", "ellipse", { cx: 100, cy: 40, rx: 18, ry: 19 }],
  ["mouth", "ellipse", { cx: 100, cy: 50, rx: 8, ry: 4.5 }],
  ["neck", "path", { d: "M89 62 H111 L113 78 H87 Z" }],
  ["chest", "path", { d: "M62 78 H138 L141 140 H59 Z" }],
  ["arm_right", "path", { d: "M60 80 L45 86 L30 188 L43 191 L58 115 Z" }],
  ["arm_left", "path", { d: "M140 80 L155 86 L170 188 L157 191 L142 115 Z" }],
  ["hand_right", "ellipse", { cx: 35, cy: 204, rx: 9, ry: 13 }],
  ["hand_left", "ellipse", { cx: 165, cy: 204, rx: 9, ry: 13 }],
  ["abdomen_upper_right", "rect", { x: 59, y: 140, width: 28, height: 32 }],
  ["abdomen_upper_middle", "rect", { x: 87, y: 140, width: 26, height: 32 }],
  ["abdomen_upper_left", "rect", { x: 113, y: 140, width: 28, height: 32 }],
  ["abdomen_middle", "rect", { x: 59, y: 172, width: 82, height: 28 }],
  ["abdomen_lower_right", "path", { d: "M59 200 H87 V236 H62 Z" }],
  ["abdomen_lower_middle", "rect", { x: 87, y: 200, width: 26, height: 28 }],
  ["abdomen_lower_left", "path", { d: "M113 200 H141 L138 236 H113 Z" }],
  ["genitals", "path", { d: "M87 228 H113 L100 252 Z" }],
  ["leg_right", "path", { d: "M62 236 H87 L99 254 L96 396 H75 Z" }],
  ["leg_left", "path", { d: "M138 236 H113 L101 254 L104 396 H125 Z" }],
  ["foot_right", "ellipse", { cx: 83, cy: 410, rx: 15, ry: 9 }],
  ["foot_left", "ellipse", { cx: 117, cy: 410, rx: 15, ry: 9 }],
];
// the back view: the back itself is its own regions; the rest repeats the front's regions for a click
// (not a second tab stop: the front already has them)
const BACK = [
  ["head", "ellipse", { cx: 100, cy: 34, rx: 25, ry: 29 }, true],
  ["neck", "path", { d: "M89 62 H111 L113 78 H87 Z" }, true],
  ["upper_back", "path", { d: "M62 78 H138 L141 150 H59 Z" }],
  ["lower_back", "rect", { x: 59, y: 150, width: 82, height: 48 }],
  ["hips", "path", { d: "M59 198 H141 L139 240 H61 Z" }],
  ["arm_left", "path", { d: "M60 80 L45 86 L30 188 L43 191 L58 115 Z" }, true],
  ["arm_right", "path", { d: "M140 80 L155 86 L170 188 L157 191 L142 115 Z" }, true],
  ["hand_left", "ellipse", { cx: 35, cy: 204, rx: 9, ry: 13 }, true],
  ["hand_right", "ellipse", { cx: 165, cy: 204, rx: 9, ry: 13 }, true],
  ["leg_left", "path", { d: "M62 240 H99 L96 396 H75 Z" }, true],
  ["leg_right", "path", { d: "M138 240 H101 L104 396 H125 Z" }, true],
  ["foot_left", "ellipse", { cx: 83, cy: 410, rx: 15, ry: 9 }, true],
  ["foot_right", "ellipse", { cx: 117, cy: 410, rx: 15, ry: 9 }, true],
];

// what the person chose so far, kept across re-renders of the same question (a change of language)
let memory = { key: null, region: null, checked: new Set() };

function figure(shapes, names, captionKey, choose) {
  const captionId = `body-${captionKey}`;
  const drawn = shapes
    .filter(([id]) => id in names)
    .map(([id, tag, geometry, repeat]) => {
      const activate = () => choose(id);
      const attributes = { ...geometry, class: "region", "data-region": id, onclick: activate };
      if (repeat) return s(tag, { ...attributes, class: "region region-repeat", "aria-hidden": "true" });
      return s(tag, {
        ...attributes,
        role: "button",
        tabindex: "0",
        "aria-label": names[id],
        onkeydown: (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            activate();
          }
        },
      });
    });
  return h(
    "figure",
    { class: "body-figure" },
    s("svg", { viewBox: "0 0 200 430", role: "group", "aria-labelledby": captionId, class: "body-svg" }, drawn),
    h("figcaption", { id: captionId, text: t(captionKey) }),
  );
}

function regionStep(question, onAnswer, choose, dontKnow) {
  const names = Object.fromEntries(question.regions.map((region) => [region.id, region.text]));
  const inRegions = new Set(question.regions.flatMap((region) => region.options.map((option) => option.id)));
  const others = question.options.filter((option) => !inRegions.has(option.id));
  return h(
    "div",
    { class: "answers body-sites", role: "group", "aria-labelledby": "question-text", "aria-describedby": "answer-hint" },
    h("p", { id: "answer-hint", class: "hint", text: t("body_hint") }),
    h(
      "div",
      { class: "body-map" },
      figure(FRONT, names, "body_front", choose),
      figure(BACK, names, "body_back", choose),
    ),
    h("p", { class: "hint body-orientation", text: t("body_orientation") }),
    h("h3", { id: "region-list-heading", class: "region-list-heading", text: t("body_list_heading") }),
    h(
      "ul",
      { class: "region-list", "aria-labelledby": "region-list-heading" },
      question.regions.map((region) =>
        h(
          "li",
          {},
          h("button", {
            type: "button",
            class: "button region-button",
            "data-region": region.id,
            text: region.text,
            onclick: () => choose(region.id),
          }),
        ),
      ),
    ),
    h(
      "div",
      { class: "answers-row" },
      others.map((option) =>
        h("button", {
          type: "button",
          class: "button answer option",
          "data-value": option.id,
          text: option.text,
          onclick: () => onAnswer({ status: "present", values: [option.id] }),
        }),
      ),
      dontKnow(onAnswer),
    ),
  );
}

function siteStep(question, region, onAnswer, back, dontKnow) {
  const error = h("p", { id: "several-error", class: "field-error" });
  const boxes = region.options.map((option) =>
    h(
      "label",
      { class: "choice" },
      h("input", {
        type: "checkbox",
        name: "value",
        value: option.id,
        checked: memory.checked.has(option.id),
        onchange: (event) => {
          if (event.target.checked) memory.checked.add(option.id);
          else memory.checked.delete(option.id);
          error.textContent = "";
        },
      }),
      h("span", { text: option.text }),
    ),
  );
  const elsewhere = [...memory.checked].filter((id) => !region.options.some((option) => option.id === id));
  const form = h(
    "form",
    {
      class: "answers answers-several body-sites-precise",
      "data-region": region.id,
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        if (!memory.checked.size) {
          error.textContent = t("choose_site");
          form.querySelector("input[name=value]")?.focus();
          return;
        }
        onAnswer({ status: "present", values: [...memory.checked] });
      },
    },
    h(
      "fieldset",
      { "aria-describedby": "answer-hint several-error" },
      h("legend", { class: "region-legend", text: t("sites_legend", { region: region.text }) }),
      h("p", { id: "answer-hint", class: "hint", text: t("sites_hint") }),
      h("div", { class: "choices choices-several" }, boxes),
    ),
    elsewhere.length ? h("p", { class: "hint", text: t("sites_elsewhere", { n: elsewhere.length }) }) : null,
    error,
    h(
      "div",
      { class: "answers-row" },
      h("button", { type: "submit", class: "button answer primary" }, t("continue")),
      h("button", {
        type: "button",
        class: "button answer region-whole",
        text: t("region_unsure", { region: region.text }),
        onclick: () => {
          const values = new Set([...memory.checked, ...region.options.map((option) => option.id)]);
          onAnswer({ status: "present", values: [...values] });
        },
      }),
      dontKnow(onAnswer),
    ),
    h(
      "div",
      { class: "secondary-actions" },
      h("button", { type: "button", class: "button link other-region", onclick: back },
        h("span", { "aria-hidden": "true", text: "← " }),
        t("other_region"),
      ),
    ),
  );
  return form;
}

/**
 * The answer controls of a body-site question (one with `regions`). `key` names the question shown (its id
 * and the turn), so a re-render of the same question keeps the region and the sites chosen.
 */
export function bodySites(question, onAnswer, key, dontKnow) {
  if (memory.key !== key) memory = { key, region: null, checked: new Set() };
  const holder = h("div", { class: "body-sites-holder" });
  const show = (focusHeading) => {
    const region = question.regions.find((candidate) => candidate.id === memory.region);
    holder.replaceChildren(
      region
        ? siteStep(question, region, onAnswer, () => {
            const left = memory.region;
            memory.region = null;
            show(false);
            holder.querySelector(`.region-button[data-region="${left}"]`)?.focus();
          }, dontKnow)
        : regionStep(question, onAnswer, (id) => {
            memory.region = id;
            show(true);
          }, dontKnow),
    );
    if (focusHeading && region) holder.querySelector("input[name=value]")?.focus();
  };
  show(false);
  return holder;
}
