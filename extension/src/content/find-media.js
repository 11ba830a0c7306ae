// Pure rules: which media is under the pointer, and what to send the companion for it.
// No DOM globals are used: elements are read through their properties (tagName, currentSrc, ...)
// and computed styles through a function the caller passes, so Node tests use plain objects.
// Classic script that also loads as a module (publishes globalThis.Unmask.findMedia).
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});

  // Video pages the companion downloads with yt-dlp: host suffix -> path rule of a single video.
  const VIDEO_SITES = Object.freeze([
    { hosts: ["youtube.com"], path: /^\/(watch|shorts\/|live\/|embed\/)/ },
    { hosts: ["youtu.be"], path: /^\/[\w-]{6,}/ },
    { hosts: ["vimeo.com"], path: /^\/(\d+|video\/\d+|.+\/videos?\/\d+)/ },
    { hosts: ["x.com", "twitter.com"], path: /^\/[^/]+\/status\/\d+/ },
    { hosts: ["tiktok.com"], path: /^\/@[^/]+\/video\/\d+/ },
    { hosts: ["instagram.com"], path: /^\/(p|reel|reels|tv)\/[\w-]+/ },
    { hosts: ["facebook.com"], path: /^\/(watch|reel\/|.+\/videos\/)/ },
    { hosts: ["fb.watch"], path: /^\/\w+/ },
    { hosts: ["reddit.com"], path: /^\/r\/[^/]+\/comments\/\w+/ },
    { hosts: ["dailymotion.com"], path: /^\/video\/\w+/ },
    { hosts: ["dai.ly"], path: /^\/\w+/ },
  ]);
  const MEDIA_FILE = /\.(jpe?g|png|webp|gif|bmp|avif|mp4|m4v|webm|mov|mkv|ogv)$/i;
  const FRAME_DATA_URL = /^data:image\/(jpeg|png|webp);base64,/i;
  const CSS_URL = /url\(\s*(['"]?)(.*?)\1\s*\)/;
  const SKIPPED_BACKGROUND_TAGS = new Set(["HTML", "BODY"]);

  /** The URL object of a text, or null. */
  function parseUrl(text, base) {
    try {
      return new URL(text, base);
    } catch {
      return null;
    }
  }

  /** Whether a URL is http: or https:. */
  function isHttpUrl(text) {
    const url = parseUrl(text);
    return url !== null && (url.protocol === "http:" || url.protocol === "https:");
  }

  /** Whether a URL is a single-video page of a site the companion downloads with yt-dlp. */
  function isVideoPage(text) {
    const url = parseUrl(text);
    if (!url || !isHttpUrl(text)) return false;
    const host = url.hostname.toLowerCase();
    return VIDEO_SITES.some(
      (site) => site.hosts.some((h) => host === h || host.endsWith(`.${h}`)) && site.path.test(url.pathname),
    );
  }

  /** Whether a link points at an image or video file (judged by its path's extension). */
  function looksLikeMediaFile(text) {
    const url = parseUrl(text);
    return url !== null && isHttpUrl(text) && MEDIA_FILE.test(url.pathname);
  }

  /** The first url(...) of a CSS background-image value, resolved against `base`; null when none. */
  function cssImageUrl(value, base) {
    const match = CSS_URL.exec(value || "");
    if (!match || !match[2]) return null;
    const url = parseUrl(match[2], base);
    return url ? url.href : null;
  }

  /** The media an element stands for: {element, kind, url} for img, video, picture; null otherwise. */
  function mediaOf(element) {
    const tag = element?.tagName;
    if (tag === "IMG") return { element, kind: "img", url: element.currentSrc || element.src || "" };
    if (tag === "VIDEO") return { element, kind: "video", url: element.currentSrc || element.src || "" };
    if (tag === "PICTURE") {
      const img = element.querySelector?.("img");
      return img ? mediaOf(img) : null;
    }
    return null;
  }

  /**
   * The media among the elements at a point (topmost first, as document.elementsFromPoint gives them):
   * the first img/video/picture, even below transparent overlays and wrappers; failing that the first
   * element (not html/body) with a CSS background image. Returns {element, kind, url} or null.
   */
  function pickMedia(elements, backgroundImageOf, baseUrl) {
    const list = Array.from(elements || []);
    for (const element of list) {
      const media = mediaOf(element);
      if (media) return media;
    }
    for (const element of list) {
      if (SKIPPED_BACKGROUND_TAGS.has(element?.tagName)) continue;
      const url = cssImageUrl(backgroundImageOf(element), baseUrl);
      if (url) return { element, kind: "background", url };
    }
    return null;
  }

  /** An image URL's request: http(s) -> url, data: JPEG/PNG/WebP -> one frame, blob: -> canvas capture. */
  function imageSource(url) {
    if (isHttpUrl(url)) return { type: "url", url };
    if (FRAME_DATA_URL.test(url)) return { type: "frames", capture: "data-url" };
    if (url.startsWith("blob:")) return { type: "frames", capture: "image" };
    return { type: "unsupported", reason: "unsupported_media" };
  }

  /**
   * What to send the companion for a media found on a page: {type: "url", url} | {type: "page_url", url}
   * | {type: "frames", capture} | {type: "unsupported", reason}. Video pages of yt-dlp sites send the page;
   * video files send their URL; blob:/MSE/stream videos are captured frame by frame.
   */
  function sourceFor(media, pageUrl) {
    if (media.kind === "img" || media.kind === "background") return imageSource(media.url);
    if (isVideoPage(pageUrl)) return { type: "page_url", url: pageUrl };
    if (isHttpUrl(media.url)) return { type: "url", url: media.url };
    if (media.url.startsWith("blob:") || media.element?.srcObject || media.element?.readyState > 0) {
      return { type: "frames", capture: "video" };
    }
    return { type: "unsupported", reason: "no_video_source" };
  }

  /** What to send for a right-clicked link: a video page, or a link straight to a media file. */
  function sourceForLink(linkUrl) {
    if (isVideoPage(linkUrl)) return { type: "page_url", url: linkUrl };
    if (looksLikeMediaFile(linkUrl)) return { type: "url", url: linkUrl };
    return { type: "unsupported", reason: "not_media_link" };
  }

  /** What to send when the page itself was right-clicked with no media under the pointer. */
  function sourceForPage(pageUrl) {
    return isVideoPage(pageUrl)
      ? { type: "page_url", url: pageUrl }
      : { type: "unsupported", reason: "no_media_here" };
  }

  /**
   * The source an automatic check sends for a visible media, or null when it is not checked
   * automatically: only images and video files by URL whose rendered box is at least `minPx` on both
   * sides (capturing frames or downloading video pages is left to a right-click).
   */
  function autoSource(media, rect, minPx, pageUrl) {
    if (!rect || rect.width < minPx || rect.height < minPx) return null;
    if (media.kind === "video" && isVideoPage(pageUrl)) return null;
    const source = media.kind === "video" ? sourceFor(media, pageUrl) : imageSource(media.url);
    return source.type === "url" ? source : null;
  }

  /** The key that dedupes checks of the same media: its URL for url/page sources, else null. */
  function sourceKey(source) {
    if (source.type === "url") return `url:${source.url}`;
    if (source.type === "page_url") return `page:${source.url}`;
    return null;
  }

  ns.findMedia = Object.freeze({
    VIDEO_SITES,
    isHttpUrl,
    isVideoPage,
    looksLikeMediaFile,
    cssImageUrl,
    mediaOf,
    pickMedia,
    sourceFor,
    sourceForLink,
    sourceForPage,
    autoSource,
    sourceKey,
  });
})();
