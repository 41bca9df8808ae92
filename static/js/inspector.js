// Live list of captures: asks the server for rows newer than the newest shown
// and puts them on top, keeping the reader's place when they have scrolled.
// Driven by the database (an ordinary request), so it works whatever worker
// or host answers.

import { repeatWhileShown } from "./site.js";

const list = document.getElementById("captures");
const status = document.getElementById("live-status");
const INTERVAL_MS = 1000;

async function poll() {
  const url = new URL(list.dataset.live, window.location.href);
  url.searchParams.set("after", list.dataset.newest || "0");
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
  } catch {
    status.textContent = "Live: connection lost, retrying…";
    return;
  }
  if (response.status === 401 || response.redirected) {
    status.textContent = "Live updates stopped: log in again.";
    return "stop";
  }
  if (!response.ok) return;
  const html = await response.text();
  const newest = response.headers.get("X-Newest-Id");
  if (newest) list.dataset.newest = newest;
  if (!html.trim()) return;
  const template = document.createElement("template");
  template.innerHTML = html; // rendered and escaped by the server's templates
  const rows = template.content.querySelectorAll("li.capture");
  rows.forEach((row) => row.classList.add("fresh"));
  const before = document.documentElement.scrollHeight;
  const scrolled = window.scrollY > 0;
  // Every change above the reader first, then one correction for all of them.
  list.prepend(template.content);
  const empty = document.getElementById("no-captures");
  if (empty) empty.remove();
  status.textContent = `Live: ${rows.length} new at ${new Date().toLocaleTimeString()}.`;
  if (scrolled) window.scrollBy(0, document.documentElement.scrollHeight - before);
}

if (list && list.dataset.live) {
  // We keep the reader's place ourselves (WebKit has no scroll anchoring);
  // Chromium's own anchoring would move the page a second time.
  document.documentElement.style.overflowAnchor = "none";
  document.body.style.overflowAnchor = "none";
  repeatWhileShown(poll, INTERVAL_MS);
}
