// Per-tab results (what the popup lists) and the toolbar badge that counts likely fakes on a tab.
import "../shared/ext.js";
import { readSession, updateSession } from "./state.js";

const { ext } = globalThis.Unmask;
const MAX_ITEMS_PER_TAB = 200;
const FAKE_BADGE_COLOR = "#b3261e";

/** The storage key of a tab's results. */
function tabKey(tabId) {
  return `tab:${tabId}`;
}

/** How many results of a tab are likely fakes. */
export function countLikelyFakes(items) {
  return Object.values(items).filter((item) => item.phase === "done" && item.verdict === "likely_fake").length;
}

/** The toolbar badge text for a count ("" hides the badge). */
export function badgeText(count) {
  if (count <= 0) return "";
  return count > 99 ? "99+" : String(count);
}

/** A tab's results entry made from a check update (only what the popup shows). */
export function itemFrom(update, base) {
  const result = update.analysis?.result;
  return {
    ...base,
    phase: update.phase,
    verdict: result?.verdict ?? null,
    score: result?.score ?? null,
    bands: result?.bands ?? base.bands ?? null,
    faces: Array.isArray(result?.faces) ? result.faces.length : base.faces ?? 0,
    analysisId: update.analysis?.id ?? base.analysisId ?? null,
    checkedAt: update.analysis?.created_at ?? base.checkedAt ?? null,
    errorKey: update.error?.key ?? null,
    updatedAt: Date.now(),
  };
}

/** Record a check's state for a tab's media and refresh the toolbar badge. */
export async function record(tabId, mediaKey, update, describe) {
  const key = tabKey(tabId);
  const count = await updateSession({ [key]: {} }, (values) => {
    const items = values[key];
    items[mediaKey] = itemFrom(update, { ...(items[mediaKey] ?? {}), ...describe, mediaKey });
    const keys = Object.keys(items);
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_ITEMS_PER_TAB))) delete items[old];
    return countLikelyFakes(items);
  });
  await showCount(tabId, count);
}

/** Forget a tab's results (new page or tab closed) and clear its badge. */
export async function clearTab(tabId, tabStillOpen = true) {
  await updateSession({ [tabKey(tabId)]: {} }, (values) => {
    values[tabKey(tabId)] = {};
  });
  if (tabStillOpen) await showCount(tabId, 0);
}

/** A tab's results, newest first (the popup orders them: likely fakes first). */
export async function list(tabId) {
  const values = await readSession({ [tabKey(tabId)]: {} });
  return Object.values(values[tabKey(tabId)]).sort((a, b) => b.updatedAt - a.updatedAt);
}

/** Put the count of likely fakes on the tab's toolbar icon. */
async function showCount(tabId, count) {
  try {
    await ext.action.setBadgeBackgroundColor({ tabId, color: FAKE_BADGE_COLOR });
    await ext.action.setBadgeText({ tabId, text: badgeText(count) });
    await ext.action.setTitle({ tabId, title: count > 0 ? ext.i18n.t("toolbarTitleFakes", [String(count)]) : ext.i18n.t("extensionName") });
  } catch {
    // the tab is gone
  }
}
