// "Simulate the app": a made-up native side for laptops, demos and tests.
// It answers the same OneSignal bridge calls a GoNative / Median app answers,
// with the keys and values real apps send (tests/corpus/FINDINGS.md), and
// calls the legacy info hook after each page load as the app does. Never
// active inside a real app. What it cannot know it does not invent: after a
// declined permission it keeps reporting the ids OneSignal had, as GoNative's
// code passes on whatever the SDK reports.

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

// The simulated device's subscription id while simulating, else null.
export function simulatedDevice() {
  if (!simulatorActive()) return null;
  try { return (JSON.parse(localStorage.getItem(STATE)) || {}).subscriptionId || null; } catch { return null; }
}

// As the bridge library's pushOpened: addListener defines the global the app
// calls, `_median_onesignal_push_opened(data)`, which calls every listener.
function listenerRegistry(eventName) {
  const listeners = new Map();
  let next = 0;
  const publish = () => {
    // Returns what the listeners return, so the simulated phone can let a
    // listener's report leave before it opens the push's page.
    window[eventName] = (...args) => Promise.allSettled([...listeners.values()].map((fn) => fn(...args)));
  };
  return {
    addListener(fn) {
      if (typeof fn !== "function") return undefined;
      const id = `${eventName}_${++next}`;
      listeners.set(id, fn); publish();
      return id;
    },
    removeListener(id) {
      listeners.delete(id); publish();
      if (!listeners.size) delete window[eventName];
    },
    count: () => listeners.size,
  };
}

function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const randomText = (length, alphabet) =>
  [...crypto.getRandomValues(new Uint8Array(length))].map((x) => alphabet[x % alphabet.length]).join("");
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function loadState() {
  let state;
  try { state = JSON.parse(localStorage.getItem(STATE)) || {}; } catch { state = {}; }
  // One made-up device per browser: the same ids on every page and visit.
  state.subscriptionId ||= uuid4();
  state.oneSignalId ||= uuid4();
  state.installationId ||= uuid4();
  // An APNs token is 32 bytes in hex; an FCM token is <instance id>:APA91b<...>.
  state.token ||= [...crypto.getRandomValues(new Uint8Array(32))].map((x) => x.toString(16).padStart(2, "0")).join("");
  state.fcmToken ||= `${randomText(22, BASE64URL)}:APA91b${randomText(134, BASE64URL)}`;
  state.tags ||= {};
  // Whether the page called userPrivacyConsent.grant(): nobody has, at first.
  if (typeof state.consentGranted !== "boolean") state.consentGranted = false;
  saveState(state);
  return state;
}

function saveState(state) { localStorage.setItem(STATE, JSON.stringify(state)); }

// As the apps report them: Android's model is MANUFACTURER + " " + MODEL and
// its hardware the build fingerprint; iOS says "iPhone" and the machine name.
function deviceFacts(platform, state) {
  const language = navigator.language || "en-US";
  return platform === "ios"
    ? { platform: "ios", os: "iOS", osVersion: "17.4", model: "iPhone", hardware: "iPhone14,2", deviceName: "iPhone",
        distribution: "appstore", language, installationId: state.installationId.toUpperCase() }
    : { platform: "android", os: "Android", osVersion: "14", model: "Google Pixel 8",
        hardware: "google/shiba/shiba:14/AP1A.240305.019.A1/11445699:user/release-keys", deviceName: "Google Pixel 8",
        distribution: "playstore", language: language.slice(0, 2), installationId: state.installationId };
}

export function simulatedInfo(settings, state) {
  const declined = settings.state === "declined";
  const ios = settings.platform === "ios";
  const token = ios ? state.token : state.fcmToken;
  const common = {
    appId: "io.pushlab.demo", appVersion: "1.4.0", timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    publicKey: "", ...deviceFacts(settings.platform, state),
  };
  if (settings.variant === "v5") {
    // The bridge library's type of the v5 info; the native side is not public.
    return {
      ...common, appVersionCode: 14, isFirstLaunch: false, legacy: false, externalId: state.externalId || null,
      oneSignalId: state.oneSignalId, requiresUserPrivacyConsent: false, userConsentGiven: state.consentGranted,
      subscription: { id: state.subscriptionId, optedIn: !declined, token },
    };
  }
  if (ios) {
    // requiresUserPrivacyConsent is true only when the app requires consent
    // and has not been given it; this made-up app does not require it.
    return {
      ...common, appBuild: "14", isFirstLaunch: false, oneSignalUserId: state.subscriptionId,
      oneSignalPushToken: token, oneSignalSubscribed: !declined, oneSignalRequiresUserPrivacyConsent: false,
    };
  }
  // The 2022 Android plugin: the token under two keys, and a consent flag that
  // is !userProvidedPrivacyConsent(), true until the page grants consent.
  return {
    ...common, appVersionCode: 14, oneSignalUserId: state.subscriptionId, oneSignalRegistrationId: token,
    oneSignalPushToken: token, oneSignalSubscribed: !declined, oneSignalRequiresUserPrivacyConsent: !state.consentGranted,
  };
}

// Answer like the bridge library: given {callback}, call it and return
// undefined; otherwise a promise, rejected when the answer has an `error`.
function answer(params, result) {
  const callback = params && params.callback;
  if (callback) {
    setTimeout(() => {
      if (typeof callback === "function") callback(result);
      else if (typeof window[callback] === "function") window[callback](result);
    }, 40);
    return undefined;
  }
  return new Promise((resolve, reject) => {
    setTimeout(() => {
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
    pushOpened: listenerRegistry("_median_onesignal_push_opened"),
    info: (params) => answer(params, info()),
    onesignalInfo: (params) => answer(params, info()),
    register: (params) => answer(params, { isSubscribed: settings.state !== "declined" }),
    userPrivacyConsent: {
      grant: () => { state.consentGranted = true; saveState(state); },
      revoke: () => { state.consentGranted = false; saveState(state); },
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
  // The send form says which device is this browser's simulated phone.
  const field = document.getElementById("simulated-device");
  if (field) field.value = state.subscriptionId;
  const banner = document.getElementById("simulated-banner");
  if (banner) {
    banner.hidden = false;
    banner.textContent = `Simulated app (${settings.platform}, ${settings.variant === "v5" ? "v5" : "legacy"}, ${settings.state}): answers made up by this browser`;
  }
  // As legacy apps do after every page load. No source shows a v5 app calling
  // a hook by itself: the page asks with onesignal.info().
  if (settings.variant !== "v5") {
    const fire = () => setTimeout(() => typeof window.gonative_onesignal_info === "function" && window.gonative_onesignal_info(info()), 60);
    if (document.readyState === "complete") fire(); else window.addEventListener("load", fire, { once: true });
  }
}

// The start page's "Demo on this laptop": switch the simulator on (kept for
// every page, like the OneSignal page's button) and install it at once, with
// no reload. Answers the simulated library, or null inside a real app, where
// nothing is simulated.
export function startSimulator(wanted) {
  if (nativeBridgePresent() || inAppUserAgent()) return null;
  if (!simulatorActive()) {
    setSimulator(wanted);
    install(wanted);
  }
  return window.median;
}

const settings = simulatorSettings();
if (settings && !nativeBridgePresent() && !inAppUserAgent()) install(settings);
