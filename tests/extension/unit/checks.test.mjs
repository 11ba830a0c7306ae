import test from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { EXTENSION } from "./helpers.mjs";

// A stand-in for the browser's extension API with what checks.js and verdicts.js use: storage.session kept
// in memory (it outlives a "restarted" worker, as in the browser), tabs.sendMessage and action recorded.
const session = {};
const sent = [];
const badges = [];
globalThis.chrome = {
  runtime: { id: "test-extension", getURL: (p) => `chrome-extension://test-extension/${p}` },
  storage: {
    session: {
      get: async (keys) => Object.fromEntries([keys].flat().filter((k) => k in session).map((k) => [k, structuredClone(session[k])])),
      set: async (items) => Object.assign(session, structuredClone(items)),
      remove: async (keys) => [keys].flat().forEach((k) => delete session[k]),
    },
  },
  tabs: { sendMessage: async (tabId, message, options) => sent.push({ tabId, frameId: options.frameId, message }) && { ok: true, value: null } },
  action: { setBadgeText: async (d) => badges.push(d), setBadgeBackgroundColor: async () => {}, setTitle: async () => {} },
  i18n: { getMessage: (key) => key },
};

const checksUrl = pathToFileURL(path.join(EXTENSION, "src/background/checks.js")).href;
let instance = 0;

/** A fresh copy of checks.js, as a restarted service worker would load it (same storage). */
async function freshChecks(client) {
  const checks = await import(`${checksUrl}?worker=${++instance}`);
  checks.useClient(client);
  return checks;
}

/** A companion client whose analyses finish when the test says so. */
function fakeClient() {
  const submitted = [];
  const waiting = new Map();
  return {
    submitted,
    waiting,
    submit: async (payload) => {
      submitted.push(payload);
      return { id: `a${submitted.length}`, status: "queued" };
    },
    waitForAnalysis: (id, onProgress) =>
      new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        void onProgress(0.5, "faces");
      }),
    finish(id, verdict = "likely_fake") {
      waiting.get(id).resolve({ id, status: "done", created_at: "2026-01-01T00:00:00Z", result: { verdict, score: 0.9, faces: [] } });
      waiting.delete(id);
    },
  };
}

/** Let every pending promise and storage write run. */
async function settle() {
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** The last update a badge received. */
function lastUpdate(tabId, mediaKey) {
  return sent.filter((s) => s.tabId === tabId && s.message.mediaKey === mediaKey).at(-1)?.message.update;
}

const url = (n) => ({ type: "url", url: `https://img.example/${n}.jpg` });
const sub = (tabId, n) => ({ tabId, frameId: 0, mediaKey: `url:https://img.example/${n}.jpg` });

test("the same URL asked by two tabs is analysed once and both badges get the verdict", async () => {
  const client = fakeClient();
  const checks = await freshChecks(client);
  await checks.request(sub(1, "same"), url("same"));
  await checks.request(sub(2, "same"), url("same"));
  await settle();
  assert.deepEqual(client.submitted, [{ url: "https://img.example/same.jpg" }]);
  assert.equal(lastUpdate(1, sub(1, "same").mediaKey).stage, "faces", "progress reaches the badge");
  assert.equal(lastUpdate(2, sub(2, "same").mediaKey).phase, "checking", "the second badge waits for the same analysis");
  client.finish("a1");
  await settle();
  for (const tab of [1, 2]) assert.equal(lastUpdate(tab, sub(tab, "same").mediaKey).analysis.result.verdict, "likely_fake");
  assert.deepEqual(badges.filter((b) => b.tabId === 2).at(-1), { tabId: 2, text: "1" }, "the toolbar counts the fake");
});

test("at most two analyses run at once; the third waits its turn", async () => {
  const client = fakeClient();
  const checks = await freshChecks(client);
  for (const n of ["q1", "q2", "q3"]) await checks.request(sub(3, n), url(n));
  await settle();
  assert.equal(client.submitted.length, 2);
  assert.equal(lastUpdate(3, sub(3, "q3").mediaKey).stage, "queued");
  client.finish("a1", "likely_real");
  await settle();
  assert.deepEqual(client.submitted.map((p) => p.url), ["q1", "q2", "q3"].map((n) => `https://img.example/${n}.jpg`));
  client.finish("a2", "likely_real");
  client.finish("a3", "likely_real");
  await settle();
});

test("a URL checked before is answered from the recent results; Check again asks the companion anew", async () => {
  const client = fakeClient();
  const checks = await freshChecks(client);
  await checks.request(sub(4, "q1"), url("q1"));
  await settle();
  assert.equal(client.submitted.length, 0);
  assert.equal(lastUpdate(4, sub(4, "q1").mediaKey).phase, "done");
  await checks.request(sub(4, "q1"), url("q1"), true);
  await settle();
  assert.equal(client.submitted.length, 1);
  client.finish("a1", "likely_real");
  await settle();
});

test("a restarted worker follows submitted analyses instead of sending them again", async () => {
  const before = fakeClient();
  const stopped = await freshChecks(before);
  await stopped.request(sub(5, "long"), url("long"));
  await settle();
  assert.equal(before.submitted.length, 1);
  // The worker stops here: its in-memory promises are gone, storage.session keeps the job.
  const after = fakeClient();
  const restarted = await freshChecks(after);
  await restarted.resume();
  await settle();
  assert.equal(after.submitted.length, 0, "not submitted twice");
  assert.ok(after.waiting.has("a1"), "polling the same analysis id");
  after.finish("a1", "inconclusive");
  await settle();
  assert.equal(lastUpdate(5, sub(5, "long").mediaKey).analysis.result.verdict, "inconclusive");
});

test("captured frames lost in a restart are reported as interrupted", async () => {
  const client = fakeClient();
  client.submit = async () => new Promise(() => {}); // the worker stops while uploading
  const stopped = await freshChecks(client);
  const frames = { type: "frames", frames: [{ data: "/9j/", timestamp: 0 }] };
  await stopped.request({ tabId: 6, frameId: 0, mediaKey: "local:1" }, frames);
  await settle();
  const restarted = await freshChecks(fakeClient());
  await restarted.resume();
  await settle();
  assert.deepEqual(lastUpdate(6, "local:1").error.code, "interrupted");
  assert.equal(lastUpdate(6, "local:1").error.key, "errorInterrupted");
});

test("a closed tab's queued checks are dropped", async () => {
  const client = fakeClient();
  const checks = await freshChecks(client);
  for (const n of ["b1", "b2", "b3"]) await checks.request(sub(7, n), url(n));
  await settle();
  await checks.forgetTab(7);
  client.finish("a1");
  client.finish("a2");
  await settle();
  assert.equal(client.submitted.length, 2, "b3 was never sent");
  assert.deepEqual(session.jobs, {});
});

test("recent results keep a video's scores but not its frame thumbnails (storage.session is small)", async () => {
  const { slimForRecent } = await import(`${checksUrl}?slim`);
  const analysis = { id: "a", result: { verdict: "likely_real", faces: [{ id: 0, thumbnail: "data:image/jpeg;base64,AA" }],
    frames: [{ index: 0, timestamp: 0, score: 0.1, thumbnail: "data:image/jpeg;base64,BB" }] } };
  const slim = slimForRecent(analysis);
  assert.deepEqual(slim.result.frames, [{ index: 0, timestamp: 0, score: 0.1 }]);
  assert.equal(slim.result.faces[0].thumbnail, "data:image/jpeg;base64,AA");
  assert.equal(analysis.result.frames[0].thumbnail, "data:image/jpeg;base64,BB", "the delivered analysis is untouched");
  assert.equal(slimForRecent({ id: "b", result: { faces: [] } }).id, "b");
});
