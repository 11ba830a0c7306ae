// Check a file from this computer: it is read here, handed to the background, uploaded to the
// companion (multipart `file`), and its result is shown with the same card as on web pages.
import "../shared/ext.js";
import "../shared/messages.js";
import "../shared/format.js";
import "../content/badge-state.js";
import "../ui/provenance-view.js";
import "../ui/card.js";
import { ask, localize, t } from "../ui/page.js";

const { messages: MSG, badgeState, card } = globalThis.Unmask;
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

/** Show a state with the shared card. */
function show(state, media, file) {
  const node = card.render(document, state, {
    media,
    t,
    handlers: {
      onCheckAgain: () => check(file),
      onFeedback: (analysisId, label) => ask({ type: MSG.PAGE_FEEDBACK, analysisId, label }),
    },
  });
  $("result").replaceChildren(node);
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

localize();
$("form").addEventListener("submit", (event) => {
  event.preventDefault();
  void check($("file").files[0]);
});
