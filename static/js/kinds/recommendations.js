// Handlungsempfehlungen on all three screens: the console drafts, edits, orders and shows them and runs
// the consent check; the projector shows the current one with its result; phones answer fist-of-five.
// Every text from the server is inserted as text (el()), never as HTML.
import { el } from "../live.js";

const STRINGS = (() => {
  const node = document.getElementById("i18n-recommendations");
  return node ? JSON.parse(node.textContent) : {};
})();

function tr(key, values) {
  const text = STRINGS[key] || key;
  return values ? text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? "")) : text;
}

const numberFormat = new Intl.NumberFormat(document.documentElement.lang || "de");
const FINGERS = [0, 1, 2, 3, 4, 5];
const DISSENT_UP_TO = 2;
const FIELDS = ["topic", "text", "rationale", "responsible", "involved", "timeframe"];

function fingersLabel(n) {
  return tr(`fingers_${n}`);
}

// The result of a consent check: distribution as bars with numbers, consensus or the dissent in words. ``level``:
// the heading level of "Einwände", one below the recommendation's topic (h2 on projector and phone, h4 on the console).
function consentResult(consent, { large = false, level = 3 } = {}) {
  if (!consent || consent.distribution === undefined) return null;
  const most = Math.max(1, ...consent.distribution);
  const verdict = !consent.count
    ? el("p", { class: "consent-verdict", text: tr("no_answers") })
    : consent.is_consensus
      ? el("p", { class: "consent-verdict is-consensus" }, el("span", { "aria-hidden": "true", text: "✓ " }), tr("consensus"))
      : el("p", { class: "consent-verdict is-dissent" }, el("span", { "aria-hidden": "true", text: "! " }),
        tr(consent.dissent_count === 1 ? "no_consensus_one" : "no_consensus", { n: numberFormat.format(consent.dissent_count) }));
  return el("div", { class: `consent-result${large ? " consent-large" : ""}` },
    verdict,
    el("ol", { class: "consent-bars", "aria-label": tr("distribution") }, FINGERS.map((n) => {
      const count = consent.distribution[n] || 0;
      const bar = el("span", { class: `consent-bar consent-bar-${Math.round((count / most) * 10)}${n <= DISSENT_UP_TO ? " is-low" : ""}` });
      return el("li", { class: "consent-row" },
        el("span", { class: "consent-fingers", text: String(n) }),
        el("span", { class: "consent-track", "aria-hidden": "true" }, bar),
        el("span", { class: "consent-count", text: numberFormat.format(count) }),
        el("span", { class: "visually-hidden", text: `${fingersLabel(n)}: ${count}` }));
    })),
    consent.count ? el("p", { class: "consent-total", text: tr(consent.count === 1 ? "answers_one" : "answers", { n: numberFormat.format(consent.count),
      average: consent.average === null ? "–" : numberFormat.format(consent.average) }) }) : null,
    (consent.dissent || []).length
      ? el("div", { class: "consent-dissent" },
        el(`h${level}`, { class: "consent-dissent-title", text: tr("dissent") }),
        el("ul", {}, consent.dissent.map((item) => el("li", {},
          el("span", { class: "consent-dissent-fingers", text: `${item.fingers} ${tr("fingers_short")}: ` }), item.text))))
      : null);
}

function details(recommendation) {
  const rows = [["responsible", tr("responsible")], ["involved", tr("involved")], ["timeframe", tr("timeframe")]]
    .filter(([name]) => recommendation[name])
    .map(([name, label]) => [label, recommendation[name]]);
  if (recommendation.priority) rows.push([tr("priority"), tr(`priority_${recommendation.priority}`)]);
  if (!rows.length) return null;
  return el("dl", { class: "rec-details" }, rows.map(([label, value]) => el("div", { class: "rec-detail" },
    el("dt", { text: label }), el("dd", { text: value }))));
}

// -- console ------------------------------------------------------------------------------------------------------

let ctx = null;
const views = new Map(); // activity id → latest console view
const seenViews = new WeakSet();
const ui = { editing: null, forms: new Map(), newTopic: "", breakdowns: new Map() };
let drawn = { signature: null, activity: null };

export function connectConsole(context) {
  ctx = context;
  ctx.live.on("recommendations_changed", (view) => {
    if (!view || view.deleted || !view.recommendations) return;
    views.set(view.activity_id, view);
    redraw(view.activity_id);
  });
}

export function renderConsole(box, activity, view) {
  if (view && view.activity_id === activity.id && !seenViews.has(view)) {
    seenViews.add(view);
    views.set(activity.id, view);
  }
  draw(box, activity);
}

function redraw(activityId, force = true) {
  const box = ctx && ctx.box;
  if (box && box.dataset.kind === "recommendations" && box.dataset.activity === String(activityId) && drawn.activity) {
    draw(box, drawn.activity, force);
  }
}

async function act(event, payload, button, message) {
  const ack = await ctx.send(event, payload, button);
  if (!ack) return null;
  if (ack.view) views.set(ack.view.activity_id, ack.view);
  if (message) ctx.announce(message);
  if (drawn.activity) redraw(drawn.activity.id);
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

function draw(box, activity, force = false) {
  const view = views.get(activity.id);
  if (!view) {
    box.replaceChildren(el("p", { class: "step-loading", text: tr("loading") }));
    return;
  }
  const signature = JSON.stringify([view, activity.state, activity.id, ui.editing]);
  if (!force && signature === drawn.signature && box.dataset.kind === "recommendations"
      && box.dataset.activity === String(activity.id) && box.firstChild) return;
  drawn = { signature, activity };
  box.dataset.kind = "recommendations";
  box.dataset.activity = String(activity.id);
  preservingFocus(() => box.replaceChildren(...consoleView(activity, view)));
}

// A button whose accessible name also says what it acts on ("Bearbeiten: <topic>"). An aria-label, not a visually
// hidden span: Chromium reads a hidden span (positioned, so block-level) as "Bearbeiten : …".
function button(label, context, style, focus, onclick, extra = {}) {
  return el("button", { type: "button", class: `btn btn-sm ${style}`, "data-focus": focus, onclick,
    "aria-label": context ? `${label}: ${context}` : null, ...extra }, label);
}

function consoleView(activity, view) {
  const parts = [];
  if (ctx.canModerate) parts.push(draftingPanel(activity, view));
  parts.push(el("section", { class: "panel", "aria-labelledby": "recs-heading" },
    el("h3", { class: "panel-heading", id: "recs-heading", tabindex: "-1" }, tr("recommendations"), " ",
      el("span", { class: "badge queue-count", text: numberFormat.format(view.recommendations.length) })),
    ctx.canModerate && view.current_id !== null
      ? button(tr("show_overview"), null, "btn-outline-secondary", "recs-overview", (event) =>
        act("show_recommendation", { activity_id: activity.id, recommendation_id: null }, event.currentTarget, tr("overview_shown")))
      : null,
    view.recommendations.length
      ? el("ol", { class: "rec-list" }, view.recommendations.map((rec, index) => recommendationItem(activity, view, rec, index)))
      : el("p", { class: "empty-note", text: tr("none_yet") })));
  return parts;
}

function draftingPanel(activity, view) {
  const sources = view.sources || { clusters: [], options: [] };
  const input = el("input", { class: "form-control form-control-sm", id: "new-rec-topic", maxlength: "200",
    "data-focus": "new-rec-topic", oninput: (event) => { ui.newTopic = event.target.value; } });
  input.value = ui.newTopic;
  const draft = (payload, label, button) =>
    act("create_recommendation", { activity_id: activity.id, ...payload }, button, tr("drafted", { topic: label }));
  return el("section", { class: "panel rec-drafting", "aria-labelledby": "drafting-heading" },
    el("h3", { class: "panel-heading", id: "drafting-heading", text: tr("draft_from") }),
    el("div", { class: "rec-sources" },
      el("div", {},
        el("h4", { class: "rec-sources-title", text: tr("clusters") }),
        sources.clusters.length
          ? el("ul", { class: "rec-source-list" }, sources.clusters.map((cluster) => el("li", { class: "rec-source" },
            el("span", { class: "rec-source-label", text: cluster.label }),
            el("span", { class: "rec-source-figure", text: tr(cluster.count === 1 ? "mention_one" : "mention_many", { n: numberFormat.format(cluster.count) }) }),
            button(tr("draft"), cluster.label, "btn-outline-primary", `draft-cluster-${cluster.id}`, (event) =>
              draft({ cluster_ids: [cluster.id] }, cluster.label, event.currentTarget)))))
          : el("p", { class: "empty-note", text: tr("no_clusters") })),
      el("div", {},
        el("h4", { class: "rec-sources-title", text: tr("topics") }),
        sources.options.length
          ? el("ul", { class: "rec-source-list" }, sources.options.map((option) => el("li", { class: "rec-source" },
            el("span", { class: "rec-source-label", text: option.label }),
            option.total !== undefined
              ? el("span", { class: "rec-source-figure", text: tr(option.unit === "points" ? "points_rank" : "votes_rank",
                { n: numberFormat.format(option.total), rank: option.rank, of: option.of }) })
              : null,
            button(tr("draft"), option.label, "btn-outline-primary", `draft-option-${option.id}`, (event) =>
              draft({ option_ids: [option.id], ...(option.cluster_id ? { cluster_ids: [option.cluster_id] } : {}) },
                option.label, event.currentTarget)))))
          : el("p", { class: "empty-note", text: tr("no_topics") }))),
    el("form", {
      class: "rec-new",
      onsubmit: async (event) => {
        event.preventDefault();
        const topic = input.value.trim();
        if (!topic) { ctx.showAlert(tr("topic_missing")); input.focus(); return; }
        const ack = await draft({ topic }, topic, event.submitter);
        if (ack) { ui.newTopic = ""; }
      },
    },
    el("label", { class: "form-label", for: "new-rec-topic", text: tr("new_free") }),
    el("div", { class: "board-inline" }, input,
      el("button", { type: "submit", class: "btn btn-sm btn-outline-primary", text: tr("create") }))));
}

function recommendationItem(activity, view, rec, index) {
  const isCurrent = rec.id === view.current_id;
  const id = rec.id;
  const consent = rec.consent || {};
  const canCheck = view.has_consent_check && ctx.canModerate;
  const actions = [];
  if (ctx.canModerate) {
    if (!isCurrent) {
      actions.push(button(tr("show"), rec.topic, "btn-outline-primary", `rec-${id}-show`, (event) =>
        act("show_recommendation", { activity_id: activity.id, recommendation_id: id }, event.currentTarget, tr("shown"))));
    }
    if (canCheck) {
      actions.push(rec.is_consent_open
        ? button(tr("close_consent"), rec.topic, "btn-danger", `rec-${id}-consent`, (event) =>
          act("close_consent", { recommendation_id: id }, event.currentTarget, tr("consent_closed")))
        : button(tr("open_consent"), rec.topic, "btn-success", `rec-${id}-consent`, (event) =>
          act("open_consent", { recommendation_id: id }, event.currentTarget, tr("consent_opened")),
        { disabled: activity.state !== "open", title: activity.state !== "open" ? tr("open_step_first") : null }));
    }
    actions.push(button(ui.editing === id ? tr("close_form") : tr("edit"), rec.topic, "btn-outline-secondary", `rec-${id}-edit`, () => {
      ui.editing = ui.editing === id ? null : id;
      redraw(activity.id);
      if (ui.editing === id) document.getElementById(`rec-${id}-topic`)?.focus();
    }));
    actions.push(button(tr("up"), rec.topic, "btn-outline-secondary", `rec-${id}-up`, (event) =>
      act("move_recommendation", { recommendation_id: id, position: index - 1 }, event.currentTarget, tr("moved")),
    { disabled: index === 0 }));
    actions.push(button(tr("down"), rec.topic, "btn-outline-secondary", `rec-${id}-down`, (event) =>
      act("move_recommendation", { recommendation_id: id, position: index + 1 }, event.currentTarget, tr("moved")),
    { disabled: index === view.recommendations.length - 1 }));
    actions.push(button(tr("delete"), rec.topic, "btn-outline-danger", `rec-${id}-delete`, (event) => {
      if (window.confirm(tr("delete_confirm", { topic: rec.topic }))) {
        act("delete_recommendation", { recommendation_id: id }, event.currentTarget, tr("deleted"));
      }
    }));
  }
  return el("li", { class: `rec-item${isCurrent ? " is-current" : ""}`, "data-recommendation-id": String(id) },
    el("div", { class: "rec-head" },
      el("h4", { class: "rec-topic" }, el("span", { class: "rec-number", text: `${index + 1}.` }), " ", rec.topic),
      el("span", { class: `badge rec-status status-${rec.status}`, text: (view.statuses || {})[rec.status] || rec.status }),
      rec.priority ? el("span", { class: "badge rec-priority", text: `${tr("priority")}: ${(view.priorities || {})[rec.priority] || rec.priority}` }) : null,
      isCurrent ? el("span", { class: "badge badge-on-screen", text: tr("on_screen") }) : null,
      rec.is_consent_open ? el("span", { class: "badge rec-consent-open", text: tr("consent_running", { n: numberFormat.format(consent.count || 0) }) }) : null),
    rec.text ? el("p", { class: "rec-text", text: rec.text }) : null,
    // A Begründung of several lines (a list of sources, "– …") starts on a line of its own below its label.
    rec.rationale ? el("div", { class: `rec-rationale${rec.rationale.includes("\n") ? " is-list" : ""}` },
      el("strong", { text: `${tr("rationale")}: ` }), el("span", { class: "rec-pre", text: rec.rationale })) : null,
    details(rec),
    consent.count ? consentResult(consent, { level: 5 }) : null,
    consent.count ? breakdownPanel(activity, rec) : null,
    actions.length ? el("div", { class: "rec-actions" }, actions) : null,
    ui.editing === id ? editForm(activity, view, rec) : null);
}

// The consent check by organisation or role, loaded on request (small groups suppressed by the server).
function breakdownPanel(activity, rec) {
  const id = rec.id;
  const state = ui.breakdowns.get(id) || { by: "organisation", data: null, loading: false };
  ui.breakdowns.set(id, state);
  const selectId = `rec-${id}-breakdown-by`;
  const select = el("select", { class: "form-select form-select-sm rec-breakdown-by", id: selectId, "data-focus": selectId,
    onchange(event) { state.by = event.target.value; loadBreakdown(activity, id, state); } },
  el("option", { value: "organisation", text: tr("by_organisation"), selected: state.by === "organisation" }),
  el("option", { value: "role", text: tr("by_role"), selected: state.by === "role" }));
  return el("div", { class: "rec-breakdown" },
    el("div", { class: "rec-breakdown-controls" },
      el("label", { for: selectId, class: "form-label m-0", text: tr("breakdown_by") }), select,
      button(state.data ? tr("refresh") : tr("load"), rec.topic, "btn-outline-primary", `rec-${id}-breakdown-load`,
        () => loadBreakdown(activity, id, state), { disabled: state.loading || null })),
    state.data && state.data.by === state.by ? breakdownTable(state.data, rec.topic) : null);
}

async function loadBreakdown(activity, id, state) {
  state.loading = true;
  redraw(activity.id);
  let ack = null;
  try {
    ack = await ctx.live.request("load_consent_breakdown", { recommendation_id: id, by: state.by });
  } catch {
    ctx.showAlert(null);
  }
  state.loading = false;
  if (ack && ack.ok) state.data = ack.breakdown;
  else if (ack) ctx.showAlert(ack.message);
  redraw(activity.id);
}

function breakdownTable(data, topic) {
  const row = (r, className = "") => el("tr", { class: `${className} breakdown-${r.status}` },
    el("th", { scope: "row", text: r.label }),
    el("td", { class: "text-end", text: r.size_text }),
    r.cells
      ? [...r.cells.distribution.map((count) => el("td", { class: "text-end", text: numberFormat.format(count) })),
        el("td", { class: "text-end", text: r.cells.average === null ? "–" : numberFormat.format(r.cells.average) }),
        el("td", { class: "text-end", text: numberFormat.format(r.cells.dissent) })]
      : el("td", { class: "text-body-secondary", colspan: String(FINGERS.length + 2), text: tr("suppressed") }));
  const label = tr("breakdown_of", { topic });
  return el("div", { class: "rec-breakdown-body" },
    el("p", { class: "form-text", text: data.note }),
    el("div", { class: "table-responsive", tabindex: "0", role: "region", "aria-label": label },
      el("table", { class: "table table-sm table-bordered rec-breakdown-table" },
        el("caption", { class: "visually-hidden", text: label }),
        el("thead", {}, el("tr", {},
          el("th", { scope: "col", text: tr("group") }),
          el("th", { scope: "col", class: "text-end", text: tr("people") }),
          FINGERS.map((n) => el("th", { scope: "col", class: "text-end" },
            String(n), el("span", { class: "visually-hidden", text: ` ${tr("fingers_short")}` }))),
          el("th", { scope: "col", class: "text-end", text: tr("average") }),
          el("th", { scope: "col", class: "text-end", text: tr("dissent") }))),
        el("tbody", {}, data.rows.map((r) => row(r))),
        el("tfoot", {}, data.rest ? row(data.rest, "breakdown-rest") : null, row(data.total, "breakdown-total")))));
}

function editForm(activity, view, rec) {
  const id = rec.id;
  const values = ui.forms.get(id) || Object.fromEntries([...FIELDS, "priority", "status"].map((name) => [name, rec[name] || ""]));
  ui.forms.set(id, values);
  const field = (name, label, { area = false, max = 200, rows = 3 } = {}) => {
    const fieldId = `rec-${id}-${name}`;
    const input = el(area ? "textarea" : "input", { class: "form-control form-control-sm", id: fieldId, maxlength: String(max),
      rows: area ? String(rows) : null, "data-focus": fieldId, oninput: (event) => { values[name] = event.target.value; } });
    input.value = values[name];
    return el("div", { class: `rec-field rec-field-${name}` }, el("label", { class: "form-label", for: fieldId, text: label }), input);
  };
  const select = (name, label, options) => {
    const fieldId = `rec-${id}-${name}`;
    return el("div", { class: `rec-field rec-field-${name}` },
      el("label", { class: "form-label", for: fieldId, text: label }),
      el("select", { class: "form-select form-select-sm", id: fieldId, "data-focus": fieldId,
        onchange: (event) => { values[name] = event.target.value; } },
      options.map(([value, text]) => el("option", { value, text, selected: value === values[name] }))));
  };
  const close = () => { ui.forms.delete(id); ui.editing = null; redraw(activity.id); document.querySelector(`[data-focus="rec-${id}-edit"]`)?.focus(); };
  return el("form", {
    class: "rec-form",
    onkeydown: (event) => { if (event.key === "Escape") { event.preventDefault(); close(); } },
    onsubmit: async (event) => {
      event.preventDefault();
      const ack = await act("update_recommendation", { recommendation_id: id, ...values }, event.submitter, tr("saved"));
      if (ack) close();
    },
  },
  field("topic", tr("topic"), { max: 200 }),
  field("text", tr("text"), { area: true, max: 5000, rows: 3 }),
  field("rationale", tr("rationale"), { area: true, max: 5000, rows: 4 }),
  el("div", { class: "rec-form-row" },
    field("responsible", tr("responsible")),
    field("involved", tr("involved"), { max: 300 }),
    field("timeframe", tr("timeframe"), { max: 120 })),
  el("div", { class: "rec-form-row" },
    select("priority", tr("priority"), [["", tr("priority_none")], ...Object.entries(view.priorities || {})]),
    select("status", tr("status"), Object.entries(view.statuses || {}))),
  el("div", { class: "board-inline" },
    el("button", { type: "submit", class: "btn btn-sm btn-primary", "data-focus": `rec-${id}-save`, text: tr("save") }),
    button(tr("redraft"), null, "btn-outline-secondary", `rec-${id}-redraft`, async (event) => {
      const ack = await act("update_recommendation", { recommendation_id: id, redraft_rationale: true }, event.currentTarget, tr("redrafted"));
      if (ack) {
        const fresh = (views.get(activity.id).recommendations || []).find((r) => r.id === id);
        if (fresh) values.rationale = fresh.rationale;
        redraw(activity.id);
      }
    }),
    el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: tr("cancel"), onclick: close })));
}

// -- projector ------------------------------------------------------------------------------------------------------

export function renderProjector(activity, view) {
  const rec = view && view.current;
  if (!rec) {
    return [el("p", { class: "stage-note", text: view && view.total
      ? tr("projector_overview", { n: numberFormat.format(view.total) }) : tr("projector_empty") })];
  }
  const consent = rec.consent || {};
  return [el("article", { class: "prec" },
    el("p", { class: "prec-eyebrow", text: tr("recommendation_n", { n: rec.position + 1, total: view.total || rec.position + 1 }) }),
    el("h2", { class: "prec-topic", text: rec.topic }),
    rec.text ? el("p", { class: "prec-text", text: rec.text }) : null,
    details(rec),
    rec.is_consent_open
      ? el("p", { class: "prec-consent-open" },
        el("span", { class: "prec-consent-count", text: numberFormat.format(consent.count || 0) }), " ",
        tr("consent_answers_live"))
      : consentResult(consent, { large: true }))];
}

// -- phone ---------------------------------------------------------------------------------------------------------

const phone = { choice: new Map(), dissent: new Map() };

// ``env``: {live, render, t}. ``view`` is the phone's view of the step (current, own).
export function renderPhone(activity, view, env) {
  const rec = view.current;
  if (!rec) return [el("p", { class: "look-up", text: tr("phone_wait") })];
  const own = (view.own || {})[String(rec.id)];
  const queued = env.live.pending().filter((item) => item.event === "cast_consent" && item.payload.recommendation_id === rec.id);
  const parts = [
    el("section", { class: "phone-rec", "aria-labelledby": "rec-topic" },
      el("h2", { class: "h5", id: "rec-topic", text: rec.topic }),
      rec.text ? el("p", { class: "phone-rec-text", text: rec.text }) : null,
      details(rec)),
  ];
  if (rec.is_consent_open && activity.state === "open") {
    parts.push(consentForm(rec, own, queued, env));
  } else if (own) {
    parts.push(el("p", { class: "alert alert-secondary", text: tr("your_answer", { label: fingersLabel(own.fingers) }) }));
  }
  if (!rec.is_consent_open && rec.consent && rec.consent.distribution) parts.push(consentResult(rec.consent));
  return parts;
}

function consentForm(rec, own, queued, env) {
  const id = rec.id;
  const chosen = phone.choice.has(id) ? phone.choice.get(id) : own ? own.fingers : null;
  const showDissent = chosen !== null && chosen <= DISSENT_UP_TO;
  const dissent = el("textarea", { id: "dissent", class: "form-control", rows: "3", maxlength: "500",
    oninput: (event) => phone.dissent.set(id, event.target.value) });
  dissent.value = phone.dissent.has(id) ? phone.dissent.get(id) : own ? own.dissent : "";
  return el("form", {
    class: "consent-form",
    onsubmit(event) {
      event.preventDefault();
      if (chosen === null) return;
      env.live.enqueue("cast_consent", { recommendation_id: id, fingers: chosen,
        dissent: chosen <= DISSENT_UP_TO ? dissent.value.trim() : "" });
      phone.choice.delete(id);
      env.render();
    },
  },
  el("fieldset", { class: "consent-choices" },
    el("legend", { class: "form-label fw-semibold", text: tr("consent_question") }),
    FINGERS.slice().reverse().map((n) => el("div", { class: "consent-choice" },
      el("input", { type: "radio", name: "fingers", id: `fingers-${n}`, value: String(n), class: "btn-check",
        checked: chosen === n, onchange() { phone.choice.set(id, n); env.render(); document.getElementById(`fingers-${n}`)?.focus(); } }),
      el("label", { for: `fingers-${n}`, class: `btn btn-outline-primary btn-lg w-100 fingers-${n}` },
        el("span", { class: "consent-number", text: String(n) }), " ", el("span", { text: tr(`fingers_text_${n}`) }))))),
  showDissent ? el("div", { class: "mb-3" },
    el("label", { for: "dissent", class: "form-label fw-semibold", text: tr("dissent_question") }), dissent) : null,
  el("button", { type: "submit", class: "btn btn-primary btn-lg w-100", disabled: chosen === null || queued.length > 0,
    text: queued.length ? tr("sending") : own ? tr("change") : tr("send") }),
  own && !queued.length
    ? el("p", { class: "consent-own", role: "status" }, el("span", { class: "badge text-bg-success", text: tr("sent") }), " ",
      tr("your_answer", { label: fingersLabel(own.fingers) }))
    : null);
}

// Phone events: the current recommendation changed, or this participant's answer (from any tab).
export function connectPhone(live, state, render) {
  live.on("current_recommendation_changed", (payload) => {
    if (!state.activity || state.activity.kind !== "recommendations" || payload.activity_id !== state.activity.id) return;
    state.view = { ...state.view, current: payload.current, current_id: payload.current_id };
    render();
  });
  live.on("own_consent_changed", (payload) => {
    if (!state.view) return;
    state.view.own = { ...(state.view.own || {}), [String(payload.recommendation_id)]: { fingers: payload.fingers, dissent: payload.dissent } };
    render();
  });
}
