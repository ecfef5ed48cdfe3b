// The conversation so far: each question asked and the answer given, the first complaint first.

import { h, hidden } from "./dom.js";
import { gap, t } from "./i18n.js";

function exchange(entry) {
  return h(
    "li",
    { class: "exchange", "data-evidence": entry.evidence },
    h("p", { class: "bubble asked" }, hidden(t("asked_prefix")), gap(), entry.question),
    h("p", { class: "bubble answered" }, hidden(t("answered_prefix")), gap(), entry.answer),
  );
}

/** The <li> items of the conversation of a consultation view. */
export function chatItems(view) {
  return [view.complaint, ...view.transcript].map(exchange);
}

/** A separate list of the same items (for the folded transcript of the result). */
export function chatList(view) {
  return h("ol", { class: "chat" }, chatItems(view));
}
