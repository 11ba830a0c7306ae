// Message types between the extension's parts. Classic script that also loads as a module
// (publishes globalThis.Unmask.messages).
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});

  ns.messages = Object.freeze({
    // content script -> background
    CHECK_MEDIA: "check-media", // {mediaKey, source, auto, force}
    PAGE_READY: "page-ready", // {} a new document in the tab's top frame
    SEND_FEEDBACK: "send-feedback", // {analysisId, label: "fake"|"real", note} -> analysis
    OPEN_REPORT: "open-report", // {analysisId} opens the report page in a new tab
    COMPANION_UP: "companion-up", // {} -> whether the companion answers (to retry "Not checked" badges)
    // background -> content script
    CONTEXT_CHECK: "context-check", // {info: {mediaType, srcUrl, linkUrl, pageUrl}}
    CHECK_UPDATE: "check-update", // {mediaKey, update: {phase, fraction, stage, analysis, error}}
    SHOW_MEDIA: "show-media", // {mediaKey} scroll to the media and focus its badge -> whether it was found
    // extension pages (popup, options, check-file) -> background
    GET_STATUS: "get-status", // {} -> {state, modelVersion, companionUrl, paired}
    PAIR: "pair", // {token, companionUrl} -> status
    GET_TAB_RESULTS: "get-tab-results", // {tabId} -> [items]
    EXPORT_FEEDBACK: "export-feedback", // {} -> {csv}
    CHECK_FILE: "check-file", // {name, mime, data (base64)} -> analysis
    PAGE_FEEDBACK: "page-feedback", // {analysisId, label, note} from an extension page -> analysis
    REVEAL_MEDIA: "reveal-media", // {tabId, frameId, mediaKey} from the popup -> whether it was found
    GET_REPORT: "get-report", // {analysisId, format: "html"|"json"} -> {text}
    CHECK_ADDRESS: "check-address", // {url} an image, video or video page address -> analysis
    GET_HISTORY: "get-history", // {limit, cursor} -> {items, next_cursor} (the companion's history)
    PROBE_COMPANION: "probe-companion", // {companionUrl} -> {found, models} (the welcome page looks for it)
  });
})();
