// What the browser remembers: the consultation in progress (to resume it after a reload) and the language
// chosen. localStorage can be unavailable (private browsing, disabled storage): then nothing is remembered.

const CONSULTATION = "symptomcheck.consultation";
const LANGUAGE = "symptomcheck.language";

function get(key) {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function set(key, value) {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    // nothing to do: the page works without it, it only cannot resume
  }
}

export const consultationId = () => get(CONSULTATION);
export const rememberConsultation = (id) => set(CONSULTATION, id);
export const forgetConsultation = () => set(CONSULTATION, null);
export const savedLanguage = () => get(LANGUAGE);
export const rememberLanguage = (lang) => set(LANGUAGE, lang);
