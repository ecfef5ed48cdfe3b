// The page's own texts (buttons, labels, headings, errors) in English, French and Chinese, from
// /static/i18n/<language>.json. The medical texts come translated from the API.

export const LANGUAGES = ["en", "fr", "zh"];
const HTML_LANG = { en: "en", fr: "fr", zh: "zh-Hans" };
const loaded = new Map();
let strings = {};
let current = "en";

/** The language to use: the one chosen before on this browser, else the browser's preference, else English. */
export function preferredLanguage(saved) {
  if (LANGUAGES.includes(saved)) return saved;
  const tags = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  for (const tag of tags) {
    const base = String(tag || "").toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

export function language() {
  return current;
}

async function load(lang) {
  if (!loaded.has(lang)) {
    const response = await fetch(`/static/i18n/${lang}.json`);
    if (!response.ok) throw new Error(`no texts for ${lang}`);
    loaded.set(lang, await response.json());
  }
  return loaded.get(lang);
}

/** Switches the page's texts and the document's language. */
export async function useLanguage(lang) {
  strings = await load(LANGUAGES.includes(lang) ? lang : "en");
  current = LANGUAGES.includes(lang) ? lang : "en";
  document.documentElement.lang = HTML_LANG[current];
  document.title = t("page_title");
  translate(document);
}

/** A text with its {placeholders} filled. */
export function t(key, values = {}) {
  const text = strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** Fills the elements that name their text: data-i18n (content) and data-i18n-aria-label. */
export function translate(root) {
  for (const element of root.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll("[data-i18n-aria-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nAriaLabel));
  }
}

/** The space between a label and its text: none in Chinese, whose labels end with a full-width colon. */
export function gap() {
  return current === "zh" ? "" : " ";
}

/** A chance as a person reads it: never 0% or 100%, since nothing here is certain. */
export function percent(probability) {
  if (probability < 0.01) return t("percent_below");
  if (probability > 0.99) return t("percent_above");
  return t("percent", { n: Math.round(100 * probability) });
}
