// How a verdict is shown: faces in reading order and on the media, the score bar, the card's place,
// the popup's order and counts, the worst stretch of a video, small wording rules.
import test from "node:test";
import assert from "node:assert/strict";
import { load } from "./helpers.mjs";

const { format } = await load("src/shared/format.js");

test("faces are listed left to right and the flagged face is the highest score", () => {
  const result = { faces: [
    { id: 0, box: [600, 10, 50, 50], score: 0.2 },
    { id: 1, box: [20, 40, 50, 50], score: 0.1 },
    { id: 2, box: [300, 10, 50, 50], score: 0.9 },
    { id: 3, box: [20, 10, 50, 50], score: null, too_small: true },
  ] };
  const { faces, flagged } = format.facesInOrder(result);
  assert.deepEqual(faces.map((f) => f.id), [3, 1, 2, 0]);
  assert.deepEqual(faces.map((f) => f.position), [1, 2, 3, 4]);
  assert.equal(flagged, 3);
  assert.equal(format.facesInOrder({ faces: [] }).flagged, null);
  assert.equal(format.facesInOrder({}).faces.length, 0);
});

test("a face box lands on the element as CSS object-fit draws the media", () => {
  const natural = { width: 1000, height: 500 };
  assert.deepEqual(format.boxOnElement([100, 50, 200, 100], natural, { width: 500, height: 250 }), { left: 50, top: 25, width: 100, height: 50 });
  // a 16:9 video shown in a square box: letterboxed above and below
  const contain = format.boxOnElement([0, 0, 1000, 500], natural, { width: 400, height: 400 }, "contain");
  assert.deepEqual(contain, { left: 0, top: 100, width: 400, height: 200 });
  const cover = format.boxOnElement([0, 0, 1000, 500], natural, { width: 400, height: 400 }, "cover");
  assert.deepEqual(cover, { left: -200, top: 0, width: 800, height: 400 });
  assert.equal(format.boxOnElement([1, 2, 3], natural, { width: 1, height: 1 }), null);
  assert.equal(format.boxOnElement([1, 2, 3, 4], { width: 0, height: 5 }, { width: 1, height: 1 }), null);
});

test("the score bar shows the three bands and where the score lies", () => {
  assert.deepEqual(format.scoreBar(0.26, { real_below: 0.3, fake_from: 0.8 }), { real: 30, unsure: 50, fake: 20, marker: 26 });
  assert.deepEqual(format.scoreBar(null, { real_below: 0.3, fake_from: 0.8 }).marker, null);
  assert.equal(format.scoreBar(0.5, null), null);
  assert.equal(format.scoreBar(0.5, { real_below: 0.9, fake_from: 0.2 }), null);
});

test("the card opens below its badge when it fits, above when not, else clamped to the window", () => {
  const view = { width: 1000, height: 800 };
  const card = { width: 340, height: 400 };
  assert.deepEqual(format.cardPlacement({ left: 100, top: 100, width: 80, height: 24 }, card, view), { left: 100, top: 128, placement: "below" });
  assert.deepEqual(format.cardPlacement({ left: 100, top: 700, width: 80, height: 24 }, card, view), { left: 100, top: 296, placement: "above" });
  const clamped = format.cardPlacement({ left: 900, top: 300, width: 80, height: 24 }, { width: 340, height: 700 }, view);
  assert.equal(clamped.placement, "clamped");
  assert.equal(clamped.left, 1000 - 340 - 8);
  assert.ok(clamped.top >= 8 && clamped.top + 700 <= 800 - 8 + 0.5);
});

test("the popup lists likely fakes first and counts each verdict", () => {
  const items = [
    { mediaKey: "a", phase: "done", verdict: "likely_real", updatedAt: 5 },
    { mediaKey: "b", phase: "error", errorKey: "errorOffline", label: "https://x.example/photo.jpg", updatedAt: 9 },
    { mediaKey: "c", phase: "done", verdict: "likely_fake", updatedAt: 1 },
    { mediaKey: "d", phase: "done", verdict: "inconclusive", updatedAt: 2 },
    { mediaKey: "e", phase: "checking", updatedAt: 10 },
    { mediaKey: "f", phase: "done", verdict: "likely_fake", updatedAt: 3 },
  ];
  const { rows, counts } = format.popupRows(items);
  assert.deepEqual(rows.map((r) => r.mediaKey), ["f", "c", "d", "a", "b", "e"]);
  assert.deepEqual(counts, { likely_fake: 2, inconclusive: 1, likely_real: 1 });
});

test("the worst stretch of a video is its longest run in the likely-fake band, else its highest frame", () => {
  const frames = [0.1, 0.9, 0.95, 0.2, 0.85, 0.9, 0.92, null, 0.1].map((score, i) => ({ timestamp: i, score }));
  assert.deepEqual(format.worstStretch(frames, { fake_from: 0.8 }), { from: 4, to: 6 });
  assert.deepEqual(format.worstStretch(frames.slice(0, 3), { fake_from: 0.8 }), { from: 1, to: 2 });
  assert.deepEqual(format.worstStretch([{ score: 0.1 }, { score: 0.4 }, { score: 0.3 }], { fake_from: 0.8 }), { from: 1, to: 1 });
  assert.equal(format.worstStretch([], null), null);
});

test("durations never read 0.0 s and spoken lists have no double full stop", () => {
  assert.equal(format.seconds(0.01), "< 0.1");
  assert.equal(format.seconds(0.44), "0.4");
  assert.equal(format.spokenList(["Not checked", "", "The companion is not running. Start it with “unmask serve”."]),
    "Not checked, The companion is not running. Start it with “unmask serve”");
});

test("reverse image search links only for a public address, never for this computer or a private network", () => {
  const links = format.reverseSearchLinks("https://news.example.org/img/a photo.jpg?x=1&y=2");
  assert.deepEqual(links.map((l) => l.name), ["Google Lens", "TinEye", "Bing", "Yandex"]);
  assert.ok(links.every((l) => l.href.startsWith("https://") && l.href.includes(encodeURIComponent("https://news.example.org/img/a photo.jpg?x=1&y=2"))));
  for (const local of ["http://127.0.0.1:8000/a.jpg", "http://localhost/a.jpg", "http://192.168.1.4/a.jpg", "http://10.0.0.1/a.jpg",
    "http://[::1]/a.jpg", "http://printer.local/a.jpg", "http://intranet/a.jpg", "file:///a.jpg", "data:image/png;base64,AA",
    "https://user:pw@example.org/a.jpg", "http://172.20.0.1/a.jpg"]) {
    assert.deepEqual(format.reverseSearchLinks(local), [], local);
  }
  assert.ok(format.isPublicUrl("https://8.8.8.8/a.jpg"));
});
