// Frames for media the companion cannot download itself (blob:/MSE videos, blob: and data: images):
// drawn through a canvas into JPEG. A cross-origin (tainted) canvas throws CaptureTainted.
// Classic script (publishes globalThis.Unmask.capture).
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});
  const MAX_SIDE = 640;
  const JPEG_QUALITY = 0.85;
  const SEEK_TIMEOUT_MS = 4000;
  const SAMPLE_WINDOW_MS = 8000;

  /** The canvas could not be read: the media comes from another site that does not allow it. */
  class CaptureTainted extends Error {
    constructor() {
      super("the video's pixels cannot be read (cross-origin)");
      this.name = "CaptureTainted";
    }
  }

  /** A JPEG (base64, no data: prefix) of what a video or image shows now, at most MAX_SIDE px wide/high. */
  function snapshot(source, width, height) {
    const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
    let url;
    try {
      url = canvas.toDataURL("image/jpeg", JPEG_QUALITY);
    } catch (error) {
      if (error?.name === "SecurityError") throw new CaptureTainted();
      throw error;
    }
    return url.slice(url.indexOf(",") + 1);
  }

  /** Resolve when the video fires `event` (or reject after a timeout). */
  function once(video, event, timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        video.removeEventListener(event, done);
        reject(new Error(`no ${event} event`));
      }, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      video.addEventListener(event, done, { once: true });
    });
  }

  /** Seek to `time` and wait until the frame there can be drawn. */
  async function seek(video, time) {
    if (Math.abs(video.currentTime - time) < 0.001 && video.readyState >= 2) return;
    const seeked = once(video, "seeked", SEEK_TIMEOUT_MS);
    video.currentTime = time;
    await seeked;
    if (video.readyState < 2) await once(video, "canplay", SEEK_TIMEOUT_MS);
  }

  /** Frames spread over a seekable video: seek to each, draw, then put time and play state back. */
  async function captureBySeeking(video, count, onProgress) {
    const wasPaused = video.paused;
    const startTime = video.currentTime;
    video.pause();
    const frames = [];
    try {
      for (let i = 0; i < count; i += 1) {
        const time = (video.duration * (i + 0.5)) / count;
        await seek(video, time);
        frames.push({ data: snapshot(video, video.videoWidth, video.videoHeight), timestamp: Math.round(video.currentTime * 1000) / 1000 });
        onProgress((i + 1) / count);
      }
    } finally {
      try {
        await seek(video, startTime);
      } catch {
        // leave it where it is
      }
      if (!wasPaused) void video.play().catch(() => {});
    }
    return frames;
  }

  /** Frames sampled while a live or endless video plays (at most SAMPLE_WINDOW_MS). */
  async function captureWhilePlaying(video, count, onProgress) {
    if (video.paused) await video.play().catch(() => {});
    const frames = [];
    const interval = SAMPLE_WINDOW_MS / count;
    for (let i = 0; i < count; i += 1) {
      if (video.readyState >= 2) {
        frames.push({ data: snapshot(video, video.videoWidth, video.videoHeight), timestamp: Math.round(video.currentTime * 1000) / 1000 });
      }
      onProgress((i + 1) / count);
      if (video.paused || video.ended) break;
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
    return frames;
  }

  /** `count` frames of a playing or paused video element, with their timestamps. */
  async function videoFrames(video, count, onProgress = () => {}) {
    if (!video.videoWidth || video.readyState < 1) throw new Error("the video has no picture yet");
    const seekable = Number.isFinite(video.duration) && video.duration > 0 && video.seekable?.length > 0;
    const frames = seekable ? await captureBySeeking(video, count, onProgress) : await captureWhilePlaying(video, count, onProgress);
    if (!frames.length) throw new Error("no frame could be captured");
    return frames;
  }

  /** One frame of an image element (a blob: image the companion cannot fetch). */
  function imageFrame(img) {
    if (!img.complete || !img.naturalWidth) throw new Error("the image has not loaded");
    return [{ data: snapshot(img, img.naturalWidth, img.naturalHeight), timestamp: 0 }];
  }

  /** One frame from a data:image/(jpeg|png|webp);base64 URL, as it is. */
  function dataUrlFrame(url) {
    return [{ data: url.slice(url.indexOf(",") + 1), timestamp: 0 }];
  }

  ns.capture = Object.freeze({ CaptureTainted, videoFrames, imageFrame, dataUrlFrame });
})();
