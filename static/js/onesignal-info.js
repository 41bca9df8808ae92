// What the app tells a page about OneSignal, in both shapes it comes in.
// The same rules as demo_app/devices/info.py and demo_app/devices/external_id.py;
// tests/vectors/*.json hold the cases both must agree on. Warnings are stable
// codes (`n.warnings`); `problems()` puts them in words for this page.
// "Player id" (legacy oneSignalUserId) and "subscription id" (v5
// subscription.id) are the same device id; here it is `subscriptionId`.
// `onesignalId` is v5's oneSignalId, the OneSignal *user* id.

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LEGACY_KEYS = ["oneSignalUserId", "oneSignalPushToken", "oneSignalRegistrationId", "oneSignalregistrationId",
  "oneSignalSubscribed", "oneSignalRequiresUserPrivacyConsent"];
const FLAG_WORDS = { true: true, 1: true, yes: true, false: false, 0: false, no: false };
const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);
const asciiLower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// A JSON string, or a number as the browser prints it, as text: NULs dropped,
// cut to `limit` characters (code points, as Python counts); null for
// anything else, or empty.
function text(v, limit = 255) {
  let s;
  if (typeof v === "string") s = v;
  else if (typeof v !== "number" || !Number.isFinite(v)) return null;
  else if (Number.isInteger(v)) { if (!Number.isSafeInteger(v)) return null; s = String(v); }
  else if (Math.abs(v) >= 1e-4 && Math.abs(v) < 1e16) s = String(v);
  else return null;
  s = Array.from(s.replaceAll("\0", "")).slice(0, limit).join("");
  return s || null;
}

const firstText = (values, limit) => values.map((v) => text(v, limit)).find((t) => t !== null) ?? null;

// true/false, also written 1/0 or as the words true, false, yes, no, 1, 0.
function flag(v) {
  if (typeof v === "boolean") return v;
  if (v === 0 || v === 1) return v === 1;
  if (typeof v === "string" && /^[\x00-\x7f]*$/.test(v) && has(FLAG_WORDS, v.toLowerCase())) return FLAG_WORDS[v.toLowerCase()];
  return null;
}

const firstFlag = (values) => values.map(flag).find((f) => f !== null) ?? null;

const TOKEN_KEYS = ["oneSignalPushToken", "oneSignalRegistrationId", "oneSignalregistrationId"];

// `kind`: "info" for the object the app hands a page (what this page gets),
// "registration" for the app's registration POST body, which the apps fill
// differently (see demo_app/devices/info.py).
export function normalise(info, kind = "info") {
  if (kind !== "info" && kind !== "registration") throw new Error(`kind is "info" or "registration", not ${kind}`);
  const given = info.subscription;
  const sub = isObject(given) ? given : {};
  const shape = isObject(given) ? "v5"
    : LEGACY_KEYS.some((k) => has(info, k)) ? "legacy"
    : has(info, "oneSignalId") || info.legacy === false ? "v5" : "unknown";
  const rawPlatform = text(info.platform, 32);
  const platform = rawPlatform ? asciiLower(rawPlatform) : null;
  // GoNative's iOS registration POST says oneSignalSubscribed: true whatever
  // OneSignal said: not believed. The info handed to a page is OneSignal's state.
  const legacySubscribed = flag(info.oneSignalSubscribed);
  const iosPost = kind === "registration" && platform === "ios";
  const v5Consent = flag(info.requiresUserPrivacyConsent);
  const legacyConsent = flag(info.oneSignalRequiresUserPrivacyConsent);
  const consentGiven = flag(info.userConsentGiven);
  // Builds of 2016-11-08 to 2016-11-17 nested the custom data; later ones flatten it.
  const customData = isObject(info.customData) ? { ...info.customData } : {};
  for (const [key, value] of Object.entries(info)) {
    if (key.startsWith("customData_")) customData[key.slice("customData_".length)] = value;
  }
  const n = {
    shape,
    subscriptionId: firstText([sub.id, info.oneSignalUserId], 64),
    onesignalId: text(info.oneSignalId, 64),
    pushToken: firstText([sub.token, ...TOKEN_KEYS.map((k) => info[k])], 4096),
    subscribed: firstFlag([sub.optedIn, iosPost ? null : legacySubscribed]),
    requiresConsent: v5Consent !== null ? v5Consent : legacyConsent,
    consentGiven,
    consent: consentReading(platform, v5Consent, legacyConsent, consentGiven),
    externalId: text(info.externalId, 128),
    platform,
    appId: text(info.appId),
    appVersion: text(info.appVersion, 64),
    os: text(info.os, 64),
    osVersion: text(info.osVersion, 64),
    model: firstText([info.model, info.hardware], 128),
    installationId: text(info.installationId, 128),
    customData,
    legacyPlugin: flag(info.legacy),
  };
  // Registration POSTs from before mid-2017 never carry a token, nor a flag
  // that tells them from the builds that do; every info object carries one.
  const tokenReported = kind === "info" || shape === "v5" || TOKEN_KEYS.some((k) => has(info, k))
    || has(info, "oneSignalSubscribed") || has(info, "oneSignalRequiresUserPrivacyConsent");
  n.warnings = codes(n, tokenReported, iosPost && legacySubscribed !== null);
  return n;
}

// What the consent flags say, read per platform (tests/corpus/FINDINGS.md, section c):
// "blocking", "not-blocking", "not-recorded" (Android: the page never granted it),
// "granted", "unknown", or null when no flag was sent.
function consentReading(platform, v5Flag, legacyFlag, given) {
  if (v5Flag !== null) {
    if (!v5Flag) return "not-blocking";
    return given === true ? "granted" : given === false ? "blocking" : "unknown";
  }
  if (legacyFlag === null) return null;
  if (platform === "ios") return legacyFlag ? "blocking" : "not-blocking";
  if (platform === "android") return legacyFlag ? "not-recorded" : "granted";
  return legacyFlag ? "unknown" : "not-blocking";
}

// The warning codes, always in this order (demo_app/devices/info.py gives the same).
function codes(n, tokenReported, iosFlagIgnored) {
  const out = [];
  if (n.subscriptionId === null) out.push("no-subscription-id");
  else if (!UUID.test(n.subscriptionId)) out.push("subscription-id-not-uuid");
  if (n.subscriptionId && n.onesignalId && asciiLower(n.onesignalId) === asciiLower(n.subscriptionId)) {
    out.push("user-id-as-subscription-id");
  }
  if (n.subscribed === false) out.push("not-subscribed");
  if (iosFlagIgnored) out.push("ios-subscribed-flag-unreliable");
  if (n.consent === "blocking") out.push("consent-required");
  // With an id and a token OneSignal clearly runs: Android's flag then only
  // says the page never granted consent, which is no problem.
  else if (n.consent === "not-recorded" && !(n.subscriptionId && n.pushToken)) out.push("consent-not-recorded");
  if (n.subscriptionId && !n.pushToken) out.push(tokenReported ? "no-token" : "token-not-reported");
  if (!n.platform) out.push("no-platform");
  return out;
}

// What the consent flags mean for this device, in words.
export function consentWords(n) {
  switch (n.consent) {
    case "blocking": return "required and not given: OneSignal is held back until it is granted";
    case "not-blocking": return "not holding OneSignal back";
    case "not-recorded": return "not recorded by the page (Android says so until userPrivacyConsent.grant(); it does not mean your app requires consent)";
    case "granted": return "given";
    case "unknown": return n.shape === "v5" ? "required; the app did not say whether it was given" : "flag set, but without a platform its meaning cannot be told";
    default: return "not reported";
  }
}

// What each warning means for this device, in words, for this page.
export function problems(n) {
  return n.warnings.map((code) => {
    switch (code) {
      case "no-subscription-id":
        return n.onesignalId
          ? "oneSignalId is the OneSignal user id, not a subscription (player) id: the app reported no subscription id yet."
          : "No subscription (player) id yet: OneSignal has not registered this device. Check the OneSignal app id in the app's configuration and that the device is online.";
      case "subscription-id-not-uuid":
        return `The subscription (player) id “${n.subscriptionId}” is not a UUID: it cannot be a OneSignal id.`;
      case "user-id-as-subscription-id":
        return "oneSignalId equals the subscription id: one of them is the OneSignal user id, which cannot receive a push.";
      case "not-subscribed":
        return "Not subscribed, OneSignal says: notifications are off for the app, the permission was declined, or registration has not finished. Pushes to this device will not arrive.";
      case "ios-subscribed-flag-unreliable":
        return "This is an iOS registration POST: its oneSignalSubscribed is always true, so whether the iPhone can receive pushes is unknown from it. The info on this page says.";
      case "consent-required":
        return "Privacy consent is required and not given: OneSignal registers and sends nothing until the app grants it (use “Grant consent” below).";
      case "consent-not-recorded":
        return "No privacy consent recorded yet. Android reports this until the page calls userPrivacyConsent.grant(), in every app: it only matters if your app is set to require consent, and then OneSignal waits for “Grant consent” below.";
      case "no-token":
        return "No push token yet: the platform has not issued one to this device.";
      case "token-not-reported":
        return "No push token in this registration POST: app builds from before mid-2017 never send one, so this says nothing about the device.";
      case "no-platform":
        return "No platform field: expected “ios” or “android”.";
      default:
        return code;
    }
  });
}

// The external id rules of demo_app/devices/external_id.py: a code, and its words.
const RESERVED = new Set(["na", "null", "0", "-1", "all", "1", "undefined", "none", "nil"]);
const ZERO_UUID = /^0{8}-?0{4}-?0{4}-?0{4}-?0{12}$/;
const ALLOWED = /^[A-Za-z0-9._@+:=-]+$/;
const SPACE_AROUND = /^[ \t\n\r\f\v]|[ \t\n\r\f\v]$/; // ASCII white space only, as in Python
const EXTERNAL_ID_MAX = 128;
const EXTERNAL_ID_WORDS = {
  "empty": () => "An external id cannot be empty.",
  "spaces-around": () => "An external id cannot start or end with spaces.",
  "reserved": (value) => `OneSignal rejects “${value}” as an external id: it is a reserved value.`,
  "bad-characters": () => "Use letters, digits and . _ @ + : = - only.",
  "too-long": () => `An external id is at most ${EXTERNAL_ID_MAX} characters.`,
  "dots": () => "An external id cannot be “.” or “..”: in OneSignal's addresses it would name another page of its API.",
};

export function externalIdCode(value) {
  if (value === null || value === undefined) return "empty";
  value = String(value);
  if (/^[ \t\n\r\f\v]*$/.test(value)) return "empty";
  if (SPACE_AROUND.test(value)) return "spaces-around";
  if (RESERVED.has(asciiLower(value)) || ZERO_UUID.test(value)) return "reserved";
  if (!ALLOWED.test(value)) return "bad-characters";
  if (value === "." || value === "..") return "dots";
  if (value.length > EXTERNAL_ID_MAX) return "too-long"; // only ASCII is left: length is characters
  return null;
}

export function externalIdProblem(value) {
  const code = externalIdCode(value);
  return code ? EXTERNAL_ID_WORDS[code](String(value)) : null;
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
