// The options page: companion address and pairing, per-site automatic checks, display options,
// export of the user's corrections as CSV.
import "../shared/ext.js";
import "../shared/messages.js";
import "../shared/settings.js";
import { ask, localize, statusText, t } from "../ui/page.js";

const { ext, messages: MSG, settings } = globalThis.Unmask;
const $ = (id) => document.getElementById(id);

/** The stored options, normalized. */
async function load() {
  return settings.normalize(await ext.storage.local.get(settings.SETTING_KEYS));
}

/** Store some options and say so. */
async function save(items) {
  await ext.storage.local.set(items);
  $("saved").textContent = t("optionsSaved");
}

/** Show the companion's state (of the saved address). */
function showStatus(status) {
  $("status-text").textContent = t("optionsSavedStatus", [statusText(status)]);
  $("status").className = `status-box ${status.state === "ready" ? "ok" : "bad"}`;
}

/** Save the address and (new or current) token after the companion accepted them. */
async function onPair(event) {
  event.preventDefault();
  $("pair-error").textContent = "";
  const token = $("token").value.trim();
  try {
    const stored = await ext.storage.local.get(settings.TOKEN_KEY);
    const status = await ask({ type: MSG.PAIR, companionUrl: $("companion-url").value, token: token || stored[settings.TOKEN_KEY] || "" });
    $("token").value = "";
    showStatus(status);
    $("saved").textContent = t("optionsPaired");
  } catch (error) {
    // Name the address tried: the status above still describes the saved one.
    const tried = $("companion-url").value.trim().replace(/\/+$/, "") || settings.DEFAULTS.companionUrl;
    $("pair-error").textContent = t("optionsPairFailedAt", [tried, t(error.key ?? "errorUnknown")]);
  }
}

/** Draw the list of sites with automatic checks. */
function showSites(sites) {
  $("no-sites").hidden = sites.length > 0;
  $("sites").replaceChildren(
    ...sites.map((site) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      const remove = document.createElement("button");
      name.textContent = site;
      remove.type = "button";
      remove.textContent = t("optionsRemoveSite");
      remove.setAttribute("aria-label", t("optionsRemoveSiteAria", [site]));
      remove.addEventListener("click", async () => {
        const next = settings.withSite((await load()).autoCheckSites, site, false);
        await save({ autoCheckSites: next });
        showSites(next);
      });
      li.append(name, remove);
      return li;
    }),
  );
}

/** Add the typed site (a host name, or a URL whose host is taken). */
async function onAddSite(event) {
  event.preventDefault();
  const text = $("new-site").value.trim();
  const site = settings.siteOf(text.includes("://") ? text : `https://${text}`);
  if (!site) return;
  const next = settings.withSite((await load()).autoCheckSites, site, true);
  await save({ autoCheckSites: next });
  $("new-site").value = "";
  showSites(next);
}

/** Fetch the corrections CSV through the background and save it as a file. */
async function onExport() {
  $("export-status").textContent = "";
  try {
    const { csv } = await ask({ type: MSG.EXPORT_FEEDBACK });
    const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    const link = Object.assign(document.createElement("a"), { href: url, download: "unmask-corrections.csv" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    const rows = Math.max(0, csv.trim().split("\n").length - 1);
    $("export-status").textContent = rows === 1 ? t("optionsExportedOne") : t("optionsExported", [String(rows)]);
  } catch (error) {
    $("export-status").textContent = t(error.key ?? "errorUnknown");
  }
}

async function main() {
  localize();
  const prefs = await load();
  $("companion-url").value = prefs.companionUrl;
  $("min-face").value = String(prefs.minFacePx);
  $("show-likely-real").checked = prefs.showLikelyReal;
  $("show-no-face").checked = prefs.showNoFace;
  $("reverse-search").checked = prefs.reverseSearch;
  showSites(prefs.autoCheckSites);
  $("pair-form").addEventListener("submit", onPair);
  $("add-site").addEventListener("submit", onAddSite);
  $("export").addEventListener("click", onExport);
  $("min-face").addEventListener("change", () => save({ minFacePx: settings.normalize({ minFacePx: $("min-face").value }).minFacePx }));
  $("show-likely-real").addEventListener("change", (e) => save({ showLikelyReal: e.target.checked }));
  $("show-no-face").addEventListener("change", (e) => save({ showNoFace: e.target.checked }));
  $("reverse-search").addEventListener("change", (e) => save({ reverseSearch: e.target.checked }));
  showStatus(await ask({ type: MSG.GET_STATUS }));
}

void main();
