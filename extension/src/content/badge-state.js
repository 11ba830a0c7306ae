// Pure state machine of one badge: checking -> verdict | error, and how each state is shown.
// Classic script that also loads as a module (publishes globalThis.Unmask.badgeState).
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});

  const VERDICT_VIEWS = Object.freeze({
    likely_fake: { tone: "fake", labelKey: "verdictLikelyFake" },
    inconclusive: { tone: "unsure", labelKey: "verdictInconclusive" },
    likely_real: { tone: "real", labelKey: "verdictLikelyReal" },
    no_face: { tone: "noface", labelKey: "verdictNoFace" },
  });
  // Errors about one automatically checked media that would only clutter a page (shown for right-clicks).
  const QUIET_AUTO_ERRORS = new Set(["errorNotMedia", "errorUndecodable"]);

  /** The state of a badge that was just asked for (manual: right-click, file; otherwise automatic). */
  function initial(manual, note = null) {
    return { phase: "checking", fraction: 0, stage: "queued", manual: Boolean(manual), note, analysis: null, error: null };
  }

  /** A fraction clamped to 0..1 (0 for anything that is not a number). */
  function clampFraction(value) {
    const n = Number(value);
    return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
  }

  /**
   * The next state after an event: {type: "capture", fraction} | {type: "progress", fraction, stage}
   * | {type: "done", analysis} | {type: "error", error: {key, code, message}} | {type: "restart", manual}
   * | {type: "feedback", feedback: {label, note, created_at}}.
   * Progress arriving after the end is ignored; a restart ("Check again") begins anew.
   */
  function reduce(state, event) {
    const current = state ?? initial(false);
    const finished = current.phase === "done" || current.phase === "error";
    switch (event.type) {
      case "restart":
        return initial(event.manual ?? current.manual, event.note ?? current.note);
      case "capture":
        return finished ? current : { ...current, phase: "capturing", fraction: clampFraction(event.fraction), stage: "capture" };
      case "progress":
        return finished ? current : { ...current, phase: "checking", fraction: clampFraction(event.fraction), stage: event.stage || current.stage };
      case "note":
        return { ...current, note: event.note };
      case "feedback": // the user's correction, recorded by the companion
        return current.phase === "done" ? { ...current, analysis: { ...current.analysis, feedback: event.feedback } } : current;
      case "done":
        if (!event.analysis?.result || !VERDICT_VIEWS[event.analysis.result.verdict]) {
          return { ...current, phase: "error", error: { key: "errorUnknown", code: "bad_result", message: "" } };
        }
        return { ...current, phase: "done", fraction: 1, stage: "done", analysis: event.analysis, error: null };
      case "error":
        return { ...current, phase: "error", fraction: 1, stage: "failed", error: event.error, analysis: null };
      default:
        return current;
    }
  }

  /** Whole percent of a 0..1 number, as text ("87%"); "" when absent. */
  function percent(value) {
    return typeof value === "number" && Number.isFinite(value) ? `${Math.round(value * 100)}%` : "";
  }

  /**
   * How a state looks: {visible, tone, labelKey, detail, prominent}. `prefs` holds the options
   * showLikelyReal and showNoFace; right-click checks always show their outcome.
   */
  function view(state, prefs) {
    if (state.phase === "checking" || state.phase === "capturing") {
      const labelKey = state.phase === "capturing" ? "badgeCapturing" : "badgeChecking";
      return { visible: true, tone: "checking", labelKey, detail: percent(state.fraction), prominent: false };
    }
    if (state.phase === "error") {
      const key = state.error?.key || "errorUnknown";
      const visible = state.manual || !QUIET_AUTO_ERRORS.has(key);
      return { visible, tone: "error", labelKey: "badgeError", detail: "", reasonKey: key, prominent: false };
    }
    const verdict = state.analysis.result.verdict;
    const look = VERDICT_VIEWS[verdict];
    let visible = true;
    if (verdict === "likely_real") visible = state.manual || prefs.showLikelyReal;
    if (verdict === "no_face") visible = state.manual || prefs.showNoFace;
    const detail = verdict === "no_face" ? "" : percent(state.analysis.result.score);
    return { visible, tone: look.tone, labelKey: look.labelKey, detail, prominent: verdict === "likely_fake" };
  }

  ns.badgeState = Object.freeze({ VERDICT_VIEWS, initial, reduce, view, percent });
})();
