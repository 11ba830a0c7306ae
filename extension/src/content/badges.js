// Badges over media and their details card, inside one closed shadow root in a top-level overlay
// that lets every click through except on the badge and the card themselves. A badge sits in the
// top-left corner of the media's visible part, below the page's fixed or sticky header; on media under
// 64 px it is a small icon. Hovering or focusing a badge shows the score on its bands and draws the
// flagged face's box on the media; the card (placed where it fits, focus kept inside) draws each
// face's box as its row is hovered or focused.
// Classic script (publishes globalThis.Unmask.badges).
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});
  const OFFSET_PX = 6;
  const CARD_WIDTH_PX = 340;
  const COMPACT_BELOW_PX = 64; // media smaller than this on either side get an icon-only badge
  const COMPACT_ICONS = Object.freeze({ fake: "⚠", unsure: "?", real: "✓", noface: "∅", error: "!", checking: "…" });
  const CHROME_PROBES = 4; // fixed/sticky layers stacked at the media's top that a badge steps below
  const HOST_STYLE = "all: initial !important; position: absolute !important; top: 0 !important; left: 0 !important;"
    + " width: 0 !important; height: 0 !important; overflow: visible !important; z-index: 2147483647 !important;"
    + " pointer-events: none !important; display: block !important;";

  const STYLE = `
    :host { all: initial; }
    * { box-sizing: border-box; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
    .badge { position: absolute; pointer-events: auto; cursor: pointer; display: inline-flex; align-items: center; gap: 4px;
      max-width: 240px; padding: 3px 8px; border-radius: 12px; border: 2px solid #fff; font-size: 12px; font-weight: 600;
      line-height: 16px; white-space: nowrap; box-shadow: 0 1px 4px rgba(0,0,0,.45); color: #fff; background: #37474f; }
    .badge:focus-visible, .card button:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
    .badge[hidden] { display: none; }
    .badge.tone-checking { background: #263238; color: #fff; }
    .badge.tone-fake { background: #b3261e; color: #fff; font-size: 14px; padding: 5px 10px; border-color: #fff; }
    .badge.tone-unsure { background: #7a4f01; color: #fff; }
    .badge.tone-real { background: #e8f5e9; color: #1b5e20; border-color: #1b5e20; font-weight: 500; opacity: .92; }
    .badge.tone-noface { background: #eceff1; color: #263238; border-color: #546e7a; font-weight: 500; }
    .badge.tone-error { background: #fff3e0; color: #6d2a00; border-color: #6d2a00; }
    .card { position: absolute; pointer-events: auto; width: ${CARD_WIDTH_PX}px; max-height: 70vh; overflow: auto;
      box-shadow: 0 6px 24px rgba(0,0,0,.35); }
    .facebox { position: absolute; pointer-events: none; border: 3px solid #ffeb3b; border-radius: 4px;
      box-shadow: 0 0 0 2px rgba(0,0,0,.7), inset 0 0 0 1px rgba(0,0,0,.5); }
    .facebox[hidden] { display: none; }
    .facebox span { position: absolute; left: -3px; top: -22px; background: #ffeb3b; color: #000; font-size: 12px; font-weight: 700;
      padding: 1px 6px; border-radius: 4px 4px 0 0; white-space: nowrap; }
    .facebox.fake { border-color: #ff5252; } .facebox.fake span { background: #ff5252; color: #fff; }
    .tip { position: absolute; pointer-events: none; width: 240px; background: #fff; color: #1f2328; border: 1px solid #57606a;
      border-radius: 8px; padding: 6px 8px; font-size: 12px; line-height: 1.35; box-shadow: 0 2px 10px rgba(0,0,0,.3); }
    .tip[hidden] { display: none; }
    .badge.compact { padding: 0; width: 22px; height: 22px; justify-content: center; font-size: 12px; border-width: 1px; gap: 0; }
    .badge.compact .marker { display: none; }
    .badge .corrected { font-weight: 500; font-size: 11px; opacity: .9; }
    ${ns.card.CSS}
  `;

  /** The element that carries position fixed or sticky among `node` and its ancestors (not past `stop`), or null. */
  function fixedLayerOf(node, media) {
    for (let el = node, depth = 0; el && el !== document.body && el !== document.documentElement && depth < 16; el = el.parentElement, depth += 1) {
      if (el === media || el.contains(media)) return null; // the media itself, or what holds it
      const position = getComputedStyle(el).position;
      if (position === "fixed" || position === "sticky") return el;
    }
    return null;
  }

  /**
   * The top (viewport px) of the part of `media` where a badge may sit: the media's top, or the bottom of
   * the fixed/sticky page chrome (headers, bars) covering it there; null when nothing of it is free.
   */
  function freeTop(media, rect, host) {
    let top = Math.max(rect.top, 0);
    const x = Math.min(Math.max(rect.left, 0) + OFFSET_PX + 6, window.innerWidth - 1);
    for (let i = 0; i < CHROME_PROBES; i += 1) {
      const y = top + OFFSET_PX + 4;
      if (y >= Math.min(rect.bottom, window.innerHeight)) return y >= rect.bottom ? null : top;
      const hit = document.elementsFromPoint(x, y).find((el) => el !== host);
      const layer = hit ? fixedLayerOf(hit, media) : null;
      if (!layer) return top;
      const bottom = layer.getBoundingClientRect().bottom;
      if (bottom <= top) return top;
      top = bottom;
    }
    return top;
  }

  /** The object-fit an element is drawn with (videos default to contain). */
  function objectFitOf(element) {
    const fit = getComputedStyle(element).objectFit;
    return fit || (element.tagName === "VIDEO" ? "contain" : "fill");
  }

  /**
   * The overlay: set(key, anchors, state) shows badges for a check; apply(key, event) moves its state on
   * (badge-state.js reduce); the card opens from a badge. `options`: t(key, subs), prefs() -> the
   * display options, onCheckAgain(key), onFeedback(analysisId, label, note) -> promise of the analysis,
   * onReport(analysisId).
   */
  function createOverlay(options) {
    const { t } = options;
    const entries = new Map(); // key -> {state, buttons: Map(anchor -> button)}
    let host = null;
    let root = null;
    let openCard = null; // {key, anchor, node}
    let faceShown = null; // {key, anchor, face, source: "card" | "badge"}
    let tipFor = null; // the button whose tooltip shows
    let frameRequested = false;
    let timer = null;
    const faceBox = document.createElement("div");
    faceBox.className = "facebox";
    faceBox.hidden = true;
    faceBox.setAttribute("aria-hidden", "true");
    const faceLabel = document.createElement("span");
    faceBox.append(faceLabel);
    const tip = document.createElement("div");
    tip.className = "tip";
    tip.hidden = true;
    tip.setAttribute("aria-hidden", "true"); // the badge's accessible name says the same

    /** Create the host and its closed shadow root on first use. */
    function ensureRoot() {
      if (root && host.isConnected) return root;
      host = document.createElement("unmask-overlay");
      host.setAttribute("style", HOST_STYLE);
      root = host.attachShadow({ mode: "closed" });
      const style = document.createElement("style");
      style.textContent = STYLE;
      root.append(style, faceBox, tip);
      for (const { buttons } of entries.values()) for (const b of buttons.values()) root.append(b);
      document.documentElement.append(host);
      return root;
    }

    /** The provenance marker of a finished check ({text, aria}), or null when the file declares no AI. */
    function markerOf(state) {
      return state.phase === "done" ? ns.provenanceView.badgeMarker(state.analysis.result.provenance, t) : null;
    }

    /** Whether a state's badge is shown: its verdict's rule, or always when the file declares AI generation. */
    function shown(state) {
      return ns.badgeState.view(state, options.prefs()).visible || markerOf(state) !== null;
    }

    /** The faces of a finished check in reading order and the flagged one's position (see format.facesInOrder). */
    function facesOf(state) {
      return state.phase === "done" ? ns.format.facesInOrder(state.analysis.result) : { faces: [], flagged: null };
    }

    /** The text, provenance marker and accessible name of a badge for a state, and whether it is shown. */
    function describe(state) {
      const view = ns.badgeState.view(state, options.prefs());
      const marker = markerOf(state);
      const label = t(view.labelKey);
      const reason = view.reasonKey ? t(view.reasonKey) : "";
      const done = state.phase === "done";
      const { faces, flagged } = facesOf(state);
      const faceOf = done && faces.length > 1 && flagged ? t("badgeFaceOf", [String(flagged), String(faces.length)]) : "";
      const score = done && view.detail ? t("badgeScore", [view.detail]) : view.detail;
      const spokenScore = done && view.detail ? t("badgeScoreAria", [view.detail]) : view.detail;
      const feedback = done ? state.analysis.feedback?.label : null;
      const corrected = feedback === "fake" ? t("badgeCorrectedFake") : feedback === "real" ? t("badgeCorrectedReal") : "";
      const text = [view.tone === "fake" ? "⚠" : "", label, score ? (done ? `· ${score}` : score) : "", faceOf ? `· ${faceOf}` : ""].filter(Boolean).join(" ");
      const aria = t("badgeAria", [ns.format.spokenList([label, spokenScore, faceOf, corrected, reason, marker?.aria])]);
      return { view, text, marker, aria, corrected, visible: shown(state) };
    }

    /** Make or refresh the button of one anchor: the verdict, then the provenance marker beside it. */
    function paint(key, anchor, button) {
      const { view, text, marker, aria, corrected, visible } = describe(entries.get(key).state);
      const compact = button.dataset.compact === "1";
      button.className = `badge tone-${view.tone}${compact ? " compact" : ""}`;
      button.textContent = compact ? COMPACT_ICONS[view.tone] ?? "•" : text;
      if (corrected && !compact) button.append(Object.assign(document.createElement("span"), { className: "corrected", textContent: `(${corrected})` }));
      if (marker) button.append(Object.assign(document.createElement("span"), { className: "marker", textContent: marker.text }));
      button.setAttribute("aria-label", aria);
      button.hidden = !visible;
      if (tipFor === button) fillTip(key);
      return button;
    }

    /** The tooltip of a badge: verdict, the manipulation score on its bands, which face, its weak cases. */
    function fillTip(key) {
      const state = entries.get(key)?.state;
      if (!state) return;
      const { text } = describe(state);
      const parts = [Object.assign(document.createElement("strong"), { textContent: text })];
      if (state.phase === "done") {
        const { result } = state.analysis;
        const bar = ns.card.scoreBar(document, result.score, result.bands, t);
        if (bar) parts.push(bar);
        if (typeof result.score === "number") parts.push(Object.assign(document.createElement("div"), { textContent: t("cardScoreMeaning") }));
      } else if (state.phase === "error") {
        parts.push(Object.assign(document.createElement("div"), { textContent: t(ns.badgeState.view(state, options.prefs()).reasonKey) }));
      }
      const wrap = document.createElement("div");
      wrap.className = "card tip-card";
      wrap.append(...parts);
      tip.replaceChildren(wrap);
    }

    /** Show the tooltip and the flagged face of a badge (hover or focus). */
    function enterBadge(key, anchor, button) {
      tipFor = button;
      fillTip(key);
      tip.hidden = false;
      const { faces, flagged } = facesOf(entries.get(key).state);
      if (!openCard && flagged) showFace(key, anchor, faces.find((f) => f.position === flagged), "badge");
      schedule();
    }

    /** Hide a badge's tooltip (and its face box unless the card shows one). */
    function leaveBadge(button) {
      if (tipFor !== button) return;
      tipFor = null;
      tip.hidden = true;
      if (faceShown?.source === "badge") hideFace();
    }

    /** A new badge button for an anchor of `key`. */
    function newButton(key, anchor) {
      const button = document.createElement("button");
      button.type = "button";
      button.tabIndex = 0;
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        toggleCard(key, anchor);
      });
      button.addEventListener("mousedown", (event) => event.stopPropagation());
      for (const type of ["mouseenter", "focus"]) button.addEventListener(type, () => enterBadge(key, anchor, button));
      for (const type of ["mouseleave", "blur"]) button.addEventListener(type, () => leaveBadge(button));
      ensureRoot().append(button);
      return button;
    }

    /** Show badges for `key` on `anchors` with `state` (replacing the state of an existing check). */
    function set(key, anchors, state) {
      const entry = entries.get(key) ?? { state, buttons: new Map() };
      entry.state = state;
      entries.set(key, entry);
      for (const anchor of anchors) if (!entry.buttons.has(anchor)) entry.buttons.set(anchor, newButton(key, anchor));
      refresh(key);
    }

    /** Move a check's state on by an event; ignored for unknown keys. */
    function apply(key, event) {
      const entry = entries.get(key);
      if (!entry) return;
      entry.state = ns.badgeState.reduce(entry.state, event);
      refresh(key);
    }

    /** Repaint a check's badges and, when open, its card. */
    function refresh(key) {
      const entry = entries.get(key);
      for (const [anchor, button] of entry.buttons) paint(key, anchor, button);
      if (openCard?.key === key) renderCard();
      schedule();
    }

    /** Draw one face's box on its media (`face` from format.facesInOrder); `source`: who asked. */
    function showFace(key, anchor, face, source) {
      if (!face || anchor.point || !(anchor instanceof HTMLImageElement || anchor instanceof HTMLVideoElement)) return hideFace();
      faceShown = { key, anchor, face, source };
      const { faces } = facesOf(entries.get(key).state);
      faceLabel.textContent = t("cardFaceNOfM", [String(face.position), String(faces.length)]);
      faceBox.classList.toggle("fake", entries.get(key).state.analysis?.result?.verdict === "likely_fake");
      placeFace();
    }

    /** Remove the face box. */
    function hideFace() {
      faceShown = null;
      faceBox.hidden = true;
    }

    /** Put the face box where its face is drawn now. */
    function placeFace() {
      if (!faceShown) return;
      const { key, anchor, face } = faceShown;
      const state = entries.get(key)?.state;
      const media = state?.analysis?.result?.media;
      const rect = anchor.isConnected ? anchor.getBoundingClientRect() : null;
      const box = rect && media ? ns.format.boxOnElement(face.box, { width: media.width, height: media.height }, rect, objectFitOf(anchor)) : null;
      if (!box) {
        faceBox.hidden = true;
        return;
      }
      faceBox.hidden = false;
      faceBox.style.left = `${Math.round(rect.left + window.scrollX + box.left)}px`;
      faceBox.style.top = `${Math.round(rect.top + window.scrollY + box.top)}px`;
      faceBox.style.width = `${Math.round(box.width)}px`;
      faceBox.style.height = `${Math.round(box.height)}px`;
    }

    /** The flagged face of the open card, drawn by default. */
    function showFlaggedFace() {
      if (!openCard) return hideFace();
      const { faces, flagged } = facesOf(entries.get(openCard.key).state);
      const face = faces.find((f) => f.position === flagged) ?? (faces.length === 1 ? faces[0] : null);
      return face ? showFace(openCard.key, openCard.anchor, face, "card") : hideFace();
    }

    /** Keep Tab and Shift+Tab inside the card. */
    function trapFocus(event, node) {
      if (event.key !== "Tab") return;
      const focusable = [...node.querySelectorAll("button:not([disabled]), a[href], textarea, summary, [tabindex='0']")]
        .filter((el) => !el.closest("[hidden]"));
      if (!focusable.length) return;
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      const active = root.activeElement;
      if (event.shiftKey && (active === first || active === node)) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && active === last) {
        event.preventDefault();
        first.focus();
      }
    }

    /** Render (or re-render) the open card next to its badge. */
    function renderCard() {
      const { key, anchor } = openCard;
      const entry = entries.get(key);
      const media = anchor.point ? null : anchor;
      const video = anchor instanceof HTMLVideoElement ? anchor : null;
      const node = ns.card.render(document, entry.state, {
        media,
        t,
        handlers: {
          onClose: () => closeCard(true),
          onCheckAgain: () => options.onCheckAgain(key),
          onFeedback: async (id, label, note) => {
            const analysis = await options.onFeedback(id, label, note);
            if (analysis?.feedback) apply(key, { type: "feedback", feedback: analysis.feedback });
            return analysis;
          },
          onReport: options.onReport ? (id) => options.onReport(id) : undefined,
          reverseSearch: Boolean(options.prefs().reverseSearch),
          onFaceFocus: (face) => (face ? showFace(key, anchor, face, "card") : showFlaggedFace()),
          onSeek: video ? (seconds) => {
            video.currentTime = seconds;
            video.scrollIntoView({ block: "nearest" });
          } : undefined,
        },
      });
      node.addEventListener("keydown", (event) => {
        if (event.key === "Escape") closeCard(true);
        else trapFocus(event, node);
      });
      const focused = openCard.node && root.activeElement && openCard.node.contains(root.activeElement) ? root.activeElement : null;
      const focusedLabel = focused?.getAttribute("aria-label") || focused?.textContent;
      if (openCard.node) openCard.node.replaceWith(node);
      else root.append(node);
      openCard.node = node;
      if (faceShown?.source !== "card" || faceShown.key !== key) showFlaggedFace();
      position();
      if (!focused) node.focus({ preventScroll: true });
      else {
        // the same control in the new card keeps the focus (a re-render must not throw it out of the card)
        const same = [...node.querySelectorAll("button, a[href], textarea, summary, [tabindex='0']")]
          .find((el) => (el.getAttribute("aria-label") || el.textContent) === focusedLabel);
        (same ?? node).focus({ preventScroll: true });
      }
    }

    /** Open the card of a badge, or close it when it is the open one. */
    function toggleCard(key, anchor) {
      if (openCard?.key === key && openCard.anchor === anchor) return closeCard(true);
      closeCard(false);
      openCard = { key, anchor, node: null };
      renderCard();
    }

    /** Close the card (and give the focus back to its badge). */
    function closeCard(refocus) {
      if (!openCard) return;
      const { key, anchor, node } = openCard;
      node?.remove();
      openCard = null;
      if (faceShown?.source === "card") hideFace();
      if (refocus) entries.get(key)?.buttons.get(anchor)?.focus({ preventScroll: true });
    }

    /** Place one badge in the top-left corner of its media's free part; false when it cannot be shown. */
    function placeBadge(anchor, button) {
      if (anchor.point) {
        button.style.left = `${Math.round(anchor.point.x + OFFSET_PX)}px`;
        button.style.top = `${Math.round(anchor.point.y + OFFSET_PX)}px`;
        return true;
      }
      const rect = anchor.getBoundingClientRect();
      if (rect.width < 1 || rect.height < 1) return false;
      const compact = rect.width < COMPACT_BELOW_PX || rect.height < COMPACT_BELOW_PX;
      if ((button.dataset.compact === "1") !== compact) {
        button.dataset.compact = compact ? "1" : "";
        return "repaint";
      }
      const offscreen = rect.bottom < 0 || rect.top > window.innerHeight;
      const top = offscreen ? rect.top : freeTop(anchor, rect, host);
      if (top === null) return false;
      const offset = compact ? 2 : OFFSET_PX;
      button.style.left = `${Math.round(Math.max(rect.left, 0) + window.scrollX + offset)}px`;
      button.style.top = `${Math.round(top + window.scrollY + offset)}px`;
      return true;
    }

    /** Place every badge, the open card (where it fits) and the face box. */
    function position() {
      frameRequested = false;
      for (const [key, entry] of entries) {
        for (const [anchor, button] of entry.buttons) {
          if (!anchor.point && !anchor.isConnected) {
            button.remove();
            entry.buttons.delete(anchor);
            if (openCard?.anchor === anchor) closeCard(false);
            continue;
          }
          let placed = shown(entry.state) ? placeBadge(anchor, button) : false;
          if (placed === "repaint") {
            paint(key, anchor, button);
            placed = placeBadge(anchor, button);
          }
          button.hidden = !placed;
        }
        if (entry.buttons.size === 0) entries.delete(key);
      }
      if (openCard?.node) {
        const button = entries.get(openCard.key)?.buttons.get(openCard.anchor);
        const anchorRect = button && !button.hidden ? button.getBoundingClientRect() : { left: 8, top: 8, width: 0, height: 0 };
        const view = { width: document.documentElement.clientWidth, height: window.innerHeight };
        const size = { width: openCard.node.offsetWidth || CARD_WIDTH_PX, height: openCard.node.offsetHeight };
        const place = ns.format.cardPlacement(anchorRect, size, view);
        openCard.node.style.left = `${Math.round(place.left + window.scrollX)}px`;
        openCard.node.style.top = `${Math.round(place.top + window.scrollY)}px`;
        openCard.node.dataset.placement = place.placement;
      }
      if (tipFor && !tipFor.hidden) {
        const r = tipFor.getBoundingClientRect();
        const place = ns.format.cardPlacement(r, { width: 240, height: tip.offsetHeight }, { width: document.documentElement.clientWidth, height: window.innerHeight });
        tip.style.left = `${Math.round(place.left + window.scrollX)}px`;
        tip.style.top = `${Math.round(place.top + window.scrollY)}px`;
      }
      placeFace();
      if (entries.size === 0 && timer) {
        clearInterval(timer);
        timer = null;
      }
    }

    /** Ask for a re-layout on the next animation frame (and keep a slow watch while badges exist). */
    function schedule() {
      if (!frameRequested) {
        frameRequested = true;
        requestAnimationFrame(position);
      }
      if (!timer && entries.size) timer = setInterval(position, 1000);
    }

    const resizeObserver = new ResizeObserver(schedule);
    const observeAnchor = (anchor) => anchor.point || resizeObserver.observe(anchor);
    window.addEventListener("scroll", schedule, { capture: true, passive: true });
    window.addEventListener("resize", schedule, { passive: true });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && openCard) closeCard(true);
    });

    /** Scroll a check's media into view and focus its badge (the popup's rows ask for this). */
    function reveal(key) {
      const entry = entries.get(key);
      const [anchor, button] = entry ? [...entry.buttons][0] ?? [] : [];
      if (!anchor) return false;
      if (anchor.point) window.scrollTo({ top: anchor.point.y - 100, behavior: "instant" });
      else anchor.scrollIntoView({ block: "center", behavior: "instant" });
      position();
      button.focus({ preventScroll: true });
      return true;
    }

    return Object.freeze({
      set: (key, anchors, state) => {
        anchors.forEach(observeAnchor);
        set(key, anchors, state);
      },
      apply,
      has: (key) => entries.has(key),
      stateOf: (key) => entries.get(key)?.state ?? null,
      keys: () => [...entries.keys()],
      reveal,
      repaintAll: () => [...entries.keys()].forEach(refresh),
    });
  }

  ns.badges = Object.freeze({ createOverlay });
})();
