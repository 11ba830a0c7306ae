// The toolbar popup: companion status and pairing, automatic checking for this site, this tab's results.
import "../shared/ext.js";
import "../shared/messages.js";
import "../shared/settings.js";
import "../shared/format.js";
import "../content/badge-state.js";
import { ask, localize, statusText, t } from "../ui/page.js";

const { ext, messages: MSG, settings, format, badgeState } = globalThis.Unmask;
const REFRESH_MS = 1000;

/** The tab this popup is about: ?tabId= (when opened as a page) or the active tab. */
async function targetTab() {
  const param = new URLSearchParams(location.search).get("tabId");
  if (param !== null) return ext.tabs.get(Number(param));
  const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
  return tab;
}

/** Show the companion's status, and the pairing form when it is needed. */
function showStatus(status) {
  const box = document.getElementById("status");
  document.getElementById("status-text").textContent = statusText(status);
  box.className = `status-box ${status.state === "ready" ? "ok" : "bad"}`;
  document.getElementById("pair-form").hidden = !["not_paired", "bad_token"].includes(status.state);
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

/** One line of the results list. */
function resultItem(item) {
  const li = document.createElement("li");
  const dot = document.createElement("span");
  const label = document.createElement("span");
  const verdict = document.createElement("span");
  let tone = "checking";
  let text = t("badgeChecking");
  if (item.phase === "done" && badgeState.VERDICT_VIEWS[item.verdict]) {
    const look = badgeState.VERDICT_VIEWS[item.verdict];
    tone = look.tone;
    text = [t(look.labelKey), badgeState.percent(item.score)].filter(Boolean).join(" ");
  } else if (item.phase === "error") {
    tone = "error";
    text = t(item.errorKey ?? "errorUnknown");
  }
  dot.className = `dot tone-${tone}`;
  label.className = "label";
  label.textContent = format.shortLabel(item.label);
  label.title = item.label ?? "";
  verdict.textContent = text;
  li.append(dot, label, verdict);
  return li;
}

/** Refresh the list of this tab's results. */
async function showResults(tabId) {
  const items = await ask({ type: MSG.GET_TAB_RESULTS, tabId });
  const list = document.getElementById("results");
  list.replaceChildren(...items.map(resultItem));
  document.getElementById("no-results").hidden = items.length > 0;
}

/** Pair with the token typed into the form. */
async function onPair(event) {
  event.preventDefault();
  const error = document.getElementById("pair-error");
  error.textContent = "";
  try {
    showStatus(await ask({ type: MSG.PAIR, token: document.getElementById("token").value }));
  } catch (failure) {
    error.textContent = t(failure.key ?? "errorUnknown");
  }
}

async function main() {
  localize();
  document.getElementById("pair-form").addEventListener("submit", onPair);
  document.getElementById("open-options").addEventListener("click", () => ext.runtime.openOptionsPage());
  document.getElementById("open-check-file").addEventListener("click", () => ext.tabs.create({ url: ext.runtime.getURL("src/check-file/check-file.html") }));
  const tab = await targetTab();
  await showSite(tab);
  if (tab?.id >= 0) {
    await showResults(tab.id);
    setInterval(() => showResults(tab.id), REFRESH_MS);
  }
  showStatus(await ask({ type: MSG.GET_STATUS }));
}

void main();
