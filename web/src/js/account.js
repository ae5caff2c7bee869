// Account settings: name and time zone, phone with a texted code, e-mail change by link,
// password, closing the account; and any channel that is paused, with how to resume it.
import { api } from "./api.js";
import { $, esc, toast, showError, formData, fmtPhone } from "./ui.js";
import { state, emit } from "./state.js";

export const ZONES = ["America/Chicago", "America/Denver", "America/New_York", "America/Los_Angeles", "America/Phoenix", "UTC"];

function notices(a) {
  const lines = [];
  if (a.sms_opted_out) lines.push("Texts are stopped: your phone replied STOP. Reply START from it to resume.");
  else if (a.sms_paused_reason) lines.push(`Texts are paused: ${a.sms_paused_reason}. Verify a number below to resume.`);
  if (a.email_paused_reason) lines.push(`E-mail alerts are paused: ${a.email_paused_reason}. Change your address below to resume.`);
  if (!a.email_verified) lines.push("Your e-mail is not confirmed yet: e-mail alerts start once you open the link we sent.");
  return lines.map((l) => `<p class="notice" role="status">${esc(l)}</p>`).join("");
}

export async function view() {
  const a = await api("/v1/account");
  const zones = ZONES.includes(a.timezone) ? ZONES : [a.timezone, ...ZONES];
  $("#view").innerHTML = `
    <h2>Account settings</h2>
    ${notices(a)}
    <form id="profile-form" novalidate><h3>You</h3>
      <label>Name <input name="display_name" maxlength="120" value="${esc(a.display_name || "")}" autocomplete="name"></label>
      <label>Time zone <select name="timezone">${zones.map((z) => `<option ${z === a.timezone ? "selected" : ""}>${esc(z)}</option>`).join("")}</select></label>
      <button type="submit" class="primary">Save</button></form>
    <form id="phone-form" novalidate><h3>Phone for SMS alerts</h3>
      <p class="muted">${a.phone ? `${esc(fmtPhone(a.phone))} · ${a.phone_verified ? "verified" : "not verified"}` : "No phone yet."}</p>
      <label>Mobile number <input name="phone" type="tel" autocomplete="tel" placeholder="(512) 555-0100" value="${esc(a.pending_phone || "")}"></label>
      <button type="submit">${a.phone ? "Change number" : "Add number"}</button>
      ${a.phone ? `<button type="button" class="link danger" id="phone-remove">Remove phone</button>` : ""}</form>
    <form id="code-form" novalidate ${a.pending_phone ? "" : "hidden"}>
      <label>Code texted to <span id="code-to">${esc(fmtPhone(a.pending_phone))}</span>
        <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}"></label>
      <button type="submit" class="primary">Verify</button>
      <p class="muted">The code works for 10 minutes. Did not get it? Send the number again in 30 seconds.</p></form>
    <form id="email-form" novalidate><h3>E-mail</h3>
      <p class="muted">${esc(a.email)} · ${a.email_verified ? "confirmed" : `not confirmed <button type="button" class="link" id="resend">send the link again</button>`}</p>
      <label>New e-mail <input name="email" type="email" autocomplete="email"></label>
      <label>Your password <input name="password" type="password" autocomplete="current-password"></label>
      <button type="submit">Change e-mail</button></form>
    <form id="password-form" novalidate><h3>Password</h3>
      <label>Current password <input name="current_password" type="password" autocomplete="current-password"></label>
      <label>New password <input name="new_password" type="password" autocomplete="new-password" minlength="10"></label>
      <button type="submit">Change password</button></form>
    <form id="delete-form" novalidate><h3>Close your account</h3>
      <p class="muted">Your areas, alerts and inbox go with it; in shared workspaces, what you made stays for the team.</p>
      <label>Your password <input name="password" type="password" autocomplete="current-password"></label>
      <button type="submit" class="danger">Close my account</button></form>`;
  const submit = (id, fn) => $(id).addEventListener("submit", async (e) => {
    e.preventDefault();
    try { await fn(formData(e.target), e.target); } catch (err) { showError(e.target, err); }
  });
  submit("#profile-form", async (d) => { await api("/v1/account", { method: "PATCH", body: d }); toast("Saved."); state.me = await api("/auth/me"); });
  submit("#phone-form", async (d) => {
    const r = await api("/v1/account/phone", { method: "POST", body: { phone: d.phone } });
    toast(`We texted a code to ${fmtPhone(r.pending_phone)}.`);
    $("#code-to").textContent = fmtPhone(r.pending_phone);
    $("#code-form").hidden = false;
    $("#code-form").code.focus();
  });
  submit("#code-form", async (d) => { const r = await api("/v1/account/phone/verify", { method: "POST", body: { code: d.code } }); toast(`${fmtPhone(r.phone)} is verified: SMS alerts can go to it.`); view(); });
  $("#phone-remove")?.addEventListener("click", async () => { await api("/v1/account/phone", { method: "DELETE" }); toast("Phone removed."); view(); });
  submit("#email-form", async (d) => { const r = await api("/v1/account/email", { method: "POST", body: d }); toast(r.detail); view(); });
  $("#resend")?.addEventListener("click", async () => { await api("/auth/verify/resend", { method: "POST" }); toast("Confirmation e-mail sent."); });
  submit("#password-form", async (d, form) => { await api("/v1/account/password", { method: "POST", body: d }); form.reset(); toast("Password changed; your other sessions were signed out."); });
  submit("#delete-form", async (d) => {
    if (!confirm("Close your account for good?")) return;
    await api("/v1/account/delete", { method: "POST", body: d });
    location.hash = "#/signin"; location.reload();
  });
  emit("chrome");
}
