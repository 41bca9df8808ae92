// The inspector: a live list of captures and, from about 1024 px wide, the
// chosen capture beside it.
//
// Live list: asks the server for rows newer than the newest shown and puts
// them on top, keeping the reader's place when they have scrolled. Driven by
// the database (an ordinary request), so it works whatever worker or host
// answers. Side pane: a click on a row (or j / k) loads the capture's detail
// from /inspector/<id>/pane into the pane and changes the URL to
// /inspector/<id>, so it can be linked and reloaded; the list and its live
// updates stay. Narrower than that, a row is an ordinary link. Every piece of
// HTML put in the page was rendered and escaped by the server's templates.

import { repeatWhileShown } from "./site.js";

const list = document.getElementById("captures");
const status = document.getElementById("live-status");
const pane = document.getElementById("capture-pane");
const layout = document.getElementById("inspector");
const compareForm = document.getElementById("compare-form");
const compareButton = document.getElementById("compare-picked");
const compareHint = document.getElementById("compare-hint");
const WIDE = window.matchMedia("(min-width: 64rem)");
const INTERVAL_MS = 1000;

// Times: "5 s ago", the exact UTC time in the title (rendered by the server).
function ago(iso) {
  const seconds = Math.floor((Date.now() - Date.parse(iso)) / 1000);
  if (!(seconds >= 1)) return "just now";
  for (const [size, unit] of [[86400, "d"], [3600, "h"], [60, "min"]]) {
    if (seconds >= size) return `${Math.floor(seconds / size)} ${unit} ago`;
  }
  return `${seconds} s ago`;
}

function refreshTimes() {
  for (const time of document.querySelectorAll("#inspector time[datetime]")) {
    time.textContent = ago(time.getAttribute("datetime"));
  }
}

async function poll() {
  refreshTimes();
  if (!list || !list.dataset.live) return;
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

// The side pane.
function markSelected(id) {
  for (const link of list ? list.querySelectorAll("a.cap-link[aria-current]") : []) {
    link.removeAttribute("aria-current");
  }
  const row = list && list.querySelector(`li.capture[data-id="${id}"] a.cap-link`);
  if (row) row.setAttribute("aria-current", "true");
}

let loading = 0;
async function openPane(id, href, how) {
  const ticket = ++loading;
  let response;
  try {
    // the list's search and filters ride along: the capture's previous / next follow them
    const paneUrl = `/inspector/${id}/pane${new URL(href, window.location.href).search}`;
    response = await fetch(paneUrl, { credentials: "same-origin", headers: { Accept: "text/html" } });
  } catch {
    window.location.href = href; // let the full page try
    return;
  }
  if (ticket !== loading) return; // a later choice won
  if (!response.ok || response.redirected) {
    window.location.href = href;
    return;
  }
  pane.innerHTML = await response.text(); // rendered and escaped by the server
  layout.classList.add("has-detail");
  markSelected(id);
  document.title = `Capture #${id} · Push Lab`;
  if (how === "push") history.pushState({ capture: id }, "", href);
  else if (how === "replace") history.replaceState({ capture: id }, "", href);
  pane.scrollTop = 0;
}

function paneLink(event) {
  if (!WIDE.matches || event.defaultPrevented || event.button !== 0) return null;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null;
  const link = event.target.closest("a.cap-link, a[data-pane]");
  if (!link) return null;
  const match = new URL(link.href).pathname.match(/^\/inspector\/(\d+)$/);
  return match ? { link, id: match[1] } : null;
}

document.addEventListener("click", (event) => {
  const found = paneLink(event);
  if (!found) return;
  event.preventDefault();
  openPane(found.id, found.link.href, "push");
});

window.addEventListener("popstate", () => {
  const match = window.location.pathname.match(/^\/inspector\/(\d+)$/);
  if (match) {
    if (WIDE.matches) openPane(match[1], window.location.href, "none");
    else window.location.reload();
  } else if (window.location.pathname === "/inspector" && layout.classList.contains("has-detail")) {
    window.location.reload();
  }
});

// j / k: the next / previous row (focus, and open it in the pane when wide).
document.addEventListener("keydown", (event) => {
  if (!list || (event.key !== "j" && event.key !== "k")) return;
  if (event.metaKey || event.ctrlKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  const links = [...list.querySelectorAll("a.cap-link")];
  if (!links.length) return;
  const current = links.indexOf(document.activeElement.closest && document.activeElement.closest("a.cap-link"));
  const selected = links.findIndex((link) => link.hasAttribute("aria-current"));
  const from = current >= 0 ? current : selected;
  const to = from < 0 ? 0 : Math.min(links.length - 1, Math.max(0, from + (event.key === "j" ? 1 : -1)));
  event.preventDefault();
  links[to].focus();
  const id = links[to].closest("li.capture").dataset.id;
  if (WIDE.matches) openPane(id, links[to].href, "replace");
});

// Compare: tick two rows. A third tick lets go of the first one ticked.
let ticked = [];
function showTicked() {
  if (!compareButton) return;
  compareButton.disabled = ticked.length !== 2;
  compareHint.textContent =
    ticked.length === 0 ? "Tick two captures to compare them."
      : ticked.length === 1 ? `#${ticked[0].value} ticked: tick one more.`
        : `Compare #${ticked[0].value} with #${ticked[1].value}.`;
}
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!box.matches || !box.matches("input.pick")) return;
  ticked = ticked.filter((other) => other !== box && other.checked);
  if (box.checked) ticked.push(box);
  while (ticked.length > 2) ticked.shift().checked = false;
  showTicked();
});
if (compareForm) {
  ticked = [...document.querySelectorAll("input.pick:checked")];
  showTicked();
}

if (pane && pane.querySelector("[data-capture-id]")) {
  markSelected(pane.querySelector("[data-capture-id]").dataset.captureId);
}

if (list && list.dataset.live) {
  // We keep the reader's place ourselves (WebKit has no scroll anchoring);
  // Chromium's own anchoring would move the page a second time.
  document.documentElement.style.overflowAnchor = "none";
  document.body.style.overflowAnchor = "none";
}
repeatWhileShown(poll, INTERVAL_MS);
