// The notification center: alerts newest first, each with where it went and what the
// provider said of it (delivered, not delivered, bounced).
import { api } from "./api.js";
import { $, $$, esc, fmtTime, fmtPhone } from "./ui.js";
import { emit } from "./state.js";

const CHANNEL = { sms: "SMS", email: "E-mail", in_app: "In-app" };
const STATUS = { pending: "waiting", held: "held for the digest", sending: "sending", sent: "sent", failed: "retrying",
  dead: "gave up", digested: "in the digest" };
const RECEIPT = { delivered: "delivered", undelivered: "not delivered", bounced: "bounced" };

export function deliveryWords(d) {
  const state = d.receipt ? RECEIPT[d.receipt] : STATUS[d.status] || d.status;
  const to = d.channel === "sms" ? fmtPhone(d.to) : d.to;
  return `${CHANNEL[d.channel] || d.channel} to ${to || "you"}: ${state}${d.receipt_code ? ` (code ${d.receipt_code})` : ""}`;
}

export async function view() {
  $("#view").innerHTML = `<h2>Inbox</h2><div class="actions"><button id="read-all" class="ghost">Mark all read</button>
    <label class="check"><input type="checkbox" id="unread-only"> Unread only</label></div><ol id="notes" class="results"></ol>`;
  const load = async () => {
    const data = await api("/v1/notifications", { query: { unread: $("#unread-only").checked } });
    $("#notes").innerHTML = data.items.map((n) => `
      <li class="note ${n.read ? "" : "unread"}" data-id="${esc(n.id)}">
        ${n.status_number ? `<a href="#/permit/${esc(n.status_number)}" class="permit-row" data-open="${esc(n.id)}">` : `<div class="permit-row">`}
          <strong>${esc(n.title)}</strong><span>${esc(n.body || "")}</span>
          <span class="muted">${fmtTime(n.created_at)}${n.rule ? ` · alert “${esc(n.rule)}”` : ""}</span>${n.status_number ? "</a>" : "</div>"}
        <p class="deliveries">${n.deliveries.map((d) => `<span class="pill ${esc(d.receipt || d.status)}" title="${esc(d.error || "")}">${esc(deliveryWords(d))}</span>`).join(" ")}</p>
        ${n.read ? "" : `<button class="link" data-read="${esc(n.id)}">Mark read</button>`}
      </li>`).join("") || `<li class="muted">No notifications yet. Alerts you set up land here.</li>`;
    $$("[data-read]").forEach((b) => b.addEventListener("click", async () => {
      await api("/v1/notifications/read", { method: "POST", body: { ids: [b.dataset.read] } }); load(); emit("chrome");
    }));
    $$("[data-open]").forEach((a) => a.addEventListener("click", () => api(`/v1/notifications/${a.dataset.open}/opened`, { method: "POST" }).then(() => emit("chrome"))));
  };
  $("#read-all").addEventListener("click", async () => { await api("/v1/notifications/read", { method: "POST", body: {} }); load(); emit("chrome"); });
  $("#unread-only").addEventListener("change", load);
  await load();
}
