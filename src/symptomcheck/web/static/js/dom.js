// Building elements without HTML strings: every text goes through textContent, so nothing from the server
// or the person is ever parsed as markup.

/**
 * h("p", {class: "x", onclick: fn, "aria-label": "y"}, "text", child)
 * Attributes: `class`, `text`, `on<event>` handlers, booleans (true sets, false omits), others as strings.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** A piece of text for screen readers only. */
export function hidden(text) {
  return h("span", { class: "visually-hidden", text });
}

/** Moves focus to an element (a heading with tabindex=-1) and brings it into view. */
export function focus(element) {
  if (!element) return;
  element.focus({ preventScroll: true });
  element.scrollIntoView({ block: "center", behavior: "auto" });
}

// the SVG namespace is a name, not an address: nothing is fetched from it
const SVG_NAMESPACE = "http://www.w3.org/2000/svg";

/** An SVG element, like h() in the SVG namespace: `class`, `on<event>` handlers, others as attributes. */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG_NAMESPACE, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}
