// Helpers shared by the extension's own pages (popup, options, check-file): localized static text
// and messages to the background.
import "../shared/ext.js";

const { ext } = globalThis.Unmask;
export const t = ext.i18n.t;

/** Fill every [data-i18n] element's text and [data-i18n-<attr>] attribute from the locale. */
export function localize(root = document) {
  document.documentElement.lang = t("@@ui_locale").replace("_", "-");
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const attr of ["placeholder", "aria-label", "title"]) {
    const data = `i18n${attr.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())}`;
    for (const node of root.querySelectorAll(`[data-i18n-${attr}]`)) node.setAttribute(attr, t(node.dataset[data]));
  }
}

/** Send a message to the background and return its answer (rejects with {code, key, message}). */
export function ask(message) {
  return ext.runtime.sendMessage(message);
}

/** A short text for the companion's state (from the GET_STATUS / PAIR answer). */
export function statusText(status) {
  switch (status.state) {
    case "ready":
      return t("statusConnected", [status.modelVersion ?? "?"]);
    case "degraded":
      return t("statusDegraded", [status.problem ?? ""]);
    case "not_paired":
      return t("statusNotPaired");
    case "bad_token":
      return t("statusBadToken");
    case "offline":
      return t("statusOffline", [status.companionUrl]);
    default:
      return t(status.errorKey ?? "errorUnknown");
  }
}
