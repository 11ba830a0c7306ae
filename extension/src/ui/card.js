// The details card of a check: verdict, score, faces with thumbnails, a video's timeline, what the
// file states about its own provenance, model, time, "Check again" and "This looks wrong". Builds DOM
// with textContent only (never HTML from data).
// Classic script that also loads as a module (publishes globalThis.Unmask.card); used by the badges
// in web pages and by the check-file page.
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});
  const SVG_NS = "http://www.w3.org/2000/svg";
  const TIMELINE = Object.freeze({ width: 300, height: 64 });
  const THUMB_PX = 56;
  let provenanceIds = 0;

  /** An element with a class and optional text. */
  function el(doc, tag, className, text) {
    const node = doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /** A button with its label and click handler. */
  function button(doc, className, label, onClick) {
    const node = el(doc, "button", className, label);
    node.type = "button";
    node.addEventListener("click", (event) => {
      event.preventDefault();
      event.stopPropagation();
      onClick();
    });
    return node;
  }

  /** A term/definition pair for the facts list. */
  function fact(doc, list, term, value) {
    list.append(el(doc, "dt", null, term), el(doc, "dd", null, value));
  }

  /** A face thumbnail cut from the checked image (canvas), or null when the media is not an image here. */
  function faceThumbnail(doc, media, box, t) {
    const format = ns.format;
    if (!media || media.tagName !== "IMG" || !media.complete || !media.naturalWidth) return null;
    const crop = format.faceCrop(box, { width: media.naturalWidth, height: media.naturalHeight });
    if (!crop) return null;
    const canvas = el(doc, "canvas", "thumb");
    canvas.width = THUMB_PX;
    canvas.height = THUMB_PX;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", t("cardFaceThumbnail"));
    try {
      canvas.getContext("2d").drawImage(media, crop.sx, crop.sy, crop.size, crop.size, 0, 0, THUMB_PX, THUMB_PX);
    } catch {
      return null;
    }
    return canvas;
  }

  /** One face of the result: thumbnail (or its box in numbers), score, frames it appears in, a video's two kinds of evidence. */
  function faceItem(doc, face, index, media, t) {
    const percent = ns.badgeState.percent;
    const item = el(doc, "li", "face");
    const thumb = faceThumbnail(doc, media, face.box, t);
    if (thumb) item.append(thumb);
    const text = el(doc, "div", "face-text");
    const scoreText = face.too_small ? t("cardFaceTooSmall") : t("cardFaceScore", [percent(face.score)]);
    text.append(el(doc, "strong", null, t("cardFaceN", [String(index + 1)])), el(doc, "span", null, ` ${scoreText}`));
    const box = (face.box ?? []).map((v) => Math.round(Number(v)));
    if (!thumb && box.length === 4) text.append(el(doc, "div", "muted", t("cardFaceBox", box.map(String))));
    if (Array.isArray(face.frames) && face.frames.length > 1) {
      text.append(el(doc, "div", "muted", t("cardFaceFrames", [String(face.frames.length)])));
    }
    if (typeof face.frame_score === "number" && typeof face.temporal === "number") {
      text.append(el(doc, "div", "muted", t("cardFaceEvidence", [percent(face.frame_score), percent(face.temporal)])));
    }
    item.append(text);
    return item;
  }

  /** An SVG polyline for one series' segments. */
  function polylines(doc, segments, className) {
    return segments.map((points) => {
      const line = doc.createElementNS(SVG_NS, points.length > 1 ? "polyline" : "circle");
      line.setAttribute("class", className);
      if (points.length > 1) line.setAttribute("points", points.map((p) => `${p.x},${p.y}`).join(" "));
      else {
        line.setAttribute("cx", String(points[0].x));
        line.setAttribute("cy", String(points[0].y));
        line.setAttribute("r", "2.5");
      }
      return line;
    });
  }

  /** The per-frame score timeline of a video (and the temporal detector's curve or level when present). */
  function timeline(doc, result, t) {
    const format = ns.format;
    const { width, height } = TIMELINE;
    const frames = format.timelineSegments(result.frames, width, height);
    const svg = doc.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", "timeline");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", t("cardTimelineLabel", [String(result.frames.length), format.clock(frames.end)]));
    const middle = doc.createElementNS(SVG_NS, "line");
    for (const [name, value] of [["x1", 0], ["x2", width], ["y1", height / 2], ["y2", height / 2], ["class", "grid"]]) {
      middle.setAttribute(name, String(value));
    }
    svg.append(middle, ...polylines(doc, frames.segments, "frames"));
    const curve = format.temporalCurve(result);
    if (curve) svg.append(...polylines(doc, format.timelineSegments(curve, width, height, frames).segments, "temporal"));
    const level = format.temporalScore(result);
    if (level !== null) {
      const line = doc.createElementNS(SVG_NS, "line");
      const y = height * (1 - level);
      for (const [name, value] of [["x1", 0], ["x2", width], ["y1", y], ["y2", y], ["class", "temporal"]]) line.setAttribute(name, String(value));
      svg.append(line);
    }
    const wrap = el(doc, "figure", "timeline-wrap");
    const caption = el(doc, "figcaption", "muted", t(curve || level !== null ? "cardTimelineLegendTemporal" : "cardTimelineLegend"));
    wrap.append(svg, caption);
    return wrap;
  }

  /** Where the checked media came from, in words. */
  function sourceText(analysis, t) {
    const source = analysis.source ?? {};
    if (source.type === "frames") return t("cardSourceFrames", [String(source.count ?? "")]);
    if (source.type === "file") return source.filename ?? "";
    if (source.type === "page_url") return t("cardSourcePage", [ns.format.shortLabel(source.page_url)]);
    return ns.format.shortLabel(source.url ?? "");
  }

  /** The "This looks wrong" part: its button (for the actions row) and a panel with two choices and the answer. */
  function feedbackBlock(doc, analysis, t, onFeedback) {
    const panel = el(doc, "div", "feedback");
    const status = el(doc, "p", "status");
    status.setAttribute("role", "status");
    const choices = el(doc, "div", "choices");
    choices.hidden = true;
    const send = async (label) => {
      status.textContent = t("cardFeedbackSending");
      try {
        await onFeedback(analysis.id, label);
        status.textContent = t(label === "fake" ? "cardFeedbackSavedFake" : "cardFeedbackSavedReal");
        choices.hidden = true;
      } catch (error) {
        status.textContent = t("cardFeedbackFailed", [t(error?.key || "errorUnknown")]);
      }
    };
    const wrong = button(doc, "secondary", t("cardLooksWrong"), () => {
      choices.hidden = !choices.hidden;
      if (!choices.hidden) choices.querySelector("button")?.focus();
    });
    wrong.setAttribute("aria-expanded", "false");
    wrong.addEventListener("click", () => wrong.setAttribute("aria-expanded", String(!choices.hidden)));
    choices.append(
      el(doc, "span", null, t("cardFeedbackQuestion")),
      button(doc, "secondary", t("cardFeedbackIsFake"), () => send("fake")),
      button(doc, "secondary", t("cardFeedbackIsReal"), () => send("real")),
    );
    if (analysis.feedback?.label) status.textContent = t(analysis.feedback.label === "fake" ? "cardFeedbackSavedFake" : "cardFeedbackSavedReal");
    panel.append(choices, status);
    return { button: wrong, panel };
  }

  /** The "Provenance" section: what the file states about its origin, its statements listed collapsed; null for nothing. */
  function provenanceSection(doc, provenance, t) {
    const shown = ns.provenanceView.cardSection(provenance, t);
    if (!shown) return null;
    const section = el(doc, "section", "provenance");
    const heading = el(doc, "h3", null, t("provenanceHeading"));
    heading.id = `unmask-provenance-${++provenanceIds}`;
    section.setAttribute("aria-labelledby", heading.id);
    section.append(heading);
    for (const line of shown.lines) {
      const node = el(doc, "p", `prov-line ${line.className}`, line.text);
      if (line.title) node.title = line.title;
      section.append(node);
    }
    if (shown.facts.length) {
      const details = el(doc, "details", "prov-facts");
      const list = el(doc, "dl", "facts");
      for (const item of shown.facts) {
        const value = el(doc, "dd", null, item.value);
        value.append(el(doc, "div", "muted", t("provenanceFactSource", [item.source])));
        list.append(el(doc, "dt", null, item.field), value);
      }
      details.append(el(doc, "summary", null, shown.factsLabel), list);
      section.append(details);
    }
    return section;
  }

  /** The body of a finished check. */
  function resultBody(doc, root, analysis, media, t, handlers) {
    const { result } = analysis;
    const percent = ns.badgeState.percent;
    const verdictKey = ns.badgeState.VERDICT_VIEWS[result.verdict].labelKey;
    root.append(el(doc, "p", "explain", t(`${verdictKey}Explain`)));
    if (result.score !== null && result.score !== undefined) root.append(el(doc, "p", "score", t("cardScore", [percent(result.score)])));
    const faces = result.faces ?? [];
    if (faces.length) {
      root.append(el(doc, "h3", null, t("cardFaces", [String(faces.length)])));
      const list = el(doc, "ul", "faces");
      faces.forEach((face, i) => list.append(faceItem(doc, face, i, media, t)));
      root.append(list);
    }
    if (Array.isArray(result.frames) && result.frames.length) {
      root.append(el(doc, "h3", null, t("cardTimeline")), timeline(doc, result, t));
    }
    const provenance = provenanceSection(doc, result.provenance, t);
    if (provenance) root.append(provenance);
    const facts = el(doc, "dl", "facts");
    fact(doc, facts, t("cardModel"), `${result.model?.name ?? "?"} ${result.model?.version ?? ""}`.trim());
    fact(doc, facts, t("cardChecked"), new Date(analysis.created_at ?? Date.now()).toLocaleString());
    fact(doc, facts, t("cardSource"), sourceText(analysis, t));
    const seconds = ns.format.totalSeconds(result.timings);
    if (seconds > 0) fact(doc, facts, t("cardDuration"), t("cardSeconds", [seconds.toFixed(1)]));
    root.append(facts);
    return handlers.onFeedback ? feedbackBlock(doc, analysis, t, handlers.onFeedback) : null;
  }

  /**
   * The card for a badge state (see badge-state.js): a <section> with a heading, the details and
   * the actions. `handlers`: onCheckAgain(), onFeedback(id, label) -> promise, onClose(); each optional.
   */
  function render(doc, state, { media = null, t, handlers = {} }) {
    const view = ns.badgeState.view(state, { showLikelyReal: true, showNoFace: true });
    const card = el(doc, "section", `card tone-${view.tone}`);
    card.setAttribute("role", "dialog");
    card.setAttribute("aria-label", t("cardTitle"));
    card.tabIndex = -1;
    const header = el(doc, "header");
    const title = el(doc, "h2", "title", view.detail && state.phase === "done" ? `${t(view.labelKey)} · ${view.detail}` : t(view.labelKey));
    const marker = state.phase === "done" ? ns.provenanceView.badgeMarker(state.analysis.result.provenance, t) : null;
    if (marker) {
      const tag = el(doc, "span", "marker", marker.text);
      tag.title = marker.aria;
      title.append(" ", tag);
    }
    header.append(title);
    if (handlers.onClose) {
      const close = button(doc, "close", "×", handlers.onClose);
      close.setAttribute("aria-label", t("cardClose"));
      header.append(close);
    }
    card.append(header);
    if (state.note) card.append(el(doc, "p", "note", t(state.note)));
    let feedback = null;
    if (state.phase === "done") feedback = resultBody(doc, card, state.analysis, media, t, handlers);
    else if (state.phase === "error") card.append(el(doc, "p", "reason", t(view.reasonKey)));
    else card.append(el(doc, "p", "explain", t(state.phase === "capturing" ? "cardCapturing" : "cardChecking", [view.detail || "0%"])));
    if (handlers.onCheckAgain && state.phase !== "checking" && state.phase !== "capturing") {
      const actions = el(doc, "div", "actions");
      actions.append(button(doc, "primary", t("cardCheckAgain"), handlers.onCheckAgain));
      if (feedback) actions.append(feedback.button);
      card.append(actions);
    }
    if (feedback) card.append(feedback.panel);
    return card;
  }

  ns.card = Object.freeze({ render });
})();
