import test from "node:test";
import assert from "node:assert/strict";
import { module } from "./helpers.mjs";

const { createRouter, FROM, isOwnContentScript, isOwnPage } = await module("src/background/router.js");
const SELF = { extensionId: "abcdefghijklmnopabcdefghijklmnop", extensionOrigin: "chrome-extension://abcdefghijklmnopabcdefghijklmnop/" };
const contentSender = { id: SELF.extensionId, tab: { id: 7 }, frameId: 0, url: "https://news.example/a" };
const popupSender = { id: SELF.extensionId, url: `${SELF.extensionOrigin}src/popup/popup.html` };

const calls = [];
const route = createRouter(
  {
    check: { from: FROM.CONTENT, handle: (msg, sender) => calls.push(["check", msg.x, sender.tab.id]) && "checked" },
    pair: { from: FROM.PAGE, handle: (msg) => `paired ${msg.token}` },
  },
  SELF,
);

test("content messages are accepted from this extension's content scripts in tabs", async () => {
  assert.equal(await route({ type: "check", x: 1 }, contentSender), "checked");
  assert.deepEqual(calls.at(-1), ["check", 1, 7]);
  assert.ok(isOwnContentScript({ ...contentSender, frameId: 3 }, SELF), "any frame of the tab");
});

test("page messages are accepted from this extension's own pages, even in a tab", async () => {
  assert.equal(await route({ type: "pair", token: "t" }, popupSender), "paired t");
  assert.equal(await route({ type: "pair", token: "u" }, { ...popupSender, tab: { id: 3 }, frameId: 0 }), "paired u");
});

test("another extension is refused", async () => {
  const other = { ...contentSender, id: "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz" };
  await assert.rejects(route({ type: "check" }, other), { code: "forbidden_sender" });
  await assert.rejects(route({ type: "pair" }, { ...popupSender, id: "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz" }), { code: "forbidden_sender" });
});

test("a content script cannot send page messages (pairing, export) and a page cannot pose as content", async () => {
  await assert.rejects(route({ type: "pair", token: "stolen" }, contentSender), { code: "forbidden_sender" });
  await assert.rejects(route({ type: "check" }, popupSender), { code: "forbidden_sender" });
});

test("content messages need a tab and a frame id", async () => {
  await assert.rejects(route({ type: "check" }, { id: SELF.extensionId, url: "https://a.example/" }), { code: "forbidden_sender" });
  const { frameId, ...noFrame } = contentSender;
  assert.equal(frameId, 0);
  await assert.rejects(route({ type: "check" }, noFrame), { code: "forbidden_sender" });
  assert.ok(!isOwnContentScript({ ...contentSender, tab: { id: -1 } }, SELF));
});

test("a look-alike origin is not an extension page", () => {
  assert.ok(!isOwnPage({ id: SELF.extensionId, url: `${SELF.extensionOrigin.slice(0, -1)}.evil.example/x` }, SELF));
  assert.ok(!isOwnPage({ id: SELF.extensionId }, SELF), "no url");
});

test("unknown and malformed messages are refused before any handler runs", async () => {
  const before = calls.length;
  await assert.rejects(route({ type: "toString" }, contentSender), { code: "unknown_message" });
  await assert.rejects(route(null, contentSender), { code: "unknown_message" });
  await assert.rejects(route("check", contentSender), { code: "unknown_message" });
  assert.equal(calls.length, before);
});

test("a router needs the extension's id and origin", () => {
  assert.throws(() => createRouter({}, { extensionId: "", extensionOrigin: "x" }));
});
