// The only file that touches chrome.* / browser.*: a thin promise shim shared by every context.
// A classic script (content scripts cannot be modules) that also loads as a module: it publishes
// `globalThis.Unmask.ext` and reads the browser API lazily, so importing it in Node does nothing.
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});

  /** The browser's extension API object (Firefox `browser`, Chrome `chrome`). */
  function api() {
    const found = globalThis.browser ?? globalThis.chrome;
    if (!found || !found.runtime) throw new Error("no WebExtension API in this context");
    return found;
  }

  /** Wrap a handler returning a value or promise so both browsers get a reply through sendResponse. */
  function replyingListener(handler) {
    return (message, sender, sendResponse) => {
      Promise.resolve()
        .then(() => handler(message, sender))
        .then(
          (value) => sendResponse({ ok: true, value: value ?? null }),
          (error) => sendResponse({ ok: false, error: errorPayload(error) }),
        );
      return true;
    };
  }

  /** A plain, cloneable description of an error thrown by a message handler. */
  function errorPayload(error) {
    return {
      code: error?.code ?? "internal_error",
      key: error?.key ?? null,
      message: String(error?.message ?? error),
    };
  }

  /** Unwrap a reply made by replyingListener: the value, or throw the error it carries. */
  function unwrapReply(reply) {
    if (!reply) throw Object.assign(new Error("no reply"), { code: "no_reply" });
    if (reply.ok) return reply.value;
    throw Object.assign(new Error(reply.error.message), reply.error);
  }

  ns.ext = Object.freeze({
    runtime: Object.freeze({
      id: () => api().runtime.id,
      getURL: (path) => api().runtime.getURL(path),
      sendMessage: async (message) => unwrapReply(await api().runtime.sendMessage(message)),
      onMessage: (handler) => api().runtime.onMessage.addListener(replyingListener(handler)),
      onInstalled: (listener) => api().runtime.onInstalled.addListener(listener),
      onStartup: (listener) => api().runtime.onStartup.addListener(listener),
      openOptionsPage: () => api().runtime.openOptionsPage(),
    }),
    storage: Object.freeze({
      local: Object.freeze({
        get: (keys) => api().storage.local.get(keys),
        set: (items) => api().storage.local.set(items),
        remove: (keys) => api().storage.local.remove(keys),
      }),
      session: Object.freeze({
        get: (keys) => api().storage.session.get(keys),
        set: (items) => api().storage.session.set(items),
        remove: (keys) => api().storage.session.remove(keys),
      }),
      onChanged: (listener) => api().storage.onChanged.addListener(listener),
    }),
    tabs: Object.freeze({
      sendMessage: async (tabId, message, frameId) =>
        unwrapReply(await api().tabs.sendMessage(tabId, message, frameId === undefined ? {} : { frameId })),
      query: (query) => api().tabs.query(query),
      get: (tabId) => api().tabs.get(tabId),
      create: (props) => api().tabs.create(props),
      onRemoved: (listener) => api().tabs.onRemoved.addListener(listener),
    }),
    menus: Object.freeze({
      create: (props) =>
        new Promise((resolve) => {
          api().contextMenus.create(props, () => {
            void api().runtime.lastError; // a duplicate id after a restart is harmless
            resolve();
          });
        }),
      removeAll: () => api().contextMenus.removeAll(),
      onClicked: (listener) => api().contextMenus.onClicked.addListener(listener),
    }),
    scripting: Object.freeze({
      /** Run classic script files in one frame of a tab, in order. */
      inject: (tabId, frameId, files) => api().scripting.executeScript({ target: { tabId, frameIds: [frameId] }, files }),
    }),
    action: Object.freeze({
      setBadgeText: (details) => api().action.setBadgeText(details),
      setBadgeBackgroundColor: (details) => api().action.setBadgeBackgroundColor(details),
      setTitle: (details) => api().action.setTitle(details),
    }),
    i18n: Object.freeze({
      /** The message for a locale key (with $1.. substitutions), or the key itself when missing. */
      t: (key, substitutions) => api().i18n.getMessage(key, substitutions) || key,
    }),
  });
})();
