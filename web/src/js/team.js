// The team: members with their roles, open invitations, inviting someone.
import { api } from "./api.js";
import { $, $$, esc, toast, showError, formData } from "./ui.js";
import { state } from "./state.js";

export async function view() {
  const data = await api("/v1/workspace/members");
  const admin = ["owner", "admin"].includes(data.your_role);
  const me = state.me.user;
  $("#view").innerHTML = `
    <h2>Team</h2>
    <ul class="results">${data.members.map((m) => `<li data-user="${esc(m.user_id)}"><strong>${esc(m.display_name || m.email)}</strong>
      <span class="muted">${esc(m.email)}${m.email_verified ? "" : " (e-mail not confirmed)"} · ${m.phone_verified ? "gets SMS" : "no verified phone"}</span>
      ${admin && m.user_id !== me.id ? `<label>Role <select data-role aria-label="Role of ${esc(m.email)}">${["owner", "admin", "member"].map((r) => `<option ${r === m.role ? "selected" : ""}>${r}</option>`).join("")}</select></label>
        <button class="link danger" data-remove>Remove</button>` : `<span class="pill">${esc(m.role)}</span>`}</li>`).join("")}</ul>
    ${data.invitations.length ? `<h3>Open invitations</h3><ul class="results">${data.invitations.map((i) => `<li>${esc(i.email)} · ${esc(i.role)}
      ${admin ? `<button class="link danger" data-revoke="${esc(i.id)}">Revoke</button>` : ""}</li>`).join("")}</ul>` : ""}
    ${admin ? `<form id="invite-form" novalidate><h3>Invite a teammate</h3>
      <label>E-mail <input name="email" type="email" required></label>
      <label>Role <select name="role"><option>member</option><option>admin</option></select></label>
      <button class="primary" type="submit">Send invitation</button></form>` : `<p class="muted">Owners and admins invite teammates.</p>`}
    <p><a href="#/account">Your account settings</a> · <a href="#/keys">API keys and usage</a> · <a href="#/billing">Billing and plans</a>${admin ? ` · <a href="#/audit">Audit log</a>` : ""}</p>`;
  $("#invite-form")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    try { await api("/v1/workspace/invitations", { method: "POST", body: formData(e.target) }); toast("Invitation sent."); view(); }
    catch (err) { showError(e.target, err); }
  });
  $$("[data-user]").forEach((li) => {
    $("[data-role]", li)?.addEventListener("change", async (e) => {
      try { await api(`/v1/workspace/members/${li.dataset.user}`, { method: "PATCH", body: { role: e.target.value } }); toast("Role changed."); }
      catch (err) { toast(err.message, "error"); view(); }
    });
    $("[data-remove]", li)?.addEventListener("click", async () => {
      try { await api(`/v1/workspace/members/${li.dataset.user}`, { method: "DELETE" }); view(); } catch (err) { toast(err.message, "error"); }
    });
  });
  $$("[data-revoke]").forEach((b) => b.addEventListener("click", async () => { await api(`/v1/workspace/invitations/${b.dataset.revoke}`, { method: "DELETE" }); view(); }));
}
