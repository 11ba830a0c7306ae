import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { ROOT, module } from "./helpers.mjs";

const { createClient, errorKeyFor, errorFromResponse, retryAfterSeconds, ERROR_KEYS, CompanionError } = await module("src/background/companion.js");
const BASE = "http://127.0.0.1:8765";

/** A Response-like object. */
function reply(status, body, headers = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return { status, ok: status >= 200 && status < 300, headers: { get: (name) => headers[name] ?? null }, text: async () => text };
}

/** A client whose fetch answers from a list (functions are called with url and init) and records calls. */
function fakeClient(answers, token = "tok") {
  const calls = [];
  const sleeps = [];
  const fetchImpl = async (url, init) => {
    calls.push({ url, init });
    const next = answers.shift();
    if (typeof next === "function") return next(url, init);
    if (next instanceof Error) throw next;
    return next;
  };
  const client = createClient({ getConfig: async () => ({ baseUrl: BASE, token }), fetchImpl, sleep: async (ms) => sleeps.push(ms) });
  return { client, calls, sleeps };
}

test("every error code the companion can send maps to an explanation", () => {
  const generic = new Set(["internal_error", "bad_request", "forbidden", "method_not_allowed", "not_acceptable", "request_timeout",
    "conflict", "length_required", "uri_too_long", "too_many_requests", "headers_too_large", "not_implemented", "http_error",
    "invalid_json", "invalid_cursor"]);
  const codes = new Set();
  for (const dir of ["companion", "companion/api"]) {
    for (const file of fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith(".py"))) {
      const text = fs.readFileSync(path.join(ROOT, dir, file), "utf8");
      for (const match of text.matchAll(/code(?:\s*=\s*|=)"([a-z_]+)"/g)) codes.add(match[1]);
      for (const match of text.matchAll(/code, status = "([a-z_]+)"/g)) codes.add(match[1]);
    }
  }
  assert.ok(codes.has("model_missing") && codes.has("bad_token") && codes.has("fetch_failed"), [...codes].join(","));
  const missing = [...codes].filter((code) => !generic.has(code) && errorKeyFor(code) === "errorUnknown");
  assert.deepEqual(missing, [], "add these codes to ERROR_KEYS in extension/src/background/companion.js");
});

test("every locale key in the error table exists in messages.json", () => {
  const messages = JSON.parse(fs.readFileSync(path.join(ROOT, "extension/_locales/en/messages.json"), "utf8"));
  for (const key of new Set(Object.values(ERROR_KEYS))) assert.ok(messages[key], key);
  assert.equal(errorKeyFor("never_heard_of_it"), "errorUnknown");
  assert.equal(errorKeyFor("constructor"), "errorUnknown", "only the table's own keys");
});

test("error bodies become CompanionErrors; bodies that are not JSON fall back on the status", () => {
  const e = errorFromResponse(503, JSON.stringify({ error: { code: "model_missing", message: "no weights" } }));
  assert.deepEqual([e.code, e.key, e.status, e.message], ["model_missing", "errorModelMissing", 503, "no weights"]);
  assert.equal(errorFromResponse(401, "<html>").code, "bad_token");
  assert.equal(errorFromResponse(500, "").key, "errorUnknown");
  assert.deepEqual(new CompanionError("offline").toJSON(), { code: "offline", key: "errorOffline", message: "offline", status: 0 });
});

test("calls carry the token; health does not", async () => {
  const { client, calls } = fakeClient([reply(200, { status: "ok" }), reply(200, { items: [] })]);
  await client.health();
  await client.verifyToken();
  assert.equal(calls[0].url, `${BASE}/v1/health`);
  assert.equal(calls[0].init.headers.Authorization, undefined);
  assert.equal(calls[1].url, `${BASE}/v1/analyses?limit=1`);
  assert.equal(calls[1].init.headers.Authorization, "Bearer tok");
  assert.equal(calls[1].init.credentials, "omit");
});

test("without a token nothing is sent", async () => {
  const { client, calls } = fakeClient([], "");
  await assert.rejects(client.submit({ url: "https://a/b.jpg" }), { code: "not_paired", key: "errorNotPaired" });
  assert.equal(calls.length, 0);
});

test("network errors are retried with backoff, then reported as offline", async () => {
  const down = () => new TypeError("Failed to fetch");
  const ok = fakeClient([down(), reply(200, { status: "ok" })]);
  assert.deepEqual(await ok.client.health(), { status: "ok" });
  assert.deepEqual(ok.sleeps, [500]);
  const dead = fakeClient([down(), down(), down()]);
  await assert.rejects(dead.client.health(), { code: "offline", key: "errorOffline" });
  assert.equal(dead.calls.length, 3);
  assert.deepEqual(dead.sleeps, [500, 1000]);
});

test("503 with Retry-After waits and retries; 503 without it is reported at once", async () => {
  const busy = reply(503, { error: { code: "queue_full", message: "busy" } }, { "Retry-After": "2" });
  const accepted = reply(202, { id: "abc", status: "queued" });
  const ok = fakeClient([busy, accepted]);
  assert.deepEqual(await ok.client.submit({ url: "https://a/b.jpg" }), { id: "abc", status: "queued" });
  assert.deepEqual(ok.sleeps, [2000]);
  assert.equal(JSON.parse(ok.calls[1].init.body).url, "https://a/b.jpg");
  const missing = fakeClient([reply(503, { error: { code: "model_missing", message: "no weights" } })]);
  await assert.rejects(missing.client.submit({ url: "https://a/b.jpg" }), { code: "model_missing", key: "errorModelMissing" });
  assert.equal(missing.calls.length, 1);
  assert.equal(retryAfterSeconds("999"), 15, "clamped");
  assert.equal(retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT"), null);
});

test("a call that never answers times out", async () => {
  const hang = (url, init) => new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(new Error("aborted"))));
  const { client } = fakeClient([hang]);
  await assert.rejects(client.request("/v1/health", { auth: false, timeoutMs: 20 }), { code: "timeout", key: "errorTimeout" });
});

test("polling reports progress until the analysis is done", async () => {
  const running = (fraction, stage) => reply(200, { id: "a", status: "running", progress: { fraction, stage } });
  const done = { id: "a", status: "done", result: { verdict: "likely_real", score: 0.1 } };
  const { client, calls } = fakeClient([running(0.2, "decode"), running(0.6, "faces"), reply(200, done)]);
  const seen = [];
  assert.deepEqual(await client.waitForAnalysis("a", (f, s) => seen.push([f, s])), done);
  assert.deepEqual(seen, [[0.2, "decode"], [0.6, "faces"]]);
  assert.ok(calls.every((c) => c.url === `${BASE}/v1/analyses/a`));
});

test("a failed analysis rejects with its own error code", async () => {
  const failed = { id: "a", status: "failed", error: { code: "fetch_http_error", message: "403 from the site" } };
  const { client } = fakeClient([reply(200, failed)]);
  await assert.rejects(client.waitForAnalysis("a"), { code: "fetch_http_error", key: "errorUnreachable", message: "403 from the site" });
});

test("feedback and the CSV export use their routes", async () => {
  const { client, calls } = fakeClient([reply(200, { id: "a", feedback: { label: "real" } }), reply(200, "analysis_id,label\nx,real\n")]);
  await client.feedback("a/b", "real");
  assert.equal(calls[0].url, `${BASE}/v1/analyses/a%2Fb/feedback`);
  assert.deepEqual(JSON.parse(calls[0].init.body), { label: "real" });
  assert.equal(await client.feedbackCsv(), "analysis_id,label\nx,real\n");
});
