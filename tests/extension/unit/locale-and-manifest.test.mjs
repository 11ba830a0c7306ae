import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { EXTENSION, load } from "./helpers.mjs";

const messages = JSON.parse(fs.readFileSync(path.join(EXTENSION, "_locales/en/messages.json"), "utf8"));
const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION, "manifest.json"), "utf8"));

/** Every file under a folder (relative paths). */
function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}

const sources = walk(path.join(EXTENSION, "src")).filter((f) => /\.(js|html)$/.test(f));

test("every message has a text and a description", () => {
  for (const [key, entry] of Object.entries(messages)) {
    assert.ok(entry.message?.trim(), `${key}: message`);
    assert.ok(entry.description?.trim(), `${key}: description`);
  }
});

test("every locale key the code names exists", () => {
  const used = new Set();
  for (const file of sources) {
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(/\bt\(\s*"([A-Za-z]+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/data-i18n(?:-[a-z-]+)?="([A-Za-z]+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/(?:labelKey|note|key): "([a-z][A-Za-z]+)"/g)) if (/^(verdict|badge|error|note)/.test(m[1])) used.add(m[1]);
    for (const m of text.matchAll(/\b[a-z_]+: "(detector[A-Z][A-Za-z]+)"/g)) used.add(m[1]); // format.js's DETECTOR_KEYS
  }
  for (const verdict of ["LikelyFake", "Inconclusive", "LikelyReal", "NoFace"]) used.add(`verdict${verdict}Explain`);
  const missing = [...used].filter((key) => !messages[key]);
  assert.deepEqual(missing, []);
  assert.ok(used.size > 80, `found only ${used.size} keys: the scan is broken`);
});

test("every detector the companion names has a short label, and every label key is used", async () => {
  const { format } = await load("src/shared/format.js");
  const names = ["blend_cnn", "generated_residual", "frame_cnn", "frame_cnn_generated", "hybrid_vit", "temporal", "temporal_residual"];
  assert.deepEqual(Object.keys(format.DETECTOR_KEYS).sort(), [...names].sort());
  for (const key of Object.values(format.DETECTOR_KEYS)) assert.ok(messages[key]?.message?.trim(), key);
  const labelKeys = Object.keys(messages).filter((key) => /^detector[A-Z]/.test(key));
  assert.deepEqual(labelKeys.filter((key) => !Object.values(format.DETECTOR_KEYS).includes(key)), [], "unused detector labels");
});

test("the manifest's localized fields, files and permissions", () => {
  assert.equal(manifest.manifest_version, 3);
  for (const field of [manifest.name, manifest.description]) assert.ok(messages[field.replace(/^__MSG_(\w+)__$/, "$1")], field);
  const files = [manifest.background.service_worker, manifest.action.default_popup, manifest.options_ui.page,
    ...manifest.content_scripts.flatMap((c) => c.js), ...Object.values(manifest.icons)];
  for (const file of files) assert.ok(fs.existsSync(path.join(EXTENSION, file)), file);
  assert.deepEqual([...manifest.permissions].sort(), ["contextMenus", "scripting", "storage"]);
  assert.match(manifest.content_security_policy.extension_pages, /connect-src 'self' http:\/\/127\.0\.0\.1:\* http:\/\/localhost:\*$/);
  assert.ok(manifest.browser_specific_settings.gecko.id);
});

test("the menu injects the same content scripts as the manifest, in the same order", () => {
  const menus = fs.readFileSync(path.join(EXTENSION, "src/background/menus.js"), "utf8");
  const listed = [...menus.matchAll(/"(src\/[\w/-]+\.js)"/g)].map((m) => m[1]);
  assert.deepEqual(listed, manifest.content_scripts[0].js);
});

test("only ext.js touches the browser API; no file builds HTML from strings", () => {
  for (const file of sources.filter((f) => f.endsWith(".js"))) {
    const text = fs.readFileSync(file, "utf8");
    if (!file.endsWith(path.join("shared", "ext.js"))) assert.doesNotMatch(text, /\b(chrome|browser)\.[a-z]/, file);
    assert.doesNotMatch(text, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write/, file);
  }
});
