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
  const MAX_NOTE_CHARS = 2000;
  // Errors a second try cannot fix (the file is what it is): no "Check again" for them.
  const FINAL_ERRORS = new Set(["errorNotMedia", "errorUndecodable", "errorTooLarge", "errorUnsupported", "errorNotMediaLink", "errorNoMediaHere"]);
  const WEAK_KEYS = Object.freeze({
    grayscale: "weakGrayscale", small: "weakSmall", blurred: "weakBlurred", compressed: "weakCompressed", turned: "weakTurned",
    brief: "weakBrief",
  });
  let provenanceIds = 0;

  // The card's look, shared by the badges' shadow root and the extension's own pages.
  const CSS = `
    .card { background: #fff; color: #1f2328; border: 2px solid #263238; border-radius: 10px; padding: 12px 14px;
      font-size: 13px; line-height: 1.4; text-align: left; }
    .card.tone-fake { border-color: #b3261e; } .card.tone-real { border-color: #1b5e20; }
    .card.tone-unsure { border-color: #7a4f01; } .card.tone-error { border-color: #6d2a00; }
    .card header { display: flex; align-items: start; justify-content: space-between; gap: 8px; }
    .card h2 { font-size: 16px; margin: 0 0 6px; color: inherit; }
    .card.tone-fake h2 { color: #b3261e; } .card.tone-real h2 { color: #1b5e20; } .card.tone-unsure h2 { color: #7a4f01; }
    .card h2 .corrected { font-size: 12px; font-weight: 600; color: #57606a; }
    .card h3 { font-size: 13px; margin: 10px 0 4px; }
    .card p { margin: 4px 0; } .card .muted { color: #57606a; font-size: 12px; }
    .card .note { background: #fff8c5; border: 1px solid #d4a72c; padding: 4px 6px; border-radius: 4px; }
    .card .score { font-weight: 600; }
    .card .weak { color: #6d2a00; font-size: 12px; }
    .card .weak-summary { background: #fff3e0; border: 1px solid #e0a060; padding: 3px 6px; border-radius: 4px; }
    .card .scorebar { margin: 4px 0 2px; }
    .card .track { position: relative; display: flex; height: 12px; border: 1px solid #57606a; border-radius: 3px; }
    .card .track span { display: block; height: 100%; }
    .card .b-real { background: #a5d6a7; } .card .b-unsure { background: #ffcc80; } .card .b-fake { background: #ef9a9a; }
    .card .track .at { position: absolute; top: -4px; bottom: -4px; width: 4px; margin-left: -2px; background: #1f2328;
      border: 1px solid #fff; border-radius: 2px; }
    .card .scale { display: flex; justify-content: space-between; font-size: 11px; color: #57606a; }
    .card .faces { list-style: none; padding: 0; margin: 0; }
    .card .face { display: flex; gap: 8px; align-items: center; margin: 2px 0; padding: 2px; border-radius: 6px; }
    .card .face[tabindex]:hover, .card .face:focus-visible { background: #fff8c5; outline: 2px solid #d4a72c; }
    .card .face.flagged strong { color: #b3261e; } .card .face .flag { font-size: 11px; color: #b3261e; font-weight: 600; }
    .card .thumb { width: 56px; height: 56px; border-radius: 4px; border: 1px solid #d0d7de; flex: none; object-fit: cover; }
    .card .timeline-wrap { margin: 0; }
    .card .plot { display: grid; grid-template-columns: auto 1fr; gap: 4px; align-items: stretch; }
    .card .y-axis { display: flex; flex-direction: column; justify-content: space-between; font-size: 10px; color: #57606a;
      text-align: right; height: 64px; }
    .card .x-axis { display: flex; justify-content: space-between; font-size: 10px; color: #57606a; margin-left: 30px; }
    .card .timeline { display: block; width: 100%; height: 64px; background: #f6f8fa; border: 1px solid #d0d7de; }
    .card .timeline .grid { stroke: #afb8c1; stroke-dasharray: 3 3; stroke-width: 1; }
    .card .timeline .band-fake { fill: #ffebee; } .card .timeline .worst { fill: rgba(179, 38, 30, .16); }
    .card .timeline .frames { fill: none; stroke: #b3261e; stroke-width: 2; } .card .timeline circle.frames { fill: #b3261e; }
    .card .timeline .temporal { fill: none; stroke: #0969da; stroke-width: 1.5; stroke-dasharray: 5 3; }
    .card .frame-strip { list-style: none; display: flex; gap: 6px; overflow-x: auto; padding: 4px 0; margin: 4px 0 0; }
    .card .frame { flex: none; display: flex; flex-direction: column; align-items: center; gap: 2px; }
    .card .frame .frame-go { display: flex; flex-direction: column; align-items: center; padding: 2px; margin: 0;
      border: 2px solid #d0d7de; background: #fff; border-radius: 4px; }
    .card .frame.worst .frame-go { border-color: #b3261e; background: #ffebee; }
    .card .frame img { width: 72px; height: auto; display: block; }
    .card .frame-at { font-size: 10px; color: #1f2328; }
    .card .frame-by { font-size: 10px; color: #57606a; max-width: 72px; text-align: center; overflow-wrap: anywhere; }
    .card .frame-save { font-size: 10px; color: #0969da; }
    .card .facts { display: grid; grid-template-columns: auto 1fr; gap: 2px 8px; margin: 8px 0; }
    .card .facts dt { color: #57606a; } .card .facts dd { margin: 0; overflow-wrap: anywhere; }
    .card button { font: inherit; border-radius: 6px; padding: 4px 10px; cursor: pointer; border: 1px solid #8c959f;
      background: #f6f8fa; color: #1f2328; margin: 0; }
    .card button.primary { background: #1f6feb; border-color: #1f6feb; color: #fff; }
    .card button.close { border: none; background: transparent; font-size: 20px; line-height: 1; padding: 0 4px; margin: 0; }
    .card button:focus-visible, .card a:focus-visible, .card textarea:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
    .card .actions, .card .choice-row { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
    .card .choices { margin-top: 6px; } .card .choices[hidden] { display: none; }
    .card .note-field { width: 100%; font: inherit; font-size: 12px; border: 1px solid #8c959f; border-radius: 6px; padding: 4px 6px; }
    .card .status { min-height: 1em; color: #1a7f37; }
    .card .marker { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; font-weight: 700; line-height: 16px;
      background: #4a148c; color: #fff; border: 1px solid #fff; letter-spacing: .02em; vertical-align: middle; }
    .card h2 .marker { font-size: 11px; margin-left: 2px; }
    .card .provenance { border-top: 1px solid #d0d7de; margin-top: 8px; padding-top: 2px; }
    .card .prov-line.prov-ai { font-weight: 600; color: #4a148c; } .card .prov-line.prov-error { color: #6d2a00; }
    .card .prov-facts summary { cursor: pointer; color: #0969da; margin: 4px 0; }
    .card .prov-facts summary:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
    .card .prov-facts .facts { font-size: 12px; }
    .card .reverse { border-top: 1px solid #d0d7de; margin-top: 8px; }
    .card .search-link { color: #0969da; }
  `;

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
  function faceThumbnail(doc, media, box, t, companionCrop = null) {
    const format = ns.format;
    if (!media || media.tagName !== "IMG" || !media.complete || !media.naturalWidth) return cropImage(doc, companionCrop, t);
    const crop = format.faceCrop(box, { width: media.naturalWidth, height: media.naturalHeight });
    if (!crop) return cropImage(doc, companionCrop, t);
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

  /** The companion's crop of a face (a data: JPEG), or null. */
  function cropImage(doc, crop, t) {
    if (typeof crop !== "string" || !/^data:image\/jpeg;base64,[A-Za-z0-9+/=]+$/.test(crop)) return null;
    const img = el(doc, "img", "thumb");
    img.src = crop;
    img.alt = t("cardFaceThumbnail");
    return img;
  }

  /** The known weak cases of a face, in words ("" for none). */
  function weakText(face, t) {
    const names = (Array.isArray(face?.weak) ? face.weak : []).filter((w) => Object.hasOwn(WEAK_KEYS, w));
    return names.length ? t("cardWeakCases", [names.map((w) => t(WEAK_KEYS[w])).join("; ")]) : "";
  }

  /** The manipulation score on a bar showing the bands (role img, spoken as one sentence); null without bands. */
  function scoreBarNode(doc, score, bands, t) {
    const bar = ns.format.scoreBar(score, bands);
    if (!bar) return null;
    const percent = ns.badgeState.percent;
    const wrap = el(doc, "div", "scorebar");
    const track = el(doc, "div", "track");
    for (const [name, width] of [["b-real", bar.real], ["b-unsure", bar.unsure], ["b-fake", bar.fake]]) {
      const part = el(doc, "span", name);
      part.style.width = `${width}%`;
      track.append(part);
    }
    if (bar.marker !== null) {
      const marker = el(doc, "i", "at");
      marker.style.left = `${bar.marker}%`;
      track.append(marker);
    }
    track.setAttribute("role", "img");
    track.setAttribute("aria-label", t("scoreBarAria", [percent(score) || "–", percent(bands.real_below), percent(bands.fake_from)]));
    const scale = el(doc, "div", "scale");
    scale.setAttribute("aria-hidden", "true");
    scale.append(el(doc, "span", null, t("scoreBarReal")), el(doc, "span", null, t("scoreBarUnsure")), el(doc, "span", null, t("scoreBarFake")));
    wrap.append(track, scale);
    return wrap;
  }

  /**
   * One face of the result: thumbnail (or its box in numbers), score, weak cases, frames it appears in,
   * a video's two kinds of evidence and its mouth-motion evidence. Hovering or focusing the row shows its box on the media.
   */
  function faceItem(doc, face, count, flagged, media, t, onFaceFocus) {
    const percent = ns.badgeState.percent;
    const item = el(doc, "li", flagged ? "face flagged" : "face");
    const thumb = faceThumbnail(doc, media, face.box, t, face.thumbnail);
    if (thumb) item.append(thumb);
    const text = el(doc, "div", "face-text");
    const scoreText = face.too_small ? t("cardFaceTooSmall")
      : face.too_blurred ? t("cardFaceTooBlurred") : t("cardFaceScore", [percent(face.score)]);
    const name = t("cardFaceNOfM", [String(face.position), String(count)]);
    text.append(el(doc, "strong", null, name), el(doc, "span", null, ` ${scoreText}`));
    if (flagged) text.append(el(doc, "span", "flag", ` ${t("cardFaceFlagged")}`));
    const weak = weakText(face, t);
    if (weak) text.append(el(doc, "div", "weak", weak));
    const mouth = ns.format.mouthEvidence(face);
    const mouthText = mouth === null ? "" : t("cardFaceMouth", [percent(mouth)]);
    if (onFaceFocus) {
      item.tabIndex = 0;
      item.setAttribute("aria-label", [name, scoreText, flagged ? t("cardFaceFlagged") : "", weak, mouthText].filter(Boolean).join(", "));
      const show = () => onFaceFocus(face);
      for (const type of ["mouseenter", "focus"]) item.addEventListener(type, show);
      for (const type of ["mouseleave", "blur"]) item.addEventListener(type, () => onFaceFocus(null));
    }
    const box = (face.box ?? []).map((v) => Math.round(Number(v)));
    if (!thumb && box.length === 4) text.append(el(doc, "div", "muted", t("cardFaceBox", box.map(String))));
    if (Array.isArray(face.frames) && face.frames.length > 1) {
      text.append(el(doc, "div", "muted", t("cardFaceFrames", [String(face.frames.length)])));
    }
    if (typeof face.frame_score === "number" && typeof face.temporal === "number") {
      text.append(el(doc, "div", "muted", t("cardFaceEvidence", [percent(face.frame_score), percent(face.temporal)])));
    }
    if (mouthText) text.append(el(doc, "div", "muted mouth", mouthText));
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

  /** An SVG element with attributes. */
  function svgEl(doc, tag, attrs) {
    const node = doc.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    return node;
  }

  /**
   * The per-frame score timeline of a video (and the temporal detector's curve or level when present),
   * drawn across the whole width with its axes (score on the left, time below), the likely-fake band
   * shaded, the worst stretch marked, and the analysed frames' thumbnails under it: clicking one seeks
   * the page's video there (`onSeek`), and each can be saved as an image.
   */
  function timeline(doc, result, t, onSeek) {
    const format = ns.format;
    const { width, height } = TIMELINE;
    const frames = format.timelineSegments(result.frames, width, height);
    const svg = doc.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", "timeline");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", t("cardTimelineLabel", [String(result.frames.length), format.clock(frames.end)]));
    const fakeFrom = Number(result.bands?.fake_from);
    if (Number.isFinite(fakeFrom)) svg.append(svgEl(doc, "rect", { x: 0, y: 0, width, height: height * (1 - fakeFrom), class: "band-fake" }));
    const worst = format.worstStretch(result.frames, result.bands);
    const span = frames.end - frames.start;
    const xOf = (i) => (span > 0 ? ((result.frames[i].timestamp - frames.start) / span) * width : width / 2);
    if (worst) {
      const x1 = xOf(worst.from);
      const x2 = xOf(worst.to);
      svg.append(svgEl(doc, "rect", { x: Math.max(0, x1 - 3), y: 0, width: Math.max(6, x2 - x1 + 6), height, class: "worst" }));
    }
    svg.append(svgEl(doc, "line", { x1: 0, x2: width, y1: height / 2, y2: height / 2, class: "grid" }));
    svg.append(...polylines(doc, frames.segments, "frames"));
    const curve = format.temporalCurve(result);
    if (curve) svg.append(...polylines(doc, format.timelineSegments(curve, width, height, frames).segments, "temporal"));
    const level = format.temporalScore(result);
    if (level !== null) {
      const line = doc.createElementNS(SVG_NS, "line");
      const y = height * (1 - level);
      for (const [name, value] of [["x1", 0], ["x2", width], ["y1", y], ["y2", y], ["class", "temporal"]]) line.setAttribute(name, String(value));
      svg.append(line);
    }
    for (const node of svg.querySelectorAll("polyline, line")) node.setAttribute("vector-effect", "non-scaling-stroke");
    const wrap = el(doc, "figure", "timeline-wrap");
    const plot = el(doc, "div", "plot");
    const yAxis = el(doc, "div", "y-axis");
    yAxis.setAttribute("aria-hidden", "true");
    yAxis.append(el(doc, "span", null, "100%"), el(doc, "span", null, "50%"), el(doc, "span", null, "0%"));
    plot.append(yAxis, svg);
    const xAxis = el(doc, "div", "x-axis");
    xAxis.setAttribute("aria-hidden", "true");
    xAxis.append(el(doc, "span", null, format.clock(frames.start)), el(doc, "span", null, t("cardTimelineTime")), el(doc, "span", null, format.clock(frames.end)));
    const caption = el(doc, "figcaption", "muted", t(curve || level !== null ? "cardTimelineLegendTemporal" : "cardTimelineLegend"));
    wrap.append(plot, xAxis, caption);
    const strip = frameStrip(doc, result, worst, t, onSeek);
    if (strip) wrap.append(strip);
    return wrap;
  }

  /**
   * The analysed frames' thumbnails (the worst stretch marked), each with the detector that scored it
   * highest: seek the video there, or save the frame.
   */
  function frameStrip(doc, result, worst, t, onSeek) {
    const frames = result.frames.filter((f) => typeof f?.thumbnail === "string" && /^data:image\/jpeg;base64,/.test(f.thumbnail));
    if (!frames.length) return null;
    const percent = ns.badgeState.percent;
    const list = el(doc, "ul", "frame-strip");
    list.setAttribute("aria-label", t("cardFramesLabel", [String(frames.length)]));
    result.frames.forEach((frame, i) => {
      if (!frames.includes(frame)) return;
      const item = el(doc, "li", worst && i >= worst.from && i <= worst.to ? "frame worst" : "frame");
      const at = `${Number(frame.timestamp).toFixed(1)} s`;
      const score = percent(frame.score) || t("cardFrameNoFace");
      const detector = ns.format.detectorLabel(frame.detector, t);
      const raisedBy = detector ? t("cardFrameDetector", [detector]) : "";
      const go = button(doc, "frame-go", "", () => onSeek?.(Number(frame.timestamp)));
      const img = el(doc, "img");
      img.src = frame.thumbnail;
      img.alt = "";
      go.append(img, el(doc, "span", "frame-at", `${at} · ${score}`));
      if (detector) {
        go.append(el(doc, "span", "frame-by", detector));
        go.title = raisedBy;
      }
      go.setAttribute("aria-label", [t(onSeek ? "cardFrameSeek" : "cardFrameAt", [at, score]), raisedBy].filter(Boolean).join(", "));
      if (!onSeek) go.disabled = true;
      const save = el(doc, "a", "frame-save", t("cardFrameSave"));
      save.href = frame.thumbnail;
      save.download = `unmask-frame-${Number(frame.timestamp).toFixed(2)}s.jpg`;
      save.setAttribute("aria-label", t("cardFrameSaveAria", [at]));
      item.append(go, save);
      list.append(item);
    });
    return list;
  }

  /** Where the checked media came from, in words. */
  function sourceText(analysis, t) {
    const source = analysis.source ?? {};
    if (source.type === "frames") return t("cardSourceFrames", [String(source.count ?? "")]);
    if (source.type === "file") return source.filename ?? "";
    if (source.type === "page_url") return t("cardSourcePage", [ns.format.shortLabel(source.page_url)]);
    return ns.format.shortLabel(source.url ?? "");
  }

  /**
   * The "This looks wrong" part: its button (for the actions row) and a panel with the choices that
   * contradict the verdict (both for inconclusive or no face), an optional note, and the answer.
   */
  function feedbackBlock(doc, analysis, t, onFeedback) {
    const panel = el(doc, "div", "feedback");
    const status = el(doc, "p", "status");
    status.setAttribute("role", "status");
    const choices = el(doc, "div", "choices");
    choices.hidden = true;
    const note = el(doc, "textarea", "note-field");
    note.maxLength = MAX_NOTE_CHARS;
    note.rows = 2;
    note.setAttribute("aria-label", t("cardFeedbackNote"));
    note.placeholder = t("cardFeedbackNotePlaceholder");
    const send = async (label) => {
      status.textContent = t("cardFeedbackSending");
      try {
        await onFeedback(analysis.id, label, note.value.trim());
        status.textContent = t(label === "fake" ? "cardFeedbackSavedFake" : "cardFeedbackSavedReal");
        choices.hidden = true;
      } catch (error) {
        status.textContent = t("cardFeedbackFailed", [t(error?.key || "errorUnknown")]);
      }
    };
    const wrong = button(doc, "secondary", t("cardLooksWrong"), () => {
      choices.hidden = !choices.hidden;
      if (!choices.hidden) choices.querySelector("textarea")?.focus();
    });
    wrong.setAttribute("aria-expanded", "false");
    wrong.addEventListener("click", () => wrong.setAttribute("aria-expanded", String(!choices.hidden)));
    const verdict = analysis.result?.verdict;
    const question = el(doc, "p", null, t("cardFeedbackQuestion"));
    const row = el(doc, "div", "choice-row");
    if (verdict !== "likely_fake") row.append(button(doc, "secondary", t("cardFeedbackIsFake"), () => send("fake")));
    if (verdict !== "likely_real") row.append(button(doc, "secondary", t("cardFeedbackIsReal"), () => send("real")));
    choices.append(question, note, row);
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

  /**
   * Reverse image search (only when the user turned it on in the options): links that open a search
   * engine with the image's public address, in a new tab, only when clicked; never an upload.
   */
  function reverseSearchSection(doc, analysis, t) {
    const source = analysis.source ?? {};
    if (analysis.result?.media?.kind !== "image") return null;
    const section = el(doc, "section", "reverse");
    section.append(el(doc, "h3", null, t("cardReverseSearch")));
    const links = source.type === "url" ? ns.format.reverseSearchLinks(source.url) : [];
    if (!links.length) {
      section.append(el(doc, "p", "muted", t("cardReverseSearchNeedsPublic")));
      return section;
    }
    section.append(el(doc, "p", "muted", t("cardReverseSearchLeaves")));
    const row = el(doc, "div", "choice-row");
    for (const link of links) {
      const a = el(doc, "a", "search-link", link.name);
      a.href = link.href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.referrerPolicy = "no-referrer";
      a.setAttribute("aria-label", t("cardReverseSearchAria", [link.name]));
      row.append(a);
    }
    section.append(row);
    return section;
  }

  /** The body of a finished check. */
  function resultBody(doc, root, analysis, media, t, handlers) {
    const { result } = analysis;
    const percent = ns.badgeState.percent;
    const verdictKey = ns.badgeState.VERDICT_VIEWS[result.verdict].labelKey;
    const { faces, flagged } = ns.format.facesInOrder(result);
    root.append(el(doc, "p", "explain", t(`${verdictKey}Explain`)));
    if (result.score !== null && result.score !== undefined) {
      const line = el(doc, "p", "score", t("cardScore", [percent(result.score)]));
      if (faces.length > 1 && flagged) line.append(el(doc, "span", "muted", ` ${t("cardScoreOfFace", [String(flagged), String(faces.length)])}`));
      root.append(line);
      const bar = scoreBarNode(doc, result.score, result.bands, t);
      if (bar) root.append(bar);
      root.append(el(doc, "p", "muted score-meaning", t("cardScoreMeaning")));
      const weak = weakText(faces.find((f) => f.position === flagged), t);
      if (weak) root.append(el(doc, "p", "weak weak-summary", weak));
    }
    if (ns.provenanceView.aiDeclaration(result.provenance) && (result.verdict === "likely_real" || result.verdict === "no_face" || result.verdict === "inconclusive")) {
      root.append(el(doc, "p", "note reconcile", t(result.verdict === "no_face" ? "cardDeclaredAiNoFace" : "cardDeclaredAiNotFlagged")));
    }
    if (faces.length) {
      root.append(el(doc, "h3", null, t("cardFaces", [String(faces.length)])));
      const list = el(doc, "ul", "faces");
      faces.forEach((face) => list.append(faceItem(doc, face, faces.length, face.position === flagged && faces.length > 1, media, t, handlers.onFaceFocus)));
      root.append(list);
    }
    if (Array.isArray(result.frames) && result.frames.length) {
      root.append(el(doc, "h3", null, t("cardTimeline")), timeline(doc, result, t, handlers.onSeek));
    }
    const provenance = provenanceSection(doc, result.provenance, t);
    if (provenance) root.append(provenance);
    if (handlers.reverseSearch) {
      const search = reverseSearchSection(doc, analysis, t);
      if (search) root.append(search);
    }
    const facts = el(doc, "dl", "facts");
    fact(doc, facts, t("cardModel"), `${result.model?.name ?? "?"} ${result.model?.version ?? ""}`.trim());
    const checked = new Date(result.checked_at ?? analysis.created_at ?? Date.now()).toLocaleString();
    fact(doc, facts, t("cardChecked"), analysis.cached ? t("cardCheckedEarlier", [checked]) : checked);
    fact(doc, facts, t("cardSource"), sourceText(analysis, t));
    const seconds = ns.format.totalSeconds(result.timings);
    if (seconds > 0) fact(doc, facts, t("cardDuration"), t("cardSeconds", [ns.format.seconds(seconds)]));
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
    const title = el(doc, "h2", "title", t(view.labelKey));
    const marker = state.phase === "done" ? ns.provenanceView.badgeMarker(state.analysis.result.provenance, t) : null;
    if (marker) {
      const tag = el(doc, "span", "marker", marker.text);
      tag.title = marker.aria;
      title.append(" ", tag);
    }
    const corrected = state.phase === "done" ? state.analysis.feedback?.label : null;
    if (corrected === "fake" || corrected === "real") title.append(" ", el(doc, "span", "corrected", t(corrected === "fake" ? "badgeCorrectedFake" : "badgeCorrectedReal")));
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
    const finalError = state.phase === "error" && FINAL_ERRORS.has(view.reasonKey);
    const actions = el(doc, "div", "actions");
    if (handlers.onCheckAgain && state.phase !== "checking" && state.phase !== "capturing" && !finalError) {
      actions.append(button(doc, "primary", t("cardCheckAgain"), handlers.onCheckAgain));
    }
    if (state.phase === "done" && handlers.onReport && state.analysis.id) {
      actions.append(button(doc, "secondary report", t("cardReport"), () => handlers.onReport(state.analysis.id)));
    }
    if (feedback) actions.append(feedback.button);
    if (actions.childElementCount) card.append(actions);
    if (feedback) card.append(feedback.panel);
    return card;
  }

  ns.card = Object.freeze({ render, scoreBar: scoreBarNode, FINAL_ERRORS, CSS });
})();
