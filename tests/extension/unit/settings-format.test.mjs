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

test("the clip detector's score is read under the name the result gives, else under the old name", () => {
  const detectors = { blend_cnn: 0.4, temporal_residual: 0.65, temporal: 0.2 };
  assert.equal(format.temporalScore({ clip_detector: "temporal_residual", detectors }), 0.65);
  assert.equal(format.temporalScore({ clip_detector: "temporal_residual", detectors: { blend_cnn: 0.4, temporal_residual: 0.3 } }), 0.3);
  // a result from before clip_detector existed, or one naming a detector without a score
  assert.equal(format.temporalScore({ detectors: { blend_cnn: 0.4, temporal: 0.7 } }), 0.7);
  assert.equal(format.temporalScore({ clip_detector: "gone", detectors: { temporal: 0.7 } }), 0.7);
  assert.equal(format.temporalScore({ clip_detector: "temporal_residual", detectors: { temporal_residual: null, temporal: 0.1 } }), 0.1);
  assert.equal(format.temporalScore({ clip_detector: "temporal_residual", detectors: { blend_cnn: 0.4 } }), null);
  assert.equal(format.temporalScore({ clip_detector: "blend_cnn" }), null);
  assert.equal(format.temporalScore({ clip_detector: "x", detectors: { x: Number.NaN } }), null);
  assert.equal(format.temporalScore(null), null);
});

test("detector names become short labels; unknown names are shown as they are", () => {
  const t = (key) => `<${key}>`;
  assert.equal(format.detectorLabel("blend_cnn", t), "<detectorBlendCnn>");
  assert.equal(format.detectorLabel("generated_residual", t), "<detectorGeneratedResidual>");
  assert.equal(format.detectorLabel("frame_cnn", t), "<detectorFrameCnn>");
  assert.equal(format.detectorLabel("hybrid_vit", t), "<detectorHybridVit>");
  assert.equal(format.detectorLabel("temporal", t), "<detectorTemporal>");
  assert.equal(format.detectorLabel("temporal_residual", t), "<detectorTemporal>");
  assert.equal(format.detectorLabel("lipsync_net", t), "lipsync_net");
  assert.equal(format.detectorLabel("toString", t), "toString", "not read off the prototype");
  for (const none of [null, undefined, "", "  ", 3]) assert.equal(format.detectorLabel(none, t), "");
});

test("a face's mouth evidence is a number kept in 0..1, or null", () => {
  assert.equal(format.mouthEvidence({ mouth: 0.72 }), 0.72);
  assert.equal(format.mouthEvidence({ mouth: 0 }), 0);
  assert.equal(format.mouthEvidence({ mouth: 1.4 }), 1);
  assert.equal(format.mouthEvidence({ mouth: -0.1 }), 0);
  for (const none of [{ mouth: null }, { mouth: "0.5" }, { mouth: Number.NaN }, {}, null]) assert.equal(format.mouthEvidence(none), null);
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
