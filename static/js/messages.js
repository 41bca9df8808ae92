// The messages page: pick the recipient from the people you have written with
// (buttons, and a search by the start of their email), and an inbox that
// shows new messages as they arrive (site.js asks; this page listens).
// Everything from the server is set as text, never as HTML.

const $ = (id) => document.getElementById(id);
const input = $("recipient");
const options = $("recipient-options");

function choose(email) {
  input.value = email;
  for (const button of document.querySelectorAll("[data-recipient]")) {
    button.setAttribute("aria-pressed", String(button.dataset.recipient === email));
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-recipient]");
  if (!button) return;
  choose(button.dataset.recipient);
  $("body").focus();
});

// Only people you have exchanged messages with come back: a search never
// lists the site's accounts (someone new is reached by their exact email).
let searchTimer = null;
let lastQuery = null;
async function search() {
  const query = input.value.trim();
  if (query === lastQuery) return;
  lastQuery = query;
  try {
    const response = await fetch(`/api/messages/recipients?q=${encodeURIComponent(query)}`, {
      credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store",
    });
    if (!response.ok) return;
    const { recipients } = await response.json();
    if (query !== input.value.trim()) return; // typed on meanwhile
    options.replaceChildren(...recipients.map((email) => Object.assign(document.createElement("option"), { value: email })));
  } catch { /* offline: the list stays as it was */ }
}

if (input && options) {
  input.addEventListener("input", () => {
    choose(input.value.trim());
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, 200);
  });
}

// New messages, from site.js's poll of /api/messages/unread.
const inbox = $("inbox");
window.addEventListener("pushlab:messages", (event) => {
  const { unread, messages } = event.detail;
  const title = document.querySelector("main h1");
  let pill = $("unread");
  if (unread && !pill) {
    pill = Object.assign(document.createElement("span"), { id: "unread", className: "pill pill-bad" });
    title.append(" ", pill);
  }
  if (pill) {
    if (unread) pill.textContent = `${unread} unread`;
    else pill.remove();
  }
  if (!inbox || !messages.length) return;
  for (const m of messages) {
    const row = document.createElement("li");
    row.className = m.read ? "read" : "unread";
    const link = Object.assign(document.createElement("a"), { href: `/messages/${m.id}` });
    if (m.read) link.textContent = m.sender;
    else link.append(Object.assign(document.createElement("strong"), { textContent: m.sender }));
    const body = Object.assign(document.createElement("span"), { className: "muted", textContent: m.body });
    const time = Object.assign(document.createElement("time"), { className: "muted", textContent: m.created_at });
    row.append(link, " ", body, " ", time);
    inbox.prepend(row);
  }
  inbox.dataset.after = String(messages[messages.length - 1].id);
  $("inbox-empty").hidden = true;
});
