// Shared helpers for the site's pages. No build step, no external request.
import "./phone.js"; // the pushOpened listener and the simulated phone, on every page

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// POST JSON to the site with the CSRF header; resolves to {ok, status, data}.
export async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
    body: JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch { data = { error: `HTTP ${response.status}` }; }
  return { ok: response.ok, status: response.status, data };
}

// Runs `step` every `intervalMs` while the page is shown, one run at a time,
// until it returns "stop". Nothing runs while the page is hidden (a phone in a
// pocket, a background tab); it runs at once when the page is shown again.
export function repeatWhileShown(step, intervalMs) {
  let timer = null;
  let busy = false;
  let stopped = false;
  async function tick() {
    timer = null;
    if (stopped || busy || document.hidden) return;
    busy = true;
    try {
      if ((await step()) === "stop") stopped = true;
    } finally {
      busy = false;
    }
    if (!stopped && !document.hidden) timer = setTimeout(tick, intervalMs);
  }
  timer = setTimeout(tick, intervalMs);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && timer === null) tick();
  });
}

// Buttons marked data-copy="#id" copy that element's text.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const text = source.value !== undefined ? source.value : source.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement("textarea");
    area.value = text; document.body.appendChild(area); area.select();
    document.execCommand("copy"); area.remove();
  }
  const old = button.textContent; button.textContent = "Copied"; setTimeout(() => { button.textContent = old; }, 1200);
});

// Forms marked data-confirm ask before submitting.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// On a phone the section tabs scroll sideways: keep the current one in view.
const currentTab = document.querySelector('.tabs [aria-current="page"]');
if (currentTab && currentTab.offsetLeft + currentTab.offsetWidth > currentTab.parentElement.clientWidth) {
  currentTab.parentElement.scrollLeft = currentTab.offsetLeft - 16;
}

// The tab row scrolls sideways when it is wider than the screen (a phone):
// the edge with more tabs behind it fades out and shows an arrow.
const tabs = document.querySelector(".tabs");
if (tabs) {
  const left = document.querySelector(".tabs-more-left");
  const right = document.querySelector(".tabs-more-right");
  const hint = () => {
    const more = tabs.scrollWidth - tabs.clientWidth;
    left.hidden = !(more > 1 && tabs.scrollLeft > 1);
    right.hidden = !(more > 1 && tabs.scrollLeft < more - 1);
  };
  tabs.addEventListener("scroll", hint, { passive: true });
  window.addEventListener("resize", hint);
  hint();
}

// Logged in, the unread count in the tabs follows new messages without a
// reload: a small GET of the viewer's own count, only while the page is
// shown. Pages that show more (the inbox) listen for "pushlab:messages".
const countBadge = document.getElementById("messages-count");
if (countBadge && document.body.dataset.loggedIn === "1") {
  const inbox = document.getElementById("inbox");
  // The inbox asks for the messages newer than the newest it shows.
  let after = inbox ? Number(inbox.dataset.after || 0) : null;
  repeatWhileShown(async () => {
    let data;
    try {
      const response = await fetch(after === null ? "/api/messages/unread" : `/api/messages/unread?after=${after}`, {
        credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store",
      });
      if (response.status === 401 || response.status === 403) return "stop"; // logged out meanwhile
      if (!response.ok) return undefined;
      data = await response.json();
    } catch {
      return undefined; // offline for a moment: try again at the next tick
    }
    const words = Object.assign(document.createElement("span"), { className: "visually-hidden", textContent: " unread" });
    if (data.unread) countBadge.replaceChildren(String(data.unread), words);
    else countBadge.replaceChildren();
    countBadge.hidden = data.unread === 0;
    if (after !== null && data.messages.length) after = data.messages[data.messages.length - 1].id;
    window.dispatchEvent(new CustomEvent("pushlab:messages", { detail: data }));
    return undefined;
  }, inbox ? 2000 : 5000);
}

// A code block taller or wider than its box scrolls: make it reachable with
// the keyboard (Tab, then the arrow keys), whichever page it is on.
function focusableWhenScrolling() {
  for (const block of document.querySelectorAll("pre")) {
    const scrolls = block.scrollHeight > block.clientHeight + 1 || block.scrollWidth > block.clientWidth + 1;
    if (scrolls && !block.hasAttribute("tabindex")) block.setAttribute("tabindex", "0");
  }
}
focusableWhenScrolling();
window.addEventListener("resize", focusableWhenScrolling);
document.addEventListener("toggle", focusableWhenScrolling, true); // a <details> opened
