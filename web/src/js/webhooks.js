// Outbound webhooks on the API keys screen (owners and admins): endpoints, their signing
// secret shown once, a test event, the delivery log with every attempt.
import { api } from "./api.js";
import { $, $$, ago, esc, fmtTime, openModal, closeModal, showError, showOnce, toast } from "./ui.js";

const EVENTS = [["alert.created", "Alerts from your rules"], ["permit.changed", "Every permit change statewide (batched)"]];
const KIND = { "alert.created": "Alert", "permit.changed": "Permit changes", ping: "Test" };
const STATE = { sent: "Delivered", failed: "Failed, will retry", dead: "Gave up", pending: "Waiting to send", sending: "Sending" };

const said = (events) => events.map((e) => EVENTS.find(([v]) => v === e)?.[1] || e).join("; ");

export async function section(root, refresh) {
  const hooks = await api("/v1/webhooks");
  root.innerHTML = `<h3>Webhooks</h3>
    <p class="muted">We POST signed JSON to your HTTPS address when something happens. Check each delivery's
      <code>Permitwatch-Signature</code> with the endpoint's secret (see the API guide).</p>
    <div class="actions"><button class="primary" id="new-hook">New webhook…</button></div>
    <ul class="results hooks">${hooks.map((h) => `<li data-id="${esc(h.id)}" class="${h.enabled ? "" : "revoked"}">
      <strong class="url">${esc(h.url)}</strong>${h.description ? ` <span>${esc(h.description)}</span>` : ""}
      ${h.enabled ? "" : `<span class="pill">Turned off</span>`}
      <span class="muted">${esc(said(h.events))}</span>
      <span class="muted">${h.last_status ? `Last delivery: <span class="pill ${esc(h.last_status)}">${esc(STATE[h.last_status])}</span> ${esc(ago(h.last_delivery_at))}`
        : "No deliveries yet"}${h.previous_until ? ` · the previous secret signs too until ${esc(fmtTime(h.previous_until))}` : ""}</span>
      <div class="actions"><button class="link" data-test ${h.enabled ? "" : "disabled"}>Send test</button><button class="link" data-log>Delivery log</button>
        <button class="link" data-rotate>New secret</button><button class="link" data-toggle>${h.enabled ? "Turn off" : "Turn on"}</button>
        <button class="link danger" data-delete>Delete</button></div>
    </li>`).join("") || `<li class="muted">No webhooks yet.</li>`}</ul>`;
  $("#new-hook", root).addEventListener("click", () => newHook(refresh));
  for (const li of $$(".hooks li[data-id]", root)) {
    const h = hooks.find((x) => x.id === li.dataset.id);
    const act = (sel, fn) => $(sel, li).addEventListener("click", async () => { try { await fn(); } catch (err) { toast(err.message, "error"); } });
    act("[data-test]", async () => { await api(`/v1/webhooks/${h.id}/test`, { method: "POST" }); toast("Test event queued: it goes out within seconds. See the delivery log."); });
    act("[data-log]", () => showLog(h));
    act("[data-rotate]", async () => {
      if (!confirm("Make a new signing secret? The old one keeps signing too for 24 hours, so you can switch over.")) return;
      secretShown(await api(`/v1/webhooks/${h.id}/rotate`, { method: "POST", body: { overlap_hours: 24 } }), refresh,
        "For the next 24 hours deliveries carry signatures by both secrets.");
    });
    act("[data-toggle]", async () => { await api(`/v1/webhooks/${h.id}`, { method: "PATCH", body: { enabled: !h.enabled } }); refresh(); });
    act("[data-delete]", async () => {
      if (!confirm(`Delete the webhook to ${h.url}? Its delivery log goes too.`)) return;
      await api(`/v1/webhooks/${h.id}`, { method: "DELETE" }); toast("Deleted."); refresh();
    });
  }
}

function newHook(refresh) {
  const card = openModal(`<h2 id="modal-title">New webhook</h2><form id="hook-form" novalidate>
    <label>Address (HTTPS) <input name="url" type="url" required maxlength="2000" placeholder="https://hooks.example.com/permitwatch"></label>
    <label>Description (optional) <input name="description" maxlength="200" placeholder="Our CRM"></label>
    <fieldset class="columns"><legend>Send</legend>${EVENTS.map(([v, w]) => `<label class="check"><input type="checkbox" name="event" value="${v}"
      ${v === "alert.created" ? "checked" : ""}> ${esc(w)}</label>`).join("")}</fieldset>
    <div class="actions"><button class="primary" type="submit">Add the webhook</button><button type="button" class="ghost" id="hook-cancel">Cancel</button></div>
  </form>`);
  $("#hook-cancel", card).addEventListener("click", closeModal);
  $("#hook-form", card).addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    const body = { url: f.url.value.trim(), description: f.description.value, events: $$("input[name=event]", f).filter((c) => c.checked).map((c) => c.value) };
    try { secretShown(await api("/v1/webhooks", { method: "POST", body }), refresh, ""); } catch (err) { showError(f, err); }
  });
}

function secretShown(made, refresh, note) {
  showOnce("Signing secret", made.secret, note, refresh);
}

function tryLine(t) {
  const answer = t.status_code ? `answered ${t.status_code}` : "no answer";
  return `<li>${esc(fmtTime(t.attempted_at))}: ${esc(answer)} in ${esc(t.duration_ms.toLocaleString())} ms${t.address ? ` from ${esc(t.address)}` : ""}
    ${t.error ? `<br><span class="muted">${esc(t.error)}</span>` : ""}</li>`;
}

async function showLog(h) {
  const log = await api(`/v1/webhooks/${h.id}/deliveries?limit=50`);
  const card = openModal(`<h2 id="modal-title">Delivery log</h2><p class="muted url">${esc(h.url)}</p>
    <ul class="results deliveries">${log.map((d) => `<li><strong>${esc(KIND[d.event_type] || d.event_type)}</strong>
      ${d.event_type === "permit.changed" ? `(${esc(d.changes.toLocaleString())} changes)` : ""}
      <span class="pill ${esc(d.status)}">${esc(STATE[d.status])}</span> <span class="muted">${esc(fmtTime(d.created_at))} · ${esc(d.event_id)}</span>
      ${d.next_attempt_at ? `<span class="muted">Next try ${esc(fmtTime(d.next_attempt_at))}</span>` : ""}
      ${d.tries.length ? `<ol class="tries">${d.tries.map(tryLine).join("")}</ol>` : d.last_error ? `<span class="muted">${esc(d.last_error)}</span>` : ""}
    </li>`).join("") || `<li class="muted">Nothing sent in the last 30 days.</li>`}</ul>
    <div class="actions"><button class="ghost" id="log-done">Close</button></div>`);
  $("#log-done", card).addEventListener("click", closeModal);
}
