// The user's options: defaults and how stored values are read back. Classic script that also loads
// as a module (publishes globalThis.Unmask.settings). The pairing token is kept apart (TOKEN_KEY)
// and is read only by the background.
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});

  const DEFAULTS = Object.freeze({
    companionUrl: "http://127.0.0.1:8765",
    autoCheckSites: [], // host names where media is checked automatically (off everywhere by default)
    minFacePx: 96, // smallest rendered width and height of media checked automatically
    showLikelyReal: true, // badge on "likely real" results
    showNoFace: false, // badge on "no face" results of automatic checks
    reverseSearch: false, // reverse image search links in the card (they leave this computer: off until turned on)
  });
  const SETTING_KEYS = Object.freeze(Object.keys(DEFAULTS));
  const TOKEN_KEY = "pairingToken";
  const MIN_FACE_RANGE = Object.freeze([32, 1024]);

  /** Stored values merged over the defaults, each checked for its type and range. */
  function normalize(stored) {
    const out = { ...DEFAULTS };
    const raw = stored ?? {};
    if (typeof raw.companionUrl === "string" && isCompanionUrl(raw.companionUrl)) {
      out.companionUrl = raw.companionUrl.replace(/\/+$/, "");
    }
    if (Array.isArray(raw.autoCheckSites)) {
      out.autoCheckSites = [...new Set(raw.autoCheckSites.filter((s) => typeof s === "string" && s))];
    }
    const px = Number(raw.minFacePx);
    if (Number.isFinite(px)) out.minFacePx = Math.min(MIN_FACE_RANGE[1], Math.max(MIN_FACE_RANGE[0], Math.round(px)));
    for (const key of ["showLikelyReal", "showNoFace", "reverseSearch"]) {
      if (typeof raw[key] === "boolean") out[key] = raw[key];
    }
    return out;
  }

  /** Whether a text is an http URL of this computer's loopback (the companion never listens elsewhere). */
  function isCompanionUrl(text) {
    let url;
    try {
      url = new URL(text);
    } catch {
      return false;
    }
    const loopback = ["127.0.0.1", "localhost"].includes(url.hostname);
    return url.protocol === "http:" && loopback && (url.pathname === "/" || url.pathname === "") && !url.search;
  }

  /** The host name that the per-site auto-check list stores for a page URL (null for non-web pages). */
  function siteOf(pageUrl) {
    try {
      const url = new URL(pageUrl);
      return url.protocol === "http:" || url.protocol === "https:" ? url.hostname : null;
    } catch {
      return null;
    }
  }

  /** The auto-check list with `site` turned on or off. */
  function withSite(sites, site, enabled) {
    const rest = sites.filter((s) => s !== site);
    return enabled ? [...rest, site] : rest;
  }

  ns.settings = Object.freeze({ DEFAULTS, SETTING_KEYS, TOKEN_KEY, MIN_FACE_RANGE, normalize, isCompanionUrl, siteOf, withSite });
})();
