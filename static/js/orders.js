// Follows the orders that are on their way: asks for the list again every
// second until each one is delivered (or failed), so the page shows the
// delivery at the moment the push goes out. Rests while the page is hidden.

import { repeatWhileShown } from "./site.js";

const list = document.getElementById("orders");
const INTERVAL_MS = 1000;

const pending = () => list.querySelector("[data-pending]") !== null;

async function refresh() {
  if (!pending()) return "stop";
  try {
    const response = await fetch(list.dataset.live, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (response.status === 401 || response.redirected) return "stop"; // logged out elsewhere
    if (response.ok) list.innerHTML = await response.text(); // rendered and escaped by the server
  } catch {
    // offline for a moment: try again on the next tick
  }
  return pending() ? undefined : "stop";
}

if (list && list.dataset.live) repeatWhileShown(refresh, INTERVAL_MS);
