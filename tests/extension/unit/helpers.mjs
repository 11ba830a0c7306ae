// Shared helpers for the extension's unit tests: load the extension's scripts into this Node process.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const EXTENSION = path.join(ROOT, "extension");

/** Import an extension file (path relative to extension/) and return globalThis.Unmask. */
export async function load(...files) {
  for (const file of files) await import(pathToFileURL(path.join(EXTENSION, file)).href);
  return globalThis.Unmask;
}

/** Import an ES module of the extension and return its exports. */
export function module(file) {
  return import(pathToFileURL(path.join(EXTENSION, file)).href);
}

/** A plain-object element: tagName plus whatever properties a rule reads. */
export function element(tagName, props = {}) {
  return { tagName: tagName.toUpperCase(), ...props };
}
