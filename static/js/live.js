// The one real-time connection of a screen: connects, keeps the latest snapshot's version, shows the
// connection state, and (for phones) keeps unacknowledged commands in localStorage until the server
// acknowledged them, resending after every reconnect. Every command carries a client id, so a resend
// never doubles anything on the server.
import { io } from "/static/vendor/socket.io/socket.io.esm.min.js";

const ACK_TIMEOUT_MS = 8000;

export function strings() {
  const node = document.getElementById("i18n");
  return node ? JSON.parse(node.textContent) : {};
}

export function newClientId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replaceAll("-", "");
  return Array.from({ length: 24 }, () => Math.floor(Math.random() * 36).toString(36)).join("");
}

// A queue of commands that survives reloads; entries leave it only on an answer from the server.
class CommandQueue {
  constructor(storageKey) {
    this.key = storageKey;
    this.items = [];
    try { this.items = JSON.parse(localStorage.getItem(this.key) || "[]"); } catch { this.items = []; }
  }
  save() {
    try { localStorage.setItem(this.key, JSON.stringify(this.items)); } catch { /* private mode: memory only */ }
  }
  add(item) { this.items.push(item); this.save(); }
  remove(id) { this.items = this.items.filter((item) => item.payload.client_id !== id); this.save(); }
}

export class Live {
  // options: screen ("phone" | "projector" | "console"), code, key (projector), onSnapshot(snapshot),
  // onAnswer(item, ack) for queued commands, statusNode (element showing the connection state).
  constructor(options) {
    this.options = options;
    this.version = -1;
    this.seqs = {}; // "<event>:<activity_id>" -> the highest ``seq`` of a coalesced aggregate taken
    this.handlers = {};
    this.missed = []; // [event, payload] that no handler took since the last snapshot (a module still loading)
    this.text = strings();
    this.queue = new CommandQueue(`facilitation:queue:${options.code}`);
    this.flushing = false;
    this.socket = io({
      auth: { screen: options.screen, code: options.code, key: options.key || "" },
      transports: ["websocket", "polling"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5,
    });
    this.socket.on("connect", () => this.setStatus("online"));
    this.socket.on("disconnect", () => this.setStatus("offline"));
    this.socket.io.on("reconnect_attempt", () => this.setStatus("offline"));
    this.socket.on("connect_error", (error) => this.setStatus(error && error.message === "unauthorised" ? "refused" : "offline"));
    this.socket.on("snapshot", (snapshot) => this.applySnapshot(snapshot));
    this.socket.onAny((event, payload) => {
      if (payload && payload.activity) noteServerTime(payload.activity.timer);
      if (payload && typeof payload.version === "number") {
        if (payload.version <= this.version) return; // older than what we have
        this.version = payload.version;
      }
      // Coalesced aggregates (wall, results, board, recommendations, presence) carry ``seq``: with several
      // server processes an older one can arrive after a newer one of the same step; keep the newer.
      if (payload && typeof payload.seq === "number") {
        const key = `${event}:${payload.activity_id ?? ""}`;
        if (this.seqs[key] > payload.seq) return;
        this.seqs[key] = payload.seq;
      }
      const handler = this.handlers[event];
      if (handler) handler(payload);
      else if (event !== "snapshot" && this.missed.length < 200) this.missed.push([event, payload]);
    });
    window.addEventListener("online", () => this.socket.connected || this.socket.connect());
  }

  on(event, handler) { this.handlers[event] = handler; return this; }

  // Hand the events that came before their handler was there (a module loaded later) to it, in order.
  // Only those since the last snapshot are kept: the snapshot already holds everything before.
  replayMissed() {
    const missed = this.missed;
    this.missed = [];
    for (const [event, payload] of missed) {
      const handler = this.handlers[event];
      if (handler) handler(payload);
      else this.missed.push([event, payload]);
    }
  }

  applySnapshot(snapshot) {
    this.missed = [];
    if (snapshot.activity) noteServerTime(snapshot.activity.timer);
    (snapshot.activities || []).forEach((activity) => noteServerTime(activity.timer));
    this.version = snapshot.version;
    this.options.onSnapshot(snapshot);
    this.flush();
  }

  refresh() {
    this.socket.timeout(ACK_TIMEOUT_MS).emit("request_snapshot", {}, (err, ack) => {
      if (!err && ack && ack.ok) this.applySnapshot(ack.snapshot);
    });
  }

  setStatus(state) {
    this.state = state;
    const node = this.options.statusNode;
    if (!node) return;
    node.dataset.state = state;
    node.textContent = {
      online: this.text.online || "Verbunden",
      offline: this.text.offline || "Verbindung wird wiederhergestellt …",
      refused: this.text.refused || "Zugang abgelehnt. Bitte Seite neu laden.",
    }[state];
  }

  // Send a command and resolve with its ack; rejects on timeout (the caller may retry).
  request(event, payload = {}) {
    return new Promise((resolve, reject) => {
      this.socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err, ack) => (err ? reject(err) : resolve(ack)));
    });
  }

  // Queue a command that must reach the server exactly once (phones): kept until answered.
  enqueue(event, payload, meta = {}) {
    const item = { event, payload: { client_id: newClientId(), ...payload }, meta };
    this.queue.add(item);
    this.flush();
    return item;
  }

  pending() { return this.queue.items; }

  async flush() {
    if (this.flushing || !this.socket.connected) return;
    this.flushing = true;
    try {
      while (this.socket.connected && this.queue.items.length) {
        const item = this.queue.items[0];
        let ack;
        try {
          ack = await this.request(item.event, item.payload);
        } catch {
          break; // no answer: keep it, try again after the next (re)connect
        }
        // Not an answer to the command itself (refused before it ran, or the server had no database
        // connection free): keep it and try again later.
        if (ack && ["unauthorised", "rate_limited", "busy"].includes(ack.error)) break;
        this.queue.remove(item.payload.client_id);
        if (this.options.onAnswer) this.options.onAnswer(item, ack);
      }
    } finally {
      this.flushing = false;
    }
    if (this.socket.connected && this.queue.items.length) setTimeout(() => this.flush(), 2000);
  }
}

// The server's clock minus this screen's, in ms, from the last timer payload that came in: a phone or
// projector whose own clock is wrong still counts down to the server's end time. (The payload's time
// in transit makes a screen show the remaining time up to one network delay longer, not shorter.)
let clockOffset = 0;

// An ISO time from the server (microseconds cut to milliseconds, which every browser parses), in ms.
export function parseTime(iso) {
  return iso ? Date.parse(iso.replace(/(\.\d{3})\d+/, "$1")) : NaN;
}

function noteServerTime(timer, receivedAt = Date.now()) {
  const server = timer && parseTime(timer.server_time);
  if (Number.isFinite(server)) clockOffset = server - receivedAt;
}

// The server's time now, as this screen best knows it.
export function serverNow() {
  return Date.now() + clockOffset;
}

// Seconds left on an activity's timer payload, or null.
export function secondsLeft(timer, now = serverNow()) {
  if (!timer) return null;
  if (timer.remaining !== null && timer.remaining !== undefined) return timer.remaining;
  return Math.max(0, Math.round((parseTime(timer.ends_at) - now) / 1000));
}

export function formatSeconds(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

// Build an element: el("p", {class: "x", text: "…"}, child, …). Text is always set as text, never HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
