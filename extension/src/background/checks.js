// The queue of checks: dedupe by media URL, at most CONCURRENCY analyses at the companion at once,
// progress pushed to every tab waiting for the same media, state kept in storage.session so that a
// restarted service worker picks up where the stopped one was (resume()).
import "../shared/ext.js";
import "../shared/messages.js";
import "../content/find-media.js";
import { CompanionError } from "./companion.js";
import { readSession, updateSession } from "./state.js";
import * as verdicts from "./verdicts.js";

const { ext, messages: MSG, findMedia } = globalThis.Unmask;
const CONCURRENCY = 2;
const MAX_RECENT = 300;
const SESSION = Object.freeze({ jobs: {}, recent: {}, jobSeq: 0 });

// Frames travel in memory only (too big for storage.session); a restart loses them -> "interrupted".
const payloads = new Map();
const driving = new Set();
let client = null;

/** Give the queue its companion client (main.js does this once at start-up). */
export function useClient(companionClient) {
  client = companionClient;
}

/** What a job's source looks like in storage: frames replaced by their count. */
function storedSource(source) {
  return source.type === "frames" ? { type: "frames", count: source.frames.length } : { type: source.type, url: source.url };
}

/** A short, readable label of a source for the popup's list. */
function labelOf(source) {
  if (source.type === "frames") return ext.i18n.t("sourceFrames", [String(source.count ?? source.frames?.length ?? 0)]);
  if (source.type === "file") return source.name;
  return source.url;
}

/** Send a check's state to one waiting badge and record it for the tab's list and toolbar count. */
async function deliver(sub, update, source) {
  if (sub.tabId >= 0) {
    try {
      await ext.tabs.sendMessage(sub.tabId, { type: MSG.CHECK_UPDATE, mediaKey: sub.mediaKey, update }, sub.frameId);
    } catch {
      // the tab navigated away or closed; its badge is gone
    }
    await verdicts.record(sub.tabId, sub.mediaKey, update, { label: labelOf(source), sourceType: source.type, frameId: sub.frameId ?? 0 });
  }
}

/**
 * Ask for a check of `source` ({type: url|page_url, url} or {type: frames, frames}) for the badge
 * `sub` ({tabId, frameId, mediaKey}). `force` skips the recent results ("Check again").
 */
export async function request(sub, source, force = false) {
  const key = findMedia.sourceKey(source);
  const answer = await updateSession(SESSION, (state) => {
    if (key && !force && state.recent[key]) return { done: state.recent[key].analysis };
    const existing = key && Object.values(state.jobs).find((job) => job.key === key);
    if (existing) {
      if (!existing.subscribers.some((s) => s.tabId === sub.tabId && s.mediaKey === sub.mediaKey)) existing.subscribers.push(sub);
      return { joined: existing };
    }
    const jobId = `job${++state.jobSeq}-${Date.now().toString(36)}`;
    if (source.type === "frames") payloads.set(jobId, source.frames);
    state.jobs[jobId] = { jobId, key, source: storedSource(source), phase: "queued", analysisId: null, subscribers: [sub], seq: state.jobSeq };
    return { queued: state.jobs[jobId] };
  });
  const stored = storedSource(source);
  if (answer.done) await deliver(sub, { phase: "done", analysis: answer.done }, stored);
  else await deliver(sub, { phase: "checking", fraction: 0, stage: "queued" }, stored);
  await pump();
}

/** Start queued jobs while fewer than CONCURRENCY run. */
export async function pump() {
  const started = await updateSession(SESSION, (state) => {
    const jobs = Object.values(state.jobs);
    let running = jobs.filter((job) => job.phase === "running").length;
    const picked = [];
    for (const job of jobs.filter((j) => j.phase === "queued").sort((a, b) => a.seq - b.seq)) {
      if (running >= CONCURRENCY) break;
      job.phase = "running";
      running += 1;
      picked.push({ ...job });
    }
    return picked;
  });
  for (const job of started) void drive(job);
}

/** The JSON body POST /v1/analyses gets for a job. */
function payloadOf(job) {
  if (job.source.type === "url") return { url: job.source.url };
  if (job.source.type === "page_url") return { page_url: job.source.url };
  const frames = payloads.get(job.jobId);
  if (!frames) throw new CompanionError("interrupted", "the captured frames were lost when the extension restarted");
  return { frames };
}

/** Submit a job (unless it already has an analysis id), follow it to the end, and tell its subscribers. */
async function drive(job) {
  if (driving.has(job.jobId)) return;
  driving.add(job.jobId);
  try {
    let analysis = null;
    let analysisId = job.analysisId;
    if (!analysisId) {
      const answer = await client.submit(payloadOf(job));
      if (answer?.status === "done") analysis = answer;
      analysisId = answer?.id;
      if (!analysisId) throw new CompanionError("bad_response", "the companion did not return an analysis id");
      await updateSession(SESSION, (state) => {
        if (state.jobs[job.jobId]) state.jobs[job.jobId].analysisId = analysisId;
      });
    }
    analysis ??= await client.waitForAnalysis(analysisId, (fraction, stage) => broadcast(job.jobId, { phase: "checking", fraction, stage }));
    await finish(job.jobId, { phase: "done", analysis });
  } catch (error) {
    const plain = error instanceof CompanionError ? error.toJSON() : new CompanionError("bad_response", String(error?.message ?? error)).toJSON();
    await finish(job.jobId, { phase: "error", error: plain });
  } finally {
    driving.delete(job.jobId);
    payloads.delete(job.jobId);
    void pump();
  }
}

/** Send a progress update to every subscriber of a job. */
async function broadcast(jobId, update) {
  const { jobs } = await readSession({ jobs: {} });
  const job = jobs[jobId];
  if (!job) return;
  await Promise.all(job.subscribers.map((sub) => deliver(sub, update, job.source)));
}

/**
 * What the recent results keep of an analysis: all of it but the video frames' thumbnails (up to a hundred
 * kilobytes a video; storage.session holds a few megabytes). A card from a recent result shows no thumbnails.
 */
export function slimForRecent(analysis) {
  const frames = analysis?.result?.frames;
  if (!Array.isArray(frames)) return analysis;
  return { ...analysis, result: { ...analysis.result, frames: frames.map(({ thumbnail, ...rest }) => rest) } };
}

/** End a job: drop it, remember a finished result for its URL, tell every subscriber. */
async function finish(jobId, update) {
  const job = await updateSession(SESSION, (state) => {
    const ended = state.jobs[jobId];
    delete state.jobs[jobId];
    if (ended?.key && update.phase === "done") {
      state.recent[ended.key] = { analysis: slimForRecent(update.analysis), at: Date.now() };
      const keys = Object.keys(state.recent);
      for (const old of keys.slice(0, Math.max(0, keys.length - MAX_RECENT))) delete state.recent[old];
    }
    return ended;
  });
  if (job) await Promise.all(job.subscribers.map((sub) => deliver(sub, update, job.source)));
}

/** Stop sending a tab's updates (it closed or loaded a new page); drop queued jobs nobody waits for. */
export async function forgetTab(tabId) {
  await updateSession(SESSION, (state) => {
    for (const job of Object.values(state.jobs)) {
      job.subscribers = job.subscribers.filter((sub) => sub.tabId !== tabId);
      if (job.subscribers.length === 0 && job.phase === "queued") {
        delete state.jobs[job.jobId];
        payloads.delete(job.jobId);
      }
    }
  });
}

/** After a restart of the service worker: follow submitted jobs again, requeue the others. */
export async function resume() {
  const running = await updateSession(SESSION, (state) => {
    const follow = [];
    for (const job of Object.values(state.jobs)) {
      if (job.phase !== "running" || driving.has(job.jobId)) continue;
      if (job.analysisId || job.source.type !== "frames") {
        if (job.analysisId) follow.push({ ...job });
        else job.phase = "queued";
      } else {
        follow.push({ ...job }); // frames without an id: drive() reports "interrupted"
      }
    }
    return follow;
  });
  for (const job of running) void drive(job);
  await pump();
}
