// What the app tells a page about OneSignal, in both shapes it comes in.
// Mirrors demo_app/onesignal_info.py and demo_app/external_id.py.
// "Player id" (legacy oneSignalUserId) and "subscription id" (v5
// subscription.id) are the same device id; here it is `subscriptionId`.

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESERVED = new Set(["na", "null", "0", "-1", "all", "1", "undefined", "none", "nil"]);
const ZERO_UUID = /^0{8}-?0{4}-?0{4}-?0{4}-?0{12}$/;
const ALLOWED = /^[A-Za-z0-9._@+:=-]{1,128}$/;

const text = (v) => (v === undefined || v === null || typeof v === "object" ? null : String(v));
const flag = (v) => (typeof v === "boolean" ? v : v === "true" ? true : v === "false" ? false : null);

export function normalise(info) {
  const sub = info && typeof info.subscription === "object" && info.subscription ? info.subscription : null;
  const n = {
    shape: sub ? "v5" : "oneSignalUserId" in info || "oneSignalSubscribed" in info ? "legacy" : "unknown",
    subscriptionId: text(sub ? sub.id : null) || text(info.oneSignalUserId),
    onesignalId: text(info.oneSignalId),
    pushToken: text(sub ? sub.token : null) || text(info.oneSignalPushToken || info.oneSignalRegistrationId || info.oneSignalregistrationId),
    subscribed: sub ? flag(sub.optedIn) : flag(info.oneSignalSubscribed),
    requiresConsent: flag("requiresUserPrivacyConsent" in info ? info.requiresUserPrivacyConsent : info.oneSignalRequiresUserPrivacyConsent),
    consentGiven: flag(info.userConsentGiven),
    externalId: text(info.externalId),
    platform: text(info.platform),
    appId: text(info.appId),
    appVersion: text(info.appVersion),
    os: text(info.os),
    osVersion: text(info.osVersion),
    model: text(info.model || info.hardware),
    legacyPlugin: flag(info.legacy),
  };
  if (n.shape === "unknown" && info.legacy === false) n.shape = "v5";
  return n;
}

// Plain explanations of the states that stop a push from arriving.
export function problems(n) {
  const out = [];
  if (!n.subscriptionId) {
    out.push(n.platform === "ios"
      ? "No player id yet. On iOS this means push permission was declined or OneSignal has not registered the device yet: allow notifications in Settings, then reopen the app."
      : "No player id yet: OneSignal has not registered this device. Check the OneSignal app id in the app's configuration and that the device is online.");
  } else if (!UUID.test(n.subscriptionId)) {
    out.push(`The player / subscription id “${n.subscriptionId}” is not a UUID: it cannot be a OneSignal id.`);
  }
  if (n.onesignalId && n.onesignalId === n.subscriptionId) {
    out.push("oneSignalId equals the subscription id: one of them is the OneSignal user id, which cannot receive a push.");
  }
  if (n.subscribed === false) {
    out.push("Not subscribed: the user opted out or declined permission. Pushes to this device will not arrive.");
  }
  if (n.requiresConsent && n.consentGiven !== true) {
    out.push("Privacy consent is required and not given: OneSignal sends nothing until the app grants it (use “Grant consent” below).");
  }
  return out;
}

export function externalIdProblem(value) {
  if (value === null || value === undefined || String(value).trim() === "") return "An external id cannot be empty.";
  value = String(value);
  if (value !== value.trim()) return "An external id cannot start or end with spaces.";
  if (RESERVED.has(value.toLowerCase()) || ZERO_UUID.test(value)) return `OneSignal rejects “${value}” as an external id: it is a reserved value.`;
  if (!ALLOWED.test(value)) return "Use letters, digits and . _ @ + : = - only (at most 128).";
  return null;
}

export function inAppUserAgent() {
  return /\b(gonative|median)\b/i.test(navigator.userAgent);
}

export function nativeBridgePresent() {
  return !!((window.JSBridge && window.JSBridge.postMessage) ||
    (window.webkit && window.webkit.messageHandlers && window.webkit.messageHandlers.JSBridge));
}

// The injected library: `median` in Median builds, `gonative` in older ones.
export function bridgeLibrary() {
  for (const name of ["median", "gonative"]) {
    const lib = window[name];
    if (lib && lib.onesignal) return { name, lib };
  }
  return null;
}

export function lastInfo() {
  const store = window.__pushlabInfo;
  return store && store.last ? { info: store.last, source: store.source } : null;
}
