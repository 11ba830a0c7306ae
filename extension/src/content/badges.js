// Badges over media and their details card, inside one closed shadow root in a top-level overlay
// that lets every click through except on the badge and the card themselves.
// Classic script (publishes globalThis.Unmask.badges).
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});
  const OFFSET_PX = 6;
  const CARD_WIDTH_PX = 340;
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
      background: #fff; color: #1f2328; border: 2px solid #263238; border-radius: 10px; padding: 12px 14px;
      box-shadow: 0 6px 24px rgba(0,0,0,.35); font-size: 13px; line-height: 1.4; text-align: left; }
    .card.tone-fake { border-color: #b3261e; } .card.tone-real { border-color: #1b5e20; }
    .card.tone-unsure { border-color: #7a4f01; } .card.tone-error { border-color: #6d2a00; }
    .card header { display: flex; align-items: start; justify-content: space-between; gap: 8px; }
    .card h2 { font-size: 16px; margin: 0 0 6px; color: inherit; }
    .card.tone-fake h2 { color: #b3261e; } .card.tone-real h2 { color: #1b5e20; } .card.tone-unsure h2 { color: #7a4f01; }
    .card h3 { font-size: 13px; margin: 10px 0 4px; }
    .card p { margin: 4px 0; } .muted { color: #57606a; font-size: 12px; }
    .card .note { background: #fff8c5; border: 1px solid #d4a72c; padding: 4px 6px; border-radius: 4px; }
    .faces { list-style: none; padding: 0; margin: 0; }
    .face { display: flex; gap: 8px; align-items: center; margin: 4px 0; }
    .thumb { width: 56px; height: 56px; border-radius: 4px; border: 1px solid #d0d7de; flex: none; }
    .timeline-wrap { margin: 0; } .timeline { width: 100%; height: 64px; background: #f6f8fa; border: 1px solid #d0d7de; }
    .timeline .grid { stroke: #afb8c1; stroke-dasharray: 3 3; stroke-width: 1; }
    .timeline .frames { fill: none; stroke: #b3261e; stroke-width: 2; } .timeline circle.frames { fill: #b3261e; }
    .timeline .temporal { fill: none; stroke: #0969da; stroke-width: 1.5; stroke-dasharray: 5 3; }
    .facts { display: grid; grid-template-columns: auto 1fr; gap: 2px 8px; margin: 8px 0; }
    .facts dt { color: #57606a; } .facts dd { margin: 0; overflow-wrap: anywhere; }
    .card button { font: inherit; border-radius: 6px; padding: 4px 10px; cursor: pointer; border: 1px solid #8c959f;
      background: #f6f8fa; color: #1f2328; margin: 4px 6px 0 0; }
    .card button.primary { background: #1f6feb; border-color: #1f6feb; color: #fff; }
    .card button.close { border: none; background: transparent; font-size: 20px; line-height: 1; padding: 0 4px; margin: 0; }
    .choices { margin-top: 4px; } .choices[hidden] { display: none; }
    .status { min-height: 1em; color: #1a7f37; }
    .marker { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; font-weight: 700; line-height: 16px;
      background: #4a148c; color: #fff; border: 1px solid #fff; letter-spacing: .02em; vertical-align: middle; }
    .card h2 .marker { font-size: 11px; margin-left: 2px; }
    .provenance { border-top: 1px solid #d0d7de; margin-top: 8px; padding-top: 2px; }
    .prov-line.prov-ai { font-weight: 600; color: #4a148c; } .prov-line.prov-error { color: #6d2a00; }
    .prov-facts summary { cursor: pointer; color: #0969da; margin: 4px 0; }
    .prov-facts summary:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
    .prov-facts .facts { font-size: 12px; }
  `;

  /** The document box of an anchor (an element, or {point: {x, y}} in document coordinates); null if not shown. */
  function anchorBox(anchor) {
    if (anchor.point) return { left: anchor.point.x, top: anchor.point.y, visibleTop: anchor.point.y, width: 1, height: 1 };
    if (!anchor.isConnected) return null;
    const rect = anchor.getBoundingClientRect();
    if (rect.width < 1 || rect.height < 1) return null;
    const top = rect.top + window.scrollY;
    const visibleTop = rect.top < 0 && rect.bottom > 48 ? window.scrollY : top; // keep it in view on tall media
    return { left: rect.left + window.scrollX, top, visibleTop, width: rect.width, height: rect.height };
  }

  /**
   * The overlay: set(key, anchors, state) shows badges for a check; apply(key, event) moves its state on
   * (badge-state.js reduce); the card opens from a badge. `options`: t(key, subs), prefs() -> the
   * display options, onCheckAgain(key), onFeedback(analysisId, label) -> promise.
   */
  function createOverlay(options) {
    const { t } = options;
    const entries = new Map(); // key -> {state, buttons: Map(anchor -> button)}
    let host = null;
    let root = null;
    let openCard = null; // {key, anchor, node}
    let frameRequested = false;
    let timer = null;

    /** Create the host and its closed shadow root on first use. */
    function ensureRoot() {
      if (root && host.isConnected) return root;
      host = document.createElement("unmask-overlay");
      host.setAttribute("style", HOST_STYLE);
      root = host.attachShadow({ mode: "closed" });
      const style = document.createElement("style");
      style.textContent = STYLE;
      root.append(style);
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

    /** The text, provenance marker and accessible name of a badge for a state, and whether it is shown. */
    function describe(state) {
      const view = ns.badgeState.view(state, options.prefs());
      const marker = markerOf(state);
      const label = t(view.labelKey);
      const reason = view.reasonKey ? t(view.reasonKey) : "";
      const text = [view.tone === "fake" ? "⚠" : "", label, view.detail].filter(Boolean).join(" ");
      const aria = t("badgeAria", [[label, view.detail, reason, marker?.aria].filter(Boolean).join(", ")]);
      return { view, text, marker, aria, visible: shown(state) };
    }

    /** Make or refresh the button of one anchor: the verdict, then the provenance marker beside it. */
    function paint(key, anchor, button) {
      const { view, text, marker, aria, visible } = describe(entries.get(key).state);
      button.className = `badge tone-${view.tone}`;
      button.textContent = text;
      if (marker) button.append(Object.assign(document.createElement("span"), { className: "marker", textContent: marker.text }));
      button.setAttribute("aria-label", aria);
      button.title = aria;
      button.hidden = !visible;
      return button;
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

    /** Render (or re-render) the open card next to its badge. */
    function renderCard() {
      const { key, anchor } = openCard;
      const entry = entries.get(key);
      const media = anchor.point ? null : anchor;
      const node = ns.card.render(document, entry.state, {
        media,
        t,
        handlers: {
          onClose: () => closeCard(true),
          onCheckAgain: () => options.onCheckAgain(key),
          onFeedback: (id, label) => options.onFeedback(id, label),
        },
      });
      node.addEventListener("keydown", (event) => {
        if (event.key === "Escape") closeCard(true);
      });
      const hadFocus = openCard.node && root.activeElement && openCard.node.contains(root.activeElement);
      if (openCard.node) openCard.node.replaceWith(node);
      else root.append(node);
      openCard.node = node;
      position();
      if (!hadFocus) node.focus({ preventScroll: true });
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
      if (refocus) entries.get(key)?.buttons.get(anchor)?.focus({ preventScroll: true });
    }

    /** Place every badge at the top-left corner of its media (away from video controls), and the card. */
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
          const box = anchorBox(anchor);
          const visible = box !== null && shown(entry.state);
          button.hidden = !visible;
          if (!visible) continue;
          button.style.left = `${Math.round(box.left + OFFSET_PX)}px`;
          button.style.top = `${Math.round(box.visibleTop + OFFSET_PX)}px`;
        }
        if (entry.buttons.size === 0) entries.delete(key);
      }
      if (openCard?.node) {
        const button = entries.get(openCard.key)?.buttons.get(openCard.anchor);
        const left = parseFloat(button?.style.left || "0");
        const top = parseFloat(button?.style.top || "0") + (button?.offsetHeight || 24) + 4;
        const maxLeft = window.scrollX + document.documentElement.clientWidth - CARD_WIDTH_PX - 8;
        openCard.node.style.left = `${Math.max(window.scrollX + 4, Math.min(left, maxLeft))}px`;
        openCard.node.style.top = `${top}px`;
      }
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

    return Object.freeze({
      set: (key, anchors, state) => {
        anchors.forEach(observeAnchor);
        set(key, anchors, state);
      },
      apply,
      has: (key) => entries.has(key),
      stateOf: (key) => entries.get(key)?.state ?? null,
      repaintAll: () => [...entries.keys()].forEach(refresh),
    });
  }

  ns.badges = Object.freeze({ createOverlay });
})();
