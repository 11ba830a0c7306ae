// The "Check for deepfake" context menu: created at install, and what a click does.
import "../shared/ext.js";
import "../shared/messages.js";
import "../content/find-media.js";
import * as checks from "./checks.js";

const { ext, messages: MSG, findMedia } = globalThis.Unmask;
export const MENU_ID = "unmask-check";
export const MENU_CONTEXTS = Object.freeze(["image", "video", "link", "page"]);
const CONTENT_SCRIPTS = Object.freeze([
  "src/shared/ext.js", "src/shared/messages.js", "src/shared/settings.js", "src/shared/format.js",
  "src/content/find-media.js", "src/content/badge-state.js", "src/content/capture.js", "src/ui/provenance-view.js",
  "src/ui/card.js", "src/content/badges.js", "src/content/auto-check.js", "src/content/main.js",
]);

/** (Re)create the menu entry; called on install, update and browser start. */
export async function createMenus() {
  await ext.menus.removeAll();
  await ext.menus.create({ id: MENU_ID, title: ext.i18n.t("menuCheck"), contexts: [...MENU_CONTEXTS] });
}

/** The part of a menu click the content script needs. */
function clickContext(info) {
  return { mediaType: info.mediaType ?? null, srcUrl: info.srcUrl ?? null, linkUrl: info.linkUrl ?? null, pageUrl: info.pageUrl ?? null };
}

/**
 * A click on "Check for deepfake": the content script of the clicked frame finds the media under the
 * pointer and asks for the check. A tab opened before the extension was installed gets the content
 * scripts first; a page that takes none (browser pages, the web store) gets a check by URL only.
 */
export async function onMenuClicked(info, tab) {
  if (info.menuItemId !== MENU_ID || !tab || !(tab.id >= 0)) return;
  const frameId = info.frameId ?? 0;
  const message = { type: MSG.CONTEXT_CHECK, info: clickContext(info) };
  try {
    await ext.tabs.sendMessage(tab.id, message, frameId);
    return;
  } catch {
    // no content script in that frame yet
  }
  try {
    await ext.scripting.inject(tab.id, frameId, CONTENT_SCRIPTS);
    await ext.tabs.sendMessage(tab.id, message, frameId);
  } catch {
    const source = info.srcUrl && findMedia.isHttpUrl(info.srcUrl) ? { type: "url", url: info.srcUrl } : null;
    if (source) await checks.request({ tabId: tab.id, frameId, mediaKey: findMedia.sourceKey(source) }, source);
  }
}
