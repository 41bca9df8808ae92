// Follows the orders that are on their way: asks for the list again every
// second until each one is delivered (or failed), so the page shows the
// delivery at the moment the push goes out. Rests while the page is hidden.

const list = document.getElementById("orders");
const INTERVAL_MS = 1000;
let timer = null;
let busy = false;

const pending = () => list.querySelector("[data-pending]") !== null;

async function refresh() {
  timer = null;
  if (busy || document.hidden || !pending()) return;
  busy = true;
  try {
    const response = await fetch(list.dataset.live, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (response.ok && !response.redirected) {
      list.innerHTML = await response.text(); // rendered and escaped by the server
    } else if (response.status === 401 || response.redirected) {
      return; // logged out elsewhere: stop
    }
  } catch {
    // offline for a moment: try again on the next tick
  } finally {
    busy = false;
  }
  if (!document.hidden && pending()) timer = setTimeout(refresh, INTERVAL_MS);
}

if (list && list.dataset.live) {
  timer = setTimeout(refresh, INTERVAL_MS);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && timer === null) refresh();
  });
}
