// The projector: read-only, full screen. Follows the workshop's current step from the snapshot and the
// live events, always shows how to join (QR code, address, code) and how many people are connected.
// Every text from the server is inserted as text (el(), textContent), never as HTML.
import * as clusteringKind from "./kinds/clustering.js";
import * as recommendationsKind from "./kinds/recommendations.js";
import * as voteKind from "./kinds/vote.js";
import { Live, el, formatSeconds, secondsLeft, strings } from "./live.js";

const t = strings();
const body = document.body;
const $ = (id) => document.getElementById(id);

const state = { workshop: null, activity: null, view: {}, presence: null };

// -- strings ------------------------------------------------------------------------------------------

function tr(key, fallback, values) {
  const text = t[key] || fallback;
  return values ? text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? "")) : text;
}

const KIND_FALLBACKS = {
  info: "Information",
  checkin: "Check-in",
  cards: "Kartenabfrage",
  clustering: "Clustern",
  vote: "Abstimmung",
  recommendations: "Handlungsempfehlungen",
};

function kindLabel(kind) {
  return tr(`kind_${kind}`, KIND_FALLBACKS[kind] || kind);
}

function plural(n, oneKey, oneFallback, manyKey, manyFallback) {
  return n === 1 ? tr(oneKey, oneFallback) : tr(manyKey, manyFallback);
}

const numberFormat = new Intl.NumberFormat(document.documentElement.lang || "de");

// -- text helpers -------------------------------------------------------------------------------------

// Moderator text may contain light Markdown; the projector shows it as plain text, without the markers.
function plainText(markdown) {
  return markdown
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1") // [text](url) → text
    .replace(/(\*\*|__)(.+?)\1/g, "$2") // **bold**
    .replace(/(^|[\s(])[*_]([^*_\s][^*_]*?)[*_](?=[\s).,;:!?]|$)/g, "$1$2") // *em*
    .replace(/`([^`]*)`/g, "$1");
}

// Paragraphs and bullet lists from plain text / light Markdown, as elements holding only text.
function textBlocks(markdown) {
  const blocks = [];
  for (const block of String(markdown || "").split(/\n\s*\n/)) {
    const lines = block.split("\n").map((line) => line.trim()).filter(Boolean);
    if (!lines.length) continue;
    if (lines.every((line) => /^([-*•]|\d+[.)])\s+/.test(line))) {
      blocks.push(el("ul", { class: "stage-list" },
        lines.map((line) => el("li", { text: plainText(line.replace(/^([-*•]|\d+[.)])\s+/, "")) }))));
    } else if (lines.length === 1 && /^#{1,6}\s/.test(lines[0])) {
      blocks.push(el("p", { class: "stage-subheading", text: plainText(lines[0].replace(/^#+\s*/, "")) }));
    } else {
      blocks.push(el("p", { class: "stage-text", text: plainText(lines.join(" ")) }));
    }
  }
  return blocks;
}

// -- fitting content to the screen ---------------------------------------------------------------------

const DENSITIES = 6;
//: The smallest scale of the card wall that stays readable from the back of the room; beyond it the
//: wall turns pages instead of shrinking further.
const WALL_MIN_DENSITY = 2;
const PAGE_SECONDS = 12;
let pageTick = 0;

function spills(node) {
  return node.scrollHeight > node.clientHeight + 1 || node.scrollWidth > node.clientWidth + 1;
}

function overflows(container) {
  return container.scrollHeight > container.clientHeight + 1 || [...container.querySelectorAll("[data-fit]")].some(spills);
}

// Shrink the content step by step (CSS reads data-density) until nothing overflows; a card wall that
// still does not fit is split into pages that turn every few seconds.
function fit(container) {
  const lists = [...container.querySelectorAll(".wall-list")];
  const last = lists.length ? WALL_MIN_DENSITY : DENSITIES - 1;
  for (let level = 0; level <= last; level += 1) {
    container.dataset.density = String(level);
    if (!overflows(container)) return;
  }
  for (const list of lists) paginate(list);
  showPages(container);
}

function paginate(list) {
  const cards = [...list.querySelectorAll(".wall-card")];
  const indicator = el("li", { class: "wall-page" });
  list.prepend(indicator);
  // Measure with the longest indicator text, so that the real one never pushes a card out.
  indicator.textContent = tr("page", "Seite %(n)s von %(total)s", { n: 99, total: 99 });
  const pages = [];
  let page = [];
  for (const card of cards) card.hidden = true;
  for (const card of cards) {
    card.hidden = false;
    if (page.length && spills(list)) {
      for (const done of page) done.hidden = true;
      pages.push(page);
      page = [];
    }
    page.push(card);
  }
  if (page.length) pages.push(page);
  list.pages = pages;
  if (pages.length < 2) indicator.remove();
}

function showPages(container) {
  for (const list of container.querySelectorAll(".wall-list")) {
    const pages = list.pages;
    if (!pages || pages.length < 2) continue;
    const index = pageTick % pages.length;
    pages.forEach((page, number) => page.forEach((card) => { card.hidden = number !== index; }));
    const indicator = list.querySelector(".wall-page");
    indicator.textContent = tr("page", "Seite %(n)s von %(total)s", { n: index + 1, total: pages.length });
  }
}

setInterval(() => {
  pageTick += 1;
  showPages($("step-body"));
}, PAGE_SECONDS * 1000);

// -- rendering ------------------------------------------------------------------------------------------

function mode() {
  const workshopState = state.workshop && state.workshop.state;
  if (workshopState === "ended" || workshopState === "archived") return "ended";
  return state.activity ? "step" : "welcome";
}

function render() {
  const current = mode();
  body.dataset.mode = current;
  body.dataset.kind = current === "step" ? state.activity.kind : "";
  renderHeading();
  renderBody();
  renderTimer();
  renderPresence();
}

let headingSignature = "";

function renderHeading() {
  // The heading is a live region: touch it only when what it says changes (not on every timer tick).
  const activity = state.activity;
  const signature = JSON.stringify([mode(), state.workshop && state.workshop.title,
    activity && [activity.id, activity.position, activity.kind, activity.title, activity.prompt, activity.state]]);
  if (signature === headingSignature) return;
  headingSignature = signature;
  const eyebrow = $("step-eyebrow");
  const title = $("step-title");
  const prompt = $("step-prompt");
  const current = mode();
  const workshopTitle = state.workshop ? state.workshop.title : "";
  eyebrow.replaceChildren();
  if (current === "welcome") {
    eyebrow.textContent = tr("welcome", "Willkommen");
    title.textContent = workshopTitle;
    prompt.hidden = true;
    return;
  }
  if (current === "ended") {
    eyebrow.textContent = workshopTitle;
    title.textContent = tr("ended_title", "Vielen Dank fürs Mitmachen!");
    prompt.hidden = true;
    return;
  }
  eyebrow.append(
    el("span", { text: tr("step", "Schritt %(n)s", { n: activity.position + 1 }) }),
    el("span", { class: "stage-eyebrow-sep", "aria-hidden": "true", text: "·" }),
    el("span", { text: kindLabel(activity.kind) }),
  );
  if (activity.state === "open") {
    eyebrow.append(el("span", { class: "stage-chip stage-chip-open", text: tr("open", "Jetzt mitmachen") }));
  } else if (activity.state === "closed" && activity.kind !== "info") {
    eyebrow.append(el("span", { class: "stage-chip", text: tr("closed", "Eingabe geschlossen") }));
  }
  title.textContent = activity.title;
  prompt.textContent = activity.prompt || "";
  prompt.hidden = !activity.prompt;
}

const RENDERERS = {
  info: renderInfo,
  checkin: renderCheckin,
  cards: renderCards,
  vote: voteKind.renderProjector,
  clustering: clusteringKind.renderProjector,
  recommendations: recommendationsKind.renderProjector,
};

function renderBody() {
  const container = $("step-body");
  container.dataset.density = "0";
  const current = mode();
  if (current === "welcome") {
    container.replaceChildren(
      el("ol", { class: "welcome-steps" },
        el("li", { text: tr("join_scan", "QR-Code mit dem Smartphone scannen") }),
        el("li", { text: tr("join_type", "oder die Adresse im Browser öffnen und den Code eingeben") })),
      el("p", { class: "welcome-note", text: tr("join_anonymous", "Anonym und ohne Anmeldung – mit dem eigenen Smartphone, Tablet oder Laptop.") }),
    );
  } else if (current === "ended") {
    container.replaceChildren(el("p", { class: "welcome-text", text: tr("ended_text", "Der Workshop ist beendet.") }));
  } else {
    const renderer = RENDERERS[state.activity.kind] || renderPlaceholder;
    container.replaceChildren(...renderer(state.activity, state.view || {}));
  }
  fit(container);
}

function renderInfo(activity) {
  const config = activity.config || {};
  const parts = [];
  const text = textBlocks(config.body);
  if (text.length) parts.push(el("div", { class: "info-text" }, text));
  const figures = config.figures || [];
  if (figures.length) {
    parts.push(el("ul", { class: `figures figures-${Math.min(figures.length, 6)}` },
      figures.map((figure) => el("li", { class: "figure" },
        el("span", { class: "figure-value", text: figure.value }),
        el("span", { class: "figure-label", text: figure.label })))));
  }
  return parts;
}

function tile(value, label, extraClass = "") {
  return el("li", { class: `count-tile ${extraClass}` },
    el("span", { class: "count-value", text: numberFormat.format(value || 0) }),
    el("span", { class: "count-label", text: label }));
}

function checkinCounts(view) {
  const presence = state.presence || {};
  const counts = view.counts || {};
  return {
    joined: presence.joined ?? counts.joined ?? 0,
    checked_in: presence.checked_in ?? counts.checked_in ?? 0,
  };
}

function renderCheckin(activity, view) {
  const counts = checkinCounts(view);
  return [el("ul", { class: "count-tiles", id: "checkin-counts" },
    tile(counts.joined, tr("joined", "beigetreten")),
    tile(counts.checked_in, tr("checked_in", "eingecheckt"), "count-tile-accent"))];
}

function columnsOf(activity) {
  const columns = (activity.config && activity.config.columns) || [];
  return columns.length ? columns : [""];
}

function renderCards(activity, view) {
  const counts = view.counts || { status: {}, columns: {} };
  if (!activity.is_revealed) return renderCardCounts(activity, counts);
  return renderWall(activity, view.cards || []);
}

function renderCardCounts(activity, counts) {
  const status = counts.status || {};
  const received = (status.pending || 0) + (status.visible || 0) + (status.hidden || 0) + (status.rejected || 0);
  const parts = [
    el("p", { class: "cards-received" },
      el("span", { class: "cards-received-value", text: numberFormat.format(received) }),
      el("span", { class: "cards-received-label",
        text: plural(received, "cards_received_one", "Karte eingegangen", "cards_received_many", "Karten eingegangen") })),
  ];
  const columns = (activity.config && activity.config.columns) || [];
  if (columns.length) {
    parts.push(el("ul", { class: "count-tiles count-tiles-columns" },
      columns.map((column, index) => el("li", { class: `count-tile column-tile tone-${index % 6}` },
        el("span", { class: "column-tile-name", text: column }),
        el("span", { class: "count-value", text: numberFormat.format((counts.columns || {})[column] || 0) }),
        el("span", { class: "count-label", text: tr("cards_approved", "freigegeben") })))));
  }
  parts.push(el("p", { class: "stage-note", text: tr("cards_hidden_note", "Die Karten erscheinen, sobald die Moderation sie aufdeckt.") }));
  return parts;
}

function wallCard(card, index) {
  return el("li", { class: `wall-card tone-${index % 6}` },
    el("p", { class: "wall-card-text", text: card.text }),
    card.is_edited ? el("span", { class: "wall-card-edited", text: tr("edited", "bearbeitet") }) : null);
}

function renderWall(activity, cards) {
  const columns = columnsOf(activity);
  if (!cards.length) return [el("p", { class: "stage-note", text: tr("cards_empty", "Noch keine freigegebenen Karten.") })];
  if (columns.length === 1 && columns[0] === "") {
    return [el("ul", { class: "wall-list wall-grid", "data-fit": "" }, cards.map((card) => wallCard(card, 0)))];
  }
  const known = new Set(columns);
  const groups = columns.map((column) => cards.filter((card) => card.column === column));
  const strays = cards.filter((card) => !known.has(card.column));
  if (strays.length) groups[groups.length - 1].push(...strays);
  return [el("div", { class: `wall wall-columns-${columns.length}` },
    columns.map((column, index) => el("section", { class: `wall-column tone-${index % 6}`, "aria-label": column },
      el("h2", { class: "wall-column-title" },
        el("span", { text: column }),
        el("span", { class: "wall-column-count", text: numberFormat.format(groups[index].length) })),
      el("ul", { class: "wall-list", "data-fit": "" }, groups[index].map((card) => wallCard(card, index))))))];
}

function renderPlaceholder() {
  return [el("p", { class: "results-placeholder", text: tr("results_follow", "Ergebnisse folgen") })];
}

function renderPresence() {
  const presence = state.presence;
  const node = $("participants");
  if (!presence) return;
  node.hidden = false;
  const n = presence.phones || 0;
  $("participants-value").textContent = numberFormat.format(n);
  $("participants-label").textContent = plural(n, "connected_one", "Person verbunden", "connected_many", "Personen verbunden");
  if (mode() === "step" && state.activity.kind === "checkin") {
    const list = $("checkin-counts");
    if (list) list.replaceWith(...renderCheckin(state.activity, state.view || {}));
  }
}

// -- timer ----------------------------------------------------------------------------------------------

function normalisedTimer(timer) {
  if (!timer) return null;
  // The server sends microseconds; keep milliseconds so every browser parses the time.
  return { ...timer, ends_at: timer.ends_at ? timer.ends_at.replace(/(\.\d{3})\d+/, "$1") : null };
}

function timerText(seconds, paused) {
  if (seconds <= 0) return tr("timer_over", "Die Zeit ist um");
  let text;
  if (seconds > 90) text = tr("timer_minutes", "Noch %(n)s Minuten", { n: Math.ceil(seconds / 60) });
  else if (seconds > 60) text = tr("timer_minute", "Noch 1 Minute");
  else text = tr("timer_seconds", "Noch %(n)s Sekunden", { n: seconds });
  return paused ? `${text} (${tr("timer_paused", "Angehalten")})` : text;
}

function renderTimer() {
  const node = $("timer");
  const timer = mode() === "step" ? normalisedTimer(state.activity.timer) : null;
  if (!timer) {
    node.hidden = true;
    return;
  }
  const seconds = secondsLeft(timer);
  const paused = timer.remaining !== null && timer.remaining !== undefined;
  node.hidden = false;
  node.dataset.state = paused ? "paused" : seconds <= 0 ? "over" : seconds <= 60 ? "ending" : "running";
  $("timer-label").textContent = paused ? tr("timer_paused", "Angehalten") : tr("timer", "Verbleibende Zeit");
  $("timer-value").textContent = formatSeconds(seconds);
  const text = timerText(seconds, paused);
  if ($("timer-text").textContent !== text) $("timer-text").textContent = text;
}

// -- connection -------------------------------------------------------------------------------------------

const live = new Live({
  screen: "projector",
  code: body.dataset.code,
  key: body.dataset.key,
  statusNode: $("connection"),
  onSnapshot(snapshot) {
    state.workshop = snapshot.workshop;
    state.activity = snapshot.activity;
    state.view = snapshot.view || {};
    render();
  },
});

live.on("current_activity_changed", () => live.refresh());

live.on("activity_changed", ({ activity }) => {
  if (!state.activity || activity.id !== state.activity.id) return;
  const isRevealChange = activity.is_revealed !== state.activity.is_revealed;
  state.activity = activity;
  if (isRevealChange) {
    live.refresh(); // the view (cards, results) depends on it
  } else {
    renderHeading();
    renderTimer();
  }
});

live.on("workshop_changed", ({ state: workshopState }) => {
  if (!state.workshop) return;
  state.workshop = { ...state.workshop, state: workshopState };
  render();
});

live.on("wall_changed", (wall) => {
  if (!state.activity || wall.activity_id !== state.activity.id) return;
  state.view = wall;
  renderBody();
});

live.on("presence_changed", (presence) => {
  state.presence = presence;
  renderPresence();
});

// Kinds drawn by a module in kinds/: their aggregate replaces the view of the current step.
for (const [event, kind] of [["board_changed", "clustering"], ["recommendations_changed", "recommendations"]]) {
  live.on(event, (view) => {
    if (!state.activity || state.activity.kind !== kind || view.activity_id !== state.activity.id) return;
    state.view = view;
    renderBody();
  });
}

voteKind.connectProjector({ live, code: body.dataset.code, key: body.dataset.key, state, renderBody });

setInterval(renderTimer, 250);

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => state.workshop && renderBody(), 150);
});
