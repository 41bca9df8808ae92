// The site keeps each user's devices. On every page while logged in, when the
// app hands the page its OneSignal info, tell the server "this device is mine". Once per device
// per browser session; the OneSignal page does it on each visit, with details.

import { postJSON } from "./site.js";
import { UUID, bridgeLibrary, lastInfo, normalise } from "./onesignal-info.js";

const loggedIn = document.body.dataset.loggedIn === "1";
const onHub = document.body.dataset.page === "onesignal-hub";

async function link(info) {
  const n = normalise(info || {});
  if (!n.subscriptionId || !UUID.test(n.subscriptionId)) return;
  const key = `pushlab.linked.${n.subscriptionId}`;
  if (sessionStorage.getItem(key)) return;
  const result = await postJSON("/api/devices", info);
  if (result.ok) sessionStorage.setItem(key, new Date().toISOString());
}

if (loggedIn && !onHub) {
  window.addEventListener("pushlab:onesignal-info", (event) => link(event.detail.info));
  const known = lastInfo();
  if (known) link(known.info);
  window.addEventListener("load", () => {
    const found = bridgeLibrary();
    if (found && typeof found.lib.onesignal.info === "function") {
      Promise.resolve(found.lib.onesignal.info()).then(link, () => {});
    }
  }, { once: true });
}
