// The background (Chrome: service worker; Firefox: event page). Every listener is registered here,
// synchronously at the top level, so a worker restarted for an event still receives it; all state
// lives in storage (see state.js, checks.js, verdicts.js), none in globals.
import "../shared/ext.js";
import "../shared/messages.js";
import "../shared/settings.js";
import "../content/find-media.js";
import { createClient, CompanionError } from "./companion.js";
import { createRouter, FROM } from "./router.js";
import { createMenus, onMenuClicked } from "./menus.js";
import * as checks from "./checks.js";
import * as verdicts from "./verdicts.js";

const { ext, messages: MSG, settings, findMedia } = globalThis.Unmask;
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_NOTE_CHARS = 2000;
const ANALYSIS_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The companion's address and the pairing token, read from storage on every call. */
async function companionConfig() {
  const stored = await ext.storage.local.get([...settings.SETTING_KEYS, settings.TOKEN_KEY]);
  return { baseUrl: settings.normalize(stored).companionUrl, token: stored[settings.TOKEN_KEY] || "" };
}

const client = createClient({ getConfig: companionConfig });
checks.useClient(client);

/** The companion's state for the popup and options: ready, not paired, bad token, offline, ... */
async function companionStatus() {
  const { baseUrl, token } = await companionConfig();
  const status = { companionUrl: baseUrl, paired: Boolean(token), state: "ready", modelVersion: null, problem: null };
  try {
    const health = await client.health();
    status.modelVersion = (health.models ?? []).map((m) => (m.version ? `${m.name} ${m.version}` : null)).filter(Boolean).join(", ") || null;
    if (health.status !== "ok") {
      status.problem = [...(health.models ?? []).map((m) => m.missing), health.faces?.missing].filter(Boolean).join("; ");
    }
  } catch (error) {
    return { ...status, state: "offline", errorKey: error.key ?? "errorOffline" };
  }
  if (!token) return { ...status, state: "not_paired", errorKey: "errorNotPaired" };
  try {
    await client.verifyToken();
  } catch (error) {
    return { ...status, state: error.code === "bad_token" ? "bad_token" : "error", errorKey: error.key ?? "errorUnknown" };
  }
  return status.problem ? { ...status, state: "degraded" } : status;
}

/** Save a pairing token (and address) after the companion accepted it; answers the new status. */
async function pair({ token, companionUrl }) {
  const cleaned = String(token ?? "").trim();
  if (!cleaned) throw new CompanionError("not_paired", "paste the token that `unmask token` prints");
  const baseUrl = companionUrl ? String(companionUrl).trim().replace(/\/+$/, "") : (await companionConfig()).baseUrl;
  if (!settings.isCompanionUrl(baseUrl)) throw new CompanionError("bad_address", "the companion only listens on http://127.0.0.1 or http://localhost");
  const probe = createClient({ getConfig: async () => ({ baseUrl, token: cleaned }) });
  await probe.verifyToken();
  await ext.storage.local.set({ companionUrl: baseUrl, [settings.TOKEN_KEY]: cleaned });
  return companionStatus();
}

/** A checkable source sent by a content script, validated field by field. */
function validSource(source) {
  if (source?.type === "url" || source?.type === "page_url") {
    if (!findMedia.isHttpUrl(source.url)) throw new CompanionError("bad_url", "not an http(s) URL");
    return { type: source.type, url: source.url };
  }
  if (source?.type === "unsupported") throw new CompanionError(String(source.reason), "nothing to check here");
  if (source?.type === "frames" && Array.isArray(source.frames) && source.frames.length > 0) {
    const frames = source.frames.map((f) => ({ data: String(f.data), timestamp: Number(f.timestamp) || 0 }));
    return { type: "frames", frames };
  }
  throw new CompanionError("invalid_request", "unknown source");
}

/** Bytes of a base64 text. */
function base64Bytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Check a file the check-file page read: upload it, wait for the result. */
async function checkFile({ name, mime, data }) {
  const bytes = base64Bytes(String(data ?? ""));
  if (bytes.length === 0 || bytes.length > MAX_FILE_BYTES) throw new CompanionError("file_too_large", "use `unmask scan FILE` for files this large");
  const answer = await client.submitFile(new Blob([bytes], { type: mime || "application/octet-stream" }), String(name || "upload"));
  return answer.status === "done" ? answer : client.waitForAnalysis(answer.id);
}

const route = createRouter(
  {
    [MSG.CHECK_MEDIA]: {
      from: FROM.CONTENT,
      handle: async (msg, sender) => {
        const sub = { tabId: sender.tab.id, frameId: sender.frameId, mediaKey: String(msg.mediaKey) };
        await checks.request(sub, validSource(msg.source), Boolean(msg.force));
        return { accepted: true };
      },
    },
    [MSG.PAGE_READY]: {
      from: FROM.CONTENT,
      handle: async (msg, sender) => {
        if (sender.frameId !== 0) return null;
        await checks.forgetTab(sender.tab.id);
        await verdicts.clearTab(sender.tab.id);
        return null;
      },
    },
    [MSG.SEND_FEEDBACK]: { from: FROM.CONTENT, handle: (msg) => sendFeedback(msg) },
    [MSG.OPEN_REPORT]: { from: FROM.CONTENT, handle: (msg) => openReport(msg) },
    [MSG.COMPANION_UP]: { from: FROM.CONTENT, handle: () => client.health().then(() => true, () => false) },
    [MSG.REVEAL_MEDIA]: {
      from: FROM.PAGE,
      handle: (msg) => ext.tabs.sendMessage(Number(msg.tabId), { type: MSG.SHOW_MEDIA, mediaKey: String(msg.mediaKey) }, Number(msg.frameId) || 0),
    },
    [MSG.CHECK_ADDRESS]: { from: FROM.PAGE, handle: (msg) => checkAddress(msg) },
    [MSG.GET_HISTORY]: {
      from: FROM.PAGE,
      handle: (msg) => {
        const limit = Math.min(100, Math.max(1, Number(msg.limit) || 50));
        const cursor = msg.cursor ? `&cursor=${encodeURIComponent(String(msg.cursor))}` : "";
        return client.request(`/v1/analyses?limit=${limit}${cursor}`);
      },
    },
    [MSG.PROBE_COMPANION]: { from: FROM.PAGE, handle: (msg) => probeCompanion(msg) },
    [MSG.GET_REPORT]: { from: FROM.PAGE, handle: async (msg) => ({ text: await client.report(analysisIdOf(msg), msg.format) }) },
    [MSG.PAGE_FEEDBACK]: { from: FROM.PAGE, handle: (msg) => sendFeedback(msg) },
    [MSG.GET_STATUS]: { from: FROM.PAGE, handle: () => companionStatus() },
    [MSG.PAIR]: { from: FROM.PAGE, handle: (msg) => pair(msg) },
    [MSG.GET_TAB_RESULTS]: { from: FROM.PAGE, handle: (msg) => verdicts.list(Number(msg.tabId)) },
    [MSG.EXPORT_FEEDBACK]: { from: FROM.PAGE, handle: async () => ({ csv: await client.feedbackCsv() }) },
    [MSG.CHECK_FILE]: { from: FROM.PAGE, handle: (msg) => checkFile(msg) },
  },
  { extensionId: ext.runtime.id(), extensionOrigin: ext.runtime.getURL("") },
);

/** Record "this looks wrong" for an analysis (with the user's optional note); answers the analysis. */
function sendFeedback({ analysisId, label, note }) {
  if (label !== "fake" && label !== "real") throw new CompanionError("invalid_request", "label must be fake or real");
  return client.feedback(analysisIdOf({ analysisId }), label, String(note ?? "").slice(0, MAX_NOTE_CHARS));
}

/** A message's analysis id, checked. */
function analysisIdOf({ analysisId }) {
  const id = String(analysisId ?? "");
  if (!ANALYSIS_ID.test(id)) throw new CompanionError("invalid_request", "not an analysis id");
  return id;
}

/** Check media by its address (typed or pasted): a video page for yt-dlp, else the address itself. */
async function checkAddress({ url }) {
  const text = String(url ?? "").trim();
  if (!findMedia.isHttpUrl(text)) throw new CompanionError("bad_url", "not an http(s) address");
  const answer = await client.submit(findMedia.isVideoPage(text) ? { page_url: text } : { url: text });
  return answer.status === "done" ? answer : client.waitForAnalysis(answer.id);
}

/** Whether a companion answers at an address (no token needed), and its models. */
async function probeCompanion({ companionUrl }) {
  const baseUrl = String(companionUrl ?? "").trim().replace(/\/+$/, "");
  if (!settings.isCompanionUrl(baseUrl)) throw new CompanionError("bad_address", "the companion only listens on http://127.0.0.1 or http://localhost");
  const probe = createClient({ getConfig: async () => ({ baseUrl, token: "" }) });
  try {
    const health = await probe.health();
    return { found: true, models: (health.models ?? []).map((m) => `${m.name} ${m.version ?? ""}`.trim()).join(", ") };
  } catch {
    return { found: false, models: "" };
  }
}

/** Open the report page of an analysis in a new tab. */
async function openReport(msg) {
  await ext.tabs.create({ url: ext.runtime.getURL(`src/report/report.html?id=${encodeURIComponent(analysisIdOf(msg))}`) });
  return null;
}

ext.runtime.onMessage(route);
ext.menus.onClicked((info, tab) => void onMenuClicked(info, tab));
ext.runtime.onInstalled((details) => {
  void createMenus();
  // A first install opens the welcome page: it finds the companion, pairs and runs a test check.
  if (details?.reason === "install") void ext.tabs.create({ url: ext.runtime.getURL("src/welcome/welcome.html") });
});
ext.runtime.onStartup(() => void createMenus());
ext.tabs.onRemoved((tabId) => {
  void checks.forgetTab(tabId);
  void verdicts.clearTab(tabId, false);
});

// Pick up checks a stopped worker left unfinished.
void checks.resume();

// For the end-to-end tests and the browser console: what the menu does, callable with a synthetic click.
globalThis.Unmask.background = Object.freeze({ onMenuClicked, companionStatus });
