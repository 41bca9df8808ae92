// "Simulate the app": a made-up native side for laptops, demos and tests.
// It answers the same OneSignal bridge calls a GoNative / Median app answers,
// with realistic data, and calls the info hooks after each page load as the
// app does. Never active inside a real app.

import { externalIdProblem, inAppUserAgent, nativeBridgePresent } from "./onesignal-info.js";

const KEY = "pushlab.simulator";
const STATE = "pushlab.simulator.state";

export function simulatorSettings() {
  try { return JSON.parse(localStorage.getItem(KEY)) || null; } catch { return null; }
}

export function setSimulator(settings) {
  if (settings) localStorage.setItem(KEY, JSON.stringify(settings));
  else localStorage.removeItem(KEY);
}

export function simulatorActive() {
  return !!window.__pushlabSimulated;
}

function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function loadState() {
  let state;
  try { state = JSON.parse(localStorage.getItem(STATE)) || {}; } catch { state = {}; }
  // One made-up device per browser: the same ids on every page and visit.
  state.subscriptionId ||= uuid4();
  state.oneSignalId ||= uuid4();
  state.installationId ||= uuid4();
  state.token ||= [...crypto.getRandomValues(new Uint8Array(32))].map((x) => x.toString(16).padStart(2, "0")).join("");
  state.tags ||= {};
  if (state.consentGiven === undefined) state.consentGiven = true;
  saveState(state);
  return state;
}

function saveState(state) { localStorage.setItem(STATE, JSON.stringify(state)); }

function deviceFacts(platform) {
  return platform === "ios"
    ? { platform: "ios", os: "iOS", osVersion: "17.4", model: "iPhone", hardware: "iPhone14,2", deviceName: "iPhone", distribution: "appstore" }
    : { platform: "android", os: "Android", osVersion: "14", model: "Pixel 8", hardware: "shiba", deviceName: "Pixel 8", distribution: "playstore" };
}

export function simulatedInfo(settings, state) {
  const declined = settings.state === "declined";
  const common = {
    appId: "io.pushlab.demo", appVersion: "1.4.0", installationId: state.installationId,
    language: (navigator.language || "en").slice(0, 2), timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    isFirstLaunch: false, publicKey: "", ...deviceFacts(settings.platform),
  };
  if (settings.variant === "v5") {
    return {
      ...common, appVersionCode: 14, legacy: false, externalId: state.externalId || null,
      oneSignalId: state.oneSignalId, requiresUserPrivacyConsent: false, userConsentGiven: state.consentGiven,
      subscription: { id: state.subscriptionId, optedIn: !declined, token: declined && settings.platform === "ios" ? "" : state.token },
    };
  }
  const info = { ...common, oneSignalSubscribed: !declined, oneSignalRequiresUserPrivacyConsent: false };
  if (settings.platform === "ios") info.appBuild = "14"; else info.appVersionCode = 14;
  // On iOS the legacy plugin has no player id at all once permission is declined.
  if (!(declined && settings.platform === "ios")) {
    info.oneSignalUserId = state.subscriptionId;
    if (settings.platform === "ios") info.oneSignalPushToken = state.token;
    else info.oneSignalRegistrationId = state.token;
  }
  return info;
}

// Answer like the bridge library: a promise, or the {callback} the caller gave.
function answer(params, result) {
  return new Promise((resolve, reject) => {
    setTimeout(() => {
      const callback = params && params.callback;
      if (typeof callback === "function") callback(result);
      else if (typeof callback === "string" && typeof window[callback] === "function") window[callback](result);
      if (result && typeof result === "object" && "error" in result) reject(result); else resolve(result);
    }, 40);
  });
}

function install(settings) {
  const state = loadState();
  const info = () => simulatedInfo(settings, state);
  const setExternal = (value) => {
    const problem = externalIdProblem(value);
    if (problem) return { success: false, error: `Simulated OneSignal refused: ${problem}` };
    state.externalId = String(value); saveState(state);
    return { success: true };
  };
  const removeExternal = () => { state.externalId = null; saveState(state); return { success: true }; };
  const onesignal = {
    info: (params) => answer(params, info()),
    onesignalInfo: (params) => answer(params, info()),
    register: (params) => answer(params, { isSubscribed: settings.state !== "declined" }),
    userPrivacyConsent: {
      grant: () => { state.consentGiven = true; saveState(state); },
      revoke: () => { state.consentGiven = false; saveState(state); },
    },
    tags: {
      getTags: (params) => answer(params, { success: true, tags: { ...state.tags } }),
      setTags: (params) => {
        Object.assign(state.tags, (params && params.tags) || {}); saveState(state);
        return answer(params, { success: true });
      },
      deleteTags: (params) => {
        for (const key of (params && params.tags) || []) delete state.tags[key];
        saveState(state);
        return answer(params, { success: true });
      },
    },
  };
  if (settings.variant === "v5") {
    onesignal.login = (externalId, params = {}) => answer(params, setExternal(externalId));
    onesignal.logout = (params) => answer(params, removeExternal());
  } else {
    onesignal.externalUserId = {
      set: (params) => answer(params, setExternal(params && params.externalId)),
      remove: (params) => answer(params, removeExternal()),
    };
  }
  const library = { onesignal, simulated: true };
  window.median = window.gonative = library;
  window.__pushlabSimulated = settings;
  const banner = document.getElementById("simulated-banner");
  if (banner) {
    banner.hidden = false;
    banner.textContent = `Simulated app (${settings.platform}, ${settings.variant === "v5" ? "OneSignal v5 plugin" : "legacy plugin"}, ${settings.state}): the OneSignal answers on this page are made up by this browser, not by a phone.`;
  }
  // As the app does after every page load.
  const hook = settings.variant === "v5" ? "median_onesignal_info" : "gonative_onesignal_info";
  const fire = () => setTimeout(() => typeof window[hook] === "function" && window[hook](info()), 60);
  if (document.readyState === "complete") fire(); else window.addEventListener("load", fire, { once: true });
}

const settings = simulatorSettings();
if (settings && !nativeBridgePresent() && !inAppUserAgent()) install(settings);
