// Pro API keys: this month's use against the quota, the keys (made, shown once, revoked,
// rolled), for owners and admins; everyone in the workspace sees the use.
import { api } from "./api.js";
import { $, $$, esc, fmtTime, openModal, closeModal, showError, showOnce, toast } from "./ui.js";
import { state } from "./state.js";
import { section as webhooks } from "./webhooks.js";

const SCOPES = [["permits:read", "Read permits, changes and usage"], ["alerts:read", "Read alert rules"],
  ["alerts:write", "Change alert rules"], ["exports:write", "Start exports and reports"], ["webhooks:write", "Manage webhooks"]];

const n = (v) => (v ?? 0).toLocaleString();

export async function view() {
  const admin = ["owner", "admin"].includes(state.me.role);
  const [use, keys] = await Promise.all([api("/v1/usage"), admin ? api("/v1/api-keys") : Promise.resolve([])]);
  const top = Math.max(1, ...use.days.map((d) => d.requests));
  $("#view").innerHTML = `<h2>API keys</h2>
    <p class="muted">Call the permitwatch API from your own software with a key: <code>Authorization: Bearer &lt;key&gt;</code>.</p>
    <section class="usage"><h3>This month (${esc(use.month)}, UTC)</h3>
      <p><strong>${n(use.used)}</strong> request${use.used === 1 ? "" : "s"}${use.quota !== null ? ` of ${n(use.quota)} · ${n(use.remaining)} left` : ""}
        · each key up to ${n(use.rate_per_minute)} a minute${use.complete ? "" : " · the last few seconds are not counted yet"}</p>
      ${use.quota ? `<progress max="${use.quota}" value="${use.used}" aria-label="requests used this month">${Math.round((100 * use.used) / use.quota)}%</progress>` : ""}
      ${use.days.length ? `<ol class="bars" aria-label="requests per day">${use.days.map((d) => `<li title="${esc(d.day)}: ${n(d.requests)} requests, ${n(d.errors)} errors">
        <span style="height:${Math.max(4, Math.round((60 * d.requests) / top))}px"></span><small>${esc(d.day.slice(8))}</small></li>`).join("")}</ol>` : ""}
    </section>
    ${admin ? `<div class="actions"><button class="primary" id="new-key">New API key…</button></div>
      <ul class="results keys">${keys.map((k) => {
        const u = use.keys.find((x) => x.id === k.id);
        return `<li data-id="${esc(k.id)}" class="${k.revoked_at ? "revoked" : ""}"><strong>${esc(k.name)}</strong> <code>${esc(k.prefix)}…</code>
        ${k.revoked_at ? `<span class="pill">Revoked ${esc(fmtTime(k.revoked_at))}</span>` : k.replaced_by ? `<span class="pill">Rolled: works until ${esc(fmtTime(k.expires_at))}</span>` : ""}
        <span class="muted">${esc(k.scopes.map((s) => SCOPES.find(([v]) => v === s)?.[1] || s).join("; "))}</span>
        <span class="muted">${k.last_used_at ? `Last used ${esc(fmtTime(k.last_used_at))} from ${esc(k.last_used_ip || "an unknown address")}` : "Never used"}
          · ${n(u?.requests)} requests this month · made by ${esc(k.created_by || "a former member")}
          ${k.expires_at && !k.replaced_by ? ` · expires ${esc(fmtTime(k.expires_at))}` : ""}${k.allowed_ips?.length ? ` · only from ${esc(k.allowed_ips.join(", "))}` : ""}</span>
        ${k.revoked_at || k.replaced_by ? "" : `<div class="actions"><button class="link" data-roll>Roll</button><button class="link danger" data-revoke>Revoke</button></div>`}
      </li>`;
      }).join("") || `<li class="muted">No keys yet.</li>`}</ul><section id="webhooks" class="webhooks"></section>`
    : `<p class="muted">Owners and admins make and revoke keys and webhooks.</p>`}`;
  if (admin) await webhooks($("#webhooks"), view);
  $("#new-key")?.addEventListener("click", newKey);
  for (const li of $$(".keys li[data-id]")) {
    const k = keys.find((x) => x.id === li.dataset.id);
    $("[data-revoke]", li)?.addEventListener("click", async () => {
      if (!confirm(`Revoke “${k.name}”? Software using it stops working at once.`)) return;
      try { await api(`/v1/api-keys/${k.id}/revoke`, { method: "POST" }); toast("Revoked."); view(); } catch (err) { toast(err.message, "error"); }
    });
    $("[data-roll]", li)?.addEventListener("click", async () => {
      try { shown(await api(`/v1/api-keys/${k.id}/roll`, { method: "POST", body: { overlap_hours: 24 } }), "The old key keeps working for 24 hours."); }
      catch (err) { toast(err.message, "error"); }
    });
  }
}

function newKey() {
  const card = openModal(`<h2 id="modal-title">New API key</h2><form id="key-form" novalidate>
    <label>Name <input name="name" required maxlength="120" placeholder="Nightly sync"></label>
    <fieldset class="columns"><legend>What it may do</legend>${SCOPES.map(([v, w]) => `<label class="check"><input type="checkbox" name="scope" value="${v}"
      ${v === "permits:read" ? "checked" : ""}> ${esc(w)}</label>`).join("")}</fieldset>
    <label>Expires (optional) <input name="expires" type="date"></label>
    <label>Only from these addresses (optional) <input name="ips" placeholder="203.0.113.7, 198.51.100.0/24"></label>
    <div class="actions"><button class="primary" type="submit">Make the key</button><button type="button" class="ghost" id="key-cancel">Cancel</button></div>
  </form>`);
  $("#key-cancel", card).addEventListener("click", closeModal);
  $("#key-form", card).addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    const body = { name: f.name.value, scopes: $$("input[name=scope]", f).filter((c) => c.checked).map((c) => c.value),
      allowed_ips: f.ips.value.split(/[\s,;]+/).filter(Boolean), expires_at: f.expires.value ? new Date(`${f.expires.value}T23:59:59`).toISOString() : null };
    try { shown(await api("/v1/api-keys", { method: "POST", body }), ""); } catch (err) { showError(f, err); }
  });
}

function shown(made, note) {
  showOnce("Your new key", made.key, note, view);
}
