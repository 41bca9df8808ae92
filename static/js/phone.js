// What the phone does with a push, on every page of the site:
// 1. The page listens for opens the app reports: the bridge library's
//    median.onesignal.pushOpened.addListener(fn) (older libraries:
//    median.oneSignalPushOpened), which the app calls as the global
//    _median_onesignal_push_opened(data); where no library defines it, the
//    page defines the global itself. Each report goes to POST /api/push-opened
//    and a recorded open is greeted. (No legacy GoNative app calls a page
//    function on an open: tests/corpus/FINDINGS.md (f).)
// 2. While the browser simulates the app, it is the phone: pushes the site
//    logged for this account and the simulated device appear as a
//    notification within about a second, and tapping one does what the app
//    does: call the pushOpened listener if the page registered one, then open
//    targetUrl.

import { bridgeLibrary } from "./onesignal-info.js";
import { simulatedDevice } from "./simulator.js";

const GLOBAL = "_median_onesignal_push_opened";
const POLL_MS = 1000;
const UNLINKED_POLL_MS = 5000;
const TRAY = "pushlab.simulator.tray";
const TRAY_MAX = 5;
let listening = null; // how the page listens: "library", "deprecated library", "global"

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function greet(text) {
  const main = document.querySelector("main");
  if (!main) return;
  const p = Object.assign(document.createElement("p"), { className: "flash flash-success push-greeting", textContent: text });
  p.setAttribute("role", "status");
  main.prepend(p);
}

// The listener: what the app passed (the notification's additional data, or
// the whole notification) goes to the site, which finds the open token in it.
export async function reportOpen(data) {
  window.dispatchEvent(new CustomEvent("pushlab:push-opened", { detail: { data } }));
  let answer = null;
  try {
    const response = await fetch("/api/push-opened", {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(data && typeof data === "object" ? data : {}),
    });
    answer = await response.json();
  } catch { return null; }
  if (answer && answer.recorded && answer.greeting) greet(`${answer.greeting} (the app's pushOpened listener told this page)`);
  window.dispatchEvent(new CustomEvent("pushlab:push-open-recorded", { detail: answer }));
  return answer;
}

export function listenForOpens() {
  if (listening === "library" || listening === "deprecated library") return listening;
  const found = bridgeLibrary();
  const lib = found && found.lib;
  const current = lib && lib.onesignal && lib.onesignal.pushOpened;
  const deprecated = lib && lib.oneSignalPushOpened;
  if (current && typeof current.addListener === "function") {
    current.addListener(reportOpen);
    listening = "library";
  } else if (deprecated && typeof deprecated.addListener === "function") {
    deprecated.addListener(reportOpen);
    listening = "deprecated library";
  } else if (!listening && typeof window[GLOBAL] !== "function") {
    window[GLOBAL] = reportOpen;  // an app that calls the global without the library
    listening = "global";
  }
  return listening;
}

window.__pushlabListening = () => listening;

// ---- the simulated phone -------------------------------------------------

// The tray and the cursor are per account: a browser shared by two people
// never shows one the other's notifications (nor their open links).
const account = () => document.body.dataset.account || "";
const trayKey = () => `${TRAY}.${account()}`;

function loadTray() {
  try { return JSON.parse(localStorage.getItem(trayKey())) || []; } catch { return []; }
}
function saveTray(tray) { localStorage.setItem(trayKey(), JSON.stringify(tray.slice(-TRAY_MAX))); }

function trayElement() {
  let tray = document.getElementById("sim-notifications");
  if (!tray) {
    tray = Object.assign(document.createElement("div"), { id: "sim-notifications", className: "sim-notes" });
    tray.setAttribute("aria-live", "polite");
    tray.setAttribute("aria-label", "Notifications on the simulated phone");
    const clear = Object.assign(document.createElement("button"), { type: "button", id: "sim-clear", className: "sim-clear small", textContent: "Clear all", hidden: true });
    clear.addEventListener("click", () => {
      saveTray([]);
      tray.querySelectorAll(".sim-note").forEach((el) => el.remove());
      showClear();
    });
    tray.append(clear);
    document.body.append(tray);
  }
  return tray;
}

// "Clear all" once two or more notifications are stacked, as a phone offers.
function showClear() {
  const clear = document.getElementById("sim-clear");
  if (clear) clear.hidden = document.querySelectorAll(".sim-note").length < 2;
}

function ago(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 60 ? "now" : `${Math.round(seconds / 60)} min ago`;
}

function remove(pushId) {
  saveTray(loadTray().filter((n) => n.push !== pushId));
  const el = document.querySelector(`.sim-note[data-push="${pushId}"]`);
  if (el) el.remove();
  showClear();
}

// Tapping: what the app does with a push it shows.
export async function tap(note) {
  remove(note.push);
  if (typeof window[GLOBAL] === "function") {
    const reported = Promise.resolve(window[GLOBAL](note.data || {}));
    // at most a second for the listener's report, as the page would be replaced
    await Promise.race([reported, new Promise((resolve) => setTimeout(resolve, 1000))]);
  }
  if (note.targetUrl) window.location.assign(note.targetUrl);
}

function render(note) {
  if (document.querySelector(`.sim-note[data-push="${note.push}"]`)) return;
  const card = Object.assign(document.createElement("div"), { className: "sim-note" });
  card.dataset.push = String(note.push);
  const head = Object.assign(document.createElement("div"), { className: "sim-note-head" });
  const icon = Object.assign(document.createElement("span"), { className: "sim-note-icon", textContent: (note.app || "P")[0] });
  icon.setAttribute("aria-hidden", "true");
  const app = Object.assign(document.createElement("span"), { className: "sim-note-app", textContent: note.app || "App" });
  const time = Object.assign(document.createElement("span"), { className: "sim-note-time", textContent: ago(note.sent_at) });
  const close = Object.assign(document.createElement("button"), { type: "button", className: "sim-note-close", textContent: "×" });
  close.setAttribute("aria-label", "Dismiss the notification");
  close.addEventListener("click", () => remove(note.push));
  head.append(icon, app, time, close);
  const open = Object.assign(document.createElement("button"), { type: "button", className: "sim-note-open" });
  open.setAttribute("aria-label", `Notification from ${note.app}: ${note.title}. ${note.message}. Tap to open.`);
  open.append(
    Object.assign(document.createElement("strong"), { className: "sim-note-title", textContent: note.title }),
    Object.assign(document.createElement("span"), { className: "sim-note-text", textContent: note.message }),
  );
  open.addEventListener("click", () => tap(note));
  card.append(head, open);
  trayElement().prepend(card);
  showClear();
}

function cursorKey(device) { return `pushlab.simulator.cursor.${account()}.${device}`; }

async function poll(device) {
  const url = new URL("/api/simulated-pushes", window.location.href);
  url.searchParams.set("subscription_id", device);
  const cursor = localStorage.getItem(cursorKey(device));
  if (cursor) url.searchParams.set("after", cursor);
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch { return POLL_MS; }
  if (!response.ok || response.redirected) return null; // logged out: stop
  const answer = await response.json();
  if (!answer.linked) return UNLINKED_POLL_MS; // not linked to this account (yet)
  localStorage.setItem(cursorKey(device), String(answer.after));
  if (answer.pushes.length) {
    const tray = loadTray();
    for (const note of answer.pushes) { tray.push(note); render(note); }
    saveTray(tray);
  }
  return POLL_MS;
}

function startPhone() {
  const device = simulatedDevice();
  if (!device || document.body.dataset.loggedIn !== "1" || !account()) return;
  for (const note of loadTray()) render(note);
  let timer = null;
  const tick = async () => {
    timer = null;
    if (document.hidden) return;
    const next = await poll(device);
    if (next !== null && !document.hidden) timer = setTimeout(tick, next);
  };
  document.addEventListener("visibilitychange", () => { if (!document.hidden && timer === null) tick(); });
  tick();
}

listenForOpens();
window.addEventListener("pushlab:library-ready", listenForOpens);
if (document.readyState === "complete") listenForOpens();
else window.addEventListener("load", listenForOpens, { once: true });
startPhone();
