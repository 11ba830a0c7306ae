// Message types between the extension's parts. Classic script that also loads as a module
// (publishes globalThis.Unmask.messages).
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});

  ns.messages = Object.freeze({
    // content script -> background
    CHECK_MEDIA: "check-media", // {mediaKey, source, auto, force}
    PAGE_READY: "page-ready", // {} a new document in the tab's top frame
    SEND_FEEDBACK: "send-feedback", // {analysisId, label: "fake"|"real"}
    // background -> content script
    CONTEXT_CHECK: "context-check", // {info: {mediaType, srcUrl, linkUrl, pageUrl}}
    CHECK_UPDATE: "check-update", // {mediaKey, update: {phase, fraction, stage, analysis, error}}
    // extension pages (popup, options, check-file) -> background
    GET_STATUS: "get-status", // {} -> {state, modelVersion, companionUrl, paired}
    PAIR: "pair", // {token, companionUrl} -> status
    GET_TAB_RESULTS: "get-tab-results", // {tabId} -> [items]
    EXPORT_FEEDBACK: "export-feedback", // {} -> {csv}
    CHECK_FILE: "check-file", // {name, mime, data (base64)} -> analysis
    PAGE_FEEDBACK: "page-feedback", // {analysisId, label} from an extension page
  });
})();
