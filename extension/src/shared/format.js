// Pure helpers for showing a result: timeline geometry, face thumbnail crops, short labels.
// Classic script that also loads as a module (publishes globalThis.Unmask.format).
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});

  /** Points (timestamp, score) of a series, dropping entries without a numeric score. */
  function scoredPoints(series) {
    return (Array.isArray(series) ? series : [])
      .filter((p) => typeof p?.score === "number" && Number.isFinite(p.score) && typeof p.timestamp === "number")
      .map((p) => ({ t: p.timestamp, s: Math.min(1, Math.max(0, p.score)) }));
  }

  /** The temporal detector's curve of a result ([{timestamp, score}]), or null when it has none. */
  function temporalCurve(result) {
    const curve = result?.temporal;
    if (Array.isArray(curve)) return curve;
    if (Array.isArray(curve?.frames)) return curve.frames;
    return null;
  }

  /** A finite number, or null. */
  function finite(value) {
    return typeof value === "number" && Number.isFinite(value) ? value : null;
  }

  /**
   * The clip (temporal) detector's overall score: detectors[result.clip_detector], else the older
   * results' detectors.temporal; null when neither is a number.
   */
  function temporalScore(result) {
    const detectors = result?.detectors;
    if (!detectors || typeof detectors !== "object") return null;
    const name = result.clip_detector;
    const named = typeof name === "string" && Object.hasOwn(detectors, name) ? finite(detectors[name]) : null;
    return named ?? (Object.hasOwn(detectors, "temporal") ? finite(detectors.temporal) : null);
  }

  // The locale key of each detector's short name (a detector not listed is shown by its own name).
  const DETECTOR_KEYS = Object.freeze({
    blend_cnn: "detectorBlendCnn",
    generated_residual: "detectorGeneratedResidual",
    frame_cnn: "detectorFrameCnn",
    frame_cnn_generated: "detectorFrameCnnGenerated",
    hybrid_vit: "detectorHybridVit",
    temporal: "detectorTemporal",
    temporal_residual: "detectorTemporal",
  });

  /** A detector's short name for people (`t` looks up locale keys): "" for none, an unknown name as is. */
  function detectorLabel(name, t) {
    if (typeof name !== "string" || !name.trim()) return "";
    return Object.hasOwn(DETECTOR_KEYS, name) ? t(DETECTOR_KEYS[name]) : name.trim();
  }

  /** A face's mouth-motion evidence (0..1, from the clip detector's mouth head), or null when it has none. */
  function mouthEvidence(face) {
    const value = finite(face?.mouth);
    return value === null ? null : Math.min(1, Math.max(0, value));
  }

  /**
   * Polyline segments for a score series drawn in a width x height box (score 1 at the top):
   * a frame without a score breaks the line. Returns [[{x, y}, ...], ...] and the time span.
   */
  function timelineSegments(series, width, height, span) {
    const all = Array.isArray(series) ? series : [];
    const times = all.map((p) => p?.timestamp).filter((t) => typeof t === "number" && Number.isFinite(t));
    const start = span?.start ?? (times.length ? Math.min(...times) : 0);
    const end = span?.end ?? (times.length ? Math.max(...times) : 1);
    const scale = end > start ? width / (end - start) : 0;
    const segments = [];
    let current = [];
    for (const point of all) {
      const ok = typeof point?.score === "number" && Number.isFinite(point.score) && typeof point.timestamp === "number";
      if (!ok) {
        if (current.length) segments.push(current);
        current = [];
        continue;
      }
      const x = scale ? (point.timestamp - start) * scale : width / 2;
      const y = height * (1 - Math.min(1, Math.max(0, point.score)));
      current.push({ x: round1(x), y: round1(y) });
    }
    if (current.length) segments.push(current);
    return { segments, start, end };
  }

  /** A number rounded to one decimal. */
  function round1(value) {
    return Math.round(value * 10) / 10;
  }

  /**
   * The source rectangle to cut a face thumbnail from an image of `natural` size ({width, height}):
   * the box ([x, y, w, h]) grown by `margin` on each side, squared, and kept inside the image.
   */
  function faceCrop(box, natural, margin = 0.2) {
    if (!Array.isArray(box) || box.length !== 4 || !natural?.width || !natural?.height) return null;
    const [x, y, w, h] = box.map(Number);
    if (![x, y, w, h].every(Number.isFinite) || w <= 0 || h <= 0) return null;
    const side = Math.min(Math.max(w, h) * (1 + 2 * margin), natural.width, natural.height);
    const cx = x + w / 2;
    const cy = y + h / 2;
    const sx = Math.min(Math.max(0, cx - side / 2), natural.width - side);
    const sy = Math.min(Math.max(0, cy - side / 2), natural.height - side);
    return { sx: Math.round(sx), sy: Math.round(sy), size: Math.round(side) };
  }

  /** The last path segment of a URL (a file name people recognise), or the URL's host. */
  function shortLabel(text, maxLength = 60) {
    let label = String(text ?? "");
    try {
      const url = new URL(label);
      const parts = url.pathname.split("/").filter(Boolean);
      label = parts.length ? decodeURIComponent(parts[parts.length - 1]) : url.hostname;
    } catch {
      // not a URL: keep the text
    }
    return label.length > maxLength ? `${label.slice(0, maxLength - 1)}…` : label;
  }

  /** Seconds as m:ss. */
  function clock(seconds) {
    const s = Math.max(0, Math.round(Number(seconds) || 0));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  /** Total seconds of a result's timings. */
  function totalSeconds(timings) {
    return Object.values(timings ?? {}).reduce((sum, v) => sum + (Number(v) || 0), 0);
  }

  /**
   * A result's faces in reading order (left to right, then top to bottom), each with its 1-based
   * `position`, and the position of the flagged face (the highest score; null without scores).
   */
  function facesInOrder(result) {
    const faces = (Array.isArray(result?.faces) ? result.faces : [])
      .map((face, index) => ({ face, index }))
      .sort((a, b) => (Number(a.face.box?.[0]) || 0) - (Number(b.face.box?.[0]) || 0) || (Number(a.face.box?.[1]) || 0) - (Number(b.face.box?.[1]) || 0))
      .map(({ face }, i) => ({ ...face, position: i + 1 }));
    let flagged = null;
    for (const face of faces) {
      if (typeof face.score === "number" && (flagged === null || face.score > flagged.score)) flagged = face;
    }
    return { faces, flagged: flagged ? flagged.position : null };
  }

  /**
   * Where a face box ([x, y, w, h] in the media's own pixels, `natural` {width, height}) falls on an
   * element drawn `size` {width, height} px large with CSS object-fit `fit` (fill, contain, cover,
   * none, scale-down): {left, top, width, height} in element pixels, or null.
   */
  function boxOnElement(box, natural, size, fit = "fill") {
    if (!Array.isArray(box) || box.length !== 4 || !natural?.width || !natural?.height || !size?.width || !size?.height) return null;
    const [x, y, w, h] = box.map(Number);
    if (![x, y, w, h].every(Number.isFinite)) return null;
    let sx = size.width / natural.width;
    let sy = size.height / natural.height;
    if (fit === "contain" || fit === "cover" || fit === "none" || fit === "scale-down") {
      let s = fit === "contain" ? Math.min(sx, sy) : fit === "cover" ? Math.max(sx, sy) : 1;
      if (fit === "scale-down") s = Math.min(1, Math.min(sx, sy));
      sx = s;
      sy = s;
    }
    const offsetX = (size.width - natural.width * sx) / 2;
    const offsetY = (size.height - natural.height * sy) / 2;
    return { left: round1(offsetX + x * sx), top: round1(offsetY + y * sy), width: round1(w * sx), height: round1(h * sy) };
  }

  /** The three bands of a score bar in percent ({real, unsure, fake} widths) and the score's place; null without bands. */
  function scoreBar(score, bands) {
    const real = Number(bands?.real_below);
    const fake = Number(bands?.fake_from);
    if (!Number.isFinite(real) || !Number.isFinite(fake) || real < 0 || fake > 1 || real > fake) return null;
    const at = typeof score === "number" && Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : null;
    return { real: round1(real * 100), unsure: round1((fake - real) * 100), fake: round1((1 - fake) * 100), marker: at === null ? null : round1(at * 100) };
  }

  /**
   * Where to put a card of `card` {width, height} next to its badge (`anchor` {left, top, width,
   * height}), all in viewport pixels, in a viewport of `view` {width, height}: below the badge when it
   * fits, else above, else clamped inside the viewport (the card scrolls). {left, top, placement}.
   */
  function cardPlacement(anchor, card, view, gap = 4, margin = 8) {
    const left = Math.max(margin, Math.min(anchor.left, view.width - card.width - margin));
    const below = anchor.top + anchor.height + gap;
    if (below + card.height <= view.height - margin) return { left, top: below, placement: "below" };
    const above = anchor.top - gap - card.height;
    if (above >= margin) return { left, top: above, placement: "above" };
    return { left, top: Math.max(margin, Math.min(below, view.height - card.height - margin)), placement: "clamped" };
  }

  /** Order of the popup's rows: likely fakes first, then inconclusive, real, no face, errors, running checks. */
  const POPUP_ORDER = Object.freeze({ likely_fake: 0, inconclusive: 1, likely_real: 2, no_face: 3, error: 4, checking: 5 });

  /** The popup's rows sorted (fakes first, newest first inside a group) and the counts per verdict. */
  function popupRows(items) {
    const group = (item) => (item.phase === "done" ? item.verdict : item.phase === "error" ? "error" : "checking");
    const rows = [...(Array.isArray(items) ? items : [])].sort(
      (a, b) => (POPUP_ORDER[group(a)] ?? 9) - (POPUP_ORDER[group(b)] ?? 9) || (b.updatedAt ?? 0) - (a.updatedAt ?? 0),
    );
    const counts = { likely_fake: 0, inconclusive: 0, likely_real: 0 };
    for (const item of rows) if (item.phase === "done" && item.verdict in counts) counts[item.verdict] += 1;
    return { rows, counts };
  }

  /**
   * The stretch of a timeline to highlight: the longest run of consecutive frames at or above the
   * "likely fake" band (or, without one, the frame with the highest score); {from, to} indexes or null.
   */
  function worstStretch(frames, bands) {
    const list = Array.isArray(frames) ? frames : [];
    const threshold = Number(bands?.fake_from);
    let best = null;
    if (Number.isFinite(threshold)) {
      let start = null;
      list.forEach((frame, i) => {
        const high = typeof frame?.score === "number" && frame.score >= threshold;
        if (high && start === null) start = i;
        if ((!high || i === list.length - 1) && start !== null) {
          const end = high ? i : i - 1;
          if (!best || end - start > best.to - best.from) best = { from: start, to: end };
          start = null;
        }
      });
    }
    if (best) return best;
    let top = -1;
    list.forEach((frame, i) => {
      if (typeof frame?.score === "number" && (top < 0 || frame.score > list[top].score)) top = i;
    });
    return top < 0 ? null : { from: top, to: top };
  }

  /** A duration in seconds as text: one decimal, or "< 0.1" for what rounds to zero. */
  function seconds(value) {
    const n = Number(value) || 0;
    return n < 0.05 ? "< 0.1" : n.toFixed(1);
  }

  /** Join spoken parts into one sentence list: each part's own final full stop dropped (no "..").*/
  function spokenList(parts) {
    return parts.map((p) => String(p ?? "").trim().replace(/[.。]+$/u, "")).filter(Boolean).join(", ");
  }

  // Reverse image search engines that take an image's address (never an upload).
  const REVERSE_SEARCH = Object.freeze([
    ["Google Lens", (u) => `https://lens.google.com/uploadbyurl?url=${u}`],
    ["TinEye", (u) => `https://tineye.com/search?url=${u}`],
    ["Bing", (u) => `https://www.bing.com/images/search?view=detailv2&iss=sbi&q=imgurl:${u}`],
    ["Yandex", (u) => `https://yandex.com/images/search?rpt=imageview&url=${u}`],
  ]);

  /** Whether a URL is on the public web (http(s), not this computer, not a private network or name). */
  function isPublicUrl(text) {
    let url;
    try {
      url = new URL(String(text));
    } catch {
      return false;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:" || url.username || url.password) return false;
    const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
    if (!host.includes(".") && !host.includes(":")) return false; // "localhost", intranet names
    if (/\.(local|localhost|internal|lan|home|test|invalid|example)$/.test(host)) return false;
    const v4 = host.match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
    if (v4) {
      const [a, b] = [Number(v4[1]), Number(v4[2])];
      return !(a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127));
    }
    if (host.includes(":")) return !(host === "::1" || /^f[cd]/.test(host) || /^fe80/.test(host) || host === "::");
    return true;
  }

  /** Links that search the web for an image by its public address ([{name, href}]); [] for other addresses. */
  function reverseSearchLinks(imageUrl) {
    if (!isPublicUrl(imageUrl)) return [];
    const encoded = encodeURIComponent(imageUrl);
    return REVERSE_SEARCH.map(([name, make]) => ({ name, href: make(encoded) }));
  }

  ns.format = Object.freeze({
    isPublicUrl, reverseSearchLinks,
    scoredPoints, temporalCurve, temporalScore, DETECTOR_KEYS, detectorLabel, mouthEvidence, timelineSegments, faceCrop, shortLabel, clock, totalSeconds,
    facesInOrder, boxOnElement, scoreBar, cardPlacement, popupRows, worstStretch, seconds, spokenList,
  });
})();
