// Check a file from this computer: chosen, dropped on the page or pasted; it is read here, handed to the
// background, uploaded to the companion (multipart `file`), and its result is shown with the same card as
// on web pages (with its report, and the corrections).
import "../shared/ext.js";
import "../shared/messages.js";
import "../shared/format.js";
import "../content/badge-state.js";
import "../ui/provenance-view.js";
import "../ui/card.js";
import { ask, localize, t } from "../ui/page.js";

const { ext, messages: MSG, badgeState, card } = globalThis.Unmask;
const MAX_BYTES = 64 * 1024 * 1024;
const $ = (id) => document.getElementById(id);

/** A file's bytes as base64 (in chunks, so large files do not overflow the call stack). */
async function base64Of(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** An image element showing the file, so the card can cut face thumbnails from it. */
async function previewOf(file) {
  if (!file.type.startsWith("image/")) return null;
  const img = new Image();
  img.src = URL.createObjectURL(file);
  await img.decode().catch(() => {});
  return img;
}

/** Show a state with the shared card (of a file). */
function show(state, media, file) {
  showWith(state, media, () => check(file));
}

/** Show a state with the shared card; `again` runs "Check again". */
function showWith(state, media, again) {
  const node = card.render(document, state, {
    media,
    t,
    handlers: {
      reverseSearch,
      onCheckAgain: again,
      onFeedback: async (analysisId, label, note) => {
        const analysis = await ask({ type: MSG.PAGE_FEEDBACK, analysisId, label, note });
        if (analysis?.feedback) showWith(badgeState.reduce(state, { type: "feedback", feedback: analysis.feedback }), media, again);
        return analysis;
      },
      onReport: (analysisId) => ext.tabs.create({ url: ext.runtime.getURL(`src/report/report.html?id=${encodeURIComponent(analysisId)}`) }),
    },
  });
  $("result").replaceChildren(node);
}

/** Check media by its address and show its result. */
async function checkAddress(url) {
  const text = String(url ?? "").trim();
  if (!text) return;
  const again = () => checkAddress(text);
  let state = badgeState.initial(true);
  $("status").textContent = t("checkAddressSending", [text]);
  showWith(state, null, again);
  try {
    state = badgeState.reduce(state, { type: "done", analysis: await ask({ type: MSG.CHECK_ADDRESS, url: text }) });
  } catch (error) {
    state = badgeState.reduce(state, { type: "error", error: { key: error.key ?? "errorUnknown", code: error.code } });
  }
  $("status").textContent = "";
  showWith(state, null, again);
}

/** The first file of a drop or a paste (an image copied from a page or an app arrives as a file). */
function fileOf(transfer) {
  const files = [...(transfer?.files ?? [])];
  if (files.length) return files[0];
  for (const item of transfer?.items ?? []) if (item.kind === "file") return item.getAsFile();
  return null;
}

/** Upload one file and show its result. */
async function check(file) {
  if (!file) return;
  let state = badgeState.initial(true);
  if (file.size > MAX_BYTES) {
    show(badgeState.reduce(state, { type: "error", error: { key: "errorTooLarge" } }), null, file);
    return;
  }
  $("status").textContent = t("checkFileSending", [file.name]);
  show(state, null, file);
  const media = await previewOf(file);
  try {
    const analysis = await ask({ type: MSG.CHECK_FILE, name: file.name, mime: file.type, data: await base64Of(file) });
    state = badgeState.reduce(state, { type: "done", analysis });
  } catch (error) {
    state = badgeState.reduce(state, { type: "error", error: { key: error.key ?? "errorUnknown", code: error.code } });
  }
  $("status").textContent = "";
  show(state, media, file);
}

let reverseSearch = false;
ext.storage.local.get(["reverseSearch"]).then((stored) => {
  reverseSearch = stored.reverseSearch === true;
});
localize();
const style = document.createElement("style");
style.textContent = card.CSS;
document.head.append(style);
$("form").addEventListener("submit", (event) => {
  event.preventDefault();
  void check($("file").files[0]);
});
const drop = $("drop");
for (const type of ["dragenter", "dragover"]) {
  drop.addEventListener(type, (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
}
for (const type of ["dragleave", "drop"]) drop.addEventListener(type, () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  const file = fileOf(event.dataTransfer);
  if (file) void check(file);
});
document.addEventListener("paste", (event) => {
  const file = fileOf(event.clipboardData);
  if (!file) return;
  event.preventDefault();
  void check(file);
});
$("address-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void checkAddress($("address").value);
});
const asked = new URLSearchParams(location.search).get("url");
if (asked) {
  $("address").value = asked;
  void checkAddress(asked);
}
