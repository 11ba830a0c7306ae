// Automatic checking on sites the user opted in: images and video files with a face-sized box are
// checked as they scroll into view (IntersectionObserver), including media added later by infinite
// feeds (MutationObserver). Candidates are batched (debounce) and each URL is asked for once; the
// background queues the checks with a concurrency limit. Classic script (globalThis.Unmask.autoCheck).
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});
  const DEBOUNCE_MS = 300;
  const MEDIA_SELECTOR = "img, video";

  /**
   * A watcher: start() / stop(). `options`: minFacePx() -> number, onCandidate(element, media, source)
   * for each new visible face-sized media URL.
   */
  function createWatcher(options) {
    const { findMedia } = ns;
    const visible = new Set();
    const checkedUrl = new WeakMap(); // element -> the URL last sent for it
    let flushTimer = null;
    let intersection = null;
    let mutation = null;

    /** Look at every visible element again after a quiet moment. */
    function scheduleFlush() {
      if (flushTimer === null) flushTimer = setTimeout(flush, DEBOUNCE_MS);
    }

    /** Send the visible, face-sized, not yet checked media. */
    function flush() {
      flushTimer = null;
      for (const element of visible) {
        if (!element.isConnected) {
          visible.delete(element);
          continue;
        }
        const media = findMedia.mediaOf(element);
        if (!media) continue;
        const source = findMedia.autoSource(media, element.getBoundingClientRect(), options.minFacePx(), location.href);
        if (!source || checkedUrl.get(element) === source.url) continue;
        checkedUrl.set(element, source.url);
        options.onCandidate(element, media, source);
      }
    }

    /** Watch one element (and the media inside a subtree). */
    function watch(node) {
      if (node.nodeType !== 1) return;
      if (node.matches(MEDIA_SELECTOR)) intersection.observe(node);
      for (const element of node.querySelectorAll(MEDIA_SELECTOR)) intersection.observe(element);
    }

    /** Intersections: remember what is on screen. */
    function onIntersect(records) {
      for (const record of records) {
        if (record.isIntersecting) visible.add(record.target);
        else visible.delete(record.target);
      }
      scheduleFlush();
    }

    /** DOM changes: new media, and media whose src/srcset changed (lazy loading, feeds reusing nodes). */
    function onMutate(records) {
      for (const record of records) {
        if (record.type === "attributes") {
          if (visible.has(record.target)) scheduleFlush();
        } else {
          record.addedNodes.forEach(watch);
        }
      }
    }

    /** An image that finished loading may now be big enough. */
    function onLoad(event) {
      if (visible.has(event.target)) scheduleFlush();
    }

    return Object.freeze({
      start() {
        if (intersection) return;
        intersection = new IntersectionObserver(onIntersect, { threshold: [0, 0.25] });
        mutation = new MutationObserver(onMutate);
        mutation.observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["src", "srcset"] });
        document.addEventListener("load", onLoad, { capture: true, passive: true });
        document.addEventListener("loadeddata", onLoad, { capture: true, passive: true });
        watch(document.documentElement);
      },
      stop() {
        if (!intersection) return;
        intersection.disconnect();
        mutation.disconnect();
        document.removeEventListener("load", onLoad, { capture: true });
        document.removeEventListener("loadeddata", onLoad, { capture: true });
        intersection = mutation = null;
        visible.clear();
        clearTimeout(flushTimer);
        flushTimer = null;
      },
      get running() {
        return intersection !== null;
      },
    });
  }

  ns.autoCheck = Object.freeze({ createWatcher });
})();
