// The participant's phone: shows the current step only and sends answers through the command queue.
// Voting and recommendation steps bring their own module and stylesheet (static/js/kinds/), loaded
// with import() when such a step is shown or once the phone is ready, so that a phone can submit
// sooner on a slow network (docs/performance.md, "Phone page weight and speed").
import { Live, el, formatSeconds, secondsLeft } from "./live.js";

const stepNode = document.getElementById("step");
const noticeNode = document.getElementById("notice");
const code = stepNode.dataset.code;

const state = { workshop: null, activity: null, view: {}, draft: "", column: "", editing: null };
let timerHandle = null;

const live = new Live({
  screen: "phone",
  code,
  statusNode: document.getElementById("connection"),
  onSnapshot(snapshot) {
    state.workshop = snapshot.workshop;
    state.activity = snapshot.activity;
    state.view = snapshot.view || {};
    render();
    prefetchKinds();
  },
  onAnswer: answered,
});
const t = live.text;

live
  .on("workshop_changed", (p) => { state.workshop = { ...state.workshop, state: p.state }; render(); })
  .on("current_activity_changed", () => live.refresh())
  .on("activity_changed", (p) => {
    if (!state.activity || !p.activity || p.activity.id !== state.activity.id) return;
    state.activity = p.activity;
    render();
  })
  .on("own_card_changed", (p) => {
    if (!state.activity || p.card.activity_id !== state.activity.id) return;
    upsertOwnCard(p.card);
    render();
  });

// -- the kinds' modules, loaded on demand -------------------------------------------------------------

const KINDS = {
  vote: {
    load: (retry) => import(retry ? `./kinds/vote.js?retry=${retry}` : "./kinds/vote.js"),
    stylesheet: "cssVote", // data-css-vote on #step
    connect: (module) => module.connectPhone({ live, state, render, notify }),
  },
  recommendations: {
    load: (retry) => import(retry ? `./kinds/recommendations.js?retry=${retry}` : "./kinds/recommendations.js"),
    stylesheet: "cssRecommendations",
    connect: (module) => module.connectPhone(live, state, render),
  },
};
const kinds = {}; // kind → its module, once loaded and connected
const loading = {}; // kind → the promise of its module and stylesheet, while they load
// A failed import() may stay failed for its URL (browsers that keep failures in their module map): a
// retry asks under another.
const failedImports = {}; // kind → how many imports of it failed
const RETRY_MS = 3000;
let retryTimer = null;

// Load a kind's module and stylesheet once; resolves with the module, or null if the network failed.
// The step on the screen is drawn again when its kind is there, or tried again a little later.
function loadKind(kind) {
  if (kinds[kind]) return Promise.resolve(kinds[kind]);
  if (!loading[kind]) {
    const spec = KINDS[kind];
    const module = spec.load(failedImports[kind] || 0).catch((error) => {
      failedImports[kind] = (failedImports[kind] || 0) + 1;
      throw error;
    });
    loading[kind] = Promise.all([module, loadStylesheet(stepNode.dataset[spec.stylesheet])])
      .then(([loaded]) => {
        spec.connect(loaded);
        kinds[kind] = loaded;
        live.replayMissed(); // this kind's events that came while it was loading
        return loaded;
      })
      .catch(() => null)
      .finally(() => { delete loading[kind]; });
    loading[kind].then((loaded) => {
      if (!state.activity || state.activity.kind !== kind) return;
      if (loaded) render();
      else if (!retryTimer) retryTimer = setTimeout(() => { retryTimer = null; render(); }, RETRY_MS);
    });
  }
  return loading[kind];
}

function loadStylesheet(href) {
  if (!href || document.querySelector(`link[rel="stylesheet"][href="${CSS.escape(href)}"]`)) return null;
  return new Promise((resolve, reject) => {
    const link = el("link", { rel: "stylesheet", href, onload: resolve, onerror() { link.remove(); reject(new Error(href)); } });
    document.head.append(link);
  });
}

// Once the phone is ready, fetch the other kinds in the background: a step that opens later shows at
// once, and a whole room does not fetch them in the same second.
let prefetched = false;
function prefetchKinds() {
  if (prefetched) return;
  prefetched = true;
  const start = () => Object.keys(KINDS).forEach(loadKind);
  if (window.requestIdleCallback) window.requestIdleCallback(start, { timeout: 3000 });
  else setTimeout(start, 1000);
}

function notify(message) {
  noticeNode.textContent = message || "";
  noticeNode.hidden = !message;
}

function answered(item, ack) {
  // A kind still loading may own this command (a vote queued before a reload): answer once it is there.
  const pending = Object.values(loading);
  if (pending.length) {
    Promise.all(pending).then(() => answered(item, ack));
    return;
  }
  if (kinds.vote && kinds.vote.answered(item, ack)) return;
  if (ack && ack.ok) {
    if (ack.card) upsertOwnCard(ack.card);
    if (ack.left) state.view.left = ack.left;
    if (ack.me) state.view.me = ack.me;
    if (item.event === "check_in") notify("");
  } else if (ack) {
    const text = item.payload.text ? ` „${item.payload.text}“` : "";
    notify(`${t.failed}${text}: ${ack.message}`);
    if (item.event === "submit_card" && !state.draft) state.draft = item.payload.text; // nothing typed is lost
  }
  render();
}

function upsertOwnCard(card) {
  const cards = state.view.own_cards || (state.view.own_cards = []);
  const index = cards.findIndex((c) => c.id === card.id);
  if (card.status === "withdrawn") {
    if (index >= 0) cards.splice(index, 1);
  } else if (index >= 0) cards[index] = card;
  else cards.push(card);
}

// -- rendering ---------------------------------------------------------------------------------------

function render() {
  const activity = state.activity;
  const focused = document.activeElement && document.activeElement.id;
  stepNode.replaceChildren(...content(activity).filter(Boolean));
  if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  renderTimer();
}

function content(activity) {
  if (state.workshop && ["ended", "archived"].includes(state.workshop.state)) {
    return [el("h1", { class: "h4", text: state.workshop.title }), el("p", { class: "lead", text: t.ended })];
  }
  if (!activity) return [el("h1", { class: "h4", text: t.welcome }), el("p", { text: t.welcome_text })];
  const header = [
    el("h1", { class: "h4 step-title", text: activity.title }),
    activity.prompt ? el("p", { class: "step-prompt", text: activity.prompt }) : null,
    el("div", { id: "timer", class: "timer", role: "timer", "aria-label": t.timer, hidden: true }),
  ];
  const body = {
    info: info,
    checkin: checkin,
    cards: cards,
    vote: (a) => kindView("vote", () => kinds.vote.renderPhone(a, state.view)),
    recommendations: (a) => kindView("recommendations", () => kinds.recommendations.renderPhone(a, state.view, { live, render })),
  }[activity.kind];
  return [...header, ...(body ? body(activity) : [el("p", { class: "look-up", text: t.look_up })])];
}

// A kind's view once its module is there; until then "loading" (loadKind draws the step again).
function kindView(kind, view) {
  if (kinds[kind]) return view();
  loadKind(kind);
  return [el("p", { class: "loading", role: "status", text: t.loading })];
}

function info(activity) {
  const config = activity.config;
  return [
    ...(config.body || "").split(/\n{2,}/).filter(Boolean).map((p) => el("p", { text: p.replaceAll("**", "") })),
    el("div", { class: "figures" }, (config.figures || []).map((f) =>
      el("div", { class: "figure" }, el("span", { class: "figure-value", text: f.value }), el("span", { class: "figure-label", text: f.label })))),
  ];
}

function closedNote(activity) {
  if (activity.state === "open") return null;
  return el("p", { class: "alert alert-secondary", text: activity.state === "pending" ? t.not_open : t.closed });
}

function select(id, label, options, value) {
  return el("div", { class: "mb-3" },
    el("label", { for: id, class: "form-label fw-semibold", text: label }),
    el("select", { id, class: "form-select form-select-lg" },
      el("option", { value: "", text: options.length ? t.no_answer : t.choose }),
      options.map((o) => el("option", { value: o, text: o, selected: o === value }))));
}

function checkin(activity) {
  const me = state.view.me || {};
  const queued = live.pending().some((item) => item.event === "check_in");
  if (activity.state !== "open") return [closedNote(activity)];
  const form = el("form", {
    class: "checkin",
    onsubmit(event) {
      event.preventDefault();
      live.enqueue("check_in", {
        activity_id: activity.id,
        organisation: form.querySelector("#organisation").value || null,
        role: form.querySelector("#role") ? form.querySelector("#role").value || null : null,
      });
      render();
    },
  },
  select("organisation", t.organisation, activity.config.organisations, me.organisation),
  activity.config.roles.length ? select("role", t.role, activity.config.roles, me.role) : null,
  el("button", { type: "submit", class: "btn btn-primary btn-lg w-100", text: queued ? t.sending : t.check_in, disabled: queued }));
  return [me.is_checked_in ? el("p", { class: "alert alert-success", text: t.checked_in }) : null, form];
}

function cards(activity) {
  const config = activity.config;
  const left = state.view.left || { total: config.max_cards };
  const queued = live.pending().filter((item) => item.event === "submit_card" && item.payload.activity_id === activity.id);
  const totalLeft = Math.max(0, left.total - queued.length);
  const parts = [closedNote(activity)];
  if (activity.state === "open") {
    if (totalLeft > 0) parts.push(cardForm(activity, left, queued));
    else parts.push(el("p", { class: "alert alert-info", text: t.no_cards_left }));
  }
  parts.push(ownCards(activity, queued));
  return parts;
}

function cardForm(activity, left, queued) {
  const config = activity.config;
  const columns = config.columns || [];
  const columnLeft = (column) => (left.columns ? left.columns[column] - queued.filter((q) => q.payload.column === column).length : null);
  // Keep the chosen column while it has room; otherwise pick the first one that has.
  const hasRoom = (column) => columnLeft(column) === null || columnLeft(column) > 0;
  if (columns.length && !(columns.includes(state.column) && hasRoom(state.column))) {
    state.column = columns.find(hasRoom) || columns[0];
  }
  const counter = el("span", { id: "chars-left", "aria-live": "polite" });
  const textarea = el("textarea", {
    id: "card-text", class: "form-control form-control-lg", rows: 3, maxlength: config.max_length,
    "aria-describedby": "chars-left cards-left", required: true,
    oninput() { state.draft = textarea.value; updateCounter(); },
  });
  textarea.value = state.draft;
  const updateCounter = () => { counter.textContent = `${config.max_length - textarea.value.length} ${t.chars_left}`; };
  updateCounter();
  const chooser = columns.length
    ? el("fieldset", { class: "columns mb-3" }, el("legend", { class: "form-label fw-semibold", text: t.column }),
        columns.map((column, i) => {
          const remaining = columnLeft(column);
          const full = remaining !== null && remaining <= 0;
          return el("div", { class: "column-choice" },
            el("input", { type: "radio", name: "column", id: `column-${i}`, value: column, class: "btn-check",
              checked: column === state.column, disabled: full, onchange() { state.column = column; } }),
            el("label", { for: `column-${i}`, class: "btn btn-outline-primary btn-lg w-100" }, column,
              remaining !== null ? el("span", { class: "column-left", text: ` (${Math.max(0, remaining)})` }) : null));
        }))
    : null;
  const form = el("form", {
    class: "card-form",
    onsubmit(event) {
      event.preventDefault();
      const text = textarea.value.trim();
      if (!text) return textarea.focus();
      live.enqueue("submit_card", { activity_id: activity.id, text, column: columns.length ? state.column : "" });
      state.draft = "";
      render();
      document.getElementById("card-text")?.focus();
    },
  },
  chooser,
  el("label", { for: "card-text", class: "form-label fw-semibold", text: t.your_card }),
  textarea,
  el("div", { class: "form-text d-flex justify-content-between" }, counter,
    el("span", { id: "cards-left", text: `${Math.max(0, left.total - queued.length)} ${t.cards_left}` })),
  el("button", { type: "submit", class: "btn btn-primary btn-lg w-100 mt-2", text: t.send }));
  return form;
}

function statusLabel(card) {
  return t[`status_${card.status}`] || card.status;
}

function personalDataHint(card) {
  if (!card.personal_data || !card.personal_data.length) return null;
  const kinds = card.personal_data.map((k) => t[`kind_${k}`] || k).join(", ");
  return el("p", { class: "pii-hint", text: t.personal_data.replace("{kinds}", kinds) });
}

function ownCards(activity, queuedItems) {
  const cards = state.view.own_cards || [];
  // A card the server already reported (own_card_changed can arrive before the ack) is shown once.
  const known = new Set(cards.map((card) => card.client_id));
  const queued = queuedItems.filter((item) => !known.has(item.payload.client_id));
  if (!cards.length && !queued.length) return null;
  const isOpen = activity.state === "open";
  return el("section", { class: "own-cards", "aria-label": t.your_cards },
    el("h2", { class: "h6", text: t.your_cards }),
    el("ul", { class: "list-unstyled" },
      queued.map((item) => el("li", { class: "own-card queued" },
        el("p", { class: "card-text", text: item.payload.text }),
        el("span", { class: "badge text-bg-warning", text: t.sending }))),
      [...cards].reverse().map((card) => el("li", { class: `own-card status-${card.status}` },
        state.editing === card.id ? editForm(card) : el("p", { class: "card-text", text: card.text }),
        el("div", { class: "card-meta" },
          card.column ? el("span", { class: "badge text-bg-light border", text: card.column }) : null,
          el("span", { class: "badge text-bg-success", text: t.sent }),
          el("span", { class: "status", text: statusLabel(card) }),
          card.is_edited ? el("span", { class: "status", text: t.edited }) : null),
        card.status === "rejected" && card.reject_reason ? el("p", { class: "reject-reason", text: `${t.reason}: ${card.reject_reason}` }) : null,
        personalDataHint(card),
        isOpen && state.editing !== card.id && card.status !== "rejected"
          ? el("div", { class: "card-actions" },
              // aria-label, not a visually hidden span: Chromium would read "Ändern : …".
              el("button", { type: "button", class: "btn btn-outline-secondary", "aria-label": `${t.edit}: ${card.text}`,
                onclick() { state.editing = card.id; render(); document.getElementById(`edit-${card.id}`)?.focus(); } }, t.edit),
              el("button", { type: "button", class: "btn btn-outline-danger", "aria-label": `${t.withdraw}: ${card.text}`, onclick() {
                if (window.confirm(t.withdraw_confirm)) live.enqueue("withdraw_card", { card_id: card.id });
              } }, t.withdraw))
          : null))));
}

function editForm(card) {
  const textarea = el("textarea", { id: `edit-${card.id}`, class: "form-control", rows: 3, maxlength: state.activity.config.max_length, "aria-label": t.your_card });
  textarea.value = card.text;
  return el("form", {
    onsubmit(event) {
      event.preventDefault();
      live.enqueue("edit_card", { card_id: card.id, text: textarea.value.trim() });
      state.editing = null;
      render();
    },
  }, textarea, el("div", { class: "card-actions" },
    el("button", { type: "submit", class: "btn btn-primary", text: t.save }),
    el("button", { type: "button", class: "btn btn-outline-secondary", text: t.cancel, onclick() { state.editing = null; render(); } })));
}

function renderTimer() {
  clearInterval(timerHandle);
  const node = document.getElementById("timer");
  const timer = state.activity && state.activity.timer;
  if (!node || !timer) return;
  const tick = () => {
    const seconds = secondsLeft(timer);
    node.hidden = false;
    node.textContent = `${t.timer}: ${formatSeconds(seconds)}`;
    node.classList.toggle("timer-low", seconds <= 30);
  };
  tick();
  if (timer.remaining === null) timerHandle = setInterval(tick, 1000);
}
