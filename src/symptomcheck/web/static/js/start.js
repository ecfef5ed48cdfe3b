// The start form: who it is for, age, sex and the first complaint, typed freely with suggestions as one types (an ARIA 1.2
// combobox: arrow keys move through the suggestions, Enter chooses one, Escape closes them).

import * as api from "./api.js";
import { h } from "./dom.js";
import { language, t } from "./i18n.js";

// the labels of the start form for who the consultation is for: the age and complaint are the patient's
const SUBJECT_LABELS = {
  self: { age: "age_label", complaint: "complaint_label" },
  child: { age: "age_label_child", complaint: "complaint_label_child" },
  adult: { age: "age_label_adult", complaint: "complaint_label_adult" },
};

const SEARCH_DELAY_MS = 150;

export class StartForm {
  /** onStart({age, sex, complaint, subject}) sends the form; it returns a promise. */
  constructor(form, onStart) {
    this.form = form;
    this.onStart = onStart;
    this.age = form.querySelector("#age");
    this.complaint = form.querySelector("#complaint");
    this.listbox = form.querySelector("#complaint-options");
    this.status = form.querySelector("#complaint-status");
    this.understood = form.querySelector("#complaint-understood");
    this.findings = []; // what the typed words state, shown before starting (all of it is sent)
    this.options = []; // [{id, text}] shown
    this.active = -1;
    this.chosen = null; // {id, text} picked from the suggestions
    this.timer = null;
    this.searching = null;
    this.errors = {}; // field -> message key shown
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.complaint.addEventListener("input", () => this.typed());
    this.complaint.addEventListener("keydown", (event) => this.key(event));
    this.complaint.addEventListener("blur", () => window.setTimeout(() => this.close(), 150));
    this.age.addEventListener("input", () => this.clearError("age"));
    for (const radio of form.querySelectorAll("input[name=subject]")) {
      radio.addEventListener("change", () => this.wordFor(radio.value));
    }
    for (const radio of form.querySelectorAll("input[name=sex]")) {
      radio.addEventListener("change", () => this.clearError("sex"));
    }
  }

  /** Shows the texts again in the current language, keeping what was typed. */
  refresh() {
    for (const [field, key] of Object.entries(this.errors)) this.showError(field, key);
    if (this.chosen || this.options.length) this.search(this.complaint.value);
  }

  reset() {
    this.complaint.value = "";
    this.chosen = null;
    this.showFindings([]);
    this.close();
    for (const field of ["age", "sex", "complaint"]) this.clearError(field);
  }

  typed() {
    this.chosen = null;
    this.clearError("complaint");
    window.clearTimeout(this.timer);
    const text = this.complaint.value.trim();
    if (!text) {
      this.close();
      this.showFindings([]);
      return;
    }
    this.timer = window.setTimeout(() => this.search(text), SEARCH_DELAY_MS);
  }

  async search(text) {
    if (this.searching) this.searching.abort();
    const controller = new AbortController();
    this.searching = controller;
    let matches;
    let findings;
    try {
      [matches, findings] = await Promise.all([
        api.search(text.trim(), language(), controller.signal),
        api.parse(text.trim(), language(), controller.signal),
      ]);
    } catch {
      return; // aborted, or offline: the words typed can still be sent
    }
    if (controller.signal.aborted) return;
    this.showFindings(this.chosen ? [] : findings);
    const starters = matches.filter((m) => m.can_start);
    if (this.chosen) {
      // the language changed after a choice: show the chosen complaint in the new language
      const same = matches.find((m) => m.id === this.chosen.id);
      if (same) {
        this.chosen = same;
        this.complaint.value = same.text;
      }
      return;
    }
    this.show(starters);
  }

  show(options) {
    this.options = options;
    this.active = -1;
    this.listbox.replaceChildren(
      ...options.map((option, index) =>
        h("li", {
          id: `complaint-option-${index}`,
          role: "option",
          "aria-selected": "false",
          class: "suggestion",
          text: option.text,
          onmousedown: (event) => event.preventDefault(), // keep the focus in the input
          onclick: () => this.choose(index),
        }),
      ),
    );
    const open = options.length > 0;
    this.listbox.hidden = !open;
    this.complaint.setAttribute("aria-expanded", String(open));
    this.complaint.removeAttribute("aria-activedescendant");
    if (options.length === 0) this.status.textContent = this.complaint.value.trim() ? t("suggestions_none") : "";
    else if (options.length === 1) this.status.textContent = t("suggestions_one");
    else this.status.textContent = t("suggestions_count", { n: options.length });
  }

  /** Lists what the words state ("Understood: cough · fever · no headache"): the consultation starts from all of it. */
  showFindings(findings) {
    this.findings = findings;
    const items = findings
      .filter((f, index) => findings.findIndex((g) => g.span.start === f.span.start && g.status === f.status) === index)
      .map((f) => (f.status === "absent" ? t("understood_absent", { text: f.text }) : f.text));
    this.understood.textContent = items.length ? t("understood", { items: items.join(" · ") }) : "";
  }

  close() {
    this.options = [];
    this.active = -1;
    this.listbox.hidden = true;
    this.listbox.replaceChildren();
    this.complaint.setAttribute("aria-expanded", "false");
    this.complaint.removeAttribute("aria-activedescendant");
  }

  move(step) {
    if (!this.options.length) return;
    const count = this.options.length;
    this.active = this.active < 0 && step < 0 ? count - 1 : (this.active + step + count) % count;
    this.listbox.querySelectorAll("[role=option]").forEach((element, index) => {
      element.setAttribute("aria-selected", String(index === this.active));
      if (index === this.active) element.scrollIntoView({ block: "nearest" });
    });
    this.complaint.setAttribute("aria-activedescendant", `complaint-option-${this.active}`);
  }

  choose(index) {
    const option = this.options[index];
    if (!option) return;
    this.chosen = option;
    this.showFindings([]); // a suggestion chosen is the complaint alone
    this.complaint.value = option.text;
    this.close();
    this.clearError("complaint");
    this.complaint.focus();
  }

  key(event) {
    const open = !this.listbox.hidden;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!open && this.complaint.value.trim()) this.search(this.complaint.value);
      else this.move(1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      this.move(-1);
    } else if (event.key === "Enter" && open && this.active >= 0) {
      event.preventDefault(); // Enter on a suggestion chooses it; a second Enter sends the form
      this.choose(this.active);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      this.close();
    }
  }

  /** Words the age and complaint labels for who the consultation is for ("Your child's age"). */
  wordFor(subject) {
    const keys = SUBJECT_LABELS[subject] ?? SUBJECT_LABELS.self;
    for (const field of ["age", "complaint"]) {
      const label = this.form.querySelector(`label[for=${field}]`);
      label.dataset.i18n = keys[field]; // a change of language then words it the same way
      label.textContent = t(keys[field]);
    }
    this.clearError("age");
  }

  showError(field, key) {
    this.errors[field] = key;
    const message = this.form.querySelector(`#${field}-error`);
    message.textContent = t(key);
    const control = field === "sex" ? this.form.querySelector("fieldset") : this.form.querySelector(`#${field}`);
    if (field !== "sex") control.setAttribute("aria-invalid", "true");
  }

  clearError(field) {
    delete this.errors[field];
    this.form.querySelector(`#${field}-error`).textContent = "";
    if (field !== "sex") this.form.querySelector(`#${field}`).removeAttribute("aria-invalid");
  }

  /** Shows that the complaint's words matched nothing, and moves the focus there. */
  complaintNotFound() {
    this.showError("complaint", "complaint_not_found");
    this.complaint.focus();
  }

  async submit() {
    const ageText = this.age.value.trim();
    const age = Number(ageText);
    const sex = this.form.querySelector("input[name=sex]:checked");
    const subject = this.form.querySelector("input[name=subject]:checked")?.value ?? "self";
    const words = this.complaint.value.trim();
    const invalid = [];
    if (!/^\d{1,3}$/.test(ageText) || age > 120) invalid.push(["age", "age_invalid", this.age]);
    // the age is the patient's: a child's is under 16 (someone older is "another adult")
    else if (subject === "child" && age >= 16) invalid.push(["age", "age_child_invalid", this.age]);
    else this.clearError("age");
    if (!sex) invalid.push(["sex", "sex_invalid", this.form.querySelector("input[name=sex]")]);
    else this.clearError("sex");
    if (!words) invalid.push(["complaint", "complaint_invalid", this.complaint]);
    for (const [field, key] of invalid) this.showError(field, key);
    if (invalid.length) {
      invalid[0][2].focus();
      return;
    }
    this.close();
    const complaint = this.chosen && this.chosen.text === words ? this.chosen.id : words;
    await this.onStart({ age, sex: sex.value, complaint, subject });
  }
}
