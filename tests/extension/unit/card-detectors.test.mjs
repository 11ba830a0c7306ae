// The card of a video: which detector raised each analysed frame, each face's mouth-motion evidence, and
// the clip detector's level read under the name the result gives. Rendered into a minimal fake document
// (the card only creates elements, sets text, attributes and listeners).
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { EXTENSION, load } from "./helpers.mjs";

const { card } = await load("src/content/badge-state.js", "src/shared/format.js", "src/ui/provenance-view.js", "src/ui/card.js");
const messages = JSON.parse(fs.readFileSync(path.join(EXTENSION, "_locales/en/messages.json"), "utf8"));

/** The English messages with $1.. substituted, as the browser's i18n does; a missing key fails the test. */
function t(key, substitutions = []) {
  assert.ok(messages[key], `no message ${key}`);
  return messages[key].message.replace(/\$(\d)/g, (_, i) => String(substitutions[Number(i) - 1] ?? ""));
}

class FakeNode {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.children = [];
    this.attributes = {};
    this.style = {};
    this.className = "";
    this.own = "";
  }

  append(...nodes) {
    for (const node of nodes) this.children.push(typeof node === "string" ? { text: node } : node);
  }

  get textContent() {
    return this.own + this.children.map((c) => (c instanceof FakeNode ? c.textContent : c.text)).join("");
  }

  set textContent(value) {
    this.own = String(value);
    this.children = [];
  }

  setAttribute(name, value) {
    this.attributes[name] = String(value);
  }

  getAttribute(name) {
    return this.attributes[name] ?? null;
  }

  addEventListener() {}

  get childElementCount() {
    return this.children.filter((c) => c instanceof FakeNode).length;
  }

  /** Every element below this one, depth first. */
  *descendants() {
    for (const child of this.children) {
      if (!(child instanceof FakeNode)) continue;
      yield child;
      yield* child.descendants();
    }
  }

  querySelectorAll(selector) {
    const tags = selector.split(",").map((s) => s.trim().toUpperCase());
    return [...this.descendants()].filter((n) => tags.includes(n.tagName));
  }

  querySelector(selector) {
    return this.querySelectorAll(selector)[0] ?? null;
  }

  classes() {
    return `${this.className} ${this.attributes.class ?? ""}`.split(/\s+/).filter(Boolean);
  }
}

const doc = { createElement: (tag) => new FakeNode(tag), createElementNS: (_, tag) => new FakeNode(tag) };
const byClass = (root, name) => [...root.descendants()].filter((n) => n.classes().includes(name));
const THUMB = "data:image/jpeg;base64,AAAA";

const RESULT = {
  verdict: "likely_fake", score: 0.83, bands: { real_below: 0.3, fake_from: 0.79 },
  clip_detector: "temporal_residual",
  detectors: { blend_cnn: 0.8, generated_residual: 0.1, temporal_residual: 0.6 },
  faces: [
    { id: 0, box: [10, 10, 80, 80], score: 0.83, frames: [0, 1, 2, 3], frame_score: 0.8, temporal: 0.6, mouth: 0.72 },
    { id: 1, box: [300, 10, 80, 80], score: 0.2, frames: [0, 1], frame_score: 0.2, temporal: 0.1, mouth: null },
  ],
  frames: [
    { index: 0, timestamp: 0, score: 0.8, thumbnail: THUMB, detector: "blend_cnn" },
    { index: 1, timestamp: 0.5, score: 0.7, thumbnail: THUMB, detector: "temporal_residual" },
    { index: 2, timestamp: 1, score: null, thumbnail: THUMB, detector: null },
    { index: 3, timestamp: 1.5, score: 0.4, thumbnail: THUMB, detector: "lipsync_net" },
  ],
  model: { name: "blend_cnn+generated_residual+temporal_residual", version: "a+b+c" },
  media: { kind: "video", sha256: "0".repeat(64) },
};

/** The card of a finished check of `result`. */
function render(result, handlers = { onSeek() {}, onFaceFocus() {} }) {
  return card.render(doc, { phase: "done", analysis: { id: "x", source: { type: "url", url: "https://a.example/v.mp4" }, result } }, { t, handlers });
}

test("each face with mouth evidence says how unlike a real speaker its mouth moves", () => {
  const root = render(RESULT);
  const faces = byClass(root, "face");
  assert.equal(faces.length, 2);
  assert.deepEqual(byClass(faces[0], "mouth").map((n) => n.textContent), ["Mouth movement: 72% unlike a real speaker"]);
  assert.deepEqual(byClass(faces[1], "mouth"), [], "no line without a number");
  assert.match(faces[0].textContent, /single frames 80% · flicker over time 60%/, "the evidence line stays");
  assert.match(faces[0].getAttribute("aria-label"), /Mouth movement: 72% unlike a real speaker/, "spoken with the face");
  assert.doesNotMatch(faces[1].getAttribute("aria-label"), /Mouth/);
  const image = render({ ...RESULT, faces: [{ id: 0, box: [1, 1, 9, 9], score: 0.5, mouth: "0.9" }], frames: [] });
  assert.deepEqual(byClass(image, "mouth"), [], "a mouth value that is not a number is not shown");
});

test("each frame under the timeline names the detector that raised it", () => {
  const root = render(RESULT);
  const buttons = byClass(root, "frame-go");
  assert.equal(buttons.length, 4);
  assert.deepEqual(buttons.map((b) => byClass(b, "frame-by").map((n) => n.textContent).join()),
    ["blend/swap detector", "motion over time", "", "lipsync_net"]);
  assert.equal(buttons[0].title, "Raised most by: blend/swap detector");
  assert.equal(buttons[2].title, undefined, "a frame without a scored face names no detector");
  assert.equal(buttons[0].getAttribute("aria-label"), "Go to 0.0 s in the video (score 80%), Raised most by: blend/swap detector");
  assert.equal(buttons[2].getAttribute("aria-label"), "Go to 1.0 s in the video (score no face)");
});

test("the clip detector's level is drawn from the score under its own name", () => {
  const levelOf = (result) => render(result).querySelectorAll("line").filter((n) => n.attributes.class === "temporal").map((n) => Number(n.attributes.y1));
  assert.deepEqual(levelOf(RESULT), [64 * (1 - 0.6)]);
  const old = { ...RESULT, clip_detector: undefined, detectors: { frame_cnn: 0.8, temporal: 0.25 } };
  assert.deepEqual(levelOf(old), [64 * (1 - 0.25)]);
  assert.deepEqual(levelOf({ ...RESULT, detectors: { blend_cnn: 0.8 } }), []);
});

test("a face seen in too few frames of a video says so next to its row", () => {
  const briefFace = { id: 2, box: [500, 10, 80, 80], score: 0.78, frames: [3], frame_score: 0.95, temporal: null, brief: true,
    weak: ["turned", "brief"] };
  const root = render({ ...RESULT, verdict: "inconclusive", faces: [RESULT.faces[1], briefFace] });
  const faces = byClass(root, "face");
  const weak = faces.map((f) => byClass(f, "weak").map((n) => n.textContent).join());
  assert.deepEqual(weak, ["", "Known weak case for the detector: face turned away; seen in too few frames to call the video fake on its own. Treat this score with extra care."]);
  assert.match(faces[1].getAttribute("aria-label"), /seen in too few frames/);
});

test("a face too blurred to judge, or too small, says so instead of a score", () => {
  const blurred = { id: 2, box: [500, 10, 120, 120], score: null, frames: [0], too_small: false, too_blurred: true, weak: ["blurred"] };
  const small = { id: 3, box: [700, 10, 30, 30], score: null, frames: [0], too_small: true, too_blurred: false, weak: [] };
  const root = render({ ...RESULT, verdict: "likely_real", faces: [RESULT.faces[1], blurred, small] });
  const scores = byClass(root, "face").map((f) => f.children.find((c) => c.className === "face-text").children[1].textContent);
  assert.equal(scores[1], ` ${t("cardFaceTooBlurred")}`);
  assert.equal(scores[2], ` ${t("cardFaceTooSmall")}`);
  assert.match(scores[0], /\d+%/);
  assert.equal(t("cardFaceTooBlurred"), "too blurred to judge");
});
