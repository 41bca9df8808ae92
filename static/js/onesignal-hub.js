// The OneSignal page: what the app reports, linking the device to the account
// (the site keeps each user's devices), the external user id (the app sets it,
// OneSignal keeps the link), tags and consent, and a log of each call.

import { postJSON } from "./site.js";
import {
  bridgeLibrary, consentWords, externalIdProblem, inAppUserAgent, lastInfo, nativeBridgePresent, normalise, problems,
} from "./onesignal-info.js";
import { setSimulator, simulatorActive, simulatorSettings } from "./simulator.js";

const $ = (id) => document.getElementById(id);
const loggedIn = document.body.dataset.loggedIn === "1";
const ANSWER_TIMEOUT_MS = 5000;
const log = [];
let current = null; // {info, normalised, source}
let linkedFor = null;

function show(value) {
  if (value === undefined) return "undefined";
  try { return JSON.stringify(value); } catch { return String(value); }
}

function addLog(call, args, result) {
  const time = new Date().toISOString().slice(11, 23);
  log.push(`${time}  ${call}${args === undefined ? "" : "  args " + show(args)}  →  ${show(result)}`);
  $("bridge-log").textContent = log.join("\n");
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
  $("st-in-app").textContent = simulated ? "no: simulated in this browser"
    : inApp ? `yes (${[inAppUserAgent() && "user agent", nativeBridgePresent() && "native bridge"].filter(Boolean).join(", ")})`
    : "no";
  $("st-library").textContent = lib ? `window.${lib.name}${lib.lib.simulated ? " (simulated)" : ""}` : "not found";
  $("st-platform").textContent = (current && current.normalised.platform) || (/android/i.test(navigator.userAgent) ? "android (from the user agent)" : /iphone|ipad/i.test(navigator.userAgent) ? "ios (from the user agent)" : "unknown yet");
  $("st-style").textContent = current ? current.source : "none yet";
  $("not-in-app").hidden = inApp && !simulated;
  const settings = simulatorSettings();
  $("sim-start").textContent = settings ? "Restart with these settings" : "Simulate the app";
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
  renderStatus();
  linkDevice();
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

async function askInfo() {
  const found = bridgeLibrary();
  if (!found || typeof found.lib.onesignal.info !== "function") return;
  const { ok, result } = await call("onesignal.info()", (os) => os.info());
  if (ok) receive(result, "promise info()");
}

async function linkDevice() {
  if (!loggedIn || !current) return;
  const out = $("link-result");
  const id = current.normalised.subscriptionId;
  const key = show(current.info);
  if (linkedFor === key) return;
  linkedFor = key;
  if (!id) { out.textContent = "Not sent: the app reported no subscription id yet."; out.className = "bad-text"; return; }
  const response = await postJSON("/api/devices", current.info);
  addLog("POST /api/devices", { subscription_id: id }, { status: response.status, ...response.data });
  if (response.ok) {
    const d = response.data.device;
    out.textContent = `Linked: device ${d.subscription_id} (${d.platform || "?"} ${d.model || ""}) is on your account, first seen ${d.first_seen.slice(0, 16).replace("T", " ")} UTC, learnt via ${d.learnt_via}.`;
    out.className = "ok-text";
  } else {
    out.textContent = `Not linked: ${response.data.error}`;
    out.className = "bad-text";
  }
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
  const lines = [`${name} (${method === "v5" ? "OneSignal v5 plugin" : "legacy plugin"})`, `app answered: ${show(result)}`,
    ok ? (action === "set" ? `success: this device's external id is now ${value}` : "success: the external id was removed") : `failed: ${(result && result.error) || "no success reported"}`];
  const id = current && current.normalised.subscriptionId;
  if (!id) {
    lines.push("Not recorded on the server: the app has not reported a subscription id for this device.");
  } else {
    const payload = { action, method, subscription_id: id, external_id: action === "set" ? value : null, success: ok,
      error: ok ? null : (result && result.error) || null };
    const response = await postJSON("/api/external-id", payload);
    addLog("POST /api/external-id", payload, { status: response.status, ...response.data });
    lines.push(response.ok ? "Recorded: your profile shows it." : `Not recorded on the server: ${response.data.error}`);
  }
  out.textContent = lines.join("\n");
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
    setSimulator({ variant: $("sim-variant").value, platform: $("sim-platform").value, state: $("sim-state").value });
    window.location.reload();
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
wire();
renderStatus();
const early = lastInfo();
if (early) receive(early.info, early.source.replace(" callback", " (legacy callback)"));
// Ask through the promise API once the page (and an injected library) is ready.
if (document.readyState === "complete") askInfo();
else window.addEventListener("load", askInfo, { once: true });
window.addEventListener("pushlab:library-ready", () => { renderStatus(); askInfo(); });
