// Every HTTP call to the companion: base URL and token from the options, timeouts, retries with
// backoff, polling an analysis until it ends, and the one table from error codes to locale keys.
// Pure module: fetch, sleep and the settings are passed in, so Node tests drive it with fakes.

/** The companion's (and this client's own) error codes -> the locale key that explains them. */
export const ERROR_KEYS = Object.freeze({
  // this client
  offline: "errorOffline",
  timeout: "errorTimeout",
  not_paired: "errorNotPaired",
  bad_response: "errorUnknown",
  bad_address: "errorBadAddress",
  // pairing and security
  token_missing: "errorNotPaired",
  bad_token: "errorBadToken",
  origin_forbidden: "errorForbidden",
  host_forbidden: "errorForbidden",
  // getting the media
  fetch_failed: "errorUnreachable",
  fetch_http_error: "errorUnreachable",
  fetch_timeout: "errorUnreachable",
  too_many_redirects: "errorUnreachable",
  private_address: "errorUnreachable",
  credentials_in_url: "errorUnreachable",
  download_failed: "errorUnreachable",
  too_large: "errorTooLarge",
  media_too_large: "errorTooLarge",
  video_too_long: "errorTooLarge",
  image_too_large: "errorTooLarge",
  not_media: "errorNotMedia",
  unsupported_media: "errorNotMedia",
  unsupported_media_type: "errorNotMedia",
  empty_media: "errorNotMedia",
  undecodable: "errorUndecodable",
  undecodable_video: "errorUndecodable",
  undecodable_image: "errorUndecodable",
  video_unavailable: "errorVideoUnavailable",
  live_video: "errorLiveVideo",
  unsupported_site: "errorUnsupportedSite",
  bad_url: "errorUnsupported",
  unsupported_scheme: "errorUnsupported",
  invalid_request: "errorUnsupported",
  // the content script's own reasons
  no_media_here: "errorNoMediaHere",
  not_media_link: "errorNotMediaLink",
  no_video_source: "errorNoVideoSource",
  capture_failed: "errorCaptureFailed",
  file_too_large: "errorTooLarge",
  // the service
  model_missing: "errorModelMissing",
  queue_full: "errorBusy",
  unavailable: "errorBusy",
  interrupted: "errorInterrupted",
  not_found: "errorGone",
  not_done: "errorNotDone",
  frames_too_large: "errorTooLarge",
  database_unusable: "errorCompanionBroken",
  token_unavailable: "errorCompanionBroken",
});

const DEFAULT_TIMEOUT_MS = 15000;
const UPLOAD_TIMEOUT_MS = 180000;
const NETWORK_RETRIES = 2;
const BUSY_RETRIES = 4;
const MAX_RETRY_AFTER_S = 15;
const POLL_START_MS = 300;
const POLL_MAX_MS = 2000;
const POLL_GIVE_UP_MS = 20 * 60 * 1000;

/** The locale key explaining an error code (errorUnknown for codes not in the table). */
export function errorKeyFor(code) {
  return Object.hasOwn(ERROR_KEYS, code) ? ERROR_KEYS[code] : "errorUnknown";
}

/** An error the user can act on: a stable code, its locale key, the HTTP status (0: none) and a message. */
export class CompanionError extends Error {
  constructor(code, message = "", status = 0) {
    super(message || code);
    this.name = "CompanionError";
    this.code = code;
    this.status = status;
    this.key = errorKeyFor(code);
  }

  /** A plain, cloneable form for messages and storage. */
  toJSON() {
    return { code: this.code, key: this.key, message: this.message, status: this.status };
  }
}

/** Seconds from a Retry-After header (a number of seconds), clamped; null when absent or a date. */
export function retryAfterSeconds(header) {
  const seconds = Number(header);
  if (header === null || header === undefined || header === "" || !Number.isFinite(seconds)) return null;
  return Math.min(MAX_RETRY_AFTER_S, Math.max(0, seconds));
}

/** Milliseconds to wait before network retry number `attempt` (0-based): 0.5 s, 1 s, 2 s, ... */
export function backoffMs(attempt) {
  return 500 * 2 ** attempt;
}

/** The CompanionError for a non-2xx response whose body (maybe not JSON) was read as text. */
export function errorFromResponse(status, bodyText) {
  let code = null;
  let message = "";
  try {
    const body = JSON.parse(bodyText);
    code = typeof body?.error?.code === "string" ? body.error.code : null;
    message = typeof body?.error?.message === "string" ? body.error.message : "";
  } catch {
    // not JSON: fall back on the status below
  }
  if (!code) code = status === 401 ? "bad_token" : status === 403 ? "origin_forbidden" : status === 503 ? "unavailable" : "bad_response";
  return new CompanionError(code, message || `HTTP ${status}`, status);
}

/**
 * A companion client. `getConfig()` -> {baseUrl, token}; `fetchImpl` is fetch; `sleep(ms)` waits.
 * Every method resolves with parsed JSON (or text for CSV) or rejects with a CompanionError.
 */
export function createClient({ getConfig, fetchImpl = globalThis.fetch.bind(globalThis), sleep = defaultSleep }) {
  /** One HTTP call with a timeout; network failures become offline/timeout CompanionErrors. */
  async function once(url, init, timeoutMs) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      return await fetchImpl(url, { ...init, signal: controller.signal, credentials: "omit", cache: "no-store" });
    } catch (error) {
      if (controller.signal.aborted) throw new CompanionError("timeout", "the companion did not answer in time");
      throw new CompanionError("offline", `cannot reach the companion (${error?.message ?? error})`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A call with retries: network errors (backoff) and 503 with Retry-After (busy queue). */
  async function request(path, { method = "GET", json, body, auth = true, timeoutMs = DEFAULT_TIMEOUT_MS, as = "json" } = {}) {
    const { baseUrl, token } = await getConfig();
    if (auth && !token) throw new CompanionError("not_paired", "no pairing token yet");
    const headers = {};
    if (auth) headers.Authorization = `Bearer ${token}`;
    if (json !== undefined) headers["Content-Type"] = "application/json";
    const init = { method, headers, body: json !== undefined ? JSON.stringify(json) : body };
    for (let attempt = 0, busy = 0; ; ) {
      let response;
      try {
        response = await once(`${baseUrl}${path}`, init, timeoutMs);
      } catch (error) {
        if (error.code === "offline" && attempt < NETWORK_RETRIES) {
          await sleep(backoffMs(attempt++));
          continue;
        }
        throw error;
      }
      const wait = response.status === 503 ? retryAfterSeconds(response.headers.get("Retry-After")) : null;
      if (wait !== null && busy < BUSY_RETRIES) {
        busy += 1;
        await sleep(Math.max(250, wait * 1000));
        continue;
      }
      const text = await response.text();
      if (!response.ok) throw errorFromResponse(response.status, text);
      if (as === "text") return text;
      try {
        return text ? JSON.parse(text) : null;
      } catch {
        throw new CompanionError("bad_response", "the companion answered with something that is not JSON", response.status);
      }
    }
  }

  /** Poll an analysis until it is done or failed; onProgress(fraction, stage) on each step. */
  async function waitForAnalysis(id, onProgress = () => {}) {
    const started = Date.now();
    for (let delay = POLL_START_MS; ; delay = Math.min(POLL_MAX_MS, Math.round(delay * 1.5))) {
      const analysis = await request(`/v1/analyses/${encodeURIComponent(id)}`);
      if (analysis.status === "done") return analysis;
      if (analysis.status === "failed") {
        const error = analysis.error ?? {};
        throw new CompanionError(error.code || "bad_response", error.message || "the analysis failed");
      }
      await onProgress(analysis.progress?.fraction ?? 0, analysis.progress?.stage ?? analysis.status);
      if (Date.now() - started > POLL_GIVE_UP_MS) throw new CompanionError("timeout", "the analysis took too long");
      await sleep(delay);
    }
  }

  return Object.freeze({
    request,
    waitForAnalysis,
    health: () => request("/v1/health", { auth: false, timeoutMs: 5000 }),
    verifyToken: () => request("/v1/analyses?limit=1", { timeoutMs: 5000 }),
    /** POST /v1/analyses with a JSON source ({url} | {page_url} | {frames}); 202 {id} or 200 analysis. */
    submit: (payload) => request("/v1/analyses", { method: "POST", json: payload, timeoutMs: UPLOAD_TIMEOUT_MS }),
    /** POST /v1/analyses with a multipart `file` (a Blob) named `name`. */
    submitFile: (blob, name) => {
      const form = new FormData();
      form.append("file", blob, name || "upload");
      return request("/v1/analyses", { method: "POST", body: form, timeoutMs: UPLOAD_TIMEOUT_MS });
    },
    getAnalysis: (id) => request(`/v1/analyses/${encodeURIComponent(id)}`),
    feedback: (id, label, note = "") => request(`/v1/analyses/${encodeURIComponent(id)}/feedback`, { method: "POST", json: note ? { label, note } : { label } }),
    /** The report of an analysis: self-contained HTML, or JSON text. */
    report: (id, format = "html") => request(`/v1/analyses/${encodeURIComponent(id)}/report?format=${format === "json" ? "json" : "html"}`, { as: "text" }),
    feedbackCsv: () => request("/v1/feedback.csv", { as: "text" }),
  });
}

/** Wait `ms` milliseconds. */
function defaultSleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
