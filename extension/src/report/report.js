// The report of one check: the companion renders it (self-contained HTML with no script); this page shows
// it in a sandboxed frame (no script, no same origin) and saves it as HTML (prints well to PDF) or JSON.
import "../shared/ext.js";
import "../shared/messages.js";
import { ask, localize, t } from "../ui/page.js";

const { messages: MSG } = globalThis.Unmask;
const $ = (id) => document.getElementById(id);
const analysisId = new URLSearchParams(location.search).get("id") ?? "";

/** Save text as a file through a link to a blob of it. */
function save(text, type, name) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function main() {
  localize();
  $("status").textContent = t("reportLoading");
  try {
    const { text } = await ask({ type: MSG.GET_REPORT, analysisId, format: "html" });
    $("report").srcdoc = text;
    $("status").textContent = "";
    $("save-html").disabled = false;
    $("save-json").disabled = false;
    $("save-html").addEventListener("click", () => save(text, "text/html", `unmask-report-${analysisId}.html`));
    $("save-json").addEventListener("click", async () => {
      try {
        const answer = await ask({ type: MSG.GET_REPORT, analysisId, format: "json" });
        save(answer.text, "application/json", `unmask-report-${analysisId}.json`);
      } catch (error) {
        $("status").textContent = t(error.key ?? "errorUnknown");
      }
    });
  } catch (error) {
    $("status").textContent = t("reportFailed", [t(error.key ?? "errorUnknown")]);
  }
}

void main();
