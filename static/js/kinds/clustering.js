// The clustering board: the console's editor (drag and drop with SortableJS and, equally, a
// "Verschieben nach …" menu on every card), the suggestions to accept or reject, and the projector's
// mirror of the board. Every text from the server is inserted as text (el()), never as HTML.
import Sortable from "/static/vendor/sortablejs/sortable.esm.js";
import { el } from "../live.js";

const STRINGS = (() => {
  const node = document.getElementById("i18n-clustering");
  return node ? JSON.parse(node.textContent) : {};
})();

function tr(key, values) {
  const text = STRINGS[key] || key;
  return values ? text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? "")) : text;
}

const numberFormat = new Intl.NumberFormat(document.documentElement.lang || "de");

function mentions(n) {
  return tr(n === 1 ? "mention_one" : "mention_many", { n: numberFormat.format(n) });
}

function byId(board) {
  return new Map((board.cards || []).map((card) => [card.id, card]));
}

// -- console ---------------------------------------------------------------------------------------------------

let ctx = null; // {live, send, announce, showAlert, canModerate, box}
const boards = new Map(); // activity id → the latest board
const seenViews = new WeakSet();
const ui = {
  granularity: 0,
  newLabel: "",
  suggesting: false,
  menus: new Set(), // cluster ids whose menu is open
  renaming: null, // cluster id
  selected: new Map(), // cluster id → Set of card ids chosen for a split
  splitLabels: new Map(),
  suggestionLabels: new Map(),
};
let drawn = { signature: null, activityId: null, sortables: [] };

export function connectConsole(context) {
  ctx = context;
  ctx.live.on("board_changed", (board) => {
    if (!board || board.deleted) return;
    boards.set(board.activity_id, board);
    redraw(board.activity_id);
  });
  // A card approved, hidden or corrected in a card step changes the board's pile: reload the board
  // (debounced) while one is open. The console keeps its own handler for the event.
  const previous = ctx.live.handlers.card_changed;
  ctx.live.on("card_changed", (payload) => {
    if (previous) previous(payload);
    reloadSoon();
  });
}

let reloadTimer = null;
function reloadSoon() {
  const box = ctx.box;
  if (box.dataset.kind !== "clustering" || !drawn.activity) return;
  const activityId = drawn.activity.id;
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(async () => {
    try {
      const ack = await ctx.live.request("load_activity", { activity_id: activityId });
      if (ack && ack.ok && ack.view) {
        boards.set(activityId, ack.view);
        redraw(activityId);
      }
    } catch { /* the next change or a reconnect brings the board */ }
  }, 800);
}

// Called by the console whenever the step's content is drawn; ``view`` is the loaded view (or a newer
// board from an event or an ack, which wins over an older loaded view).
export function renderConsole(box, activity, view) {
  if (view && view.activity_id === activity.id && !seenViews.has(view)) {
    seenViews.add(view);
    boards.set(activity.id, view);
  }
  draw(box, activity);
}

function redraw(activityId) {
  const box = ctx && ctx.box;
  if (box && box.dataset.kind === "clustering" && box.dataset.activity === String(activityId) && drawn.activity) {
    draw(box, drawn.activity, { force: true });
  }
}

async function act(event, payload, button, message) {
  const ack = await ctx.send(event, payload, button);
  if (!ack) return null;
  if (ack.board) boards.set(ack.board.activity_id, ack.board);
  if (message) ctx.announce(message);
  redraw(payload.activity_id || (drawn.activity && drawn.activity.id));
  return ack;
}

function preservingFocus(render) {
  const active = document.activeElement;
  const key = active && active.dataset ? active.dataset.focus : null;
  render();
  if (key && (!active.isConnected || document.activeElement !== active)) {
    const target = document.querySelector(`[data-focus="${CSS.escape(key)}"]`);
    if (target) target.focus();
  }
}

function draw(box, activity, { force = false } = {}) {
  const board = boards.get(activity.id);
  if (!board) {
    box.replaceChildren(el("p", { class: "step-loading", text: tr("loading") }));
    return;
  }
  const signature = JSON.stringify([board, activity.id, ui.granularity, ui.suggesting, [...ui.menus], ui.renaming,
    [...ui.selected].map(([id, set]) => [id, [...set]])]);
  if (!force && signature === drawn.signature && box.dataset.kind === "clustering"
      && box.dataset.activity === String(activity.id) && box.firstChild) return;
  drawn.signature = signature;
  drawn.activity = activity;
  for (const sortable of drawn.sortables) sortable.destroy();
  drawn.sortables = [];
  box.dataset.kind = "clustering";
  box.dataset.activity = String(activity.id);
  preservingFocus(() => box.replaceChildren(...consoleBoard(activity, board)));
  if (ctx.canModerate) {
    for (const list of box.querySelectorAll(".board-cards")) drawn.sortables.push(sortable(list, activity));
  }
}

function sortable(list, activity) {
  return Sortable.create(list, {
    group: "board",
    animation: 150,
    draggable: ".board-card",
    filter: "select, input, button, label, textarea",
    preventOnFilter: false,
    ghostClass: "is-ghost",
    chosenClass: "is-chosen",
    onEnd(event) {
      if (event.from === event.to && event.oldIndex === event.newIndex) return;
      const cardId = Number(event.item.dataset.cardId);
      const clusterId = event.to.dataset.cluster ? Number(event.to.dataset.cluster) : null;
      const target = clusterId ? clusterLabel(activity.id, clusterId) : tr("unassigned");
      act("move_card", { activity_id: activity.id, card_id: cardId, cluster_id: clusterId,
        position: clusterId ? event.newIndex : null }, null, tr("moved_to", { target }));
    },
  });
}

function clusterLabel(activityId, clusterId) {
  const board = boards.get(activityId);
  const cluster = board && board.clusters.find((c) => c.id === clusterId);
  return cluster ? cluster.label : "";
}

function consoleBoard(activity, board) {
  const cards = byId(board);
  const parts = [];
  if (ctx.canModerate) parts.push(tools(activity, board));
  if ((board.suggestions || []).length) parts.push(suggestionsPanel(activity, board, cards));
  const total = (board.cards || []).length;
  parts.push(el("p", { class: "board-summary" },
    tr("summary", { total: numberFormat.format(total), clusters: numberFormat.format(board.clusters.length),
      unassigned: numberFormat.format(board.unassigned.length) })));
  parts.push(el("div", { class: "board", role: "list", "aria-label": tr("board") },
    unassignedColumn(activity, board, cards),
    board.clusters.map((cluster) => clusterColumn(activity, board, cluster, cards))));
  return parts;
}

function tools(activity, board) {
  const input = el("input", {
    class: "form-control form-control-sm", id: "new-cluster-label", maxlength: "120", autocomplete: "off",
    "data-focus": "new-cluster-label", oninput: (event) => { ui.newLabel = event.target.value; },
  });
  input.value = ui.newLabel;
  const granularity = el("select", {
    class: "form-select form-select-sm", id: "granularity", "data-focus": "granularity",
    "aria-describedby": "granularity-help",
    onchange: (event) => { ui.granularity = Number(event.target.value); },
  }, [-2, -1, 0, 1, 2].map((level) => el("option", { value: String(level), selected: level === ui.granularity,
    text: tr(`granularity_${level + 2}`) })));
  const suggestButton = el("button", {
    type: "button", class: "btn btn-sm btn-primary", "data-focus": "suggest",
    "aria-busy": ui.suggesting ? "true" : null, disabled: ui.suggesting || !board.cards.length,
    onclick: async (event) => {
      ui.suggesting = true;
      redraw(activity.id);
      const ack = await act("suggest_clusters", { activity_id: activity.id, granularity: ui.granularity }, event.currentTarget);
      ui.suggesting = false;
      ui.suggestionLabels.clear();
      redraw(activity.id);
      if (ack) ctx.announce(tr("suggested", { n: ack.count }));
    },
  }, ui.suggesting ? tr("suggesting") : (board.suggestions || []).length ? tr("suggest_again") : tr("suggest"));
  return el("section", { class: "panel board-tools", "aria-label": tr("tools") },
    el("form", {
      class: "board-new",
      onsubmit: async (event) => {
        event.preventDefault();
        const label = input.value.trim();
        if (!label) { ctx.showAlert(tr("label_missing")); input.focus(); return; }
        const ack = await act("create_cluster", { activity_id: activity.id, label }, event.submitter, tr("created", { label }));
        if (ack) { ui.newLabel = ""; input.value = ""; }
      },
    },
    el("label", { class: "form-label", for: "new-cluster-label", text: tr("new_cluster") }),
    el("div", { class: "board-inline" }, input,
      el("button", { type: "submit", class: "btn btn-sm btn-outline-primary", "data-focus": "new-cluster-submit", text: tr("create") }))),
    el("div", { class: "board-suggest" },
      el("label", { class: "form-label", for: "granularity", text: tr("granularity") }),
      el("div", { class: "board-inline" }, granularity, suggestButton),
      el("p", { class: "form-text", id: "granularity-help", text: tr("suggest_help") })));
}

// -- suggestions ---------------------------------------------------------------------------------------------------

function suggestionsPanel(activity, board, cards) {
  const suggestions = board.suggestions;
  return el("section", { class: "panel suggestions", "aria-labelledby": "suggestions-heading" },
    el("h3", { class: "panel-heading", id: "suggestions-heading", tabindex: "-1" },
      tr("suggestions"), " ", el("span", { class: "badge queue-count", text: numberFormat.format(suggestions.length) })),
    el("p", { class: "form-text", text: tr("suggestions_help") }),
    el("ol", { class: "suggestion-list" }, suggestions.map((suggestion) => suggestion.kind === "merge"
      ? mergeSuggestion(activity, board, suggestion)
      : groupSuggestion(activity, suggestion, cards))));
}

function groupSuggestion(activity, suggestion, cards) {
  const id = suggestion.id;
  const example = cards.get(suggestion.example_card_id);
  const labelId = `suggestion-${id}-label`;
  const input = el("input", { class: "form-control form-control-sm", id: labelId, maxlength: "120",
    "data-focus": labelId, oninput: (event) => ui.suggestionLabels.set(id, event.target.value) });
  input.value = ui.suggestionLabels.get(id) ?? suggestion.label;
  const name = suggestion.label;
  return el("li", { class: "suggestion", "data-suggestion-id": String(id) },
    el("h4", { class: "suggestion-title" },
      el("span", { class: "suggestion-kind", text: tr("suggested_cluster") }), " ", name,
      " ", el("span", { class: "suggestion-count", text: `(${tr("cards_n", { n: suggestion.card_ids.length })})` })),
    suggestion.terms.length ? el("p", { class: "suggestion-terms", text: `${tr("terms")}: ${suggestion.terms.join(", ")}` }) : null,
    example ? el("p", { class: "suggestion-example", text: `${tr("example")}: „${example.text}“` }) : null,
    ctx.canModerate ? el("ul", { class: "suggestion-cards" }, suggestion.card_ids.map((cardId) => {
      const card = cards.get(cardId);
      if (!card) return null;
      return el("li", { class: "suggestion-card" },
        el("span", { class: "suggestion-card-text", text: card.text }),
        el("span", { class: "suggestion-card-actions" },
          button(tr("take_card"), card.text, "btn-outline-success", `sc-${id}-${cardId}-take`, (event) =>
            act("accept_suggested_card", { suggestion_id: id, card_id: cardId }, event.currentTarget, tr("card_taken"))),
          button(tr("drop_card"), card.text, "btn-outline-secondary", `sc-${id}-${cardId}-drop`, (event) =>
            act("reject_suggested_card", { suggestion_id: id, card_id: cardId }, event.currentTarget, tr("card_dropped")))));
    })) : el("ul", { class: "suggestion-cards" }, suggestion.card_ids.map((cardId) => cards.get(cardId))
      .filter(Boolean).map((card) => el("li", { class: "suggestion-card", text: card.text }))),
    ctx.canModerate ? el("form", {
      class: "suggestion-accept",
      onsubmit: (event) => {
        event.preventDefault();
        const label = input.value.trim() || suggestion.label;
        act("accept_suggestion", { suggestion_id: id, label }, event.submitter, tr("accepted", { label }));
      },
    },
    el("label", { class: "form-label", for: labelId, text: tr("cluster_name") }),
    el("div", { class: "board-inline" }, input,
      el("button", { type: "submit", class: "btn btn-sm btn-success", "data-focus": `s-${id}-accept`,
        "aria-label": named(tr("accept"), name) }, tr("accept")),
      button(tr("reject_suggestion"), name, "btn-outline-danger", `s-${id}-reject`, (event) =>
        act("reject_suggestion", { suggestion_id: id }, event.currentTarget, tr("rejected"))))) : null);
}

function mergeSuggestion(activity, board, suggestion) {
  const names = suggestion.cluster_ids.map((clusterId) => {
    const cluster = board.clusters.find((c) => c.id === clusterId);
    return cluster ? `„${cluster.label}“` : null;
  }).filter(Boolean);
  const id = suggestion.id;
  return el("li", { class: "suggestion suggestion-merge", "data-suggestion-id": String(id) },
    el("h4", { class: "suggestion-title" }, el("span", { class: "suggestion-kind", text: tr("suggested_theme") }), " ",
      suggestion.label),
    el("p", { class: "suggestion-terms", text: tr("merge_these", { clusters: names.join(", ") }) }),
    ctx.canModerate ? el("div", { class: "board-inline" },
      button(tr("merge"), suggestion.label, "btn-success", `s-${id}-accept`, (event) =>
        act("accept_suggestion", { suggestion_id: id }, event.currentTarget, tr("merged"))),
      button(tr("reject_suggestion"), suggestion.label, "btn-outline-danger", `s-${id}-reject`, (event) =>
        act("reject_suggestion", { suggestion_id: id }, event.currentTarget, tr("rejected")))) : null);
}

// A button whose accessible name also says what it acts on ("Übernehmen: <name>"). An aria-label, not a visually
// hidden span: Chromium reads a hidden span (positioned, so block-level) as "Übernehmen : …".
function button(label, context, style, focus, onclick) {
  return el("button", { type: "button", class: `btn btn-sm ${style}`, "data-focus": focus, onclick,
    "aria-label": context ? named(label, context) : null }, label);
}

function named(label, context) {
  return `${label}: ${context}`;
}

// -- columns and cards ------------------------------------------------------------------------------------------------

function unassignedColumn(activity, board, cards) {
  // A div: a <section> may not take the role listitem (axe: aria-allowed-role).
  return el("div", { class: "board-column board-unassigned", role: "listitem", "aria-labelledby": "pile-heading" },
    el("header", { class: "board-column-head" },
      el("h3", { class: "board-column-title", id: "pile-heading" },
        el("span", { text: tr("unassigned") }),
        el("span", { class: "board-count", text: tr("cards_n", { n: numberFormat.format(board.unassigned.length) }) }))),
    el("ol", { class: "board-cards", "data-cluster": "", "aria-label": tr("unassigned") },
      board.unassigned.map((cardId) => cards.get(cardId)).filter(Boolean)
        .map((card) => cardItem(activity, board, card, null))),
    board.unassigned.length ? null : el("p", { class: "empty-note", text: tr("pile_empty") }));
}

function clusterColumn(activity, board, cluster, cards) {
  const headingId = `cluster-${cluster.id}-heading`;
  const selected = ui.selected.get(cluster.id) || new Set();
  return el("div", { class: `board-column board-cluster colour-${cluster.colour}`, role: "listitem",
    "aria-labelledby": headingId, "data-cluster-id": String(cluster.id) },
  el("header", { class: "board-column-head" },
    el("h3", { class: "board-column-title", id: headingId },
      el("span", { class: "cluster-swatch", "aria-hidden": "true" }),
      el("span", { class: "cluster-label", text: cluster.label }),
      el("span", { class: "board-count", text: mentions(cluster.count) })),
    ctx.canModerate ? clusterMenu(activity, board, cluster) : null),
  ui.renaming === cluster.id ? renameForm(cluster) : null,
  selected.size ? splitForm(cluster, selected) : null,
  el("ol", { class: "board-cards", "data-cluster": String(cluster.id), "aria-label": cluster.label },
    cluster.card_ids.map((cardId) => cards.get(cardId)).filter(Boolean)
      .map((card) => cardItem(activity, board, card, cluster))),
  cluster.card_ids.length ? null : el("p", { class: "empty-note", text: tr("cluster_empty") }));
}

function clusterMenu(activity, board, cluster) {
  const id = cluster.id;
  const details = el("details", { class: "cluster-menu", open: ui.menus.has(id),
    ontoggle: (event) => { if (event.target.open) ui.menus.add(id); else ui.menus.delete(id); } },
  el("summary", { class: "btn btn-sm btn-outline-secondary", "data-focus": `c-${id}-menu`,
    "aria-label": named(tr("edit_cluster"), cluster.label) }, tr("edit_cluster")),
  el("div", { class: "cluster-menu-body" },
    button(tr("rename"), cluster.label, "btn-outline-primary", `c-${id}-rename`, () => {
      ui.renaming = id;
      redraw(activity.id);
      const field = document.getElementById(`rename-${id}`);
      if (field) { field.focus(); field.select(); }
    }),
    el("label", { class: "form-label", for: `colour-${id}`, text: tr("colour") }),
    el("select", { class: "form-select form-select-sm", id: `colour-${id}`, "data-focus": `c-${id}-colour`,
      onchange: (event) => act("recolour_cluster", { cluster_id: id, colour: event.target.value }, null,
        tr("recoloured", { colour: board.colours[event.target.value] || event.target.value })) },
    Object.entries(board.colours || {}).map(([value, name]) => el("option", { value, text: name, selected: value === cluster.colour }))),
    board.clusters.length > 1 ? mergeControl(activity, board, cluster) : null,
    button(tr("delete"), cluster.label, "btn-outline-danger", `c-${id}-delete`, (event) => {
      if (!window.confirm(tr("delete_confirm", { label: cluster.label }))) return;
      ui.menus.delete(id);
      act("delete_cluster", { cluster_id: id }, event.currentTarget, tr("deleted"));
    })));
  return details;
}

function mergeControl(activity, board, cluster) {
  const id = cluster.id;
  const select = el("select", { class: "form-select form-select-sm", id: `merge-${id}`, "data-focus": `c-${id}-merge-target` },
    board.clusters.filter((other) => other.id !== id).map((other) => el("option", { value: String(other.id), text: other.label })));
  return el("div", { class: "cluster-merge" },
    el("label", { class: "form-label", for: `merge-${id}`, text: tr("merge_with") }),
    el("div", { class: "board-inline" }, select,
      button(tr("merge"), cluster.label, "btn-outline-primary", `c-${id}-merge`, (event) => {
        ui.menus.delete(id);
        act("merge_clusters", { cluster_ids: [id, Number(select.value)] }, event.currentTarget, tr("merged"));
      })));
}

function renameForm(cluster) {
  const id = cluster.id;
  const input = el("input", { class: "form-control form-control-sm", id: `rename-${id}`, maxlength: "120",
    required: true, "data-focus": `c-${id}-rename-field` });
  input.value = cluster.label;
  const close = () => {
    ui.renaming = null;
    redraw(cluster.activity_id);
    const trigger = document.querySelector(`[data-focus="c-${id}-rename"]`);
    if (trigger) trigger.focus();
  };
  return el("form", {
    class: "cluster-rename",
    onkeydown: (event) => { if (event.key === "Escape") { event.preventDefault(); close(); } },
    onsubmit: async (event) => {
      event.preventDefault();
      const label = input.value.trim();
      if (!label) { ctx.showAlert(tr("label_missing")); return; }
      ui.renaming = null;
      await act("rename_cluster", { cluster_id: id, label }, event.submitter, tr("renamed", { label }));
    },
  },
  el("label", { class: "form-label", for: `rename-${id}`, text: tr("cluster_name") }),
  el("div", { class: "board-inline" }, input,
    el("button", { type: "submit", class: "btn btn-sm btn-primary", text: tr("save") }),
    el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: tr("cancel"), onclick: close })));
}

function splitForm(cluster, selected) {
  const id = cluster.id;
  const input = el("input", { class: "form-control form-control-sm", id: `split-${id}`, maxlength: "120",
    "data-focus": `c-${id}-split-label`, oninput: (event) => ui.splitLabels.set(id, event.target.value) });
  input.value = ui.splitLabels.get(id) ?? `${cluster.label} (2)`;
  return el("form", {
    class: "cluster-split",
    onsubmit: async (event) => {
      event.preventDefault();
      const label = input.value.trim();
      if (!label) { ctx.showAlert(tr("label_missing")); return; }
      const ack = await act("split_cluster", { cluster_id: id, card_ids: [...selected], label }, event.submitter,
        tr("split_done", { label }));
      if (ack) { ui.selected.delete(id); ui.splitLabels.delete(id); redraw(cluster.activity_id); }
    },
  },
  el("label", { class: "form-label", for: `split-${id}`, text: tr("split_label", { n: selected.size }) }),
  el("div", { class: "board-inline" }, input,
    el("button", { type: "submit", class: "btn btn-sm btn-primary", "data-focus": `c-${id}-split` }, tr("split"))));
}

function cardItem(activity, board, card, cluster) {
  const children = [el("p", { class: "board-card-text", text: card.text })];
  if (ctx.canModerate) {
    const selectId = `move-${card.id}`;
    const move = el("select", {
      class: "form-select form-select-sm board-move", id: selectId, "data-focus": `card-${card.id}-move`,
      onchange: (event) => {
        const value = event.target.value;
        if (value === "") return;
        const clusterId = value === "pile" ? null : Number(value);
        for (const set of ui.selected.values()) set.delete(card.id);
        const target = clusterId ? clusterLabel(activity.id, clusterId) : tr("unassigned");
        act("move_card", { activity_id: activity.id, card_id: card.id, cluster_id: clusterId }, null, tr("moved_to", { target }));
      },
    },
    el("option", { value: "", text: tr("move_to") }),
    cluster ? el("option", { value: "pile", text: tr("unassigned") }) : null,
    board.clusters.filter((other) => !cluster || other.id !== cluster.id)
      .map((other) => el("option", { value: String(other.id), text: other.label })));
    const controls = [el("label", { class: "visually-hidden", for: selectId, text: `${tr("move_to")}: ${card.text}` }), move];
    if (cluster) {
      const checkId = `pick-${card.id}`;
      const selected = ui.selected.get(cluster.id) || new Set();
      controls.push(el("span", { class: "form-check board-pick" },
        el("input", { class: "form-check-input", type: "checkbox", id: checkId, checked: selected.has(card.id),
          "data-focus": `card-${card.id}-pick`, "aria-label": named(tr("pick"), card.text),
          onchange: (event) => {
            const set = ui.selected.get(cluster.id) || new Set();
            if (event.target.checked) set.add(card.id); else set.delete(card.id);
            if (set.size) ui.selected.set(cluster.id, set); else ui.selected.delete(cluster.id);
            redraw(activity.id);
          } }),
        el("label", { class: "form-check-label", for: checkId, text: tr("pick") })));
    }
    children.push(el("div", { class: "board-card-controls" }, controls));
  }
  return el("li", { class: "board-card", "data-card-id": String(card.id) }, children);
}

// -- projector -------------------------------------------------------------------------------------------------------

//: Cards per cluster that the projector spells out; the rest is counted.
const PROJECTOR_CARDS = 3;

export function renderProjector(activity, view) {
  const clusters = (view && view.clusters) || [];
  const cards = byId(view || {});
  const unassigned = ((view && view.unassigned) || []).length;
  const parts = [];
  if (!clusters.length) {
    parts.push(el("p", { class: "stage-note", text: tr("projector_empty", { n: numberFormat.format(unassigned) }) }));
    return parts;
  }
  parts.push(el("ul", { class: `pboard pboard-${Math.min(clusters.length, 12)}`, "aria-label": tr("board") },
    clusters.map((cluster) => {
      const texts = cluster.card_ids.map((id) => cards.get(id)).filter(Boolean);
      const rest = texts.length - PROJECTOR_CARDS;
      return el("li", { class: `pcluster colour-${cluster.colour}` },
        el("h2", { class: "pcluster-label", text: cluster.label }),
        el("p", { class: "pcluster-count", text: mentions(cluster.count) }),
        texts.length ? el("ul", { class: "pcluster-cards", "data-fit": "" },
          texts.slice(0, PROJECTOR_CARDS).map((card) => el("li", { text: card.text })),
          rest > 0 ? el("li", { class: "pcluster-more", text: tr("more_cards", { n: numberFormat.format(rest) }) }) : null) : null);
    })));
  if (unassigned) parts.push(el("p", { class: "pboard-unassigned", text: tr("still_unassigned", { n: numberFormat.format(unassigned) }) }));
  return parts;
}
