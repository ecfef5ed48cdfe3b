// The REST API (/v1), as the page uses it. Errors are RFC 9457 problem documents; an ApiError keeps the
// status and the body so that the page can say what happened in the person's language.

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.detail ? body.detail : `HTTP ${status}`);
    this.status = status; // 0: the service could not be reached
    this.body = body;
  }
}

async function call(method, path, body, headers = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, null);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function uniqueKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

const consultation = (id) => `/v1/consultations/${encodeURIComponent(id)}`;

/** Starts a consultation: {age, sex, language, complaint, subject}. A retry never makes a second one. */
export function start(fields, key = uniqueKey()) {
  return call("POST", "/v1/consultations", fields, { "Idempotency-Key": key });
}

export function read(id) {
  return call("GET", consultation(id));
}

/** answer: {status: "present" | "absent" | "unknown", values: [...]} */
export function answer(id, question, turn, given) {
  return call("POST", `${consultation(id)}/answers`, { question, turn, answer: given });
}

export function back(id, turn) {
  return call("POST", `${consultation(id)}/back`, { turn });
}

export function setLanguage(id, language) {
  return call("PATCH", consultation(id), { language });
}

export function fhirUrl(id) {
  return `${consultation(id)}/fhir`;
}

/** Complaints matching typed words; `signal` aborts a search the person has typed past. */
export async function search(text, language, signal) {
  const query = new URLSearchParams({ text, lang: language, limit: "6" });
  const response = await fetch(`/v1/search?${query}`, { headers: { Accept: "application/json" }, signal });
  if (!response.ok) return [];
  return response.json();
}

/** What typed words state: [{id, status, text, ...}] (POST /v1/parse); `signal` aborts a stale request. */
export async function parse(text, language, signal) {
  const response = await fetch("/v1/parse", {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify({ text, language }),
    signal,
  });
  if (!response.ok) return [];
  return (await response.json()).findings;
}
