// Voting steps on the three screens.
//
// Phone: the ballot of the step's method (dots, points, ranking, single / multiple choice, agreement
// scale, fist-of-five, 2×2 matrix with two sliders per topic), the remaining budget live, one
// ``cast_votes`` command for the whole ballot through the offline queue; topic proposals; the results
// once revealed. Projector: how many voted and the topics, then the chart (server-side SVG). Console:
// votes and visibility, the proposal queue, the chart with its figures, breakdowns by organisation and
// role (suppressed on the server). Every text from the server is inserted as text (el()), never as HTML.
import { el } from "../live.js";

const STRINGS = (() => {
  const node = document.getElementById("i18n-vote");
  return node ? JSON.parse(node.textContent) : {};
})();

function tr(key, values) {
  const text = STRINGS[key] || key;
  return values ? text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? "")) : text;
}

const lang = document.documentElement.lang || "de";
const numberFormat = new Intl.NumberFormat(lang);
const meanFormat = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const shareFormat = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });

const CHOICES = new Set(["dots", "points", "ranking", "single", "multiple"]);
//: Steps of the matrix sliders: 0 … 10, stored as 0 … 1.
const MATRIX_STEPS = 10;

function methodOf(activity) {
  return (activity.config || {}).method || "dots";
}

// An accessible name that also says what a control acts on ("Einordnen: <option>"), set as aria-label: a visually
// hidden span is read by Chromium as a block of its own, "Einordnen : …". The visible label comes first (WCAG 2.5.3).
function named(label, context) {
  return `${label}: ${context}`;
}

function plural(n, one, many, values = {}) {
  return tr(n === 1 ? one : many, { n: numberFormat.format(n), ...values });
}

function mean(value) {
  return value === null || value === undefined ? "–" : meanFormat.format(value);
}

// What a result says in words, for a list item or an image description.
function figureText(option, method) {
  if (method === "ranking") return plural(option.score, "points_one", "points_many");
  if (method === "single" || method === "multiple") {
    return `${plural(option.voters, "votes_one", "votes_many")} (${shareFormat.format(option.share || 0)})`;
  }
  if (method === "scale") return `${tr("mean")} ${mean(option.mean)} · ${plural(option.voters, "answers_one", "answers_many")}`;
  if (method === "fist") {
    if (!option.voters) return tr("no_votes");
    const verdict = option.passes ? tr("consent") : plural(option.objections, "objections_one", "objections_many");
    return `${verdict} · ${tr("mean")} ${mean(option.mean)}`;
  }
  if (method === "matrix") {
    if (option.x === null || option.x === undefined) return tr("no_votes");
    return `${tr(`quadrant_${option.quadrant}`)} · ${tr("importance")} ${mean(option.x * MATRIX_STEPS)}, ${tr("urgency")} ${mean(option.y * MATRIX_STEPS)}`;
  }
  return plural(option.total, "dots_one", "dots_many");
}

function figure(option, method) {
  if (method === "ranking") return option.score || 0;
  if (method === "single" || method === "multiple") return option.voters || 0;
  if (method === "scale" || method === "fist") return option.mean || 0;
  return option.total || 0;
}

// A list of results with bars (the bar's length is set through the CSSOM, which the CSP allows).
function resultList(results, method) {
  const options = results.options || [];
  const top = Math.max(...options.map((o) => figure(o, method)), method === "scale" || method === "fist" ? 5 : 1);
  return el("ol", { class: `vote-results${CHOICES.has(method) ? " is-ranked" : ""}` },
    options.map((option) => {
      const bar = el("span", { class: "vote-result-bar", "aria-hidden": "true" });
      if (method !== "matrix") bar.style.width = `${Math.round((100 * figure(option, method)) / top)}%`;
      return el("li", { class: `vote-result${option.rank === 1 ? " is-top" : ""}` },
        CHOICES.has(method) ? el("span", { class: "vote-result-rank", text: `${option.rank}.` }) : null,
        el("span", { class: "vote-result-label", text: option.label }),
        el("span", { class: "vote-result-figure", text: figureText(option, method) }),
        method === "matrix" ? null : el("span", { class: "vote-result-track", "aria-hidden": "true" }, bar));
    }));
}

// ================================================================================================
// Phone
// ================================================================================================

let phone = null; // {live, state, render, notify, t}
const drafts = new Map(); // activity id → {entries: Map(option id → {value, x, y}), dirty}
const seen = { view: null, revealed: null, refreshing: false };

export function connectPhone(context) {
  phone = context;
  phone.live
    .on("own_ballot_changed", (payload) => {
      const view = currentVoteView(payload.activity_id);
      if (!view) return;
      view.ballot = payload.ballot;
      const draft = drafts.get(payload.activity_id);
      if (draft && !draft.dirty) drafts.delete(payload.activity_id); // follow the other tab
      phone.render();
    })
    .on("options_changed", (payload) => {
      const view = currentVoteView(payload.activity_id);
      if (!view) return;
      view.options = payload.options;
      const draft = drafts.get(payload.activity_id);
      if (draft) {
        const ids = new Set(payload.options.map((o) => o.id));
        for (const id of [...draft.entries.keys()]) if (!ids.has(id)) draft.entries.delete(id);
      }
      phone.render();
    })
    .on("own_option_changed", (payload) => {
      const view = currentVoteView(payload.option.activity_id);
      if (!view) return;
      const own = view.own_proposals || (view.own_proposals = []);
      const index = own.findIndex((o) => o.id === payload.option.id);
      if (index >= 0) own[index] = payload.option; else own.push(payload.option);
      phone.render();
    });
}

function currentVoteView(activityId) {
  const { state } = phone;
  if (!state.activity || state.activity.kind !== "vote" || state.activity.id !== activityId) return null;
  return state.view;
}

// The answer to a queued command of ours; returns whether it was ours.
export function answered(item, ack) {
  if (item.event !== "cast_votes" && item.event !== "propose_option") return false;
  const view = currentVoteView(item.payload.activity_id);
  if (item.event === "cast_votes") {
    const draft = drafts.get(item.payload.activity_id);
    if (ack && ack.ok) {
      if (view) view.ballot = ack.ballot;
      if (draft && draft.sent === item.payload.client_id) {
        draft.sent = null;
        if (!draft.dirty) drafts.delete(item.payload.activity_id);
      }
      const stillQueued = phone.live.pending().some((q) => q.event === "cast_votes" && q.payload.activity_id === item.payload.activity_id);
      if (!stillQueued) phone.notify("");
    } else if (ack) {
      phone.notify(`${tr("not_saved")}: ${ack.message}`);
      if (draft) Object.assign(draft, { dirty: true, warning: `${tr("not_saved")}: ${ack.message}` });
    }
  } else if (ack && ack.ok) {
    if (view) {
      const own = view.own_proposals || (view.own_proposals = []);
      if (!own.some((o) => o.id === ack.option.id)) own.push(ack.option);
      view.proposals_left = ack.proposals_left;
    }
  } else if (ack) {
    phone.notify(`${tr("not_saved")} „${item.payload.label}“: ${ack.message}`);
  }
  phone.render();
  return true;
}

function draftOf(activity, view) {
  let draft = drafts.get(activity.id);
  if (!draft) {
    const entries = new Map();
    for (const entry of (view.ballot && view.ballot.entries) || []) {
      entries.set(entry.option_id, { value: entry.value, x: entry.x, y: entry.y });
    }
    draft = { entries, dirty: false, sent: null, warning: "" };
    drafts.set(activity.id, draft);
  }
  return draft;
}

function spent(draft) {
  let total = 0;
  for (const entry of draft.entries.values()) total += entry.value;
  return total;
}

// What a person may still give, and the line that says so.
function budgetOf(activity, draft) {
  const config = activity.config || {};
  const method = methodOf(activity);
  if (method === "dots" || method === "points") {
    const total = method === "dots" ? config.dots : config.budget;
    const left = total - spent(draft);
    const key = left === 0 ? `${method}_done` : `${method}_left`;
    return { left, text: tr(key, { n: numberFormat.format(left), total: numberFormat.format(total) }) };
  }
  if (method === "ranking") {
    const places = Math.min(config.top_k, ((phone.state.view || {}).options || []).length);
    const left = places - draft.entries.size;
    return { left, text: tr("places_left", { n: numberFormat.format(left), total: numberFormat.format(places) }) };
  }
  if (method === "single") return { left: 1 - draft.entries.size, text: draft.entries.size ? tr("chosen_one") : tr("choose_one") };
  if (method === "multiple") return { left: null, text: plural(draft.entries.size, "chosen_n_one", "chosen_n_many") };
  const total = ((phone.state.view || {}).options || []).length;
  return { left: null, text: tr("answered", { n: numberFormat.format(draft.entries.size), total: numberFormat.format(total) }) };
}

function changed(activity, draft) {
  draft.dirty = true;
  draft.warning = "";
  phone.notify("");
  phone.render();
}

// Update the remaining budget and the send bar without drawing the page again (sliders keep the pointer).
function refreshBar(activity, draft) {
  const budget = document.getElementById("vote-budget");
  if (budget) {
    const { left, text } = budgetOf(activity, draft);
    budget.textContent = text;
    budget.classList.toggle("is-over", left !== null && left < 0);
  }
  const status = document.getElementById("vote-status");
  if (status) {
    draft.warning = "";
    const { state, text } = statusOf(activity, draft);
    status.textContent = text;
    status.dataset.state = state;
  }
}

function queued(activity) {
  return phone.live.pending().filter((item) => item.event === "cast_votes" && item.payload.activity_id === activity.id);
}

// Where the ballot stands: a warning just given, being sent, changed but not sent, or saved.
function statusOf(activity, draft) {
  if (draft.warning) return { state: "warning", text: draft.warning };
  if (queued(activity).length) return { state: "sending", text: tr("sending") };
  if (draft.dirty) return { state: "dirty", text: tr("not_sent") };
  if ((phone.state.view || {}).ballot) return { state: "saved", text: tr("saved") };
  return { state: "", text: "" };
}

function statusText(activity, draft) {
  return statusOf(activity, draft).text;
}

// A rule the phone already knows (no dots left): said right at the send bar, where the eyes are.
function warn(activity, draft, message) {
  draft.warning = message;
  phone.render();
}

export function renderPhone(activity, view) {
  if (!phone) return [];
  // A reveal (or hiding again) changes what the phone may see: take a fresh snapshot once.
  if (seen.view !== view) {
    seen.view = view;
    seen.revealed = activity.is_revealed;
    seen.refreshing = false;
  } else if (seen.revealed !== activity.is_revealed && !seen.refreshing) {
    seen.refreshing = true;
    phone.live.refresh();
  }
  const options = view.options || [];
  const parts = [];
  if (view.results && view.results.is_visible) {
    parts.push(el("section", { class: "vote-phone-results", "aria-labelledby": "vote-results-heading" },
      el("h2", { class: "h5", id: "vote-results-heading", text: tr("results") }),
      el("p", { class: "vote-muted", text: plural(view.results.ballots, "ballots_one", "ballots_many") }),
      resultList(view.results, methodOf(activity))));
  }
  if (activity.state !== "open") {
    parts.unshift(el("p", { class: "alert alert-secondary", text: activity.state === "pending" ? tr("not_open") : tr("closed") }));
    if (activity.state === "closed" && view.ballot) parts.push(ownBallot(activity, view));
    else if (activity.state === "pending" && options.length) {
      parts.push(el("ul", { class: "vote-preview" }, options.map((o) => el("li", { text: o.label }))));
    }
    return parts;
  }
  const draft = draftOf(activity, view);
  if ((activity.config || {}).items_from === "proposed") parts.push(proposals(activity, view));
  if (!options.length) {
    parts.push(el("p", { class: "alert alert-info", text: tr("no_topics") }));
    return parts;
  }
  parts.unshift(ballotForm(activity, view, draft));
  return parts;
}

function ownBallot(activity, view) {
  const labels = new Map((view.options || []).map((o) => [o.id, o.label]));
  const method = methodOf(activity);
  return el("section", { class: "vote-own", "aria-labelledby": "vote-own-heading" },
    el("h2", { class: "h6", id: "vote-own-heading", text: tr("your_ballot") }),
    el("ul", { class: "list-unstyled" }, view.ballot.entries.map((entry) => el("li", {},
      el("span", { text: labels.get(entry.option_id) || "" }), ": ",
      el("strong", { text: entryText(entry, method) })))));
}

function entryText(entry, method) {
  if (method === "matrix") {
    return `${tr("importance")} ${Math.round(entry.x * MATRIX_STEPS)}, ${tr("urgency")} ${Math.round(entry.y * MATRIX_STEPS)}`;
  }
  if (method === "ranking") return tr("place_n", { n: entry.value });
  if (method === "single" || method === "multiple") return "✓";
  if (method === "points") return plural(entry.value, "points_one", "points_many");
  if (method === "dots") return plural(entry.value, "dots_one", "dots_many");
  return numberFormat.format(entry.value);
}

function ballotForm(activity, view, draft) {
  const method = methodOf(activity);
  const options = view.options || [];
  const { left, text } = budgetOf(activity, draft);
  const sending = queued(activity).length > 0;
  const items = {
    dots: dotsItems,
    points: pointsItems,
    ranking: rankingItems,
    single: choiceItems,
    multiple: choiceItems,
    scale: scaleItems,
    fist: scaleItems,
    matrix: matrixItems,
  }[method](activity, options, draft, view);
  const hasBallot = Boolean(view.ballot);
  return el("form", {
    class: `vote-form method-${method}`,
    "aria-labelledby": "vote-heading",
    onsubmit(event) {
      event.preventDefault();
      submit(activity, draft);
    },
  },
  el("h2", { class: "visually-hidden", id: "vote-heading", text: tr("ballot") }),
  el("p", { class: "vote-help", text: tr(`help_${method}`, {
    dots: (activity.config || {}).dots, per: (activity.config || {}).max_per_option,
    budget: (activity.config || {}).budget, k: (activity.config || {}).top_k,
  }) }),
  method === "matrix" ? matrixPreview(options, draft) : null,
  items,
  el("div", { class: "vote-bar" },
    el("p", { id: "vote-budget", class: `vote-budget${left !== null && left < 0 ? " is-over" : ""}`, "aria-live": "polite", text }),
    el("button", { type: "submit", class: "btn btn-primary btn-lg w-100", id: "vote-submit", disabled: sending || null,
      text: sending ? tr("sending") : hasBallot ? tr("submit_again") : tr("submit") }),
    el("p", { id: "vote-status", class: "vote-status", role: "status", "data-state": statusOf(activity, draft).state,
      text: statusText(activity, draft) }),
    hasBallot && !sending
      ? el("button", { type: "button", class: "btn btn-link vote-withdraw", id: "vote-withdraw", text: tr("withdraw"),
        onclick() {
          if (!window.confirm(tr("withdraw_confirm"))) return;
          draft.entries.clear();
          send(activity, draft, []);
        } })
      : null));
}

function submit(activity, draft) {
  const method = methodOf(activity);
  let entries = [...draft.entries.entries()].map(([optionId, entry]) => ({ option_id: optionId, ...entry }));
  if (method === "ranking") {
    // Places without gaps from 1, in the order the person chose.
    entries.sort((a, b) => a.value - b.value);
    entries = entries.map((entry, index) => ({ ...entry, value: index + 1 }));
    draft.entries = new Map(entries.map((e) => [e.option_id, { value: e.value }]));
  }
  if (!entries.length) {
    warn(activity, draft, tr("empty_ballot"));
    return;
  }
  const { left } = budgetOf(activity, draft);
  if (left !== null && left < 0) {
    warn(activity, draft, tr("over_budget"));
    return;
  }
  send(activity, draft, entries.map((e) => {
    const line = { option_id: e.option_id, value: e.value ?? 1 };
    if (method === "matrix") Object.assign(line, { x: e.x, y: e.y });
    return line;
  }));
}

function send(activity, draft, entries) {
  // Only the latest ballot counts: drop older ones that still wait in the queue.
  for (const item of queued(activity)) phone.live.queue.remove(item.payload.client_id);
  const item = phone.live.enqueue("cast_votes", { activity_id: activity.id, entries });
  draft.sent = item.payload.client_id;
  draft.dirty = false;
  draft.warning = "";
  phone.notify("");
  phone.render();
}

// -- one control per method -------------------------------------------------------------------------

function itemLabel(option, index, extra = "") {
  return el("span", { class: "vote-item-label", id: `vote-label-${option.id}` },
    el("span", { class: "vote-item-number", "aria-hidden": "true", text: `${index + 1}` }),
    el("span", { text: option.label }), extra);
}

function dotsItems(activity, options, draft, view) {
  const config = activity.config || {};
  const perItem = config.max_per_option || 1;
  const own = new Set((view.own_proposals || []).map((o) => o.id));
  const left = config.dots - spent(draft);
  return el("ul", { class: "vote-items" }, options.map((option, index) => {
    const value = (draft.entries.get(option.id) || { value: 0 }).value;
    const blocked = config.not_own && own.has(option.id);
    const set = (next) => {
      if (next <= 0) draft.entries.delete(option.id); else draft.entries.set(option.id, { value: next });
      changed(activity, draft);
    };
    if (blocked) {
      return el("li", { class: "vote-item is-own" }, itemLabel(option, index),
        el("p", { class: "vote-muted", text: tr("own_proposal") }));
    }
    if (perItem === 1) {
      return el("li", { class: "vote-item" },
        el("button", {
          type: "button", class: `vote-toggle${value ? " is-on" : ""}`, id: `vote-toggle-${option.id}`,
          "aria-pressed": value ? "true" : "false", "aria-label": value ? named(option.label, tr("dot_set")) : null,
          onclick() {
            if (!value && left <= 0) {
              warn(activity, draft, tr("no_dots_left"));
              return;
            }
            set(value ? 0 : 1);
          },
        },
        el("span", { class: "vote-dot", "aria-hidden": "true" }),
        el("span", { class: "vote-toggle-label", text: option.label })));
    }
    return el("li", { class: "vote-item" }, itemLabel(option, index),
      stepper(option, value, {
        max: perItem, canAdd: left > 0, unit: (n) => plural(n, "dots_one", "dots_many"),
        onChange: set, onFull: () => warn(activity, draft, tr("no_dots_left")), step: 1, pips: perItem <= 5,
      }));
  }));
}

function stepper(option, value, { max, canAdd, onChange, onFull, step, unit, pips = false, editable = false }) {
  const minus = el("button", {
    type: "button", class: "btn btn-outline-primary vote-step", id: `vote-minus-${option.id}`, disabled: value <= 0 || null,
    onclick: () => onChange(Math.max(0, value - step)),
  }, el("span", { "aria-hidden": "true", text: "−" }), el("span", { class: "visually-hidden", text: `${tr("less")}: ${option.label}` }));
  const plus = el("button", {
    type: "button", class: "btn btn-outline-primary vote-step", id: `vote-plus-${option.id}`, disabled: value >= max || null,
    "aria-disabled": !canAdd && value < max ? "true" : null,
    onclick() {
      if (!canAdd) {
        onFull();
        return;
      }
      onChange(Math.min(max, value + step));
    },
  }, el("span", { "aria-hidden": "true", text: "+" }), el("span", { class: "visually-hidden", text: `${tr("more")}: ${option.label}` }));
  let middle;
  if (editable) {
    middle = el("input", {
      type: "number", inputmode: "numeric", min: "0", max: String(max), step: "1", class: "form-control vote-number",
      id: `vote-number-${option.id}`, "aria-labelledby": `vote-label-${option.id}`,
      onchange(event) {
        const next = Math.max(0, Math.min(max, Math.round(Number(event.target.value) || 0)));
        onChange(next);
      },
    });
    middle.value = String(value);
  } else {
    middle = el("span", { class: "vote-count", "aria-live": "polite" },
      pips ? el("span", { class: "vote-pips", "aria-hidden": "true", text: "●".repeat(value) + "○".repeat(Math.max(0, max - value)) }) : null,
      el("span", { class: pips ? "visually-hidden" : "", text: unit(value) }));
  }
  return el("div", { class: "vote-stepper", role: "group", "aria-labelledby": `vote-label-${option.id}` }, minus, middle, plus);
}

function pointsItems(activity, options, draft) {
  const budget = (activity.config || {}).budget || 100;
  const left = budget - spent(draft);
  const step = budget >= 50 ? 5 : 1;
  return el("ul", { class: "vote-items" }, options.map((option, index) => {
    const value = (draft.entries.get(option.id) || { value: 0 }).value;
    return el("li", { class: "vote-item" }, itemLabel(option, index),
      stepper(option, value, {
        max: budget, canAdd: left > 0, step, editable: true, unit: (n) => plural(n, "points_one", "points_many"),
        onFull: () => warn(activity, draft, tr("no_points_left")),
        onChange(next) {
          const allowed = Math.min(next, value + Math.max(0, left));
          if (allowed <= 0) draft.entries.delete(option.id); else draft.entries.set(option.id, { value: allowed });
          changed(activity, draft);
          if (allowed < next) warn(activity, draft, tr("no_points_left"));
        },
      }));
  }));
}

function rankingItems(activity, options, draft) {
  const places = Math.min((activity.config || {}).top_k || 3, options.length);
  return el("ul", { class: "vote-items" }, options.map((option, index) => {
    const current = (draft.entries.get(option.id) || {}).value || 0;
    const id = `vote-rank-${option.id}`;
    const select = el("select", {
      class: "form-select form-select-lg vote-rank", id,
      onchange(event) {
        const wanted = Number(event.target.value);
        // A place already given moves to this topic's old place (or off the list).
        for (const [otherId, entry] of draft.entries) {
          if (otherId !== option.id && entry.value === wanted) {
            if (current) draft.entries.set(otherId, { value: current }); else draft.entries.delete(otherId);
          }
        }
        if (wanted) draft.entries.set(option.id, { value: wanted }); else draft.entries.delete(option.id);
        changed(activity, draft);
      },
    },
    el("option", { value: "0", text: tr("no_place"), selected: !current }),
    Array.from({ length: places }, (_, i) => el("option", { value: String(i + 1), text: tr("place_n", { n: i + 1 }), selected: current === i + 1 })));
    return el("li", { class: `vote-item vote-rank-item${current ? " is-on" : ""}` },
      el("label", { for: id, class: "vote-item-label" },
        el("span", { class: "vote-item-number", "aria-hidden": "true", text: `${index + 1}` }),
        el("span", { text: option.label })),
      select);
  }));
}

function choiceItems(activity, options, draft) {
  const single = methodOf(activity) === "single";
  return el("fieldset", { class: "vote-choices" },
    el("legend", { class: "visually-hidden", text: single ? tr("choose_one") : tr("choose_many") }),
    options.map((option) => {
      const id = `vote-choice-${option.id}`;
      return el("div", { class: "vote-choice" },
        el("input", {
          type: single ? "radio" : "checkbox", class: "btn-check", name: `vote-${activity.id}`, id,
          checked: draft.entries.has(option.id) || null,
          onchange(event) {
            if (single) draft.entries.clear();
            if (event.target.checked) draft.entries.set(option.id, { value: 1 }); else draft.entries.delete(option.id);
            changed(activity, draft);
          },
        }),
        el("label", { for: id, class: "btn btn-outline-primary btn-lg w-100 vote-choice-label", text: option.label }));
    }));
}

function scaleItems(activity, options, draft) {
  const fist = methodOf(activity) === "fist";
  const values = fist ? [0, 1, 2, 3, 4, 5] : [1, 2, 3, 4, 5];
  return el("ul", { class: "vote-items" }, options.map((option, index) => {
    const current = draft.entries.get(option.id);
    return el("li", { class: "vote-item" },
      el("fieldset", { class: "vote-scale" },
        el("legend", { class: "vote-item-label" },
          el("span", { class: "vote-item-number", "aria-hidden": "true", text: `${index + 1}` }),
          el("span", { text: option.label })),
        el("div", { class: `vote-scale-row vote-scale-${values.length}` }, values.map((value) => {
          const id = `vote-scale-${option.id}-${value}`;
          return el("span", { class: "vote-scale-choice" },
            el("input", {
              type: "radio", class: "btn-check", name: `vote-scale-${option.id}`, id, value: String(value),
              checked: (current && current.value === value) || null,
              onchange() {
                draft.entries.set(option.id, { value });
                changed(activity, draft);
              },
            }),
            el("label", { for: id, class: `btn btn-outline-primary vote-scale-button value-${value}` },
              el("span", { "aria-hidden": "true", text: String(value) }),
              el("span", { class: "visually-hidden", text: tr(`${fist ? "fist" : "scale"}_${value}`) })));
        })),
        el("div", { class: "vote-scale-ends", "aria-hidden": "true" },
          el("span", { text: tr(fist ? "fist_low" : "scale_low") }),
          el("span", { text: tr(fist ? "fist_high" : "scale_high") })),
        current ? el("button", { type: "button", class: "btn btn-link btn-sm vote-clear", id: `vote-clear-${option.id}`,
          "aria-label": named(tr("clear"), option.label),
          onclick() { draft.entries.delete(option.id); changed(activity, draft); } },
        tr("clear")) : null));
  }));
}

function matrixItems(activity, options, draft) {
  return el("ul", { class: "vote-items" }, options.map((option, index) => {
    const entry = draft.entries.get(option.id);
    const head = el("legend", { class: "vote-item-label" },
      el("span", { class: "vote-item-number", "aria-hidden": "true", text: `${index + 1}` }),
      el("span", { text: option.label }));
    if (!entry) {
      return el("li", { class: "vote-item" }, el("fieldset", { class: "vote-matrix-item" }, head,
        el("button", { type: "button", class: "btn btn-outline-primary btn-lg w-100", id: `vote-place-${option.id}`,
          "aria-label": named(tr("place"), option.label),
          onclick() {
            draft.entries.set(option.id, { value: 1, x: 0.5, y: 0.5 });
            changed(activity, draft);
            document.getElementById(`vote-x-${option.id}`)?.focus();
          } },
        tr("place"))));
    }
    return el("li", { class: "vote-item is-on" }, el("fieldset", { class: "vote-matrix-item" }, head,
      slider(activity, draft, option, "x", tr("importance")),
      slider(activity, draft, option, "y", tr("urgency")),
      el("button", { type: "button", class: "btn btn-link btn-sm vote-clear", id: `vote-unplace-${option.id}`,
        "aria-label": named(tr("unplace"), option.label),
        onclick() { draft.entries.delete(option.id); changed(activity, draft); } },
      tr("unplace"))));
  }));
}

function levelText(step) {
  const word = step <= 3 ? tr("low") : step >= 7 ? tr("high") : tr("medium");
  return tr("level", { n: step, total: MATRIX_STEPS, word });
}

function slider(activity, draft, option, axis, label) {
  const id = `vote-${axis}-${option.id}`;
  const entry = draft.entries.get(option.id);
  const step = Math.round(entry[axis] * MATRIX_STEPS);
  const output = el("output", { class: "vote-level", for: id, id: `${id}-value`, text: levelText(step) });
  const input = el("input", {
    type: "range", class: "form-range vote-range", id, min: "0", max: String(MATRIX_STEPS), step: "1",
    "aria-describedby": `${id}-value`, "aria-valuetext": levelText(step), "aria-label": named(label, option.label),
    oninput(event) {
      const next = Number(event.target.value);
      draft.entries.set(option.id, { ...draft.entries.get(option.id), [axis]: next / MATRIX_STEPS });
      draft.dirty = true;
      output.textContent = levelText(next);
      event.target.setAttribute("aria-valuetext", levelText(next));
      placeMarker(option.id, draft.entries.get(option.id));
      refreshBar(activity, draft);
    },
  });
  input.value = String(step);
  return el("div", { class: "vote-slider" },
    el("label", { for: id, class: "form-label vote-slider-label" }, el("span", { text: label })),
    input, output);
}

// A small picture of the person's own matrix; the sliders are what people (and screen readers) use.
function matrixPreview(options, draft) {
  const plot = el("div", { class: "vote-matrix-plot", id: "vote-matrix-plot" },
    el("span", { class: "vote-quadrant q-both", text: tr("quadrant_both") }),
    el("span", { class: "vote-quadrant q-urgent", text: tr("quadrant_urgent") }),
    el("span", { class: "vote-quadrant q-neither", text: tr("quadrant_neither") }),
    el("span", { class: "vote-quadrant q-important", text: tr("quadrant_important") }),
    options.map((option, index) => el("span", { class: "vote-marker", id: `vote-marker-${option.id}`, hidden: true, text: String(index + 1) })));
  const figure = el("figure", { class: "vote-matrix", "aria-hidden": "true" },
    el("span", { class: "vote-axis-y", text: `${tr("urgency")} →` }), plot,
    el("span", { class: "vote-axis-x", text: `${tr("importance")} →` }));
  queueMicrotask(() => options.forEach((option) => placeMarker(option.id, draft.entries.get(option.id))));
  return figure;
}

function placeMarker(optionId, entry) {
  const marker = document.getElementById(`vote-marker-${optionId}`);
  if (!marker) return;
  marker.hidden = !entry;
  if (!entry) return;
  marker.style.left = `${entry.x * 100}%`;
  marker.style.bottom = `${entry.y * 100}%`;
}

// -- proposals ("Reservethemen") ------------------------------------------------------------------------

function proposals(activity, view) {
  const waiting = phone.live.pending().filter((item) => item.event === "propose_option" && item.payload.activity_id === activity.id);
  const left = Math.max(0, (view.proposals_left || 0) - waiting.length);
  const own = view.own_proposals || [];
  const input = el("input", { type: "text", class: "form-control form-control-lg", id: "vote-proposal", maxlength: "120",
    autocomplete: "off", "aria-describedby": "vote-proposal-help" });
  return el("section", { class: "vote-propose", "aria-labelledby": "vote-propose-heading" },
    el("h2", { class: "h6", id: "vote-propose-heading", text: tr("propose_heading") }),
    left > 0
      ? el("form", {
        class: "vote-propose-form",
        onsubmit(event) {
          event.preventDefault();
          const label = input.value.trim();
          if (!label) return input.focus();
          phone.live.enqueue("propose_option", { activity_id: activity.id, label });
          input.value = "";
          phone.render();
        },
      },
      el("label", { for: "vote-proposal", class: "form-label", text: tr("your_proposal") }),
      input,
      el("button", { type: "submit", class: "btn btn-outline-primary btn-lg w-100 mt-2", text: tr("propose") }))
      : null,
    el("p", { class: "vote-muted", id: "vote-proposal-help", text: left > 0 ? plural(left, "proposals_left_one", "proposals_left_many") : tr("proposals_none_left") }),
    own.length || waiting.length
      ? el("ul", { class: "vote-own-proposals" },
        waiting.map((item) => el("li", {}, el("span", { text: item.payload.label }), " ",
          el("span", { class: "badge text-bg-warning", text: tr("sending") }))),
        own.map((option) => el("li", {}, el("span", { text: option.label }), " ",
          el("span", { class: `badge proposal-${option.status}`, text: tr(`proposal_${option.status}`) }))))
      : null);
}

// ================================================================================================
// Projector
// ================================================================================================

let projector = null; // {live, code, key, state, renderBody}
let stamp = 0;

export function connectProjector(context) {
  projector = context;
  projector.live
    .on("results_changed", (results) => {
      const { state } = projector;
      if (!state.activity || state.activity.kind !== "vote" || results.activity_id !== state.activity.id) return;
      const wasVisible = Boolean(state.view.results && state.view.results.is_visible);
      state.view = { ...state.view, results };
      if (wasVisible !== Boolean(results.is_visible)) projector.renderBody();
      else updateProjector(state.activity, results);
    })
    .on("options_changed", (payload) => {
      const { state } = projector;
      if (!state.activity || payload.activity_id !== state.activity.id) return;
      state.view = { ...state.view, options: payload.options };
      projector.renderBody();
    });
}

function chartUrl(activity) {
  stamp += 1;
  return `/${encodeURIComponent(projector.code)}/chart/${activity.id}.svg?key=${encodeURIComponent(projector.key)}&v=${stamp}`;
}

function chartDescription(results, method) {
  const top = (results.options || []).slice(0, 5).map((o) => `${CHOICES.has(method) ? `${o.rank}. ` : ""}${o.label}: ${figureText(o, method)}`);
  return `${tr("chart")}. ${top.join("; ")}`;
}

export function renderProjector(activity, view) {
  const results = view.results || { ballots: 0, is_visible: false, options: [] };
  const method = methodOf(activity);
  const count = el("p", { class: "vote-screen-count", id: "vote-screen-count" },
    el("span", { class: "vote-screen-count-value", id: "vote-screen-count-value", text: numberFormat.format(results.ballots) }),
    el("span", { class: "vote-screen-count-label", id: "vote-screen-count-label",
      text: results.ballots === 1 ? tr("voted_one") : tr("voted_many") }));
  if (!results.is_visible) {
    const options = view.options || [];
    return [el("div", { class: "vote-screen" },
      count,
      options.length
        ? el("ol", { class: `vote-screen-topics topics-${Math.min(options.length, 12)}`, "data-fit": "" },
          options.map((option) => el("li", { text: option.label })))
        : el("p", { class: "stage-note", text: tr("no_topics") }),
      el("p", { class: "stage-note", text: activity.state === "open" ? tr("hidden_note") : tr("hidden_note_closed") }))];
  }
  const image = el("img", { class: "vote-screen-chart", id: "vote-screen-chart", src: chartUrl(activity),
    alt: chartDescription(results, method) });
  return [el("div", { class: "vote-screen is-visible" }, count, el("figure", { class: "vote-screen-figure" }, image))];
}

// Swap in the new chart once it has loaded, so the screen never flickers.
function updateProjector(activity, results) {
  const value = document.getElementById("vote-screen-count-value");
  if (value) value.textContent = numberFormat.format(results.ballots);
  const label = document.getElementById("vote-screen-count-label");
  if (label) label.textContent = results.ballots === 1 ? tr("voted_one") : tr("voted_many");
  const image = document.getElementById("vote-screen-chart");
  if (!image || !results.is_visible) return;
  const next = new Image();
  next.onload = () => {
    image.src = next.src;
    image.alt = chartDescription(results, methodOf(activity));
  };
  next.src = chartUrl(activity);
}

// ================================================================================================
// Console
// ================================================================================================

let desk = null; // {live, send, announce, showAlert, canModerate, box}
const views = new Map(); // activity id → {options, results}
const seenConsoleViews = new WeakSet();
const breakdowns = new Map(); // activity id → {by, data, loading}
let drawnActivity = null;

export function connectConsole(context) {
  desk = context;
  desk.live
    .on("results_changed", (results) => {
      const view = views.get(results.activity_id);
      if (!view) return;
      view.results = results;
      view.stamp = (view.stamp || 0) + 1;
      redraw(results.activity_id);
    })
    .on("option_changed", ({ option }) => {
      const view = views.get(option.activity_id);
      if (!view) return;
      const index = view.options.findIndex((o) => o.id === option.id);
      if (index >= 0) view.options[index] = option; else view.options.push(option);
      redraw(option.activity_id);
    });
}

function redraw(activityId) {
  const box = desk && desk.box;
  if (box && box.dataset.kind === "vote" && box.dataset.activity === String(activityId) && drawnActivity) {
    drawConsole(box, drawnActivity);
  }
}

export function renderConsole(box, activity, view) {
  if (view && !seenConsoleViews.has(view) && view.results && view.results.activity_id === activity.id) {
    seenConsoleViews.add(view);
    views.set(activity.id, { options: [...(view.options || [])], results: view.results, stamp: Date.now() });
  }
  drawConsole(box, activity);
}

function drawConsole(box, activity) {
  drawnActivity = activity;
  const view = views.get(activity.id);
  box.dataset.kind = "vote";
  box.dataset.activity = String(activity.id);
  if (!view) {
    box.replaceChildren(el("p", { class: "step-loading", text: tr("loading") }));
    return;
  }
  const active = document.activeElement;
  const focusKey = active && active.dataset ? active.dataset.focus : null;
  box.replaceChildren(...consoleParts(activity, view));
  if (focusKey && !active.isConnected) document.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`)?.focus();
}

// The console lives at /workshops/<id>/console; the results of its steps next to it.
const WORKSHOP_ID = (window.location.pathname.match(/\/workshops\/(\d+)\//) || [])[1];

function resultsUrl(activity) {
  return `/workshops/${WORKSHOP_ID}/steps/${activity.id}`;
}

function consoleParts(activity, view) {
  const results = view.results;
  const method = methodOf(activity);
  const config = activity.config || {};
  // The activity knows at once when the moderator reveals; the results follow with the next vote.
  const visible = Boolean(activity.is_revealed || config.is_live);
  const parts = [
    el("ul", { class: "summary-counts vote-summary", "aria-label": tr("summary") },
      el("li", { class: "summary-count" },
        el("span", { class: "summary-value", text: numberFormat.format(results.ballots) }),
        el("span", { class: "summary-label", text: results.ballots === 1 ? tr("voted_one") : tr("voted_many") })),
      el("li", { class: `summary-count vote-visibility ${visible ? "is-visible" : "is-hidden"}` },
        el("span", { class: "summary-label", text: visible ? tr("visible_now") : tr("hidden_now") })),
      el("li", { class: "summary-count vote-links" },
        el("a", { href: `${resultsUrl(activity)}/results`, target: "_blank", rel: "noopener" },
          tr("results_page"), el("span", { class: "visually-hidden", text: ` ${tr("new_window")}` })))),
  ];
  if (config.items_from === "proposed") parts.push(proposalQueue(activity, view));
  parts.push(el("section", { class: "panel vote-results-panel", "aria-labelledby": "vote-results-heading" },
    el("h3", { class: "panel-heading", id: "vote-results-heading", text: tr("results") }),
    el("img", { class: "vote-console-chart", src: `${resultsUrl(activity)}/chart.svg?v=${view.stamp}`,
      alt: tr("chart_alt") }),
    consoleTable(results, method)));
  parts.push(breakdownPanel(activity));
  return parts;
}

function consoleTable(results, method) {
  const head = [tr("topic")];
  if (CHOICES.has(method)) head.unshift(tr("rank"));
  head.push(tr(`figure_${method}`));
  return el("table", { class: "table table-sm vote-table" },
    el("caption", { class: "visually-hidden", text: tr("results") }),
    el("thead", {}, el("tr", {}, head.map((text) => el("th", { scope: "col", text })))),
    el("tbody", {}, (results.options || []).map((option) => el("tr", {},
      CHOICES.has(method) ? el("td", { text: String(option.rank) }) : null,
      el("th", { scope: "row", class: "fw-normal", text: option.label }),
      el("td", { text: figureText(option, method) })))));
}

function proposalQueue(activity, view) {
  const pending = view.options.filter((o) => o.status === "pending");
  const decided = view.options.filter((o) => o.source === "proposed" && o.status !== "pending");
  const item = (option) => {
    const context = option.label;
    const actions = [];
    if (desk.canModerate && option.status !== "visible") {
      actions.push(el("button", { type: "button", class: "btn btn-sm btn-success", "data-focus": `option-${option.id}-approve`,
        "aria-label": named(tr("approve"), context),
        onclick: (event) => moderate("approve_option", option, event.currentTarget, tr("approved")) },
      tr("approve")));
    }
    if (desk.canModerate && option.status !== "hidden") {
      actions.push(el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", "data-focus": `option-${option.id}-hide`,
        "aria-label": named(tr("hide"), context),
        onclick: (event) => moderate("hide_option", option, event.currentTarget, tr("hidden")) },
      tr("hide")));
    }
    return el("li", { class: `mod-card status-${option.status === "hidden" ? "hidden" : option.status}` },
      el("div", { class: "mod-card-meta" },
        el("span", { class: `badge badge-status status-${option.status}`, text: tr(`proposal_${option.status}`) })),
      el("p", { class: "mod-card-text", text: option.label }),
      (option.personal_data || []).length
        ? el("p", { class: "mod-flag" }, el("strong", { text: tr("personal_data") }), " ",
          option.personal_data.map((kind) => tr(`kind_${kind}`)).join(", "))
        : null,
      actions.length ? el("div", { class: "mod-actions" }, actions) : null);
  };
  return el("section", { class: "panel queue-panel", "aria-labelledby": "vote-queue-heading" },
    el("h3", { class: "panel-heading", id: "vote-queue-heading" },
      el("span", { text: tr("proposals") }), " ", el("span", { class: "badge queue-count", text: numberFormat.format(pending.length) })),
    pending.length ? el("ol", { class: "mod-list" }, pending.map(item)) : el("p", { class: "empty-note", text: tr("proposals_empty") }),
    decided.length ? el("details", { class: "vote-decided" },
      el("summary", { text: tr("proposals_decided", { n: numberFormat.format(decided.length) }) }),
      el("ol", { class: "mod-list" }, decided.map(item))) : null);
}

async function moderate(event, option, button, message) {
  const ack = await desk.send(event, { option_id: option.id }, button);
  if (!ack) return;
  const view = views.get(option.activity_id);
  if (view) {
    const index = view.options.findIndex((o) => o.id === option.id);
    if (index >= 0) view.options[index] = ack.option;
  }
  desk.announce(message);
  redraw(option.activity_id);
}

// -- breakdowns ------------------------------------------------------------------------------------------------

function breakdownPanel(activity) {
  const state = breakdowns.get(activity.id) || { by: "organisation", data: null, loading: false };
  breakdowns.set(activity.id, state);
  const select = el("select", { class: "form-select form-select-sm vote-breakdown-by", id: "vote-breakdown-by", "data-focus": "vote-breakdown-by",
    onchange(event) { state.by = event.target.value; loadBreakdown(activity, state); } },
  el("option", { value: "organisation", text: tr("by_organisation"), selected: state.by === "organisation" }),
  el("option", { value: "role", text: tr("by_role"), selected: state.by === "role" }));
  return el("section", { class: "panel vote-breakdown", "aria-labelledby": "vote-breakdown-heading" },
    el("h3", { class: "panel-heading", id: "vote-breakdown-heading", text: tr("breakdown") }),
    el("div", { class: "vote-breakdown-controls" },
      el("label", { for: "vote-breakdown-by", class: "form-label m-0", text: tr("breakdown_by") }), select,
      el("button", { type: "button", class: "btn btn-sm btn-outline-primary", "data-focus": "vote-breakdown-load",
        disabled: state.loading || null, onclick: () => loadBreakdown(activity, state) },
      state.data ? tr("refresh") : tr("load"))),
    state.data && state.data.by === state.by ? breakdownTable(state.data, methodOf(activity)) : null);
}

async function loadBreakdown(activity, state) {
  state.loading = true;
  redraw(activity.id);
  let ack = null;
  try {
    ack = await desk.live.request("load_breakdown", { activity_id: activity.id, by: state.by });
  } catch {
    desk.showAlert(null);
  }
  state.loading = false;
  if (ack && ack.ok) state.data = ack.breakdown;
  else if (ack) desk.showAlert(ack.message);
  redraw(activity.id);
}

function cellText(cell, method) {
  if (!cell || !cell.voters) return "–";
  if (method === "matrix") return `${mean(cell.x * MATRIX_STEPS)} / ${mean(cell.y * MATRIX_STEPS)}`;
  if (method === "scale" || method === "fist") return `${mean(cell.mean)} (${numberFormat.format(cell.voters)})`;
  if (method === "dots" || method === "points") return `${numberFormat.format(cell.total)} (${numberFormat.format(cell.voters)})`;
  return numberFormat.format(cell.voters);
}

function breakdownTable(data, method) {
  const row = (r, className = "") => el("tr", { class: `${className} breakdown-${r.status}` },
    el("th", { scope: "row", text: r.label }),
    el("td", { class: "text-end", text: r.size_text }),
    data.options.map((o) => el("td", { class: "text-end",
      text: r.cells ? cellText(r.cells[String(o.id)], method) : tr("suppressed") })));
  return el("div", { class: "vote-breakdown-body" },
    el("p", { class: "form-text", text: `${data.note} ${tr(`cells_${method}`)}` }),
    data.rows.length ? el("div", { class: "table-responsive", tabindex: "0", role: "region", "aria-label": tr("breakdown") },
      el("table", { class: "table table-sm table-bordered vote-breakdown-table" },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col", text: tr("group") }),
        el("th", { scope: "col", class: "text-end", text: tr("people") }),
        data.options.map((o) => el("th", { scope: "col", class: "text-end", text: o.label })))),
      el("tbody", {}, data.rows.map((r) => row(r))),
      el("tfoot", {},
        data.rest ? row(data.rest, "breakdown-rest") : null,
        row(data.total, "breakdown-total"),
        data.reach ? el("tr", { class: "breakdown-reach" },
          el("th", { scope: "row", text: tr("reach") }), el("td", {}),
          data.options.map((o) => el("td", { class: "text-end small", text: data.reach[String(o.id)].text }))) : null)))
      : el("p", { class: "empty-note", text: tr("no_votes") }),
    data.reach ? el("p", { class: "form-text", text: data.reach_note }) : null);
}
