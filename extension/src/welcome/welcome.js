// The first page after installing: find the companion (the default address first, then the one the user
// types), pair with its token, and run a test check of a bundled photo so the user sees a result at once.
import "../shared/ext.js";
import "../shared/messages.js";
import "../shared/settings.js";
import "../shared/format.js";
import "../content/badge-state.js";
import "../ui/provenance-view.js";
import "../ui/card.js";
import { ask, localize, statusText, t } from "../ui/page.js";

const { messages: MSG, settings, badgeState, card } = globalThis.Unmask;
const $ = (id) => document.getElementById(id);
let address = settings.DEFAULTS.companionUrl;

/** Look for the companion at an address; show the next step when it answers. */
async function find(url) {
  address = String(url).trim().replace(/\/+$/, "");
  $("find-status").textContent = t("welcomeLookingAt", [address]);
  const found = await ask({ type: MSG.PROBE_COMPANION, companionUrl: address }).catch(() => ({ found: false }));
  if (!found.found) {
    $("find-status").textContent = t("welcomeNotFound", [address]);
    $("address-form").hidden = false;
    $("companion-url").value = address;
    return;
  }
  $("find-status").textContent = t("welcomeFound", [address, found.models || "?"]);
  $("address-form").hidden = true;
  const status = await ask({ type: MSG.GET_STATUS }).catch(() => null);
  if (status?.state === "ready" && status.companionUrl === address) return showTry(status);
  $("step-pair").hidden = false;
  $("token").focus();
}

/** Pair with the token typed. */
async function onPair(event) {
  event.preventDefault();
  $("pair-error").textContent = "";
  try {
    showTry(await ask({ type: MSG.PAIR, token: $("token").value, companionUrl: address }));
  } catch (error) {
    $("pair-error").textContent = t(error.key ?? "errorUnknown");
  }
}

/** Paired: offer the test check. */
function showTry(status) {
  $("step-pair").hidden = true;
  $("step-try").hidden = false;
  $("paired-status").textContent = statusText(status);
  $("try").focus();
}

/** Check the bundled sample photo and show its card. */
async function onTry() {
  $("try-status").textContent = t("welcomeTrying");
  let state = badgeState.initial(true);
  try {
    const bytes = new Uint8Array(await (await fetch("sample.jpg")).arrayBuffer());
    let binary = "";
    for (const byte of bytes) binary += String.fromCharCode(byte);
    const analysis = await ask({ type: MSG.CHECK_FILE, name: "unmask-sample.jpg", mime: "image/jpeg", data: btoa(binary) });
    state = badgeState.reduce(state, { type: "done", analysis });
    $("try-status").textContent = t("welcomeTried");
  } catch (error) {
    state = badgeState.reduce(state, { type: "error", error: { key: error.key ?? "errorUnknown", code: error.code } });
    $("try-status").textContent = "";
  }
  $("result").replaceChildren(card.render(document, state, { media: $("sample"), t }));
}

localize();
const style = document.createElement("style");
style.textContent = card.CSS;
document.head.append(style);
$("address-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void find($("companion-url").value);
});
$("pair-form").addEventListener("submit", onPair);
$("try").addEventListener("click", () => void onTry());
void find(address);
