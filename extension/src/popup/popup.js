// The toolbar popup: companion status and pairing, automatic checking for this site, this tab's results.
import "../shared/ext.js";
import "../shared/messages.js";
import "../shared/settings.js";
import "../shared/format.js";
import "../content/badge-state.js";
import { ask, localize, statusText, t } from "../ui/page.js";

const { ext, messages: MSG, settings, format, badgeState } = globalThis.Unmask;
const REFRESH_MS = 1000;
const STATUS_REFRESH_MS = 2000;
let openedAsPage = false;

/** The tab this popup is about: ?tabId= (when opened as a page) or the active tab. */
async function targetTab() {
  const param = new URLSearchParams(location.search).get("tabId");
  openedAsPage = param !== null;
  if (param !== null) return ext.tabs.get(Number(param));
  const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
  return tab;
}

/** Show the companion's status, and the pairing form when it is needed. */
function showStatus(status) {
  const box = document.getElementById("status");
  document.getElementById("status-text").textContent = statusText(status);
  box.className = `status-box ${status.state === "ready" ? "ok" : "bad"}`;
  const form = document.getElementById("pair-form");
  const wasHidden = form.hidden;
  // Offline too: the companion may listen on another port, which is typed here.
  form.hidden = !["not_paired", "bad_token", "offline"].includes(status.state);
  const address = document.getElementById("companion-url");
  if (wasHidden && !form.hidden && document.activeElement !== address) address.value = status.companionUrl ?? "";
}

/** The auto-check switch for the tab's site (hidden on pages that are not web pages). */
async function showSite(tab) {
  const site = settings.siteOf(tab?.url ?? "");
  document.getElementById("site-box").hidden = !site;
  if (!site) return;
  const prefs = settings.normalize(await ext.storage.local.get(settings.SETTING_KEYS));
  const box = document.getElementById("auto-check");
  box.checked = prefs.autoCheckSites.includes(site);
  document.getElementById("site-name").textContent = t("popupSiteHint", [site]);
  box.addEventListener("change", async () => {
    const current = settings.normalize(await ext.storage.local.get(settings.SETTING_KEYS));
    await ext.storage.local.set({ autoCheckSites: settings.withSite(current.autoCheckSites, site, box.checked) });
  });
}

/** A small bar of the manipulation score on its bands, or null. */
function miniBar(score, bands) {
  const bar = format.scoreBar(score, bands);
  if (!bar) return null;
  const track = document.createElement("span");
  track.className = "mini-bar";
  track.setAttribute("aria-hidden", "true");
  for (const [name, width] of [["b-real", bar.real], ["b-unsure", bar.unsure], ["b-fake", bar.fake]]) {
    const part = document.createElement("span");
    part.className = name;
    part.style.width = `${width}%`;
    track.append(part);
  }
  if (bar.marker !== null) {
    const at = document.createElement("i");
    at.style.left = `${bar.marker}%`;
    track.append(at);
  }
  return track;
}

/** One row of the results list: a button that shows the media on the page. */
function resultItem(item, tabId) {
  const li = document.createElement("li");
  const row = document.createElement("button");
  const dot = document.createElement("span");
  const label = document.createElement("span");
  const verdict = document.createElement("span");
  let tone = "checking";
  let text = t("badgeChecking");
  if (item.phase === "done" && badgeState.VERDICT_VIEWS[item.verdict]) {
    const look = badgeState.VERDICT_VIEWS[item.verdict];
    tone = look.tone;
    const score = badgeState.percent(item.score);
    text = [t(look.labelKey), score ? t("badgeScore", [score]) : ""].filter(Boolean).join(" · ");
  } else if (item.phase === "error") {
    tone = "error";
    text = `${t("badgeError")}: ${t(item.errorKey ?? "errorUnknown")}`;
  }
  row.type = "button";
  row.className = "row-button";
  dot.className = `dot tone-${tone}`;
  dot.setAttribute("aria-hidden", "true");
  label.className = "label";
  label.textContent = format.shortLabel(item.label) || t("popupUnnamed");
  label.title = item.label ?? "";
  verdict.className = "verdict";
  verdict.textContent = text;
  const texts = document.createElement("span");
  texts.className = "texts";
  texts.append(label, verdict);
  const bar = item.phase === "done" ? miniBar(item.score, item.bands) : null;
  if (bar) texts.append(bar);
  row.append(dot, texts);
  row.setAttribute("aria-label", t("popupRowAria", [label.textContent, format.spokenList([text])]));
  row.addEventListener("click", async () => {
    const found = await ask({ type: MSG.REVEAL_MEDIA, tabId, frameId: item.frameId ?? 0, mediaKey: item.mediaKey }).catch(() => false);
    if (found && !openedAsPage) window.close();
  });
  li.append(row);
  return li;
}

/** Refresh the list of this tab's results (likely fakes first) and their counts; keeps the focused row. */
async function showResults(tabId) {
  const items = await ask({ type: MSG.GET_TAB_RESULTS, tabId });
  const { rows, counts } = format.popupRows(items);
  const list = document.getElementById("results");
  const focusedKey = list.contains(document.activeElement) ? document.activeElement.dataset.key : null;
  list.replaceChildren(...rows.map((item) => {
    const li = resultItem(item, tabId);
    li.firstChild.dataset.key = item.mediaKey;
    return li;
  }));
  if (focusedKey) list.querySelector(`[data-key="${CSS.escape(focusedKey)}"]`)?.focus();
  document.getElementById("no-results").hidden = items.length > 0;
  const countLine = document.getElementById("counts");
  countLine.hidden = items.length === 0;
  countLine.textContent = t("popupCounts", [String(counts.likely_fake), String(counts.inconclusive), String(counts.likely_real)]);
}

/** Pair with the token typed into the form. */
async function onPair(event) {
  event.preventDefault();
  const error = document.getElementById("pair-error");
  error.textContent = "";
  try {
    showStatus(await ask({ type: MSG.PAIR, token: document.getElementById("token").value, companionUrl: document.getElementById("companion-url").value }));
  } catch (failure) {
    error.textContent = t(failure.key ?? "errorUnknown");
  }
}

async function main() {
  localize();
  document.getElementById("pair-form").addEventListener("submit", onPair);
  document.getElementById("open-options").addEventListener("click", () => ext.runtime.openOptionsPage());
  document.getElementById("open-check-file").addEventListener("click", () => ext.tabs.create({ url: ext.runtime.getURL("src/check-file/check-file.html") }));
  document.getElementById("open-history").addEventListener("click", () => ext.tabs.create({ url: ext.runtime.getURL("src/history/history.html") }));
  document.getElementById("address-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const url = document.getElementById("address").value.trim();
    if (url) void ext.tabs.create({ url: ext.runtime.getURL(`src/check-file/check-file.html?url=${encodeURIComponent(url)}`) });
  });
  const tab = await targetTab();
  await showSite(tab);
  if (tab?.id >= 0) {
    await showResults(tab.id);
    setInterval(() => showResults(tab.id), REFRESH_MS);
  }
  const refreshStatus = async () => showStatus(await ask({ type: MSG.GET_STATUS }).catch(() => ({ state: "offline", companionUrl: "" })));
  await refreshStatus();
  setInterval(refreshStatus, STATUS_REFRESH_MS); // the companion may stop or come back while the popup is open
}

void main();
