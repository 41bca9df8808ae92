// "What OneSignal says" panels: an element with data-panel="<url>" is filled
// with the server's fragment (View user), marking the device in hand. The
// server renders and escapes it; the page only places it.

import { bridgeLibrary, lastInfo, normalise } from "./onesignal-info.js";

export async function deviceInHand(waitMs = 3000) {
  const known = lastInfo();
  if (known) return normalise(known.info).subscriptionId || null;
  const found = bridgeLibrary();
  if (!found || typeof found.lib.onesignal.info !== "function") return null;
  try {
    const info = await Promise.race([
      Promise.resolve(found.lib.onesignal.info()),
      new Promise((resolve) => setTimeout(() => resolve(null), waitMs)),
    ]);
    return info ? normalise(info).subscriptionId || null : null;
  } catch { return null; }
}

export async function fillPanel(element, device) {
  const url = new URL(element.dataset.panel, window.location.href);
  if (device) url.searchParams.set("device", device);
  element.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    // 429 (your limit) and 503 (OneSignal busy) come with the server's words too
    element.innerHTML = response.ok || response.status === 429 || response.status === 503 ? await response.text()
      : `<p class="bad-text">The site could not ask OneSignal (HTTP ${response.status}).</p>`;
  } catch {
    element.innerHTML = '<p class="bad-text">The site could not be reached.</p>';
  }
  element.removeAttribute("aria-busy");
  element.dispatchEvent(new CustomEvent("pushlab:panel-filled", { bubbles: true }));
}

export async function fillPanels(device) {
  const panels = [...document.querySelectorAll("[data-panel]")];
  if (!panels.length) return;
  const id = device === undefined ? await deviceInHand() : device;
  await Promise.all(panels.map((panel) => fillPanel(panel, id)));
}

if (document.body.dataset.page !== "onesignal-hub") {
  if (document.readyState === "complete") fillPanels();
  else window.addEventListener("load", () => fillPanels(), { once: true });
}
