// The companion's history in the extension: every check, newest first; search by address or file
// name, filter by verdict, open a check's card again or its report.
import "../shared/ext.js";
import "../shared/messages.js";
import "../shared/format.js";
import "../content/badge-state.js";
import "../ui/provenance-view.js";
import "../ui/card.js";
import { ask, localize, t } from "../ui/page.js";

const { ext, messages: MSG, format, badgeState, card } = globalThis.Unmask;
const $ = (id) => document.getElementById(id);
const PAGE = 100;
const loaded = [];
let nextCursor = null;

/** Where an analysis' media came from, as text to show and to search. */
function sourceText(analysis) {
  const source = analysis.source ?? {};
  if (source.type === "frames") return t("sourceFrames", [String(source.count ?? "")]);
  return source.url ?? source.page_url ?? source.filename ?? "";
}

/** The verdict's tone and words of an analysis (its error for a failed one). */
function verdictOf(analysis) {
  if (analysis.status === "failed") return { tone: "error", text: t("badgeError"), key: "failed" };
  if (analysis.status !== "done") return { tone: "checking", text: t("badgeChecking"), key: analysis.status };
  const look = badgeState.VERDICT_VIEWS[analysis.result?.verdict];
  if (!look) return { tone: "error", text: t("errorUnknown"), key: "unknown" };
  const score = badgeState.percent(analysis.result.score);
  return { tone: look.tone, text: [t(look.labelKey), score ? t("badgeScore", [score]) : ""].filter(Boolean).join(" · "), key: analysis.result.verdict };
}

/** A button. */
function action(label, aria, onClick) {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = label;
  node.setAttribute("aria-label", aria);
  node.addEventListener("click", onClick);
  return node;
}

/** Show an analysis' card under the table. */
function openCard(analysis) {
  const state = badgeState.reduce(badgeState.initial(true), { type: "done", analysis });
  const node = card.render(document, state, {
    t,
    handlers: {
      onClose: () => $("detail").replaceChildren(),
      onReport: (id) => ext.tabs.create({ url: ext.runtime.getURL(`src/report/report.html?id=${encodeURIComponent(id)}`) }),
    },
  });
  $("detail").replaceChildren(node);
  node.focus();
}

/** One row of the table. */
function row(analysis) {
  const tr = document.createElement("tr");
  const when = document.createElement("td");
  when.textContent = new Date(analysis.result?.checked_at ?? analysis.created_at).toLocaleString();
  const media = document.createElement("td");
  media.className = "media";
  const text = sourceText(analysis);
  media.textContent = format.shortLabel(text, 80);
  media.title = text;
  const verdict = verdictOf(analysis);
  const cell = document.createElement("td");
  cell.className = `tone-${verdict.tone}`;
  cell.textContent = verdict.text;
  const actions = document.createElement("td");
  actions.className = "actions";
  if (analysis.status === "done") {
    const name = t("historyRowName", [format.shortLabel(text, 80), when.textContent]); // rows of one address differ by time
    actions.append(
      action(t("historyOpen"), t("historyOpenAria", [name]), () => openCard(analysis)),
      action(t("cardReport"), t("historyReportAria", [name]), () => ext.tabs.create({ url: ext.runtime.getURL(`src/report/report.html?id=${encodeURIComponent(analysis.id)}`) })),
    );
  }
  tr.append(when, media, cell, actions);
  return tr;
}

/** Draw the loaded history through the search and the verdict filter. */
function draw() {
  const words = $("search").value.trim().toLowerCase();
  const wanted = $("verdict").value;
  const shown = loaded.filter((analysis) => (!words || sourceText(analysis).toLowerCase().includes(words))
    && (!wanted || verdictOf(analysis).key === wanted));
  $("rows").replaceChildren(...shown.map(row));
  $("status").textContent = t("historyCount", [String(shown.length), String(loaded.length)]);
  $("more").hidden = !nextCursor;
}

/** Load the next page of the history. */
async function loadMore() {
  try {
    const page = await ask({ type: MSG.GET_HISTORY, limit: PAGE, cursor: nextCursor });
    loaded.push(...(page.items ?? []));
    nextCursor = page.next_cursor ?? null;
    draw();
  } catch (error) {
    $("status").textContent = t(error.key ?? "errorUnknown");
  }
}

localize();
const style = document.createElement("style");
style.textContent = card.CSS;
document.head.append(style);
$("filters").addEventListener("submit", (event) => event.preventDefault());
$("search").addEventListener("input", draw);
$("verdict").addEventListener("change", draw);
$("more").addEventListener("click", () => void loadMore());
void loadMore();
