// The content script's glue: remembers where the last right-click was, answers the menu, shows
// badges, captures frames when the companion cannot fetch a video, runs the automatic checks on
// opted-in sites. Every request goes through the background (pages may not reach the companion).
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});
  if (ns.contentStarted) return; // injected again into a tab that already had it
  ns.contentStarted = true;

  const { ext, messages: MSG, settings, findMedia, badgeState, capture } = ns;
  const t = ext.i18n.t;
  const FRAME_COUNT = 16;
  const MAX_REMEMBERED = 300;
  // "Not checked" reasons that go away by themselves: these badges are checked again once the companion answers.
  const RETRYABLE = new Set(["errorOffline", "errorBusy", "errorTimeout", "errorInterrupted"]);
  const RETRY_FIRST_MS = 3000;
  const RETRY_MAX_MS = 30000;
  let retryTimer = null;
  let retryDelay = RETRY_FIRST_MS;
  let prefs = settings.normalize({});
  let lastContextMenu = null; // {x, y, pageX, pageY, elements, target}
  let localKeys = 0;
  const requests = new Map(); // mediaKey -> {media, source, anchors} to run "Check again"

  // ---------------------------------------------------------------- right-click

  document.addEventListener(
    "contextmenu",
    (event) => {
      lastContextMenu = {
        pageX: event.pageX,
        pageY: event.pageY,
        elements: document.elementsFromPoint(event.clientX, event.clientY),
        target: event.target,
      };
    },
    { capture: true, passive: true },
  );

  /** The CSS background image of an element (for media drawn as backgrounds). */
  function backgroundImageOf(element) {
    return element instanceof Element ? getComputedStyle(element).backgroundImage : "";
  }

  /** The img/video whose URL is `srcUrl` (for a menu click whose position was not recorded). */
  function mediaBySrc(srcUrl) {
    if (!srcUrl) return null;
    for (const element of document.querySelectorAll("img, video")) {
      const media = findMedia.mediaOf(element);
      if (media?.url === srcUrl) return media;
    }
    return null;
  }

  /** The biggest visible video of the page (to carry the badge of a video page check). */
  function mainVideo() {
    let best = null;
    let bestArea = 0;
    for (const video of document.querySelectorAll("video")) {
      const r = video.getBoundingClientRect();
      if (r.width * r.height > bestArea) [best, bestArea] = [video, r.width * r.height];
    }
    return best;
  }

  /** Answer a menu click: find the media under the pointer, show its badge, start the check. */
  async function onContextCheck(info) {
    const at = lastContextMenu;
    const point = at ? { point: { x: at.pageX, y: at.pageY } } : { point: { x: window.scrollX + 16, y: window.scrollY + 16 } };
    let media = at ? findMedia.pickMedia(at.elements, backgroundImageOf, document.baseURI) : null;
    media ??= mediaBySrc(info.srcUrl);
    if (media) return start(media, findMedia.sourceFor(media, location.href), [media.element], true);
    if (info.linkUrl) {
      const link = at?.target instanceof Element ? at.target.closest("a[href]") : null;
      return start(null, findMedia.sourceForLink(info.linkUrl), [link ?? point], true);
    }
    const source = findMedia.sourceForPage(location.href);
    const video = source.type === "page_url" ? mainVideo() : null;
    return start(null, source, [video ?? point], true);
  }

  // ---------------------------------------------------------------- checks

  /** Frames for a source that needs them; a cross-origin video falls back to the page's address. */
  async function framesFor(media, source, key) {
    try {
      let frames;
      if (source.capture === "data-url") frames = capture.dataUrlFrame(media.url);
      else if (source.capture === "image") frames = capture.imageFrame(media.element);
      else {
        overlay.apply(key, { type: "capture", fraction: 0 });
        frames = await capture.videoFrames(media.element, FRAME_COUNT, (f) => overlay.apply(key, { type: "capture", fraction: f }));
      }
      return { type: "frames", frames };
    } catch (error) {
      if (error instanceof capture.CaptureTainted) {
        overlay.apply(key, { type: "note", note: "noteFramesTainted" });
        return { type: "page_url", url: location.href };
      }
      return { type: "unsupported", reason: "capture_failed" };
    }
  }

  /** Forget the requests of media no longer on the page (endless feeds remove what scrolled away). */
  function pruneRequests() {
    if (requests.size < MAX_REMEMBERED) return;
    for (const [key, request] of requests) {
      if (!request.anchors.some((a) => a.point || a.isConnected)) requests.delete(key);
    }
  }

  /** Show a badge on `anchors` and ask the background to check `source` (frames captured first). */
  async function start(media, source, anchors, manual, force = false) {
    const key = findMedia.sourceKey(source) ?? `local:${++localKeys}`;
    pruneRequests();
    requests.set(key, { media, source, anchors, manual });
    overlay.set(key, anchors, badgeState.initial(manual));
    const sent = source.type === "frames" ? await framesFor(media, source, key) : source;
    try {
      await ext.runtime.sendMessage({ type: MSG.CHECK_MEDIA, mediaKey: key, source: sent, auto: !manual, force });
    } catch (error) {
      onCheckUpdate({ mediaKey: key, update: { phase: "error", error: { key: error.key || "errorUnknown", code: error.code, message: error.message } } });
    }
    return key;
  }

  /** The checks whose badge says "Not checked" for a reason that goes away (companion stopped, busy). */
  function waitingChecks() {
    return overlay.keys().filter((key) => {
      const state = overlay.stateOf(key);
      return state?.phase === "error" && RETRYABLE.has(state.error?.key) && requests.has(key);
    });
  }

  /** Check again, without the user asking, the media whose companion was away (backing off while it still is). */
  async function retryWaiting() {
    retryTimer = null;
    const waiting = waitingChecks();
    if (!waiting.length) {
      retryDelay = RETRY_FIRST_MS;
      return;
    }
    let up = false;
    try {
      up = await ext.runtime.sendMessage({ type: MSG.COMPANION_UP });
    } catch {
      up = false;
    }
    if (!up) {
      retryDelay = Math.min(RETRY_MAX_MS, retryDelay * 2);
      scheduleRetry();
      return;
    }
    retryDelay = RETRY_FIRST_MS;
    for (const key of waiting) rerun(key, false);
  }

  /** Look again for the companion after the current delay (once). */
  function scheduleRetry() {
    if (!retryTimer) retryTimer = setTimeout(() => void retryWaiting(), retryDelay);
  }

  /** Check a known media again: "Check again" in a card (`manual`: past results skipped), or a retry. */
  function rerun(key, manual) {
    const request = requests.get(key);
    if (!request) return;
    const asked = manual || request.manual;
    overlay.apply(key, { type: "restart", manual: asked, note: null });
    const { media, source, anchors } = request;
    const again = async () => {
      const sent = source.type === "frames" ? await framesFor(media, source, key) : source;
      await ext.runtime.sendMessage({ type: MSG.CHECK_MEDIA, mediaKey: key, source: sent, auto: !asked, force: manual });
    };
    requests.set(key, { ...request, manual: asked, anchors });
    again().catch((error) => onCheckUpdate({ mediaKey: key, update: { phase: "error", error: { key: error.key || "errorUnknown", code: error.code } } }));
  }

  /** "Check again" in a card: the same media, past results skipped. */
  function checkAgain(key) {
    rerun(key, true);
  }

  /** An update pushed by the background for one of this frame's checks. */
  function onCheckUpdate({ mediaKey, update }) {
    if (update.phase === "done") overlay.apply(mediaKey, { type: "done", analysis: update.analysis });
    else if (update.phase === "error") {
      overlay.apply(mediaKey, { type: "error", error: update.error });
      if (RETRYABLE.has(update.error?.key)) scheduleRetry();
    } else overlay.apply(mediaKey, { type: "progress", fraction: update.fraction, stage: update.stage });
  }

  const overlay = ns.badges.createOverlay({
    t,
    prefs: () => prefs,
    onCheckAgain: checkAgain,
    onFeedback: (analysisId, label, note) => ext.runtime.sendMessage({ type: MSG.SEND_FEEDBACK, analysisId, label, note }),
    onReport: (analysisId) => ext.runtime.sendMessage({ type: MSG.OPEN_REPORT, analysisId }),
  });

  // ---------------------------------------------------------------- automatic checks

  const watcher = ns.autoCheck.createWatcher({
    minFacePx: () => prefs.minFacePx,
    onCandidate: (element, media, source) => {
      const key = findMedia.sourceKey(source);
      if (overlay.has(key)) {
        overlay.set(key, [element], overlay.stateOf(key)); // same URL elsewhere on the page: same badge
        return;
      }
      void start(media, source, [element], false);
    },
  });

  /** Start or stop the automatic checks for this site after the options changed. */
  function applyPrefs(stored) {
    prefs = settings.normalize(stored);
    const site = settings.siteOf(location.href);
    if (site && prefs.autoCheckSites.includes(site)) watcher.start();
    else watcher.stop();
    overlay.repaintAll();
  }

  // ---------------------------------------------------------------- wiring

  ext.runtime.onMessage((message) => {
    if (message?.type === MSG.CONTEXT_CHECK) return onContextCheck(message.info ?? {}).then(() => null);
    if (message?.type === MSG.CHECK_UPDATE) return onCheckUpdate(message);
    if (message?.type === MSG.SHOW_MEDIA) return overlay.reveal(String(message.mediaKey));
    return null;
  });
  ext.storage.onChanged((changes, area) => {
    if (area === "local" && settings.SETTING_KEYS.some((k) => k in changes)) {
      ext.storage.local.get(settings.SETTING_KEYS).then(applyPrefs);
    }
  });
  ext.storage.local.get(settings.SETTING_KEYS).then(applyPrefs);
  if (window === window.top) void ext.runtime.sendMessage({ type: MSG.PAGE_READY }).catch(() => {});
})();
