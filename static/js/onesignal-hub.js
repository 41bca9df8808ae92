// The OneSignal page: what the app reports, linking the device to the account
// (the site keeps each user's devices), the external user id (the app sets it,
// OneSignal keeps the link), tags and consent, and a log of each call.

import { postJSON } from "./site.js";
import {
  bridgeLibrary, consentWords, externalIdProblem, inAppUserAgent, lastInfo, UUID, nativeBridgePresent, normalise, problems,
} from "./onesignal-info.js";
import { setSimulator, simulatorActive, simulatorSettings } from "./simulator.js";
import { fillPanel } from "./onesignal-user.js";

const $ = (id) => document.getElementById(id);
const loggedIn = document.body.dataset.loggedIn === "1";
const ANSWER_TIMEOUT_MS = 5000;
const log = [];
let current = null; // {info, normalised, source}
let linkedFor = null;
let infoProblem = null; // why no info came (a timeout, no bridge)
let linked = null; // {ok, text}
let extState = null; // {ok, value} after this page set or removed it
let identity = null;
let registration = null; // {for, answer} from /api/onesignal/registration // what OneSignal ties this device to (/api/onesignal/identity)
const myExternalId = $("my-external-id") ? $("my-external-id").dataset.value : null;

// ---- the verdict: four rows, each with its next action ---------------------

function node(text, tag = "span", className = "") {
  const el = document.createElement(tag);
  el.textContent = text;
  if (className) el.className = className;
  return el;
}

function actionButton(label, onClick, primary = false) {
  const b = node(label, "button", primary ? "primary small" : "small");
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}

const MARKS = { ok: "✓", bad: "✗", warn: "!", unknown: "?", wait: "…" };

function setRow(id, state, value, ...next) {
  const row = $(id);
  row.className = `v-row v-${state}`;
  row.querySelector(".v-mark").textContent = MARKS[state] || "…";
  row.querySelector(".v-value").textContent = value;
  const box = row.querySelector(".v-next");
  box.replaceChildren(...next.filter(Boolean).map((part) => (typeof part === "string" ? node(part) : part)));
}

function renderVerdict() {
  const simulated = simulatorActive();
  const inApp = inAppUserAgent() || nativeBridgePresent();
  // 1. info received
  if (current) {
    const how = /callback/.test(current.source) ? "callback" : current.source.replace(/^promise /, "");
    setRow("v-info", "ok", `${current.normalised.shape === "v5" ? "v5 plugin" : "legacy plugin"}, by ${how}${simulated ? " (simulated app)" : ""}`);
  } else if (!inApp && !simulated && !bridgeLibrary()) {
    setRow("v-info", "bad", "no: this browser is not the app",
      actionButton("Simulate the app", () => startSimulator(simulatorSettings() || defaultSettings()), true),
      " here, or open this page in your app (QR code below).");
  } else if (infoProblem) {
    // Advice for the cause: no bridge on the page is the app's JavaScript
    // bridge (its injection, or this site missing from the app's domains);
    // a bridge that does not answer is the OneSignal plugin.
    const noBridge = !bridgeLibrary();
    setRow("v-info", "bad", infoProblem,
      noBridge ? "Check that the app injects its JavaScript bridge on this site (the site's domain in the app's configuration), then "
        : "Check that the app's OneSignal plugin is on and up to date, then ", actionButton("ask again", askInfo), ".");
  } else {
    setRow("v-info", "wait", "waiting for the app…");
  }
  renderReceiveRow();
  // 2. device linked
  if (!loggedIn) {
    // server-rendered: a link to log in
  } else if (linked) {
    setRow("v-link", linked.ok ? "ok" : "bad", linked.text, linked.ok ? "" : linked.next || "");
  } else if (current && !current.normalised.subscriptionId) {
    setRow("v-link", "bad", "no subscription id yet",
      "OneSignal has not registered this device: allow notifications, then ", actionButton("ask again", askInfo), ".");
  } else {
    setRow("v-link", current ? "wait" : infoProblem ? "bad" : "wait", current ? "linking…" : "waiting for the app's info");
  }
  if (loggedIn) { renderPostRow(); renderOpenedRow(); }
  // 3. external id
  if (loggedIn) renderExternalRow();
}

// Can pushes reach this device? Green only when the info says subscribed and
// carries a token; "?" when it does not say.
function receiveVerdict(n, info) {
  const app = (info && typeof info.appName === "string" && info.appName) || n.appId || "your app";
  if (n.subscribed === false) {
    if (n.platform === "ios") {
      return ["bad", `Notifications are off for this app: Settings › Notifications › ${app}`,
        "Turn them on, then ", actionButton("ask again", askInfo)];
    }
    if (n.platform === "android") {
      return ["bad", "Notifications for this app are turned off in Android settings",
        `Settings › Apps › ${app} › Notifications, then `, actionButton("ask again", askInfo)];
    }
    return ["bad", "Not subscribed: notifications are off for this app, or registration has not finished",
      actionButton("Ask again", askInfo)];
  }
  if (n.consent === "blocking") {
    return ["bad", "Consent required and not given: call userPrivacyConsent.grant()",
      actionButton("Grant consent", () => $("consent-grant").click(), true), " ", actionButton("Ask again", askInfo)];
  }
  if (!n.subscriptionId) {
    return ["bad", "No subscription id yet: OneSignal has not registered this device", actionButton("Ask again", askInfo)];
  }
  if (!n.pushToken) {
    return ["bad", "No push token yet", "Is the device online? ", actionButton("Ask again", askInfo)];
  }
  if (n.consent === "unknown") {
    return ["unknown", "consent is required and the app did not say whether it was given", actionButton("Ask again", askInfo)];
  }
  if (n.subscribed === null) {
    return ["unknown", "the app's info does not say whether notifications are on",
      "It has a token; send yourself a push to find out."];
  }
  return ["ok", "yes: subscribed, with a push token"];
}

function renderReceiveRow() {
  if (!current) {
    setRow("v-receive", infoProblem ? "bad" : "wait", infoProblem ? "unknown: no info from the app" : "waiting for the app's info");
    return;
  }
  const [state, value, ...next] = receiveVerdict(current.normalised, current.info);
  setRow("v-receive", state, value, ...next);
}

function ago(seconds) {
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} days ago`;
}

function copyButton(text) {
  const b = actionButton("Copy URL", async () => {
    try { await navigator.clipboard.writeText(text); b.textContent = "Copied"; } catch { b.textContent = "Select and copy it"; }
  });
  return b;
}

function renderPostRow() {
  const id = current && current.normalised.subscriptionId;
  if (!current || !id) {
    setRow("v-post", current ? "bad" : "wait", current ? "unknown: the app reported no subscription id" : "waiting for the app's info");
    return;
  }
  if (!UUID.test(id)) { setRow("v-post", "bad", "unknown: the subscription id is not a UUID"); return; }
  const answer = registration && registration.for === id ? registration.answer : null;
  if (!answer) { setRow("v-post", "wait", "looking…"); return; }
  if (answer.error) { setRow("v-post", "unknown", `could not tell: ${answer.error}`, actionButton("Look again", lookUpRegistration)); return; }
  if (answer.state === "with-login") {
    setRow("v-post", "ok", `arrived ${ago(answer.seconds_ago)}, with your login`);
  } else if (answer.state === "anonymous" || answer.state === "other-login") {
    setRow("v-post", "warn", answer.state === "anonymous" ? `arrived ${ago(answer.seconds_ago)}, but without your login cookies`
      : `arrived ${ago(answer.seconds_ago)}, with another account's login`,
      "Likely: the app's cookies are not sent (URL pattern), or the URL is on another domain than this site.");
  } else {
    const code = node(answer.url, "code");
    setRow("v-post", "bad", "none yet",
      "Set the app's registration URL to ", code, " with URL pattern ", node(answer.url_pattern, "code"), " ", copyButton(answer.url));
  }
}

async function lookUpRegistration() {
  const id = current && current.normalised.subscriptionId;
  if (!loggedIn || !id) return;
  let answer;
  try {
    const response = await fetch(`/api/onesignal/registration?subscription_id=${encodeURIComponent(id)}`,
      { credentials: "same-origin", headers: { Accept: "application/json" } });
    answer = await response.json();
    if (!response.ok && !answer.error) answer = { error: `HTTP ${response.status}` };
  } catch { answer = { error: "the site could not be reached" }; }
  addLog("GET /api/onesignal/registration", { subscription_id: id }, answer);
  registration = { for: id, answer };
  renderVerdict();
}

function renderExternalRow() {
  const reported = current && current.normalised.externalId;
  const onesignal = !identity ? null
    : identity.outcome === "not_configured" ? "not asked (OneSignal is not configured on this site)."
    : identity.outcome === "not_found" && simulatorActive() ? `${identity.text} (A simulated device is made up by this browser: OneSignal has never seen it.)`
    : identity.text;
  // This page's own set/remove first, else what the site recorded last time.
  const recorded = linked && linked.recorded && linked.recorded.state ? linked.recorded : null;
  const setHere = extState ? extState.ok && extState.value === myExternalId
    : !!recorded && recorded.state === "set" && recorded.value === myExternalId;
  const removedHere = extState ? extState.ok && extState.value === null : !!recorded && recorded.state === "removed";
  let ok;
  if (identity && identity.outcome === "ok") ok = identity.matches;
  else ok = !removedHere && (setHere || reported === myExternalId);
  let value;
  if (removedHere) value = "removed from this device";
  else if (ok) value = `${myExternalId}${reported === myExternalId ? " (the app reports it)" : extState ? " (set from this page)" : setHere ? " (the app said so when it was set)" : ""}`;
  else if (reported) value = `the app reports ${reported}, yours is ${myExternalId}`;
  else value = "not set on this device";
  const next = [];
  // "not configured" is said once, under the verdict
  if (onesignal && identity.outcome !== "not_configured") next.push(node(`OneSignal: ${onesignal} `, "span", identity.outcome === "ok" && !identity.matches ? "bad-text" : ""));
  if (!ok && current && current.normalised.subscriptionId) next.push(actionButton("Set it now", () => externalId("set"), true));
  else if (!ok) next.push("Once the app has named this device, set it here.");
  setRow("v-external", ok ? "ok" : current ? "bad" : "wait", value, ...next);
}

let openedHere = null; // an open this page's pushOpened listener recorded: it happened on this device

function renderOpened(detail) {
  if (!detail || !detail.recorded) return;
  openedHere = detail;
  renderVerdict();
}

// Only an open of a push sent to this device's subscription id counts.
function renderOpenedRow() {
  const sendLink = Object.assign(node("Send a push to me", "a"), { href: "/send-to-me" });
  if (openedHere) {
    setRow("v-opened", "ok", `just now · push #${openedHere.push} (the pushOpened listener)`);
    return;
  }
  const id = current && current.normalised.subscriptionId;
  const answer = id && registration && registration.for === id ? registration.answer : null;
  if (!current) { setRow("v-opened", "wait", "waiting for this device's id", sendLink, " and tap it."); return; }
  if (!id || !UUID.test(id)) { setRow("v-opened", "bad", "unknown: no subscription id for this device", sendLink, " and tap it."); return; }
  if (!answer) { setRow("v-opened", "wait", "looking…"); return; }
  if (answer.opened) {
    setRow("v-opened", "ok", `${ago(answer.opened.seconds_ago)} · push #${answer.opened.push} (${answer.opened.how})`);
  } else {
    setRow("v-opened", answer.error ? "unknown" : "bad", answer.error ? `could not tell: ${answer.error}` : "none yet on this device",
      sendLink, " and tap it.");
  }
}

async function lookUpIdentity() {
  const id = current && current.normalised.subscriptionId;
  if (!loggedIn || !id || !linked || !linked.ok) return;
  try {
    const response = await fetch(`/api/onesignal/identity?subscription_id=${encodeURIComponent(id)}`,
      { credentials: "same-origin", headers: { Accept: "application/json" } });
    identity = await response.json();
    if (!response.ok) identity = { outcome: "error", text: identity.error || `HTTP ${response.status}` };
    addLog("GET /api/onesignal/identity", { subscription_id: id }, identity);
  } catch { identity = { outcome: "error", text: "the site could not be reached" }; }
  renderVerdict();
  if ($("os-user")) fillPanel($("os-user"), id);
}

const defaultSettings = () => ({ variant: "legacy", platform: "ios", state: "subscribed" });

function startSimulator(settings) {
  setSimulator(settings);
  window.location.reload();
}

function show(value) {
  if (value === undefined) return "undefined";
  try { return JSON.stringify(value); } catch { return String(value); }
}

function addLog(call, args, result) {
  const time = new Date().toISOString().slice(11, 23);
  log.push(`${time}  ${call}${args === undefined ? "" : "  args " + show(args)}  →  ${show(result)}`);
  $("bridge-log").textContent = log.join("\n");
  $("log-count").textContent = String(log.length);
}

function fill(list, pairs) {
  list.replaceChildren();
  for (const [name, value] of pairs) {
    const dt = document.createElement("dt"); dt.textContent = name;
    const dd = document.createElement("dd"); dd.textContent = value;
    if (list.classList.contains("kv")) {
      const row = document.createElement("div"); row.append(dt, dd); list.append(row);
    } else list.append(dt, dd);
  }
}

const yesNo = (v) => (v === true ? "yes" : v === false ? "no" : "not said");
const shorten = (token) => (token && token.length > 24 ? `${token.slice(0, 10)}…${token.slice(-8)}` : token || "none");

function renderStatus() {
  const lib = bridgeLibrary();
  const simulated = simulatorActive();
  const inApp = inAppUserAgent() || nativeBridgePresent();
  $("st-in-app").textContent = simulated ? "simulated in this browser (the simulator plays the app)"
    : inApp ? `yes (${[inAppUserAgent() && "user agent", nativeBridgePresent() && "native bridge"].filter(Boolean).join(", ")})`
    : "no";
  $("st-library").textContent = lib ? `window.${lib.name}${lib.lib.simulated ? " (simulated)" : ""}` : "not found";
  $("st-platform").textContent = (current && current.normalised.platform) || (/android/i.test(navigator.userAgent) ? "android (from the user agent)" : /iphone|ipad/i.test(navigator.userAgent) ? "ios (from the user agent)" : "unknown yet");
  $("st-style").textContent = current ? current.source : "none yet";
  $("not-in-app").hidden = inApp && !simulated;
  const listening = window.__pushlabListening && window.__pushlabListening();
  $("st-listener").textContent = listening === "library" ? "listening (median.onesignal.pushOpened.addListener)"
    : listening === "deprecated library" ? "listening (median.oneSignalPushOpened.addListener)"
    : listening === "global" ? "listening (window._median_onesignal_push_opened)" : "not listening";
  const settings = simulatorSettings();
  $("sim-start").textContent = settings ? "Restart with these settings" : "Simulate with these settings";
  $("sim-stop").hidden = !settings;
  if (settings) {
    $("sim-variant").value = settings.variant; $("sim-platform").value = settings.platform; $("sim-state").value = settings.state;
  }
}

function receive(info, source) {
  if (!info || typeof info !== "object") { addLog(source, undefined, info); return; }
  const normalised = normalise(info);
  current = { info, normalised, source };
  $("info-waiting").hidden = true;
  $("info-body").hidden = false;
  const n = normalised;
  fill($("info-facts"), [
    ["Shape", n.shape === "v5" ? "OneSignal v5 plugin (subscription.id)" : n.shape === "legacy" ? "legacy plugin (oneSignalUserId)" : "unknown"],
    ["Subscription (player) id", n.subscriptionId || "none"],
    ["Push token", shorten(n.pushToken)],
    ["Subscribed", yesNo(n.subscribed)],
    ["Privacy consent", consentWords(n)],
    ["External id", n.externalId || "none reported"],
    ["OneSignal user id", n.onesignalId || "—"],
    ["App", `${n.appId || "?"} ${n.appVersion || ""}`.trim()],
    ["OS", `${n.os || n.platform || "?"} ${n.osVersion || ""}`.trim()],
    ["Model", n.model || "?"],
  ]);
  const list = $("info-problems");
  list.replaceChildren(...problems(n).map((text) => Object.assign(document.createElement("li"), { textContent: text })));
  const raw = Object.entries(info).map(([k, v]) => [k, typeof v === "string" ? v : show(v)]);
  fill($("info-raw"), raw);
  $("info-count").textContent = String(raw.length);
  infoProblem = null;
  renderStatus();
  renderVerdict();
  linkDevice();
  const id = normalised.subscriptionId;
  if (loggedIn && id && UUID.test(id) && !(registration && registration.for === id)) {
    registration = { for: id, answer: null };
    lookUpRegistration();
  }
}

// Bridge calls that never answer (an old app, a missing plugin) time out.
function withTimeout(promise) {
  return Promise.race([
    Promise.resolve(promise),
    new Promise((_, reject) => setTimeout(() => reject({ error: `no answer after ${ANSWER_TIMEOUT_MS / 1000} s` }), ANSWER_TIMEOUT_MS)),
  ]);
}

async function call(name, fn, args) {
  const found = bridgeLibrary();
  if (!found) {
    const result = { error: "No bridge library on this page: open it in the app, or simulate the app." };
    addLog(name, args, result);
    return { ok: false, result };
  }
  try {
    const result = await withTimeout(fn(found.lib.onesignal, found));
    addLog(`${found.name}.${name}`, args, result === undefined ? "(sent; this call has no answer)" : result);
    const ok = !(result && typeof result === "object" && (result.success === false || "error" in result));
    return { ok, result };
  } catch (error) {
    const result = error instanceof Error ? { error: error.message } : error;
    addLog(`${found.name}.${name}`, args, result);
    return { ok: false, result };
  }
}

// Older bridge libraries have no info() but onesignalInfo(): it asks the app,
// which answers through a callback (median_onesignal_info, or
// gonative_onesignal_info in the oldest apps); some builds also return a promise.
async function askInfoOldStyle(found) {
  const name = `${found.name}.onesignal.onesignalInfo()`;
  const answered = new Promise((resolve) => {
    window.addEventListener("pushlab:onesignal-info", (event) => resolve({ info: event.detail.info, callback: true }), { once: true });
  });
  let returned;
  addLog(name, undefined, "(asked; the app answers through its callback)");
  try { returned = found.lib.onesignal.onesignalInfo(); } catch (error) {
    addLog(name, undefined, { error: error.message });
    if (!current) { infoProblem = `onesignalInfo() failed: ${error.message}`; renderVerdict(); }
    return;
  }
  const promised = returned && typeof returned.then === "function" ? Promise.resolve(returned).then((info) => ({ info })) : null;
  try {
    const got = await withTimeout(promised ? Promise.race([promised, answered]) : answered);
    if (got.callback) return; // the event listener below has received it
    addLog(name, undefined, got.info);
    receive(got.info, "promise onesignalInfo()");
  } catch (error) {
    const result = error instanceof Error ? { error: error.message } : error;
    addLog(name, undefined, result);
    if (!current) { infoProblem = `the app never answered onesignalInfo() (${result.error})`; renderVerdict(); }
  }
}

async function askInfo() {
  const found = bridgeLibrary();
  if (found && typeof found.lib.onesignal.info !== "function" && typeof found.lib.onesignal.onesignalInfo === "function") {
    await askInfoOldStyle(found);
    return;
  }
  if (!found || typeof found.lib.onesignal.info !== "function") {
    if ((inAppUserAgent() || nativeBridgePresent()) && !current) {
      infoProblem = found ? "the bridge library has no onesignal.info()" : "the app's bridge library is missing on this page";
    }
    renderVerdict();
    return;
  }
  const { ok, result } = await call("onesignal.info()", (os) => os.info());
  if (ok) receive(result, "promise info()");
  else if (!current) {
    infoProblem = result && /no answer after/.test(result.error || "")
      ? `the app never answered onesignal.info() (${result.error})`
      : `onesignal.info() failed: ${(result && result.error) || show(result)}`;
    renderVerdict();
  }
}

async function linkDevice() {
  if (!loggedIn || !current) return;
  const out = $("link-result");
  const id = current.normalised.subscriptionId;
  const key = show(current.info);
  if (linkedFor === key) return;
  linkedFor = key;
  if (!id) { out.textContent = "Not sent: the app reported no subscription id yet."; out.className = "bad-text"; renderVerdict(); return; }
  const response = await postJSON("/api/devices", current.info);
  addLog("POST /api/devices", { subscription_id: id }, { status: response.status, ...response.data });
  if (response.ok) {
    const d = response.data.device;
    out.textContent = `Linked: device ${d.subscription_id} (${d.platform || "?"} ${d.model || ""}) is on your account, first seen ${d.first_seen.slice(0, 16).replace("T", " ")} UTC, learnt via ${d.learnt_via}.`;
    out.className = "ok-text";
    linked = { ok: true, text: `yes: …${d.subscription_id.slice(-6)} (${[d.platform, d.model].filter(Boolean).join(" ") || "device"})`,
      recorded: { state: d.external_id_state, value: d.external_id_value } };
  } else {
    out.textContent = `Not linked: ${response.data.error}`;
    out.className = "bad-text";
    linked = { ok: false, text: `no: ${response.data.error}`, next: "See “Link this device” below." };
  }
  renderVerdict();
  lookUpIdentity();
}

function externalMethod() {
  const chosen = $("ext-method").value;
  if (chosen !== "auto") return chosen;
  const found = bridgeLibrary();
  const os = found ? found.lib.onesignal : {};
  const hasLegacy = !!(os.externalUserId && os.externalUserId.set);
  const hasV5 = typeof os.login === "function";
  if (hasLegacy && !hasV5) return "legacy";
  if (hasV5 && !hasLegacy) return "v5";
  // The current bridge library has both; the app's info says which plugin it runs.
  const n = current && current.normalised;
  if (n && (n.shape === "v5" || n.legacyPlugin === false)) return "v5";
  return "legacy";
}

async function externalId(action) {
  const out = $("ext-result");
  out.hidden = false;
  const value = $("my-external-id").dataset.value;
  const method = externalMethod();
  if (action === "set") {
    const problem = externalIdProblem(value);
    if (problem) { out.textContent = `Not sent: ${problem} Change it on your profile.`; return; }
  }
  const name = method === "v5"
    ? (action === "set" ? `onesignal.login("${value}")` : "onesignal.logout()")
    : (action === "set" ? "onesignal.externalUserId.set({externalId})" : "onesignal.externalUserId.remove()");
  const { ok, result } = await call(name, (os) => {
    if (method === "v5") return action === "set" ? os.login(value) : os.logout();
    return action === "set" ? os.externalUserId.set({ externalId: value }) : os.externalUserId.remove();
  }, action === "set" ? { externalId: value } : undefined);
  // Older app versions carry the call out and never answer it.
  const unconfirmed = !ok && /no answer after/.test((result && result.error) || "");
  const lines = [`${name} (${method === "v5" ? "OneSignal v5 plugin" : "legacy plugin"})`, `app answered: ${unconfirmed ? "nothing" : show(result)}`,
    ok ? (action === "set" ? `success: this device's external id is now ${value}` : "success: the external id was removed")
      : unconfirmed ? "sent; this app version does not confirm: the next info will show whether it took"
      : `failed: ${(result && result.error) || "no success reported"}`];
  const id = current && current.normalised.subscriptionId;
  if (!id) {
    lines.push("Not recorded on the server: the app has not reported a subscription id for this device.");
  } else if (unconfirmed) {
    lines.push("Not recorded on the server yet: the app's next info says whether it took.");
  } else {
    const payload = { action, method, subscription_id: id, external_id: action === "set" ? value : null, success: ok,
      error: ok ? null : (result && result.error) || null };
    const response = await postJSON("/api/external-id", payload);
    addLog("POST /api/external-id", payload, { status: response.status, ...response.data });
    lines.push(response.ok ? "Recorded: your profile shows it." : `Not recorded on the server: ${response.data.error}`);
  }
  out.textContent = lines.join("\n");
  if (unconfirmed) await askInfo();
  if (ok) {
    extState = { ok: true, value: action === "set" ? value : null };
    identity = null;
    renderVerdict();
    // What the app reports now, and what OneSignal says now.
    await askInfo();
    await lookUpIdentity();
  }
}

async function tagsCall(label, fn, args) {
  const out = $("tags-result");
  const { result } = await call(label, fn, args);
  out.hidden = false;
  out.textContent = `${label}\n→ ${result === undefined ? "(sent; this call has no answer)" : JSON.stringify(result, null, 2)}`;
}

function wire() {
  $("info-refresh").addEventListener("click", askInfo);
  $("sim-start").addEventListener("click", () => {
    startSimulator({ variant: $("sim-variant").value, platform: $("sim-platform").value, state: $("sim-state").value });
  });
  $("sim-stop").addEventListener("click", () => { setSimulator(null); window.location.reload(); });
  if ($("ext-set")) {
    $("ext-set").addEventListener("click", () => externalId("set"));
    $("ext-remove").addEventListener("click", () => externalId("remove"));
  }
  $("tags-get").addEventListener("click", () => tagsCall("onesignal.tags.getTags()", (os) => os.tags.getTags()));
  $("tag-set").addEventListener("click", () => {
    const key = $("tag-key").value.trim();
    if (!key) { $("tags-result").hidden = false; $("tags-result").textContent = "Give the tag a key first."; return; }
    const tags = { [key]: $("tag-value").value };
    tagsCall("onesignal.tags.setTags({tags})", (os) => os.tags.setTags({ tags }), { tags });
  });
  $("tag-delete").addEventListener("click", () => {
    const key = $("tag-key").value.trim();
    if (!key) { $("tags-result").hidden = false; $("tags-result").textContent = "Give the key of the tag to delete."; return; }
    tagsCall("onesignal.tags.deleteTags({tags})", (os) => os.tags.deleteTags({ tags: [key] }), { tags: [key] });
  });
  $("consent-grant").addEventListener("click", () => tagsCall("onesignal.userPrivacyConsent.grant()", (os) => os.userPrivacyConsent.grant()));
  $("consent-revoke").addEventListener("click", () => tagsCall("onesignal.userPrivacyConsent.revoke()", (os) => os.userPrivacyConsent.revoke()));
  $("register").addEventListener("click", () => tagsCall("onesignal.register()", (os) => os.register()));
}

window.addEventListener("pushlab:onesignal-info", (event) => {
  addLog(event.detail.source, undefined, event.detail.info);
  receive(event.detail.info, event.detail.source.replace(" callback", " (legacy callback)"));
});
window.addEventListener("pushlab:push-open-recorded", (event) => renderOpened(event.detail));
window.addEventListener("pushlab:push-opened", (event) => addLog("_median_onesignal_push_opened (pushOpened listener)", undefined, event.detail.data));
wire();
renderStatus();
renderVerdict();
const early = lastInfo();
if (early) receive(early.info, early.source.replace(" callback", " (legacy callback)"));
// Ask through the promise API once the page (and an injected library) is ready.
if (document.readyState === "complete") askInfo();
else window.addEventListener("load", askInfo, { once: true });
window.addEventListener("pushlab:library-ready", () => { renderStatus(); askInfo(); });
