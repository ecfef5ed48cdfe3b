// The page: the start form, then one question at a time, then the result. The state is the consultation
// view the API last returned; every change re-renders from it. The consultation id is kept in localStorage
// so that a reload resumes the consultation.

import * as api from "./api.js";
import { chatItems, chatList } from "./chat.js";
import { focus, h } from "./dom.js";
import { language, preferredLanguage, t, useLanguage } from "./i18n.js";
import { renderQuestion } from "./question.js";
import { renderResult, triageCard } from "./result.js";
import { StartForm } from "./start.js";
import * as store from "./store.js";

const $ = (selector) => document.querySelector(selector);
const state = { view: null, busy: false, emergency: "", errorKey: null };
let startForm;

function announce(text) {
  const live = $("#live");
  live.textContent = "";
  window.setTimeout(() => {
    live.textContent = text;
  }, 50);
}

function showError(key) {
  state.errorKey = key;
  $("#error").textContent = key ? t(key) : "";
}

function errorKey(error) {
  if (!(error instanceof api.ApiError)) return "error_server";
  if (error.status === 0) return "error_network";
  if (error.status === 404) return "error_not_found";
  if (error.status === 409) return "error_stale";
  if (error.status === 429) return "error_rate";
  if (error.status === 422 || error.status === 400) return "error_refused";
  return "error_server";
}

function updateLanguageButtons() {
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === language()));
  }
}

/** The emergency banner, shown above the question the moment an emergency is likely. Returns true when it
 * has just appeared (then it takes the focus rather than the question). */
function renderEmergency(view) {
  const triage = view.assessment.triage;
  const show = triage.emergency_now && !view.finished;
  const key = show ? `${triage.level}|${view.language}|${triage.red_flags.map((f) => f.evidence).join(",")}` : "";
  if (key === state.emergency) return false;
  const appeared = show && !state.emergency;
  state.emergency = key;
  const box = $("#emergency");
  if (!show) {
    box.replaceChildren();
    return false;
  }
  box.replaceChildren(
    triageCard(triage, { headingId: "emergency-title", kicker: t("emergency_kicker"), headingLevel: "h2" }),
    h("p", { class: "emergency-continue", text: t("emergency_continue") }),
  );
  return appeared;
}

function checkedValues() {
  return new Set([...document.querySelectorAll("#stage input[name=value]:checked")].map((box) => box.value));
}

/**
 * Shows a consultation view. focus: "auto" moves the focus to what is new (the emergency banner, the
 * question or the result) and announces it; "none" leaves the focus where it is (a change of language).
 */
function render(view, { focusTo = "auto", keepChecked = false } = {}) {
  const previous = state.view;
  const checked = keepChecked ? checkedValues() : new Set();
  state.view = view;
  store.rememberConsultation(view.id);
  $("#loading").hidden = true;
  $("#start").hidden = true;
  $("#consultation").hidden = false;
  $("#consultation").dataset.turn = String(view.turn);
  $("#consultation").dataset.finished = String(view.finished);
  $("#about").textContent = t("about_person", { age: view.age, sex: t(`sex_${view.sex}`) });
  $("#disclaimer-text").textContent = view.assessment.disclaimer;
  const emergencyAppeared = renderEmergency(view);
  const chat = $("#chat");
  const stage = $("#stage");
  if (view.finished) {
    chat.replaceChildren();
    chat.hidden = true;
    stage.replaceChildren(renderResult(view, { onBack: goBack, onRestart: restart, transcript: chatList(view) }));
  } else {
    chat.hidden = false;
    chat.replaceChildren(...chatItems(view));
    stage.replaceChildren(renderQuestion(view, { onAnswer: submitAnswer, onBack: goBack, checked }));
  }
  if (focusTo === "none") return;
  const changed = !previous || previous.turn !== view.turn || previous.finished !== view.finished;
  if (view.finished) {
    focus($("#result-heading"));
    window.scrollTo(0, 0);
    announce(t("live_result", { title: view.assessment.triage.title }));
  } else if (emergencyAppeared) {
    focus($("#emergency-title"));
  } else {
    focus($("#question-text"));
    if (changed) {
      const n = view.assessment.questions_asked + 1;
      announce(t("live_question", { n, text: view.assessment.question.text }));
    }
  }
}

function showStart() {
  state.view = null;
  state.emergency = "";
  $("#emergency").replaceChildren();
  $("#stage").replaceChildren();
  $("#chat").replaceChildren();
  $("#loading").hidden = true;
  $("#consultation").hidden = true;
  $("#start").hidden = false;
}

/** Runs one request at a time; an error is shown in the person's language, and the state reloaded if stale. */
async function run(action) {
  if (state.busy) return;
  state.busy = true;
  document.body.classList.add("busy");
  $("#main").setAttribute("aria-busy", "true");
  try {
    await action();
    showError(null);
  } catch (error) {
    await recover(error);
  } finally {
    state.busy = false;
    document.body.classList.remove("busy");
    $("#main").removeAttribute("aria-busy");
  }
}

async function recover(error) {
  const key = errorKey(error);
  if (error instanceof api.ApiError && error.status === 404 && state.view) {
    store.forgetConsultation();
    showStart();
    showError(key);
    focus($("#error"));
    return;
  }
  if (error instanceof api.ApiError && error.status === 409 && state.view) {
    try {
      render(await api.read(state.view.id));
    } catch {
      // the error below says what happened; the page keeps what it shows
    }
  }
  showError(key);
}

function submitAnswer(given) {
  return run(async () => {
    const view = state.view;
    render(await api.answer(view.id, view.assessment.question.id, view.turn, given));
  });
}

function goBack() {
  return run(async () => {
    const view = state.view;
    render(await api.back(view.id, view.turn));
    announce(t("back_done"));
  });
}

function restart() {
  store.forgetConsultation();
  startForm.reset();
  showStart();
  showError(null);
  focus($("#start-heading"));
}

async function begin(fields) {
  await run(async () => {
    try {
      const view = await api.start({ ...fields, language: language() });
      render(view);
    } catch (error) {
      if (error instanceof api.ApiError && error.status === 422 && error.body && "suggestions" in error.body) {
        startForm.complaintNotFound();
        return;
      }
      throw error;
    }
  });
}

async function changeLanguage(lang) {
  if (lang === language() || state.busy) return;
  await useLanguage(lang);
  store.rememberLanguage(lang);
  updateLanguageButtons();
  if (state.errorKey) showError(state.errorKey);
  if (state.view) {
    const id = state.view.id;
    state.emergency = ""; // re-render the banner in the new language
    await run(async () => render(await api.setLanguage(id, lang), { focusTo: "none", keepChecked: true }));
  } else {
    startForm.refresh();
  }
  announce(t("language_changed"));
}

async function boot() {
  await useLanguage(preferredLanguage(store.savedLanguage()));
  updateLanguageButtons();
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => changeLanguage(button.dataset.lang));
  }
  startForm = new StartForm($("#start-form"), begin);
  const id = store.consultationId();
  if (!id) {
    showStart();
    return;
  }
  try {
    const view = await api.read(id);
    if (view.language !== language()) await useLanguage(view.language);
    updateLanguageButtons();
    render(view);
  } catch (error) {
    if (error instanceof api.ApiError && error.status === 404) {
      store.forgetConsultation();
      showStart();
    } else {
      showStart();
      showError(errorKey(error));
    }
  }
}

boot();
