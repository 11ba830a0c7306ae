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

  /** The temporal detector's overall score (detectors.temporal), or null. */
  function temporalScore(result) {
    const value = result?.detectors?.temporal;
    return typeof value === "number" && Number.isFinite(value) ? value : null;
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

  ns.format = Object.freeze({ scoredPoints, temporalCurve, temporalScore, timelineSegments, faceCrop, shortLabel, clock, totalSeconds });
})();
