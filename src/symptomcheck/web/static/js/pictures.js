// Pictures for what people would rather look at than read: an icon for each triage level and a bar chart of
// the differential. Both are inline SVG built here (no external file, no inline style: widths are SVG
// attributes). They never carry meaning alone: the icon sits beside the advice in words, and every bar
// has its condition and its percentage in text, in a table a screen reader reads row by row.

import { h, svg as s } from "./dom.js";
import { percent, t } from "./i18n.js";

// 48 x 48 line drawings: an ambulance, a hospital, a clock with "24", a doctor's stethoscope, a house
const ICONS = {
  emergency_ambulance: () => [
    s("path", { d: "M4 14 H30 V36 H4 Z" }),
    s("path", { d: "M30 20 H38 L44 28 V36 H30 Z" }),
    s("path", { d: "M17 19 V31 M11 25 H23", class: "icon-cross" }),
    s("circle", { cx: 13, cy: 37, r: 4 }),
    s("circle", { cx: 36, cy: 37, r: 4 }),
  ],
  emergency: () => [
    s("path", { d: "M8 42 V12 H40 V42 Z" }),
    s("path", { d: "M24 16 V30 M17 23 H31", class: "icon-cross" }),
    s("path", { d: "M20 42 V34 H28 V42" }),
  ],
  consultation_24: () => [
    s("circle", { cx: 24, cy: 24, r: 19 }),
    s("path", { d: "M24 11 V24 L32 29" }),
    s("text", { x: 24, y: 40, "text-anchor": "middle", class: "icon-text" }, "24"),
  ],
  consultation: () => [
    s("path", { d: "M12 6 V18 A8 8 0 0 0 28 18 V6" }),
    s("path", { d: "M20 26 V32 A8 8 0 0 0 36 32 V28" }),
    s("circle", { cx: 36, cy: 24, r: 4 }),
  ],
  self_care: () => [s("path", { d: "M6 24 L24 8 L42 24" }), s("path", { d: "M11 20 V41 H37 V20" }), s("path", { d: "M20 41 V30 H28 V41" })],
};

/** The icon of a triage level: decorative (hidden from screen readers), the advice beside it says it. */
export function triageIcon(level) {
  const draw = ICONS[level] || ICONS.consultation;
  return s(
    "svg",
    { viewBox: "0 0 48 48", width: 48, height: 48, class: `triage-icon icon-${level}`, "aria-hidden": "true", focusable: "false" },
    draw(),
  );
}

/** The differential as horizontal bars: a table (condition, chance) with a bar drawn in each row. */
export function chanceChart(differential) {
  if (!differential.length) return null;
  const rows = differential.map((item) => {
    const width = Math.max(1, Math.round(100 * item.posterior));
    return h(
      "tr",
      { "data-condition": item.id },
      h("th", { scope: "row", class: "chart-name", text: item.name }),
      h(
        "td",
        { class: "chart-bar" },
        s(
          "svg",
          { viewBox: "0 0 100 10", preserveAspectRatio: "none", class: "bar", "aria-hidden": "true", focusable: "false" },
          s("rect", { x: 0, y: 0, width: 100, height: 10, class: "bar-track" }),
          s("rect", { x: 0, y: 0, width, height: 10, class: `bar-fill${item.severe ? " bar-severe" : ""}` }),
        ),
        h("span", { class: "chart-value", text: percent(item.posterior) }),
      ),
    );
  });
  return h(
    "figure",
    { class: "chart" },
    h(
      "table",
      { class: "chart-table", "aria-labelledby": "chart-caption" },
      h("caption", { id: "chart-caption", class: "chart-caption", text: t("chart_caption") }),
      h(
        "thead",
        { class: "visually-hidden" },
        h("tr", {}, h("th", { scope: "col", text: t("chart_condition") }), h("th", { scope: "col", text: t("chart_chance") })),
      ),
      h("tbody", {}, rows),
    ),
  );
}
