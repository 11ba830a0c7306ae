import test from "node:test";
import assert from "node:assert/strict";
import { load } from "./helpers.mjs";

const { badgeState } = await load("src/content/badge-state.js");
const { initial, reduce, view } = badgeState;
const prefs = { showLikelyReal: true, showNoFace: false };
const analysis = (verdict, score = 0.5) => ({ id: "a1", result: { verdict, score, faces: [] } });

test("a check moves from checking through progress to its verdict", () => {
  let state = initial(true);
  assert.deepEqual(view(state, prefs), { visible: true, tone: "checking", labelKey: "badgeChecking", detail: "0%", prominent: false });
  state = reduce(state, { type: "progress", fraction: 0.42, stage: "faces" });
  assert.equal(view(state, prefs).detail, "42%");
  state = reduce(state, { type: "done", analysis: analysis("likely_fake", 0.91) });
  assert.deepEqual(view(state, prefs), { visible: true, tone: "fake", labelKey: "verdictLikelyFake", detail: "91%", prominent: true });
});

test("frames being captured show their own label", () => {
  const state = reduce(initial(true), { type: "capture", fraction: 0.25 });
  assert.equal(view(state, prefs).labelKey, "badgeCapturing");
  assert.equal(view(state, prefs).detail, "25%");
});

test("progress arriving after the end is ignored; a restart starts over", () => {
  const done = reduce(initial(false), { type: "done", analysis: analysis("inconclusive", 0.5) });
  assert.equal(reduce(done, { type: "progress", fraction: 0.1 }), done);
  const again = reduce(done, { type: "restart", manual: true });
  assert.equal(again.phase, "checking");
  assert.equal(again.manual, true);
});

test("likely real is subtle and hideable; no face is hidden for automatic checks only", () => {
  const real = reduce(initial(false), { type: "done", analysis: analysis("likely_real", 0.03) });
  assert.equal(view(real, prefs).tone, "real");
  assert.equal(view(real, prefs).prominent, false);
  assert.equal(view(real, { ...prefs, showLikelyReal: false }).visible, false);
  const noFace = reduce(initial(false), { type: "done", analysis: analysis("no_face", null) });
  assert.equal(view(noFace, prefs).visible, false);
  assert.equal(view(noFace, { ...prefs, showNoFace: true }).visible, true);
  const manualNoFace = reduce(initial(true), { type: "done", analysis: analysis("no_face", null) });
  assert.equal(view(manualNoFace, prefs).visible, true, "a right-click always gets an answer");
  assert.equal(view(manualNoFace, prefs).detail, "");
});

test("errors carry their reason; media-level errors of automatic checks stay quiet", () => {
  const offline = reduce(initial(false), { type: "error", error: { key: "errorOffline", code: "offline" } });
  assert.deepEqual(view(offline, prefs), { visible: true, tone: "error", labelKey: "badgeError", detail: "", reasonKey: "errorOffline", prominent: false });
  const notMedia = reduce(initial(false), { type: "error", error: { key: "errorNotMedia" } });
  assert.equal(view(notMedia, prefs).visible, false);
  assert.equal(view(reduce(initial(true), { type: "error", error: { key: "errorNotMedia" } }), prefs).visible, true);
});

test("a result without a known verdict becomes an error, not a verdict", () => {
  const state = reduce(initial(true), { type: "done", analysis: { id: "x", result: { verdict: "maybe" } } });
  assert.equal(state.phase, "error");
  assert.equal(view(state, prefs).reasonKey, "errorUnknown");
});

test("fractions are clamped", () => {
  assert.equal(reduce(initial(true), { type: "progress", fraction: 7 }).fraction, 1);
  assert.equal(reduce(initial(true), { type: "progress", fraction: "x" }).fraction, 0);
});
