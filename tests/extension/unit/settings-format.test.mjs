import test from "node:test";
import assert from "node:assert/strict";
import { load, module } from "./helpers.mjs";

const { settings, format } = await load("src/shared/settings.js", "src/shared/format.js");
const verdicts = await module("src/background/verdicts.js");

test("stored options are merged over defaults and checked", () => {
  assert.deepEqual(settings.normalize(undefined), settings.DEFAULTS);
  assert.equal(settings.DEFAULTS.autoCheckSites.length, 0, "automatic checking is off by default");
  assert.equal(settings.DEFAULTS.minFacePx, 96);
  const got = settings.normalize({ companionUrl: "http://localhost:9000/", minFacePx: "5", autoCheckSites: ["a.example", "a.example", 3], showLikelyReal: "no" });
  assert.equal(got.companionUrl, "http://localhost:9000");
  assert.equal(got.minFacePx, 32);
  assert.deepEqual(got.autoCheckSites, ["a.example"]);
  assert.equal(got.showLikelyReal, true);
});

test("the companion address must be this computer's loopback over http", () => {
  assert.ok(settings.isCompanionUrl("http://127.0.0.1:8765"));
  for (const bad of ["https://127.0.0.1:8765", "http://192.168.1.2:8765", "http://127.0.0.1.evil.example", "http://127.0.0.1:8765/x", "nope"]) {
    assert.ok(!settings.isCompanionUrl(bad), bad);
    assert.equal(settings.normalize({ companionUrl: bad }).companionUrl, settings.DEFAULTS.companionUrl);
  }
});

test("per-site list edits", () => {
  assert.equal(settings.siteOf("https://www.example.org/a?b"), "www.example.org");
  assert.equal(settings.siteOf("chrome://extensions"), null);
  assert.deepEqual(settings.withSite(["a"], "b", true), ["a", "b"]);
  assert.deepEqual(settings.withSite(["a", "b"], "a", false), ["b"]);
  assert.deepEqual(settings.withSite(["a"], "a", true), ["a"]);
});

test("timeline segments: time on x, score on y (1 at the top), gaps where no face was scored", () => {
  const frames = [{ timestamp: 0, score: 0 }, { timestamp: 1, score: 1 }, { timestamp: 2, score: null }, { timestamp: 4, score: 0.5 }];
  const { segments, start, end } = format.timelineSegments(frames, 100, 50);
  assert.deepEqual([start, end], [0, 4]);
  assert.deepEqual(segments, [[{ x: 0, y: 50 }, { x: 25, y: 0 }], [{ x: 100, y: 25 }]]);
  assert.deepEqual(format.timelineSegments([], 100, 50).segments, []);
});

test("the temporal detector's curve or level is found when present", () => {
  assert.equal(format.temporalCurve({}), null);
  assert.deepEqual(format.temporalCurve({ temporal: [{ timestamp: 0, score: 0.2 }] }), [{ timestamp: 0, score: 0.2 }]);
  assert.equal(format.temporalScore({ detectors: { frame_cnn: 0.4, temporal: 0.7 } }), 0.7);
  assert.equal(format.temporalScore({ detectors: { frame_cnn: 0.4 } }), null);
});

test("face thumbnails are square crops kept inside the image", () => {
  assert.deepEqual(format.faceCrop([100, 100, 50, 60], { width: 400, height: 300 }), { sx: 83, sy: 88, size: 84 });
  const corner = format.faceCrop([0, 0, 100, 100], { width: 120, height: 110 });
  assert.deepEqual(corner, { sx: 0, sy: 0, size: 110 });
  assert.equal(format.faceCrop([1, 2, 0, 5], { width: 10, height: 10 }), null);
  assert.equal(format.faceCrop([1, 2, 3, 4], { width: 0, height: 10 }), null);
});

test("labels and the toolbar count", () => {
  assert.equal(format.shortLabel("https://cdn.example/photos/face%201.jpg?x=1"), "face 1.jpg");
  assert.equal(format.shortLabel("https://cdn.example/"), "cdn.example");
  assert.equal(format.clock(75.4), "1:15");
  const items = { a: { phase: "done", verdict: "likely_fake" }, b: { phase: "done", verdict: "likely_real" }, c: { phase: "checking" }, d: { phase: "done", verdict: "likely_fake" } };
  assert.equal(verdicts.countLikelyFakes(items), 2);
  assert.deepEqual([verdicts.badgeText(0), verdicts.badgeText(2), verdicts.badgeText(120)], ["", "2", "99+"]);
});
