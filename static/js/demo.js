// "Demo on this laptop" (start page): in one go, turn on the app simulator,
// link its made-up phone to the account and set the account's external id on
// it, then show what to try next. The calls are the OneSignal page's own JSON
// calls, with the CSRF header; the server takes the user from the session.

import { postJSON } from "./site.js";
import { inAppUserAgent, nativeBridgePresent, normalise } from "./onesignal-info.js";
import { simulatorActive, startSimulator } from "./simulator.js";

const $ = (id) => document.getElementById(id);
const button = $("demo-start");
const done = $("demo-steps-done");
const DEMO_PHONE = { variant: "v5", platform: "android", state: "subscribed" };

function step(ok, text) {
  const row = document.createElement("li");
  row.append(Object.assign(document.createElement("span"), {
    className: ok ? "ok-text" : "bad-text", textContent: ok ? "Done" : "Not done",
  }), " ", text);
  done.append(row);
  return ok;
}

async function run() {
  button.disabled = true;
  done.replaceChildren();
  const library = startSimulator(DEMO_PHONE);
  if (!library) { step(false, "This page is inside a real app: nothing to simulate."); button.disabled = false; return; }
  const os = library.onesignal;
  const settings = window.__pushlabSimulated;
  step(true, `Simulator on: a made-up ${settings.platform === "ios" ? "iPhone" : "Android phone"}, ${settings.variant === "v5" ? "OneSignal v5 plugin" : "legacy plugin"}, on every page of this site in this browser.`);

  const info = await os.info();
  const n = normalise(info);
  const linked = await postJSON("/api/devices", info);
  if (!step(linked.ok, linked.ok
    ? `Phone linked to your account: ${n.model || "device"}, subscription id ${n.subscriptionId}.`
    : `Phone not linked: ${linked.data.error}`)) { button.disabled = false; return; }
  sessionStorage.setItem(`pushlab.linked.${n.subscriptionId}`, new Date().toISOString());

  const externalId = button.dataset.externalId;
  const v5 = typeof os.login === "function";
  let answer;
  try {
    answer = await (v5 ? os.login(externalId) : os.externalUserId.set({ externalId }));
  } catch (error) {
    answer = error;
  }
  const success = !!answer && answer.success === true;
  const recorded = await postJSON("/api/external-id", {
    action: "set", method: v5 ? "v5" : "legacy", subscription_id: n.subscriptionId, external_id: externalId,
    success, error: success ? null : (answer && answer.error) || null,
  });
  step(success && recorded.ok, success && recorded.ok
    ? `External id ${externalId} set on the phone (${v5 ? "login()" : "externalUserId.set()"}), and noted on your profile.`
    : `External id not set: ${(answer && answer.error) || recorded.data.error}`);
  $("demo-next").hidden = false;
  button.textContent = "Run the demo set-up again";
  button.disabled = false;
  $("demo-next").querySelector("a").focus();
}

if (button) {
  if ((nativeBridgePresent() || inAppUserAgent()) && !simulatorActive()) {
    $("demo-in-app").hidden = false;
  } else {
    button.hidden = false;
    button.addEventListener("click", run);
    if (simulatorActive()) {
      $("demo-next").hidden = false;
      button.textContent = "Run the demo set-up again";
    }
  }
}
