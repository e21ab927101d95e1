// The moderator console: the agenda, the selected step with its controls (show, open / close, reveal,
// timer) and, for card questions, the moderation queue. Observers get the same view without actions.
// Every text from the server is inserted as text (el(), textContent), never as HTML.
import * as clusteringKind from "./kinds/clustering.js";
import * as recommendationsKind from "./kinds/recommendations.js";
import * as voteKind from "./kinds/vote.js";
import { Live, el, formatSeconds, parseTime, secondsLeft, strings } from "./live.js";

const t = strings();
const body = document.body;
const $ = (id) => document.getElementById(id);
const canModerate = body.dataset.canModerate === "true";

//: Kinds that take answers on the phones (open / close).
const INTERACTIVE = new Set(["checkin", "cards", "vote", "recommendations"]);
//: Kinds whose content a module in kinds/ draws (and keeps up to date from its own events).
const KIND_MODULES = { clustering: clusteringKind, recommendations: recommendationsKind, vote: voteKind };
//: Kinds whose answers are hidden until the moderator reveals them.
const REVEALABLE = new Set(["cards", "vote"]);
const TIMER_PRESETS = [1, 3, 5, 10];
const MAX_TIMER_MINUTES = 240;
const STATUS_ORDER = { visible: 0, hidden: 1, rejected: 2, pending: 3 };

const state = {
  workshop: null,
  activities: [],
  currentId: null,
  selectedId: null,
  view: null, // {activityId, loading, cards: Map(id → card), counts}
  presence: null,
  forms: new Map(), // card id → {type: "reject" | "edit", value}
  timerMinutes: "",
  loadToken: 0,
};

// -- strings ------------------------------------------------------------------------------------------

const FALLBACKS = {
  kind_info: "Information", kind_checkin: "Check-in", kind_cards: "Kartenabfrage", kind_clustering: "Clustern",
  kind_vote: "Abstimmung", kind_recommendations: "Handlungsempfehlungen",
  kind_email: "E-Mail-Adresse", kind_phone: "Telefonnummer", kind_birthdate: "Geburtsdatum",
  kind_address: "Adresse", kind_name: "Name",
  state_draft: "Entwurf", state_live: "Läuft", state_ended: "Beendet", state_archived: "Archiviert",
  activity_pending: "Vorbereitet", activity_open: "Offen", activity_closed: "Geschlossen",
  status_pending: "Wartet auf Freigabe", status_visible: "Freigegeben", status_hidden: "Ausgeblendet",
  status_rejected: "Abgelehnt", status_withdrawn: "Zurückgezogen",
  count_pending: "wartend", count_visible: "freigegeben", count_hidden: "ausgeblendet", count_rejected: "abgelehnt",
  no_answer: "Der Server antwortet nicht. Bitte noch einmal versuchen.",
  close_alert: "Meldung schließen", loading: "Wird geladen …", step: "Schritt %(n)s", welcome: "Begrüßung",
  welcome_hint: "QR-Code und Zugangscode groß auf der Leinwand", on_screen: "Auf der Leinwand",
  show: "Zeigen", open: "Öffnen", close_step: "Schließen", start: "Workshop starten",
  resume: "Workshop fortsetzen", end: "Workshop beenden", end_confirm: "Workshop beenden?",
  reveal: "Antworten auf der Leinwand aufdecken", reveal_help: "", premoderation: "Vorab-Moderation",
  premoderation_help: "", on: "an", off: "aus", timer: "Timer", timer_none: "Kein Timer", timer_running: "läuft",
  timer_paused: "angehalten", timer_over: "Zeit ist um", timer_set: "Timer stellen", minutes_short: "%(n)s Min.",
  timer_custom: "Eigene Dauer in Minuten", timer_start: "Starten", timer_pause: "Anhalten",
  timer_resume: "Fortsetzen", timer_extend: "+1 Minute", timer_remove: "Timer entfernen",
  timer_invalid: "Bitte eine Dauer zwischen 1 und 240 Minuten angeben.", joined: "beigetreten",
  checked_in: "eingecheckt", no_controls: "Ergebnisse folgen.", figures: "Kennzahlen", queue: "Warteschlange",
  queue_empty: "Keine Karten warten auf Freigabe.", by_column: "Karten nach Spalte", all_cards: "Karten",
  no_column: "Ohne Spalte", column_empty: "Noch keine Karten.", edited: "bearbeitet",
  original_text: "Ursprünglicher Text", personal_data: "Möglicherweise personenbezogen:", approve: "Freigeben",
  hide: "Ausblenden", reject: "Ablehnen", edit: "Bearbeiten", save: "Speichern", cancel: "Abbrechen",
  reason: "Grund", reject_reason: "Grund für die Ablehnung", edit_text: "Text der Karte", edit_note: "",
  approved_msg: "Karte freigegeben.", hidden_msg: "Karte ausgeblendet.", rejected_msg: "Karte abgelehnt.",
  edited_msg: "Karte geändert.", shown: "Wird jetzt gezeigt.", opened: "Schritt geöffnet.",
  closed: "Schritt geschlossen.", started: "Der Workshop läuft.", ended: "Der Workshop ist beendet.",
  submitted_at: "eingegangen um %(time)s", revealed: "Aufgedeckt", concealed: "Verdeckt",
};

function tr(key, values) {
  const text = t[key] || FALLBACKS[key] || key;
  return values ? text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? "")) : text;
}

const numberFormat = new Intl.NumberFormat(document.documentElement.lang || "de");
const timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || "de", { hour: "2-digit", minute: "2-digit" });

function truncate(text, length = 60) {
  const flat = String(text).replace(/\s+/g, " ").trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

// Moderators write the info text in light Markdown; show it without the markers.
function plainText(markdown) {
  return String(markdown || "")
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
    .replace(/(\*\*|__)(.+?)\1/g, "$2")
    .replace(/`([^`]*)`/g, "$1");
}

// -- small building blocks -------------------------------------------------------------------------------

// A button whose accessible name also says what it acts on ("Freigeben: <card text>"). An aria-label, not
// a visually hidden span: Chromium reads a hidden span (positioned, so block-level) as "Freigeben : …".
function actionButton(label, { context, onClick, style = "btn-outline-secondary", focus, size = "btn-sm" }) {
  return el("button", { type: "button", class: `btn ${size} ${style}`, "data-focus": focus, onclick: onClick,
    "aria-label": context ? named(label, context) : null }, label);
}

function named(label, context) {
  return `${label}: ${context}`;
}

function activityBadge(activity) {
  return el("span", { class: `badge activity-${activity.state}`, text: tr(`activity_${activity.state}`) });
}

function onScreenBadge() {
  return el("span", { class: "badge badge-on-screen", text: tr("on_screen") });
}

// replaceChildren() without the empty slots (null, false) that conditional children leave.
function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
}

// Re-render without losing the keyboard focus: elements that can hold it carry a data-focus key.
function preservingFocus(render) {
  const active = document.activeElement;
  const key = active && active.dataset ? active.dataset.focus : null;
  render();
  if (key && (!active.isConnected || document.activeElement !== active)) {
    const target = document.querySelector(`[data-focus="${CSS.escape(key)}"]`);
    if (target) target.focus();
  }
}

function showAlert(message) {
  const box = $("alerts");
  const node = el("div", { class: "alert alert-danger console-alert" },
    el("span", { class: "console-alert-text", text: message || tr("no_answer") }),
    el("button", { type: "button", class: "btn btn-sm btn-outline-danger", onclick: () => node.remove() },
      el("span", { "aria-hidden": "true", text: "×" }),
      el("span", { class: "visually-hidden", text: tr("close_alert") })));
  box.append(node);
  while (box.children.length > 3) box.firstElementChild.remove();
}

let announceTimer = null;
function announce(message) {
  const node = $("announce");
  node.textContent = "";
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => { node.textContent = message; }, 60);
}

// Send a command; resolve with the ack when it worked, null after showing why it did not.
async function send(event, payload, button) {
  if (button) {
    if (button.getAttribute("aria-busy") === "true") return null;
    button.setAttribute("aria-busy", "true");
  }
  try {
    const ack = await live.request(event, payload);
    if (!ack || !ack.ok) {
      showAlert(ack && ack.message);
      return null;
    }
    return ack;
  } catch {
    showAlert(tr("no_answer"));
    return null;
  } finally {
    if (button) button.removeAttribute("aria-busy");
  }
}

// -- model ------------------------------------------------------------------------------------------------

function selected() {
  return state.activities.find((activity) => activity.id === state.selectedId) || null;
}

function upsertActivity(activity) {
  const index = state.activities.findIndex((a) => a.id === activity.id);
  if (index >= 0) state.activities[index] = activity;
  else state.activities.push(activity);
  state.activities.sort((a, b) => a.position - b.position);
}

function cards() {
  return state.view && state.view.cards ? [...state.view.cards.values()] : [];
}

// -- header --------------------------------------------------------------------------------------------------

function renderHeader() {
  const workshop = state.workshop;
  $("workshop-title").textContent = workshop.title;
  const badge = $("workshop-state");
  badge.className = `badge state-${workshop.state}`;
  badge.textContent = tr(`state_${workshop.state}`);
  if (!canModerate) return;
  const start = $("workshop-start");
  const end = $("workshop-end");
  start.hidden = !(workshop.state === "draft" || workshop.state === "ended");
  start.textContent = workshop.state === "ended" ? tr("resume") : tr("start");
  end.hidden = workshop.state !== "live";
}

function renderPresence() {
  const presence = state.presence;
  if (!presence) return;
  $("count-phones").textContent = numberFormat.format(presence.phones || 0);
  $("count-joined").textContent = numberFormat.format(presence.joined || 0);
  $("count-checked-in").textContent = numberFormat.format(presence.checked_in || 0);
}

async function changeWorkshopState(wanted, button) {
  if (wanted === "ended" && !window.confirm(tr("end_confirm"))) return;
  const ack = await send("change_workshop_state", { state: wanted }, button);
  if (!ack) return;
  state.workshop = { ...state.workshop, state: wanted };
  renderHeader();
  announce(wanted === "live" ? tr("started") : tr("ended"));
  const next = wanted === "live" ? $("workshop-end") : $("workshop-start");
  if (!next.hidden) next.focus();
}

// -- agenda ---------------------------------------------------------------------------------------------------

async function showActivity(activityId, button) {
  const ack = await send("show_activity", { activity_id: activityId }, button);
  if (!ack) return;
  state.currentId = activityId;
  announce(tr("shown"));
  if (activityId !== null) select(activityId);
  renderAgenda();
  renderStep();
}

async function toggleActivity(activity, button) {
  const isOpen = activity.state === "open";
  const ack = await send(isOpen ? "close_activity" : "open_activity", { activity_id: activity.id }, button);
  if (!ack) return;
  announce(isOpen ? tr("closed") : tr("opened"));
  if (!isOpen) select(activity.id);
}

function openCloseButton(activity, size = "btn-sm", focusPrefix = "toggle") {
  const isOpen = activity.state === "open";
  return actionButton(isOpen ? tr("close_step") : tr("open"), {
    context: activity.title,
    style: isOpen ? "btn-outline-danger" : "btn-success",
    size,
    focus: `${focusPrefix}-${activity.id}`,
    onClick: (event) => toggleActivity(activity, event.currentTarget),
  });
}

function showButton(activity, size = "btn-sm", focusPrefix = "show") {
  return actionButton(tr("show"), {
    context: activity.title,
    style: "btn-outline-primary",
    size,
    focus: `${focusPrefix}-${activity.id}`,
    onClick: (event) => showActivity(activity.id, event.currentTarget),
  });
}

function welcomeItem() {
  const isCurrent = state.currentId === null;
  return el("li", { class: `agenda-item agenda-welcome${isCurrent ? " is-current" : ""}` },
    el("div", { class: "agenda-row" },
      el("span", { class: "agenda-pos", "aria-hidden": "true", text: "0" }),
      el("span", { class: "agenda-text" },
        el("span", { class: "agenda-title", text: tr("welcome") }),
        el("span", { class: "agenda-kind", text: tr("welcome_hint") }))),
    el("div", { class: "agenda-meta" },
      isCurrent ? onScreenBadge() : null,
      canModerate && !isCurrent
        ? actionButton(tr("show"), { context: tr("welcome"), style: "btn-outline-primary", focus: "show-welcome",
          onClick: (event) => showActivity(null, event.currentTarget) })
        : null));
}

function agendaItem(activity) {
  const isCurrent = activity.id === state.currentId;
  const isSelected = activity.id === state.selectedId;
  const actions = [];
  if (canModerate) {
    if (!isCurrent) actions.push(showButton(activity));
    if (INTERACTIVE.has(activity.kind)) actions.push(openCloseButton(activity));
  }
  return el("li", { class: `agenda-item${isCurrent ? " is-current" : ""}${isSelected ? " is-selected" : ""}` },
    el("button", {
      type: "button",
      class: "agenda-select",
      "aria-current": isSelected ? "true" : null,
      "aria-controls": "step",
      "data-focus": `select-${activity.id}`,
      onclick: () => select(activity.id),
    },
    el("span", { class: "agenda-pos", text: String(activity.position + 1) }),
    el("span", { class: "agenda-text" },
      el("span", { class: "agenda-title", text: activity.title }),
      el("span", { class: "agenda-kind", text: tr(`kind_${activity.kind}`) }))),
    el("div", { class: "agenda-meta" },
      activityBadge(activity),
      isCurrent ? onScreenBadge() : null,
      activity.timer ? el("span", { class: "agenda-timer", "data-timer-for": String(activity.id) }) : null,
      actions.length ? el("span", { class: "agenda-actions" }, actions) : null));
}

function renderAgenda() {
  preservingFocus(() => {
    $("agenda-list").replaceChildren(welcomeItem(), ...state.activities.map(agendaItem));
  });
  tickTimers();
}

function select(activityId) {
  if (state.selectedId === activityId && state.view && state.view.activityId === activityId) return;
  state.selectedId = activityId;
  state.forms.clear();
  state.timerMinutes = "";
  renderAgenda();
  renderStep();
  loadView(activityId);
}

async function loadView(activityId) {
  const token = ++state.loadToken;
  state.view = { activityId, loading: true, cards: new Map(), counts: null };
  renderContent();
  let ack;
  try {
    ack = await live.request("load_activity", { activity_id: activityId });
  } catch {
    if (token === state.loadToken) showAlert(tr("no_answer"));
    return;
  }
  if (token !== state.loadToken) return;
  if (!ack || !ack.ok) {
    showAlert(ack && ack.message);
    return;
  }
  upsertActivity(ack.activity);
  setView(activityId, ack.view || {});
  renderStep();
}

function setView(activityId, view) {
  state.view = {
    activityId,
    loading: false,
    cards: new Map((view.cards || []).map((card) => [card.id, card])),
    counts: view.counts || null,
    raw: view,
  };
  renderContent();
}

// -- the selected step: heading and controls --------------------------------------------------------------------

function renderStep() {
  preservingFocus(() => {
    renderStepHead();
    renderControls();
    renderTimerPanel();
  });
  renderContent();
}

function renderStepHead() {
  const activity = selected();
  const head = $("step-head");
  if (!activity) {
    head.replaceChildren(el("h2", { id: "step-title", class: "step-title", tabindex: "-1", "data-focus": "step-title",
      text: state.activities.length ? tr("loading") : tr("no_controls") }));
    return;
  }
  fill(head,
    el("p", { class: "step-eyebrow" },
      el("span", { text: tr("step", { n: activity.position + 1 }) }),
      el("span", { "aria-hidden": "true", text: " · " }),
      el("span", { text: tr(`kind_${activity.kind}`) })),
    el("div", { class: "step-title-row" },
      el("h2", { id: "step-title", class: "step-title", tabindex: "-1", "data-focus": "step-title", text: activity.title }),
      activityBadge(activity),
      activity.id === state.currentId ? onScreenBadge() : null),
    activity.prompt ? el("p", { class: "step-prompt", text: activity.prompt }) : null);
}

function switchControl({ id, label, help, checked, onChange }) {
  if (!canModerate) {
    return el("p", { class: "switch-readonly" },
      el("span", { class: "switch-readonly-label", text: `${label}: ` }),
      el("strong", { text: checked ? tr("on") : tr("off") }));
  }
  const input = el("input", {
    class: "form-check-input",
    type: "checkbox",
    role: "switch",
    id,
    "data-focus": id,
    "aria-describedby": help ? `${id}-help` : null,
  });
  input.checked = checked;
  input.addEventListener("change", async () => {
    const wanted = input.checked;
    const ok = await onChange(wanted, input);
    if (!ok) input.checked = !wanted;
  });
  return el("div", { class: "form-check form-switch console-switch" },
    input,
    el("label", { class: "form-check-label", for: id, text: label }),
    help ? el("div", { class: "form-text", id: `${id}-help`, text: help }) : null);
}

function renderControls() {
  const activity = selected();
  const box = $("step-controls");
  if (!activity) {
    box.replaceChildren();
    return;
  }
  const buttons = [];
  if (canModerate) {
    if (activity.id !== state.currentId) buttons.push(showButton(activity, "", "step-show"));
    if (INTERACTIVE.has(activity.kind)) buttons.push(openCloseButton(activity, "", "step-toggle"));
  }
  const switches = [];
  if (REVEALABLE.has(activity.kind)) {
    switches.push(switchControl({
      id: "reveal-switch",
      label: tr("reveal"),
      help: tr("reveal_help"),
      checked: activity.is_revealed,
      onChange: async (wanted, input) => {
        const ack = await send("reveal_activity", { activity_id: activity.id, is_revealed: wanted }, input);
        if (ack) announce(wanted ? tr("revealed") : tr("concealed"));
        return Boolean(ack);
      },
    }));
  }
  if (activity.kind === "cards") {
    switches.push(switchControl({
      id: "premoderation-switch",
      label: tr("premoderation"),
      help: tr("premoderation_help"),
      checked: (activity.config || {}).is_premoderated !== false,
      onChange: async (wanted, input) => Boolean(
        await send("set_premoderation", { activity_id: activity.id, is_premoderated: wanted }, input)),
    }));
  }
  fill(box,
    buttons.length ? el("div", { class: "step-buttons" }, buttons) : null,
    switches.length ? el("div", { class: "step-switches" }, switches) : null);
}

// -- timer ------------------------------------------------------------------------------------------------------

function normalisedTimer(timer) {
  if (!timer) return null;
  return { ...timer, ends_at: timer.ends_at ? timer.ends_at.replace(/(\.\d{3})\d+/, "$1") : null };
}

function timerReadout(timer) {
  if (!timer) return { value: "—", label: tr("timer_none"), state: "none" };
  const seconds = secondsLeft(normalisedTimer(timer));
  const paused = timer.remaining !== null && timer.remaining !== undefined;
  if (paused) return { value: formatSeconds(seconds), label: tr("timer_paused"), state: "paused" };
  if (seconds <= 0) return { value: "0:00", label: tr("timer_over"), state: "over" };
  return { value: formatSeconds(seconds), label: tr("timer_running"), state: seconds <= 60 ? "ending" : "running" };
}

function timerCommand(event, extra = {}) {
  return async (clickEvent) => {
    const activity = selected();
    if (activity) await send(event, { activity_id: activity.id, ...extra }, clickEvent && clickEvent.currentTarget);
  };
}

function renderTimerPanel() {
  const activity = selected();
  const box = $("step-timer");
  if (!activity) {
    box.replaceChildren();
    return;
  }
  const timer = activity.timer;
  const paused = timer && timer.remaining !== null && timer.remaining !== undefined;
  const children = [
    el("h3", { class: "panel-heading", id: "timer-heading", text: tr("timer") }),
    el("p", { class: "timer-readout", role: "timer", id: "timer-readout" },
      el("span", { class: "timer-value", id: "timer-value" }),
      el("span", { class: "timer-state", id: "timer-state" })),
  ];
  if (canModerate) {
    const input = el("input", {
      class: "form-control form-control-sm timer-input",
      type: "number",
      id: "timer-minutes",
      min: "1",
      max: String(MAX_TIMER_MINUTES),
      step: "any",
      inputmode: "decimal",
      "data-focus": "timer-minutes",
      oninput: (event) => { state.timerMinutes = event.target.value; },
    });
    input.value = state.timerMinutes;
    const startCustom = async (event) => {
      event.preventDefault();
      const minutes = Number(String(input.value).replace(",", "."));
      if (!Number.isFinite(minutes) || minutes <= 0 || minutes > MAX_TIMER_MINUTES) {
        showAlert(tr("timer_invalid"));
        input.focus();
        return;
      }
      const ack = await send("set_timer", { activity_id: activity.id, seconds: Math.max(1, Math.round(minutes * 60)) },
        event.submitter || null);
      if (ack) state.timerMinutes = "";
    };
    children.push(
      el("div", { class: "timer-controls" },
        el("div", { class: "btn-group timer-presets", role: "group", "aria-label": tr("timer_set") },
          TIMER_PRESETS.map((minutes) => actionButton(tr("minutes_short", { n: minutes }), {
            style: "btn-outline-primary",
            focus: `timer-preset-${minutes}`,
            onClick: timerCommand("set_timer", { seconds: minutes * 60 }),
          }))),
        el("form", { class: "timer-custom", onsubmit: startCustom },
          el("label", { class: "visually-hidden", for: "timer-minutes", text: tr("timer_custom") }),
          input,
          el("span", { class: "timer-custom-unit", "aria-hidden": "true", text: "Min." }),
          el("button", { type: "submit", class: "btn btn-sm btn-primary", "data-focus": "timer-custom-start",
            "aria-label": named(tr("timer_start"), tr("timer_custom")) }, tr("timer_start")))),
      el("div", { class: "timer-controls" },
        timer && !paused ? actionButton(tr("timer_pause"), { style: "btn-outline-primary", focus: "timer-pause", onClick: timerCommand("pause_timer") }) : null,
        paused ? actionButton(tr("timer_resume"), { style: "btn-outline-primary", focus: "timer-resume", onClick: timerCommand("resume_timer") }) : null,
        actionButton(tr("timer_extend"), { style: "btn-outline-primary", focus: "timer-extend", onClick: timerCommand("extend_timer", { seconds: 60 }) }),
        timer ? actionButton(tr("timer_remove"), { style: "btn-outline-danger", focus: "timer-remove", onClick: timerCommand("set_timer", { seconds: null }) }) : null));
    // When the timer's buttons change (pause ↔ resume), keep the focus on the pair.
    for (const [from, to] of [["timer-pause", "timer-resume"], ["timer-resume", "timer-pause"]]) {
      const active = document.activeElement;
      if (active && active.dataset && active.dataset.focus === from) {
        queueMicrotask(() => { const next = document.querySelector(`[data-focus="${to}"]`); if (next && !active.isConnected) next.focus(); });
      }
    }
  }
  box.replaceChildren(el("section", { class: "panel timer-panel", "aria-labelledby": "timer-heading" }, children));
  tickTimers();
}

function tickTimers() {
  const activity = selected();
  const value = $("timer-value");
  if (activity && value) {
    const readout = timerReadout(activity.timer);
    value.textContent = readout.value;
    const label = $("timer-state");
    if (label.textContent !== readout.label) label.textContent = readout.label;
    $("timer-readout").dataset.state = readout.state;
  }
  for (const node of document.querySelectorAll("[data-timer-for]")) {
    const item = state.activities.find((a) => String(a.id) === node.dataset.timerFor);
    if (!item || !item.timer) continue;
    const readout = timerReadout(item.timer);
    node.textContent = `${readout.value} ${readout.state === "paused" ? `(${readout.label})` : ""}`.trim();
    node.dataset.state = readout.state;
  }
}

// -- the selected step: content per kind -------------------------------------------------------------------------

function renderContent() {
  const box = $("step-content");
  const activity = selected();
  if (!activity) {
    box.replaceChildren();
    box.dataset.kind = "";
    return;
  }
  if (!state.view || state.view.activityId !== activity.id || state.view.loading) {
    box.dataset.kind = "";
    box.replaceChildren(el("p", { class: "step-loading", text: tr("loading") }));
    return;
  }
  preservingFocus(() => {
    if (activity.kind === "cards") {
      renderCards(box, activity);
    } else if (KIND_MODULES[activity.kind]) {
      cardNodes.clear();
      KIND_MODULES[activity.kind].renderConsole(box, activity, state.view.raw);
    } else {
      cardNodes.clear();
      box.dataset.kind = activity.kind;
      box.dataset.activity = "";
      const render = CONTENT[activity.kind] || renderNoControls;
      box.replaceChildren(...render(activity));
    }
  });
}

let contentFrame = null;
function scheduleContent() {
  if (contentFrame) return;
  contentFrame = requestAnimationFrame(() => {
    contentFrame = null;
    renderContent();
  });
}

function renderInfo(activity) {
  const config = activity.config || {};
  const parts = [];
  if (config.body) parts.push(el("section", { class: "panel" }, el("p", { class: "info-body", text: plainText(config.body) })));
  if ((config.figures || []).length) {
    parts.push(el("section", { class: "panel", "aria-labelledby": "figures-heading" },
      el("h3", { class: "panel-heading", id: "figures-heading", text: tr("figures") }),
      el("ul", { class: "figure-list" }, config.figures.map((figure) => el("li", { class: "figure-item" },
        el("span", { class: "figure-value", text: figure.value }),
        el("span", { class: "figure-label", text: figure.label }))))));
  }
  return parts;
}

function renderCheckin() {
  const counts = state.presence || (state.view && state.view.counts) || {};
  return [el("section", { class: "panel" },
    el("ul", { class: "big-counts" },
      el("li", {}, el("span", { class: "big-count", text: numberFormat.format(counts.joined || 0) }), el("span", { text: tr("joined") })),
      el("li", {}, el("span", { class: "big-count", text: numberFormat.format(counts.checked_in || 0) }), el("span", { text: tr("checked_in") }))))];
}

function renderNoControls() {
  return [el("section", { class: "panel" }, el("p", { class: "m-0", text: tr("no_controls") }))];
}

const CONTENT = { info: renderInfo, checkin: renderCheckin };

// -- card questions: summary, moderation queue, cards by column -----------------------------------------------------

const cardNodes = new Map(); // card id → {signature, node}

function columnsOf(activity) {
  return ((activity.config || {}).columns || []).slice();
}

function renderCards(box, activity) {
  if (box.dataset.kind !== "cards" || box.dataset.activity !== String(activity.id)) {
    cardNodes.clear();
    box.dataset.kind = "cards";
    box.dataset.activity = String(activity.id);
    box.replaceChildren(
      el("ul", { class: "summary-counts", id: "summary-counts", "aria-label": tr("all_cards") }),
      el("section", { class: "panel queue-panel", "aria-labelledby": "queue-heading" },
        el("h3", { class: "panel-heading", id: "queue-heading", tabindex: "-1" },
          el("span", { text: tr("queue") }), " ", el("span", { class: "badge queue-count", id: "queue-count" })),
        el("ol", { class: "mod-list queue-list", id: "queue-list" }),
        el("p", { class: "empty-note", id: "queue-empty", text: tr("queue_empty") })),
      el("section", { class: "panel", "aria-labelledby": "columns-heading" },
        el("h3", { class: "panel-heading", id: "columns-heading", text: columnsOf(activity).length ? tr("by_column") : tr("all_cards") }),
        el("div", { class: "card-columns", id: "card-columns" })));
  }
  const all = cards().filter((card) => card.status !== "withdrawn").sort((a, b) => a.id - b.id);
  const byStatus = { pending: 0, visible: 0, hidden: 0, rejected: 0 };
  for (const card of all) byStatus[card.status] = (byStatus[card.status] || 0) + 1;

  $("summary-counts").replaceChildren(...["pending", "visible", "hidden", "rejected"].map((status) =>
    el("li", { class: `summary-count summary-${status}` },
      el("span", { class: "summary-value", text: numberFormat.format(byStatus[status]) }),
      el("span", { class: "summary-label", text: tr(`count_${status}`) }))));

  // Queue: every pending card, oldest first.
  const queue = all.filter((card) => card.status === "pending");
  $("queue-count").textContent = numberFormat.format(queue.length);
  $("queue-empty").hidden = queue.length > 0;
  reconcile($("queue-list"), queue.map((card) => cardNode(card, "queue", activity)));

  // Moderated cards by column: shown first, then hidden, then rejected.
  const columns = columnsOf(activity);
  const known = new Set(columns);
  const moderated = all.filter((card) => card.status !== "pending");
  const groups = columns.length ? columns.map((name) => ({ name, cards: moderated.filter((c) => c.column === name) }))
    : [{ name: "", cards: moderated }];
  const strays = columns.length ? moderated.filter((card) => !known.has(card.column)) : [];
  if (strays.length) groups.push({ name: tr("no_column"), cards: strays, stray: true });
  const container = $("card-columns");
  container.dataset.count = String(groups.length);
  if (container.children.length !== groups.length) {
    container.replaceChildren(...groups.map((group, index) => el("section", {
      class: `card-column tone-${index % 6}`, "aria-labelledby": `column-heading-${index}` },
    el("h4", { class: "card-column-heading", id: `column-heading-${index}` }),
    el("ol", { class: "mod-list column-list" }),
    el("p", { class: "empty-note", text: tr("column_empty") }))));
  }
  groups.forEach((group, index) => {
    const section = container.children[index];
    section.classList.toggle("is-unnamed", !group.name);
    const sorted = group.cards.slice().sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.id - b.id);
    const visible = sorted.filter((card) => card.status === "visible").length;
    const heading = section.querySelector(".card-column-heading");
    const label = group.name || tr("all_cards");
    const countText = `${numberFormat.format(visible)} ${tr("count_visible")}`;
    if (heading.dataset.text !== `${label}|${countText}`) {
      heading.dataset.text = `${label}|${countText}`;
      heading.replaceChildren(el("span", { class: "card-column-name", text: label }),
        el("span", { class: "card-column-count", text: countText }));
    }
    section.querySelector(".empty-note").hidden = sorted.length > 0;
    reconcile(section.querySelector(".column-list"), sorted.map((card) => cardNode(card, "column", activity)));
  });
  for (const id of [...cardNodes.keys()]) {
    if (!state.view.cards.has(id) || state.view.cards.get(id).status === "withdrawn") cardNodes.delete(id);
  }
}

// Put exactly ``nodes`` into ``list`` in this order, touching the DOM only where something changed.
function reconcile(list, nodes) {
  const current = [...list.children];
  if (current.length === nodes.length && current.every((node, index) => node === nodes[index])) return;
  list.replaceChildren(...nodes);
}

function cardNode(card, place, activity) {
  const form = state.forms.get(card.id);
  const signature = JSON.stringify([card, place, form ? form.type : null]);
  const cached = cardNodes.get(card.id);
  if (cached && cached.signature === signature) return cached.node;
  const node = buildCard(card, place, activity, form);
  cardNodes.set(card.id, { signature, node });
  return node;
}

function personalDataNote(card) {
  const kinds = card.personal_data || [];
  if (!kinds.length) return null;
  return el("p", { class: "mod-flag" },
    el("span", { class: "mod-flag-icon", "aria-hidden": "true", text: "!" }),
    el("span", {},
      el("strong", { text: tr("personal_data") }), " ",
      kinds.map((kind) => tr(`kind_${kind}`)).join(", ")));
}

function buildCard(card, place, activity, form) {
  const flagged = (card.personal_data || []).length > 0;
  const context = truncate(card.text);
  const created = parseTime(card.created_at);
  const meta = el("div", { class: "mod-card-meta" },
    place === "queue" && card.column ? el("span", { class: "badge badge-column", text: card.column }) : null,
    place === "column" ? el("span", { class: `badge badge-status status-${card.status}`, text: tr(`status_${card.status}`) }) : null,
    card.is_edited ? el("span", { class: "badge badge-edited", text: tr("edited") }) : null,
    Number.isFinite(created)
      ? el("span", { class: "mod-card-time", title: tr("submitted_at", { time: timeFormat.format(created) }) },
        el("span", { class: "visually-hidden", text: tr("submitted_at", { time: "" }).trim() }), " ",
        timeFormat.format(created))
      : null);
  const parts = [
    meta,
    el("p", { class: "mod-card-text", text: card.text }),
    personalDataNote(card),
    card.is_edited && card.original_text
      ? el("details", { class: "mod-original" },
        el("summary", { text: tr("original_text") }),
        el("p", { class: "mod-original-text", text: card.original_text }))
      : null,
    card.status === "rejected" && card.reject_reason
      ? el("p", { class: "mod-reason" }, el("strong", { text: `${tr("reason")}: ` }), card.reject_reason)
      : null,
  ];
  if (canModerate) {
    if (form) parts.push(form.type === "reject" ? rejectForm(card, form, context) : editForm(card, form, activity, context));
    else parts.push(cardActions(card, context));
  }
  return el("li", { class: `mod-card status-${card.status}${flagged ? " is-flagged" : ""}`, "data-card-id": String(card.id) }, parts);
}

function cardActions(card, context) {
  const id = card.id;
  const buttons = [];
  if (card.status !== "visible") {
    buttons.push(actionButton(tr("approve"), { context, style: "btn-success", focus: `card-${id}-approve`,
      onClick: (event) => moderate(card, "approve_card", {}, tr("approved_msg"), event.currentTarget) }));
  }
  if (card.status !== "hidden") {
    buttons.push(actionButton(tr("hide"), { context, style: "btn-outline-secondary", focus: `card-${id}-hide`,
      onClick: (event) => moderate(card, "hide_card", {}, tr("hidden_msg"), event.currentTarget) }));
  }
  if (card.status !== "rejected") {
    buttons.push(actionButton(tr("reject"), { context, style: "btn-outline-danger", focus: `card-${id}-reject`,
      onClick: () => openForm(card, "reject") }));
  }
  buttons.push(actionButton(tr("edit"), { context, style: "btn-outline-primary", focus: `card-${id}-edit`,
    onClick: () => openForm(card, "edit") }));
  return el("div", { class: "mod-actions" }, buttons);
}

function openForm(card, type) {
  state.forms.set(card.id, { type, value: type === "edit" ? card.text : "" });
  renderContent();
  const field = document.querySelector(`[data-focus="card-${card.id}-${type === "edit" ? "text" : "reason"}"]`);
  if (field) field.focus();
}

function closeForm(card, type) {
  state.forms.delete(card.id);
  renderContent();
  const trigger = document.querySelector(`[data-focus="card-${card.id}-${type}"]`);
  if (trigger) trigger.focus();
}

function formKeys(card, type) {
  return (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closeForm(card, type);
    }
  };
}

function rejectForm(card, form, context) {
  const id = `reason-${card.id}`;
  const input = el("input", {
    class: "form-control form-control-sm",
    id,
    list: "reject-reasons",
    maxlength: "280",
    required: true,
    autocomplete: "off",
    "data-focus": `card-${card.id}-reason`,
    oninput: (event) => { form.value = event.target.value; },
  });
  input.value = form.value;
  return el("form", {
    class: "mod-form",
    onkeydown: formKeys(card, "reject"),
    onsubmit: async (event) => {
      event.preventDefault();
      const reason = input.value.trim();
      if (!reason) {
        showAlert(tr("reject_reason_missing"));
        input.focus();
        return;
      }
      await moderate(card, "reject_card", { reason }, tr("rejected_msg"), event.submitter || null);
    },
  },
  el("label", { class: "form-label", for: id, text: tr("reject_reason") }),
  input,
  el("div", { class: "mod-form-buttons" },
    el("button", { type: "submit", class: "btn btn-sm btn-danger", "data-focus": `card-${card.id}-reject-submit`,
      "aria-label": named(tr("reject"), context) }, tr("reject")),
    el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", onclick: () => closeForm(card, "reject") },
      tr("cancel"))));
}

function editForm(card, form, activity, context) {
  const id = `text-${card.id}`;
  const limit = (activity.config || {}).max_length || 280;
  const textarea = el("textarea", {
    class: "form-control form-control-sm",
    id,
    rows: "3",
    maxlength: String(limit),
    required: true,
    "aria-describedby": `${id}-note`,
    "data-focus": `card-${card.id}-text`,
    oninput: (event) => { form.value = event.target.value; },
  });
  textarea.value = form.value;
  return el("form", {
    class: "mod-form",
    onkeydown: formKeys(card, "edit"),
    onsubmit: async (event) => {
      event.preventDefault();
      const ok = await moderate(card, "edit_card_text", { text: textarea.value }, tr("edited_msg"), event.submitter || null);
      if (ok) {
        const trigger = document.querySelector(`[data-focus="card-${card.id}-edit"]`);
        if (trigger) trigger.focus();
      }
    },
  },
  el("label", { class: "form-label", for: id, text: tr("edit_text") }),
  textarea,
  el("div", { class: "form-text", id: `${id}-note`, text: tr("edit_note") }),
  el("div", { class: "mod-form-buttons" },
    el("button", { type: "submit", class: "btn btn-sm btn-primary", "data-focus": `card-${card.id}-edit-submit`,
      "aria-label": named(tr("save"), context) }, tr("save")),
    el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", onclick: () => closeForm(card, "edit") },
      tr("cancel"))));
}

async function moderate(card, event, extra, message, button) {
  const queue = [...$("queue-list").children];
  const queueIndex = queue.findIndex((node) => node.dataset.cardId === String(card.id));
  const ack = await send(event, { card_id: card.id, ...extra }, button);
  if (!ack) return false;
  state.forms.delete(card.id);
  upsertCard(ack.card, { immediately: true });
  announce(message);
  restoreFocus(card.id, queueIndex);
  return true;
}

// After a card left the queue (or its buttons changed), put the focus where the work continues.
function restoreFocus(cardId, queueIndex) {
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected) return;
  if (queueIndex >= 0) {
    const items = $("queue-list").children;
    const next = items[Math.min(queueIndex, items.length - 1)];
    const button = next && next.querySelector(".mod-actions button");
    if (button) button.focus();
    else $("queue-heading").focus();
    return;
  }
  const cached = cardNodes.get(cardId);
  const button = cached && cached.node.querySelector(".mod-actions button");
  if (button) button.focus();
}

function upsertCard(card, { immediately = false } = {}) {
  if (!state.view || state.view.loading || card.activity_id !== state.view.activityId) return;
  if (card.status === "withdrawn") {
    state.view.cards.delete(card.id);
    state.forms.delete(card.id);
  } else {
    state.view.cards.set(card.id, card);
  }
  if (immediately) renderContent();
  else scheduleContent();
}

// -- connection ---------------------------------------------------------------------------------------------------------

const live = new Live({
  screen: "console",
  code: body.dataset.code,
  statusNode: $("connection"),
  onSnapshot(snapshot) {
    state.workshop = snapshot.workshop;
    state.activities = [...(snapshot.activities || [])].sort((a, b) => a.position - b.position);
    state.currentId = snapshot.workshop.current_activity_id;
    if (state.selectedId === null || !state.activities.some((a) => a.id === state.selectedId)) {
      state.selectedId = state.currentId ?? (state.activities[0] ? state.activities[0].id : null);
    }
    renderHeader();
    renderAgenda();
    renderStep();
    if (state.selectedId === null) return;
    if (snapshot.activity && snapshot.activity.id === state.selectedId) {
      state.loadToken += 1;
      setView(state.selectedId, snapshot.view || {});
    } else {
      loadView(state.selectedId);
    }
  },
});

live.on("workshop_changed", ({ state: workshopState }) => {
  if (!state.workshop) return;
  state.workshop = { ...state.workshop, state: workshopState };
  renderHeader();
});

live.on("current_activity_changed", ({ activity }) => {
  if (activity) upsertActivity(activity);
  state.currentId = activity ? activity.id : null;
  if (state.workshop) state.workshop = { ...state.workshop, current_activity_id: state.currentId };
  renderAgenda();
  renderStep();
});

live.on("activity_changed", ({ activity }) => {
  upsertActivity(activity);
  renderAgenda();
  if (activity.id === state.selectedId) renderStep();
});

live.on("card_changed", ({ card }) => upsertCard(card));

live.on("presence_changed", (presence) => {
  state.presence = presence;
  renderPresence();
  const activity = selected();
  if (activity && activity.kind === "checkin") scheduleContent();
});

if (canModerate) {
  $("workshop-start").addEventListener("click", (event) => changeWorkshopState("live", event.currentTarget));
  $("workshop-end").addEventListener("click", (event) => changeWorkshopState("ended", event.currentTarget));
}

for (const kind of Object.values(KIND_MODULES)) {
  kind.connectConsole({ live, send, announce, showAlert, canModerate, box: $("step-content") });
}

setInterval(tickTimers, 250);
